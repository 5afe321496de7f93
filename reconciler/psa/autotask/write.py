"""Autotask's writes of one apply (:class:`reconciler.psa.base.SystemWriter`), each resolving
its own unknown outcome before anything else happens to that object (``write_resolve``):

* a create whose answer was lost is looked up by natural key: found once -> adopted, absent ->
  sent again, found twice -> stop;
* an update is re-read and compared with what was sent; a delete is checked for absence.

Webhooks are created inactive, get their fields, UDF fields and excluded resources, and only
then are activated, so a half-built webhook never fires (:mod:`.webhook_writes`). Stock tracking
is Salesbuildr's flag on an Autotask location: this writer writes the ``inventory`` document
through the Salesbuildr writer, after the section's location writes (the location ids it keeps,
under one lock: the engine may run different steps at once).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from reconciler.errors import PartialApplyError, UsageError
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, eq
from reconciler.psa.autotask.webhook_writes import SecretLookup, webhook_stages
from reconciler.salesbuildr.writer import DocumentWriter
from reconciler.write_resolve import create, matches, resolved
from reconciler.writes import Change, Journal, Stages, WriteOp, WriteRecord

WEBHOOK = "webhook"
LOCATION = "inventory_location"
INVENTORY = "inventory"


class AutotaskWriter:
    document_sections: frozenset[str] = frozenset({INVENTORY})
    """The sections whose Salesbuildr document this writer writes (its objects' flags)."""

    def __init__(
        self, client: AutotaskClient | None, documents: DocumentWriter, secret: SecretLookup
    ) -> None:
        self.client = client
        self.documents = documents
        self.secret = secret
        self.location_ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def _at(self) -> AutotaskClient:
        if self.client is None:
            raise UsageError("this plan writes to Autotask but no Autotask connection is set up")
        return self.client

    def remaining_requests(self) -> int | None:
        if self.client is None:
            return None
        return self.client.remaining_requests()

    def writes(self, change: Change) -> Stages:
        if change.kind == LOCATION:
            return [[op]] if (op := self._location_op(change)) is not None else []
        if change.kind == WEBHOOK:
            return webhook_stages(self._at(), change, self.secret)
        raise UsageError(f"{change.kind} is not an Autotask kind")

    def removal_writes(self, change: Change) -> Stages:
        live = (change.ids.get("live") or {}) if change.ids else {}
        client = self._at()
        if change.kind == WEBHOOK:
            return [[self._delete_webhook(client, change, int(live["id"]))]]
        if change.kind == LOCATION:
            return [[self._deactivate(client, change, int(live["id"]))]]
        raise UsageError(f"{change.kind} is removed with its Salesbuildr document")

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        """Stock tracking: the ``inventory`` document, once the locations' ids are known."""
        tracked = [c for c in group if any(d.path == "track_stock" for d in c.diff)]
        return self._inventory_op(tracked) if section == INVENTORY and tracked else None

    # -- webhooks and locations ------------------------------------------------------------------

    def _delete_webhook(self, client: AutotaskClient, change: Change, item_id: int) -> WriteOp:
        prefix = at_state.WEBHOOK_ENTITY_PREFIX[str((change.before or {})["entity"])]

        def delete(journal: Journal) -> None:
            resolved(
                lambda: client.delete(f"{prefix}Webhooks", item_id),
                check=lambda: client.get(f"{prefix}Webhooks", item_id) is None,
                journal=journal,
                record=WriteRecord(
                    change.address, "delete", f"DELETE {prefix}Webhooks/{item_id}", "ok", item_id
                ),
            )

        return WriteOp(f"delete {change.address}", delete, (change.address,))

    def _deactivate(self, client: AutotaskClient, change: Change, location_id: int) -> WriteOp:
        body = {"id": location_id, "isActive": False, "isDefault": False}

        def deactivate(journal: Journal) -> None:
            resolved(
                lambda: client.update("InventoryLocations", body),
                check=lambda: matches(client.get("InventoryLocations", location_id), body),
                journal=journal,
                record=WriteRecord(
                    change.address, "deactivate", "PATCH InventoryLocations", "ok", location_id
                ),
            )
            self._located(change.key, location_id)

        return WriteOp(f"deactivate {change.address}", deactivate, (change.address,))

    def _located(self, key: str, location_id: int) -> None:
        with self._lock:
            self.location_ids[key] = location_id

    def _location_op(self, change: Change) -> WriteOp | None:
        after = dict(change.after or {})
        body: dict[str, Any] = {
            "locationName": change.key,
            "isActive": bool(after.get("active", True)),
            "isDefault": bool(after.get("default", False)),
        }
        client = self._at()
        if change.action == "create":
            return self._create_location(client, change, body)
        item_id = int((change.ids.get("live") or {})["id"])
        self._located(change.key, item_id)
        if not {d.path for d in change.diff} & {"active", "default"}:
            return None  # only Salesbuildr's tracking flag: written with the document
        patch = {"id": item_id, "isActive": body["isActive"], "isDefault": body["isDefault"]}

        def update(journal: Journal) -> None:
            resolved(
                lambda: client.update("InventoryLocations", patch),
                check=lambda: matches(client.get("InventoryLocations", item_id), patch),
                journal=journal,
                record=WriteRecord(
                    change.address, "update", "PATCH InventoryLocations", "ok", item_id
                ),
            )

        return WriteOp(f"update {change.address}", update, (change.address,))

    def _create_location(
        self, client: AutotaskClient, change: Change, body: dict[str, Any]
    ) -> WriteOp:
        def lookup() -> list[dict[str, Any]]:
            return client.query(
                "InventoryLocations",
                eq("locationName", change.key),
                include_fields=["locationName"],
            )

        def create_it(journal: Journal) -> None:
            item_id = create(
                lambda: client.create("InventoryLocations", body),
                lookup=lookup,
                journal=journal,
                record=WriteRecord(change.address, "create", "POST InventoryLocations", "ok"),
                where="in Autotask",
            )
            self._located(change.key, item_id)

        return WriteOp(f"create {change.address}", create_it, (change.address,))

    def _inventory_op(self, group: Sequence[Change]) -> WriteOp:
        def run(journal: Journal) -> None:
            current = self.documents.document(INVENTORY)
            rows = {
                str(r.get("inventoryLocationId")): dict(r)
                for r in current.body.get("locations") or []
            }
            with self._lock:
                known = dict(self.location_ids)
            for change in group:
                location_id = known.get(change.key) or (change.ids.get("live") or {}).get("id")
                if location_id is None:
                    raise PartialApplyError(
                        f"{change.address}: the Autotask location id is unknown"
                    )
                track = bool((change.after or {}).get("track_stock"))
                rows[str(location_id)] = {
                    "inventoryLocationId": int(location_id),
                    "trackStock": track,
                }
            body = {"locations": [r for r in rows.values() if r.get("trackStock")]}
            self.documents.put(INVENTORY, body, current.etag, [c.address for c in group], journal)

        return WriteOp(
            "writing Salesbuildr settings: inventory", run, tuple(c.address for c in group)
        )
