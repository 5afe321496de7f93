"""The simulator's records: one table per Halo resource, POST-array upsert, list envelopes, paging.

Behaviour, with its source (halopsa-api.md):

* a POST body is an array of the model; an element **with** an ``id`` of a record updates it, one
  without (or with ``id`` 0 or -1) creates one (§4 [C]); the answer is the saved object for one
  element, an array for several (§4 [I]);
* fields left out of an update stay; an array-valued field that is sent (``customfields``,
  ``events``, ``mappings``...) **replaces** the stored array whole (§4 [C; I until tested]);
* lists whose GET documents ``pageinate`` answer ``{"record_count": N, "<plural>": [...]}``
  (§3 [C C-CIPP for ``clients``; I for the other keys]); with ``pageinate=true`` they page by
  ``page_no`` (from 1) and ``page_size`` (§3; 1-based is [I]); the other lookups answer a bare
  array (§3 "some lookups return bare arrays" [C]; which ones is [I]: those without paging
  parameters in the document);
* inactive records are left out of lists that document ``includeinactive`` unless it is true [I];
* Webhook and WebhookEvent ids are UUID strings (§3 [V]), every other id an int32 sequence.
"""

from __future__ import annotations

import copy
import random
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from reconciler.sandbox.halopsa import spec


@dataclass(frozen=True)
class ResourceDef:
    """One Halo resource as served: its path root, model, list shape and id type."""

    name: str
    model: str | None
    plural: str | None
    """The envelope key of its list; None: the list is a bare array."""
    uuid_ids: bool = False
    filters: tuple[str, ...] = ()
    """Query parameters compared for equality with the record's field of the same name."""


#: Envelope keys: ``clients`` is [C C-CIPP]; the others follow Halo's lower-case plural [I].
PLURAL_KEYS: Final[Mapping[str, str]] = {
    "Client": "clients",
    "Site": "sites",
    "Item": "items",
    "ItemStock": "itemstock",
    "Opportunities": "tickets",
    "Quotation": "quotes",
    "WebhookEvent": "webhookevents",
}
_FILTERS: Final[Mapping[str, tuple[str, ...]]] = {
    "WebhookEvent": ("webhook_id",),
    "Lookup": ("lookupid",),
    "Status": ("type",),
    "Site": ("client_id",),
    "AssetType": ("assetgroup_id",),
    "Opportunities": ("client_id", "tickettype_id", "status_id"),
    "Quotation": ("client_id", "ticket_id"),
    "ItemStock": ("item_id",),
    "Category": ("type_id",),
    "Webhook": ("type",),
}
UUID_RESOURCES: Final = frozenset({"Webhook", "WebhookEvent"})
ARRAY_CREATE_IDS: Final = (0, -1)


def resource_defs() -> dict[str, ResourceDef]:
    """Every ``/X`` collection of the document that has a POST, by name."""
    found: dict[str, ResourceDef] = {}
    for method, template in spec.operations():
        name = template.strip("/")
        if method != "POST" or "/" in name:
            continue
        paged = "pageinate" in spec.query_parameters("GET", template)
        found[name] = ResourceDef(
            name=name,
            model=spec.request_model(template),
            plural=PLURAL_KEYS.get(name, name.lower() + "s") if paged else None,
            uuid_ids=name in UUID_RESOURCES,
            filters=_FILTERS.get(name, ()),
        )
    return found


class WriteRefused(Exception):
    """Halo refused a write: HTTP ``status`` with ``message`` as a JSON string body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Change:
    """One record written by a POST: the resource, the saved record, and whether it is new."""

    resource: str
    record: dict[str, Any]
    created: bool


@dataclass
class ListPage:
    rows: list[dict[str, Any]]
    record_count: int
    page_no: int | None
    page_size: int | None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


DEFAULT_PAGE_SIZE: Final = 50
"""Halo's page size when ``pageinate`` is sent without ``page_size``: not documented [I]."""


