"""ConnectWise callbacks (``/system/callbacks``): a keyed collection of ConnectWise objects.

Callbacks have no name; the YAML key is the callback's ``description`` (at most 100 characters
in the vendor document), matched as names are (case, width and spacing folded; the exact
spelling wins). Two live callbacks whose descriptions fold alike, neither spelled exactly as the
YAML key, are an ambiguity error naming both ids, never a guess (:mod:`reconciler.kinds.matching`).

The section holds the callbacks of the types Salesbuildr uses (company, contact, opportunity):
callbacks of other types (tickets, projects...) are never read, so never changed or deleted.
Under ``manage: full`` every listed-type callback the YAML does not name is deleted, whoever
registered it. Only what the YAML states is managed: type, level, url and active always,
object_id, payload_version and self_suppressed when stated (else kept as live). ConnectWise's
type and level strings (``Company``, ``Owner``) are community knowledge, not in the vendor
document (its ``type``/``level`` are plain strings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.hosts import shown_value
from reconciler.kinds.base import ApplyStage, KindDefaults, Problem, address
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import PlannedChange, WireWrite
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.state import DeletePolicy, Resource

SECTION = "callbacks"
ENTITY = "CallbackEntry"
"""The vendor document's schema of a callback (the live rules check writes against it)."""

TYPES = {"company": "Company", "contact": "Contact", "opportunity": "Opportunity"}
"""YAML type -> ConnectWise's ``type`` string."""
LEVELS = {
    "owner": "Owner",
    "company": "Company",
    "board": "Board",
    "status": "Status",
    "type": "Type",
}
"""YAML level -> ConnectWise's ``level`` string."""

ALWAYS_MANAGED = frozenset({"type", "level", "url", "active"})
STATED_ONLY = ("object_id", "payload_version", "self_suppressed")
OWNER_OBJECT_ID = 1
"""The ``objectId`` an owner-level callback is created with (community convention)."""

WIRE_ATTRIBUTES = {
    "description": "",
    "url": "url",
    "type": "type",
    "level": "level",
    "objectId": "object_id",
    "inactiveFlag": "active",
    "payloadVersion": "payload_version",
    "isSelfSuppressedFlag": "self_suppressed",
}
"""Wire field -> YAML attribute ("" is the callback's key, its description)."""


def stated(attributes: Mapping[str, Any], given: frozenset[str] | set[str]) -> dict[str, Any]:
    """The managed attributes of a YAML callback: the always-managed ones and those stated."""
    return {k: v for k, v in attributes.items() if k in ALWAYS_MANAGED or k in given}


def _from_wire(value: Any, table: Mapping[str, str]) -> str:
    """``"Company"`` -> ``"company"``; a string we do not model stays, case-folded."""
    text = str(value or "")
    for ours, theirs in table.items():
        if theirs.casefold() == text.casefold():
            return ours
    return text.casefold()


@dataclass(frozen=True)
class CallbackKind(KindDefaults):
    name: str = "callback"
    section: str = SECTION
    owner: str = "connectwise"
    delete_policy: DeletePolicy = DeletePolicy.DELETE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    stage: ApplyStage = ApplyStage.OBJECT
    """ConnectWise objects: written by the ConnectWise writer, before the documents."""

    def address_of(self, description: str) -> str:
        return address(SECTION, description)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        # Spelled as written: two live callbacks may differ only in spacing (matching folds).
        description = resource.key.strip()
        attributes = dict(resource.attributes)
        if attributes.get("url") is None:
            receiver = catalog.facts.get(t.CALLBACK_RECEIVER_URL)
            if not receiver:
                return None, [
                    Problem(
                        resource.address,
                        "Salesbuildr did not report its ConnectWise callback receiver URL",
                        "give this callback a url, or check Salesbuildr's ConnectWise settings",
                        attribute="url",
                    )
                ]
            attributes["url"] = receiver
        return (
            replace(
                resource,
                key=description,
                address=self.address_of(description),
                attributes=attributes,
            ),
            [],
        )

    def with_defaults(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        created = dict(attributes)
        if created.get("object_id") is None and created.get("level") == "owner":
            created["object_id"] = OWNER_OBJECT_ID
        return created

    def live(self, row: Mapping[str, Any], *, address_key: str | None = None) -> Resource | None:
        """A live callback; None for one of a type the section does not hold (never managed).
        ``address_key`` keeps the addresses of callbacks sharing a description apart
        (:func:`live_callbacks`); their key stays the description, so matching sees both."""
        kind = _from_wire(row.get("type"), TYPES)
        if kind not in TYPES:
            return None
        description = str(row.get("description") or "")
        return Resource(
            address=self.address_of(address_key if address_key is not None else description),
            kind=self.name,
            section=SECTION,
            key=description,
            attributes={
                "type": kind,
                "level": _from_wire(row.get("level"), LEVELS),
                "url": shown_value(row.get("url")),
                "active": not bool(row.get("inactiveFlag")),
                "object_id": row.get("objectId"),
                "payload_version": row.get("payloadVersion"),
                "self_suppressed": row.get("isSelfSuppressedFlag"),
            },
            owner=self.owner,
            ids={"id": row.get("id")},
            raw=dict(row),
        )

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        """As the writer sends them: POST the whole callback, PATCH what changed, DELETE."""
        what = f"callback '{change.key}'"
        if change.action == "delete":
            return [WireWrite(ENTITY, "delete", what, {}, WIRE_ATTRIBUTES)]
        after = change.after or {}
        values = wire_values(after)
        if change.action == "create":
            body = {"description": change.key, **values}
            return [WireWrite(ENTITY, "create", what, body, WIRE_ATTRIBUTES)]
        patch = {
            wire: value for wire, value in values.items() if WIRE_ATTRIBUTES[wire] in change.changed
        }
        return [WireWrite(ENTITY, "update", what, patch, WIRE_ATTRIBUTES)] if patch else []


def live_callbacks(rows: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """The live callbacks of ``rows`` (``/system/callbacks``) that the section holds, each at
    its own address: ``description``, or ``description (#id)`` where several share it (a State
    holds one resource per address; plan then reports the ambiguity instead of losing one)."""
    mine = [row for row in rows if _from_wire(row.get("type"), TYPES) in TYPES]
    counts: dict[str, int] = {}
    for row in mine:
        text = str(row.get("description") or "")
        counts[text] = counts.get(text, 0) + 1
    found: list[Resource] = []
    for row in mine:
        text = str(row.get("description") or "")
        key = text if counts[text] == 1 else f"{text} (#{row.get('id')})"
        resource = CALLBACK.live(row, address_key=key)
        if resource is not None:
            found.append(resource)
    return found


def wire_values(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A callback's attributes in ConnectWise's field names (only those present)."""
    values: dict[str, Any] = {}
    if "url" in attributes:
        values["url"] = attributes["url"]
    if "type" in attributes:
        values["type"] = TYPES.get(str(attributes["type"]), attributes["type"])
    if "level" in attributes:
        values["level"] = LEVELS.get(str(attributes["level"]), attributes["level"])
    if "active" in attributes:
        values["inactiveFlag"] = not attributes["active"]
    for attr, wire in (
        ("object_id", "objectId"),
        ("payload_version", "payloadVersion"),
        ("self_suppressed", "isSelfSuppressedFlag"),
    ):
        if attributes.get(attr) is not None:
            values[wire] = attributes[attr]
    return values


CALLBACK = CallbackKind()
