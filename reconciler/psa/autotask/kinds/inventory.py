"""Inventory locations: Autotask objects (no DELETE: "remove" means deactivate) with the
Salesbuildr stock-tracking flag beside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.kinds.base import ApplyStage, KindDefaults, Problem, address
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import PlannedChange, WireWrite
from reconciler.state import DeletePolicy, Resource

SECTION = "inventory"
ENTITY = "InventoryLocations"
WIRE_ATTRIBUTES = {"locationName": "", "isActive": "active", "isDefault": "default"}
"""Wire field -> YAML attribute ("" is the location's key, its name)."""


@dataclass(frozen=True)
class InventoryLocationKind(KindDefaults):
    name: str = "inventory_location"
    section: str = SECTION
    owner: str = "autotask"
    delete_policy: DeletePolicy = DeletePolicy.DEACTIVATE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    stage: ApplyStage = ApplyStage.OBJECT
    deactivation_note: str = "Autotask cannot delete it: deactivated"

    def address_of(self, location_name: str) -> str:
        return address(f"{SECTION}.locations", location_name)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        # Spelled as written: two live locations may differ only in spacing (matching folds).
        name = resource.key.strip()
        return replace(resource, key=name, address=self.address_of(name)), []

    def live(self, row: Mapping[str, Any], track_stock: bool, raw: Any) -> Resource:
        name = str(row.get("locationName") or "")
        return Resource(
            address=self.address_of(name),
            kind=self.name,
            section=SECTION,
            key=name,
            attributes={
                "active": bool(row.get("isActive")),
                "default": bool(row.get("isDefault")),
                "track_stock": track_stock,
            },
            owner=self.owner,
            ids={"id": row.get("id")},
            raw=raw,
        )

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        """As the writer sends them: a create with name and both flags; a PATCH of both flags
        when either changes; "remove" is a PATCH to inactive, not default."""
        after = change.after or {}
        what = f"inventory location '{change.key}'"
        flags = {
            "isActive": bool(after.get("active", True)),
            "isDefault": bool(after.get("default", False)),
        }
        if change.action == "create":
            values = {"locationName": change.key, **flags}
            return [WireWrite(ENTITY, "create", what, values, WIRE_ATTRIBUTES)]
        if change.action == "deactivate":
            values = {"isActive": False, "isDefault": False}
            return [WireWrite(ENTITY, "update", what, values, WIRE_ATTRIBUTES)]
        if change.action == "update" and change.changed & {"active", "default"}:
            return [WireWrite(ENTITY, "update", what, flags, WIRE_ATTRIBUTES)]
        return []

    def autotask_access(self, desired: Sequence[Resource]) -> dict[str, frozenset[str]]:
        return {ENTITY: frozenset({"query", "create", "update"})}

    def deactivated(self, resource: Resource) -> Resource | None:
        """What a location looks like after "remove": inactive, not default, not tracked (None:
        it is inactive already, and an inactive location is left as it is)."""
        if not resource.attributes.get("active", True):
            return None
        flags = {"active": False, "default": False}
        if "track_stock" in resource.attributes:  # a location read without its flag: not sent
            flags["track_stock"] = False
        return resource.with_attributes(**flags)


INVENTORY_LOCATION = InventoryLocationKind()