@dataclass
class Store:
    """All records, keyed by resource then id; thread-safe (the server runs handlers in a loop,
    tests read from other threads)."""

    defs: dict[str, ResourceDef]
    rng_seed: int = 0
    main_contact_compulsory: bool = False
    """Halo's "Make main contact details compulsory" (SB-CONF): a new client needs one."""
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    _next_id: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _uuid_random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._uuid_random = random.Random(self.rng_seed)
        for name in self.defs:
            self.tables.setdefault(name, {})

    # --- writes -----------------------------------------------------------------------------------

    def new_id(self, resource: str) -> int | str:
        with self._lock:
            if self.defs[resource].uuid_ids:
                return str(uuid.UUID(int=self._uuid_random.getrandbits(128), version=4))
            self._next_id[resource] = self._next_id.get(resource, 0) + 1
            return self._next_id[resource]

    def insert(self, resource: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add a record as it is (seeds); an ``id`` given is kept and the sequence moves past it."""
        with self._lock:
            row = dict(record)
            if row.get("id") in (None, *ARRAY_CREATE_IDS):
                row["id"] = self.new_id(resource)
            elif isinstance(row["id"], int):
                self._next_id[resource] = max(self._next_id.get(resource, 0), row["id"])
            self.tables[resource][str(row["id"])] = row
            return copy.deepcopy(row)

    def upsert(self, resource: str, elements: Iterable[Mapping[str, Any]]) -> list[Change]:
        """Apply one POST body (already schema-valid): all elements or, on a refusal, none."""
        with self._lock:
            staged: dict[str, dict[str, Any]] = {}
            changes: list[Change] = []
            for element in elements:
                change = self._stage(resource, element, staged)
                staged[str(change.record["id"])] = change.record
                changes.append(change)
            self.tables[resource].update(staged)
            return [Change(c.resource, copy.deepcopy(c.record), c.created) for c in changes]

    def _stage(
        self, resource: str, element: Mapping[str, Any], staged: Mapping[str, dict[str, Any]]
    ) -> Change:
        record_id = element.get("id")
        fields = {key: copy.deepcopy(value) for key, value in element.items() if key != "id"}
        if record_id in (None, *ARRAY_CREATE_IDS, ""):
            self._check_new(resource, fields)
            row = {"id": self.new_id(resource), **fields}
            return Change(resource, row, True)
        key = str(record_id)
        current = staged.get(key) or self.tables[resource].get(key)
        if current is None:
            raise WriteRefused(f"{resource} {record_id} does not exist.", 404)
        # Fields left out stay; an array field that is sent replaces the stored one whole.
        merged = {**copy.deepcopy(current), **fields}
        return Change(resource, merged, False)

    def _check_new(self, resource: str, fields: Mapping[str, Any]) -> None:
        model_has_name = resource not in ("WebhookEvent", "ItemStock", "Category", "Quotation")
        if resource == "Opportunities":
            if not str(fields.get("summary") or "").strip():
                raise WriteRefused("Please enter a summary.")
        elif model_has_name and not str(fields.get("name") or "").strip():
            raise WriteRefused("Please enter a name.")
        main_contact = str(fields.get("main_contact_name") or "").strip()
        if resource == "Client" and self.main_contact_compulsory and not main_contact:
            raise WriteRefused("Please populate main contact name")

    def delete(self, resource: str, record_id: str) -> None:
        with self._lock:
            if self.tables[resource].pop(record_id, None) is None:
                raise WriteRefused(f"{resource} {record_id} does not exist.", 404)

    # --- reads ------------------------------------------------------------------------------------

    def get(self, resource: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self.tables[resource].get(record_id)
            return copy.deepcopy(row) if row is not None else None

    def rows(self, resource: str) -> list[dict[str, Any]]:
        """Every record of ``resource`` (copies), in id order."""
        with self._lock:
            table = self.tables[resource]
            return [copy.deepcopy(table[k]) for k in sorted(table, key=_id_order)]

    def list_page(self, resource: str, query: Mapping[str, str]) -> ListPage:
        """The rows ``GET /resource?query`` selects, and the page of them to answer.

        Raises WriteRefused(400) for a ``page_no`` below 1 or a ``page_size`` below 1."""
        definition = self.defs[resource]
        with self._lock:
            table = self.tables[resource]
            ordered = (table[k] for k in sorted(table, key=_id_order))
            rows = [row for row in ordered if self._selected(definition, row, query)]
            if definition.plural is None or not _truthy(query.get("pageinate")):
                count = _positive(query.get("count"), "count") if query.get("count") else None
                kept = rows[:count] if count is not None and definition.plural else rows
                return ListPage(copy.deepcopy(kept), len(rows), None, None)
            page_no = _positive(query.get("page_no") or "1", "page_no")
            page_size = _positive(query.get("page_size") or str(DEFAULT_PAGE_SIZE), "page_size")
            start = (page_no - 1) * page_size
            page = copy.deepcopy(rows[start : start + page_size])
            return ListPage(page, len(rows), page_no, page_size)

    def _selected(
        self, definition: ResourceDef, row: Mapping[str, Any], query: Mapping[str, str]
    ) -> bool:
        for name in definition.filters:
            wanted = query.get(name)
            if wanted is not None and str(row.get(name)) != wanted:
                return False
        search = (query.get("search") or "").strip().lower()
        if search and search not in str(row.get("name") or row.get("summary") or "").lower():
            return False
        documented = spec.query_parameters("GET", f"/{definition.name}")
        if "includeinactive" in documented and row.get("inactive") is True:
            return _truthy(query.get("includeinactive"))
        return True


def _id_order(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.lstrip("-").isdigit() else (1, key)


def _positive(raw: str | None, name: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise WriteRefused(f"{name} must be a whole number.") from None
    if value < 1:
        raise WriteRefused(f"{name} must be 1 or more.")
    return value
