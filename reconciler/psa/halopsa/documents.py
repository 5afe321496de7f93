"""The Salesbuildr settings documents of the HaloPSA pages
(:class:`reconciler.psa.system.SettingsDocuments`).

One document per page under ``/integration/halopsa/settings/{page}`` (our proposal,
:data:`~reconciler.psa.halopsa.kinds_documents.PAGES`), plus ``webhook-receiver``, read-only:
where Halo webhooks without a ``url`` point. Reading is the pure half in
:mod:`.kinds_documents`; :func:`apply_changes` is the writer's half: the live body with each
plan change applied from its ``ids`` and ``diff`` (a PUT replaces the whole document, so every
field no change names is sent back as read).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.kinds.base import MappingKind
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa import kinds_documents as d
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.salesbuildr import state as sb_state
from reconciler.state import Resource, SectionSnapshot
from reconciler.writes import Change

INTEGRATION: Final = "halopsa"
RECEIVER_DOCUMENT: Final = "webhook-receiver"
"""Read-only: ``{"url": ...}``, where Salesbuildr receives Halo's webhooks."""

REFERENCE_LISTS: Final[Mapping[str, tuple[str, str]]] = {
    t.SB_PRODUCT_TYPES: ("product-types", "Salesbuildr product type"),
    t.SB_OPPORTUNITY_STATUSES: ("opportunity-statuses", "Salesbuildr opportunity status"),
}
"""Salesbuildr table -> its reference list under ``/integration/halopsa/`` (our proposal:
``{"results": [{"key", "name"}], "total"}``, paged as every Salesbuildr listing)."""


def _ids(change: Change, side: str) -> Mapping[str, Any]:
    found = (change.ids or {}).get(side)
    return found if isinstance(found, Mapping) else {}


def _first_key(ids: Mapping[str, Any]) -> Any:
    keys = ids.get("keys")
    return keys[0] if isinstance(keys, list | tuple) and keys else None


def _adds(change: Change) -> bool:
    return str(change.action) in ("create", "update")


def _rows(body: dict[str, Any], listed: str) -> list[dict[str, Any]]:
    return [dict(row) for row in body.get(listed) or [] if isinstance(row, Mapping)]


def _mapping_row(body: dict[str, Any], change: Change) -> None:
    """A mapping row: the live row (by its live key) replaced, added or removed."""
    _, listed, key_field, value_field = d.ROWS[change.kind]
    kind = k.BY_NAME[change.kind]
    assert isinstance(kind, MappingKind)
    rows = _rows(body, listed)
    live_key = _first_key(_ids(change, "live"))
    if live_key is not None:
        rows = [row for row in rows if row.get(key_field) != live_key]
    desired = _ids(change, "desired")
    if _adds(change):
        rows.append({key_field: _first_key(desired), value_field: desired.get(kind.value_attr)})
    body[listed] = rows


def _address_line(body: dict[str, Any], change: Change) -> None:
    lines = dict(body.get(d.ADDRESS_LINES_FIELD) or {})
    live_key = _first_key(_ids(change, "live"))
    if live_key is not None:
        lines.pop(str(live_key), None)
    desired = _ids(change, "desired")
    if _adds(change):
        number = str(desired.get("line") or "").removeprefix("line")
        lines[str(_first_key(desired))] = int(number)
    body[d.ADDRESS_LINES_FIELD] = lines


def _settings(body: dict[str, Any], change: Change) -> None:
    """A page's settings: each changed attribute written as its id (or plain value)."""
    fields = d.SETTINGS[change.kind]
    desired = _ids(change, "desired")
    after = change.after or {}
    for diff in change.diff:
        wire = fields.get(diff.path)
        if wire is not None:
            body[wire] = desired.get(diff.path, after.get(diff.path))


def _account_codes(body: dict[str, Any], change: Change) -> None:
    rows = _rows(body, d.ACCOUNT_CODES_FIELD)
    live_key = _first_key(_ids(change, "live"))
    group = _first_key(_ids(change, "desired"))
    previous = next((r for r in rows if r.get("itemGroupId") in (live_key, group)), {})
    rows = [r for r in rows if r.get("itemGroupId") not in (live_key, group)]
    if _adds(change):
        row = {**previous, "itemGroupId": group}
        after = change.after or {}
        for attribute, wire in d.CODE_FIELDS.items():
            if after.get(attribute) is not None:
                row[wire] = after[attribute]
            else:  # unstated: kept as it was
                row.setdefault(wire, None)
        rows.append(row)
    body[d.ACCOUNT_CODES_FIELD] = rows


def apply_changes(
    section: str, body: Mapping[str, Any], changes: Sequence[Change]
) -> dict[str, Any]:
    """The document to PUT for ``section``: the live ``body`` with ``changes`` applied."""
    result = copy.deepcopy(dict(body))
    for change in changes:
        if change.section != section:
            continue
        if change.kind in d.ROWS:
            _mapping_row(result, change)
        elif change.kind == k.ADDRESS_LINES.name:
            _address_line(result, change)
        elif change.kind in d.SETTINGS:
            _settings(result, change)
        elif change.kind == k.ACCOUNT_CODES.name:
            _account_codes(result, change)
    return result


class HaloDocuments:
    """The HaloPSA pages' documents (:class:`~reconciler.psa.system.SettingsDocuments`)."""

    integration = INTEGRATION

    def documents_for(self, sections: Sequence[str]) -> list[str]:
        names = [d.PAGES[s] for s in sections if s in d.PAGES]
        if "webhooks" in sections:
            names.append(RECEIVER_DOCUMENT)
        return names

    def document_of(self, section: str) -> str | None:
        return d.PAGES.get(section)

    def documents_touched(self, change: Change) -> tuple[str, ...]:
        page = d.PAGES.get(change.section)
        return (page,) if page is not None and change.owner == "salesbuildr" else ()

    def live(
        self,
        sections: Sequence[str],
        documents: Mapping[str, SectionSnapshot],
        catalog: Catalog,
    ) -> list[Resource]:
        receiver = documents.get(RECEIVER_DOCUMENT)
        if receiver is not None:
            catalog.facts[RECEIVER_URL] = receiver.body.get("url")
        bodies = {
            section: documents[d.PAGES[section]].body
            for section in sections
            if section in d.PAGES and d.PAGES[section] in documents
        }
        return d.live_resources(bodies, catalog)

    def apply_changes(
        self, section: str, body: Mapping[str, Any], changes: Sequence[Change]
    ) -> dict[str, Any]:
        return apply_changes(section, body, changes)

    def read_table(self, client: Any, name: str) -> NameTable | None:
        if name == t.SB_CATEGORIES:
            return sb_state.read_table(client, name)
        listed = REFERENCE_LISTS.get(name)
        if listed is None:
            return None
        path, what = listed
        rows = client.listing(f"integration/{INTEGRATION}/{path}")
        entries = [Entry(id=row.get("key"), name=str(row.get("name"))) for row in rows]
        return NameTable(what, entries)


DOCUMENTS: Final = HaloDocuments()
