"""The Salesbuildr settings documents of the ConnectWise pages
(:class:`reconciler.psa.system.SettingsDocuments`): which to read, their live resources
(:mod:`.kinds_documents`), the body a PUT sends (the live body with the plan's changes), and
the Salesbuildr reference tables the ConnectWise kinds name.

``callback-receiver`` is a read-only document (``url``: where callbacks point, as Autotask's
``webhook-receiver``); the callbacks section reads it for the url a callback without one gets.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.kinds import (
    CATEGORY_MAPPING,
    COMPANY_SETTINGS,
    COMPANY_TYPE_TO_CONNECTWISE,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    INVENTORY_SETTINGS,
    OPPORTUNITY_STATUS_TO_CONNECTWISE,
    OPPORTUNITY_STATUS_TO_SALESBUILDR,
    PRODUCT_TYPE_DATA_SOURCE,
)
from reconciler.psa.connectwise.kinds_catalog import salesbuildr_statuses_table
from reconciler.psa.connectwise.kinds_documents import (
    COMPANY_WIRE,
    IMPORTED_COUNT,
    PAGES,
    TICKET_WIRE,
    category_key,
    live_resources,
)
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS
from reconciler.salesbuildr import state as sb_state
from reconciler.state import Resource, SectionSnapshot
from reconciler.writes import Change

INTEGRATION: Final = "connectwise"
RECEIVER_DOCUMENT: Final = "callback-receiver"
CALLBACKS: Final = "callbacks"
OPPORTUNITY_STATUSES_PATH: Final = f"integration/{INTEGRATION}/opportunity-statuses"


@dataclass(frozen=True)
class RowList:
    """A list of mapping rows in a document: how a row's key reads and how a row is built
    from a change's resolved ids."""

    field: str
    key_of: Callable[[Mapping[str, Any]], Any]
    build: Callable[[Mapping[str, Any]], dict[str, Any]]


def _category_row(ids: Mapping[str, Any]) -> dict[str, Any]:
    category, _, sub = str(ids["keys"][0]).partition("/")
    return {
        "connectwiseCategoryId": int(category),
        "connectwiseSubcategoryId": int(sub) if sub else None,
        "categoryId": ids[CATEGORY_MAPPING.value_attr],
    }


def _rows(field: str, kind_value: str, key: str, value: str) -> RowList:
    """Rows of one key id and one value id (``kind_value``: the kind's value attribute)."""

    def build(ids: Mapping[str, Any]) -> dict[str, Any]:
        return {key: ids["keys"][0], value: ids[kind_value]}

    return RowList(field, lambda row: row.get(key), build)


ROWS: Final[dict[str, RowList]] = {
    CATEGORY_MAPPING.name: RowList("mappings", category_key, _category_row),
    PRODUCT_TYPE_DATA_SOURCE.name: _rows("dataSources", "source", "productTypeId", "source"),
    COMPANY_TYPE_TO_SALESBUILDR.name: _rows(
        "toSalesbuildr", "company_type", "connectwiseCompanyTypeId", "companyType"
    ),
    COMPANY_TYPE_TO_CONNECTWISE.name: _rows(
        "toConnectwise", "company_type", "companyType", "connectwiseCompanyTypeId"
    ),
    COMPANY_UDF_MAPPING.name: _rows("udfs", "data_point", "udfId", "dataPointId"),
    OPPORTUNITY_STATUS_TO_SALESBUILDR.name: _rows(
        "toSalesbuildr", "status", "connectwiseStatusId", "status"
    ),
    OPPORTUNITY_STATUS_TO_CONNECTWISE.name: _rows(
        "toConnectwise", "status", "status", "connectwiseStatusId"
    ),
}
"""Mapping kind -> its rows in the section's document."""

SETTINGS: Final[dict[str, Mapping[str, str]]] = {
    COMPANY_SETTINGS.name: COMPANY_WIRE,
    INVENTORY_SETTINGS.name: {"warehouses": "warehouseIds"},
    TICKET_SETTINGS.name: TICKET_WIRE,
}
"""Settings kind -> attribute -> its field in the document."""


def _same(a: Any, b: Any) -> bool:
    return a is not None and str(a) == str(b)


def _settings_fields(body: dict[str, Any], wire: Mapping[str, str], change: Change) -> None:
    """Every field the YAML manages, as ids: a board's status keeps its label on another
    board but not its id, so the board-scoped fields are sent with every write."""
    desired = (change.ids or {}).get("desired") or {}
    after = dict(change.after or {})
    managed = set(desired) | {d.path for d in change.diff}
    for attr, name in wire.items():
        if attr not in managed:
            continue
        value, ident = after.get(attr), desired.get(attr)
        if isinstance(value, list):
            by_label = ident if isinstance(ident, Mapping) else {}
            body[name] = [by_label[label] for label in value if label in by_label]
        else:
            body[name] = ident if value is not None else None


def _changed_rows(current: Sequence[Any], rows: RowList, change: Change) -> list[dict[str, Any]]:
    ids = change.ids or {}
    items = [dict(r) for r in current if isinstance(r, Mapping)]
    live_keys = (ids.get("live") or {}).get("keys")
    if live_keys:
        items = [r for r in items if not _same(rows.key_of(r), live_keys[0])]
    if change.action in ("create", "update"):
        desired = ids.get("desired") or {}
        fresh = rows.build(desired)
        key = rows.key_of(fresh)
        items = [r for r in items if not _same(rows.key_of(r), key)] + [fresh]
    return items


def apply_changes(
    section: str, body: Mapping[str, Any], changes: Sequence[Change]
) -> dict[str, Any]:
    """The document to PUT: the live ``body`` with each change applied (rows by their key);
    the read-only ``importedCount`` of mapping rows left out (the server ignores it)."""
    result = copy.deepcopy(dict(body))
    for change in changes:
        if change.kind in SETTINGS:
            _settings_fields(result, SETTINGS[change.kind], change)
        elif change.kind in ROWS:
            rows = ROWS[change.kind]
            result[rows.field] = _changed_rows(result.get(rows.field) or [], rows, change)
    mappings = result.get(ROWS[CATEGORY_MAPPING.name].field) if section == "categories" else None
    for row in mappings or []:
        if isinstance(row, dict):
            row.pop(IMPORTED_COUNT, None)
    return result


class ConnectWiseDocuments:
    integration = INTEGRATION

    def documents_for(self, sections: Sequence[str]) -> list[str]:
        names = [PAGES[s] for s in sections if s in PAGES]
        return names + ([RECEIVER_DOCUMENT] if CALLBACKS in sections else [])

    def document_of(self, section: str) -> str | None:
        return PAGES.get(section)

    def documents_touched(self, change: Change) -> tuple[str, ...]:
        page = PAGES.get(change.section)
        return (page,) if page is not None and change.owner == "salesbuildr" else ()

    def live(
        self,
        sections: Sequence[str],
        documents: Mapping[str, SectionSnapshot],
        catalog: Catalog,
    ) -> list[Resource]:
        receiver = documents.get(RECEIVER_DOCUMENT)
        if receiver is not None:
            catalog.facts[t.CALLBACK_RECEIVER_URL] = receiver.body.get("url")
        found: list[Resource] = []
        for section in sections:
            page = PAGES.get(section)
            if page is not None and page in documents:
                found.extend(live_resources(section, documents[page].body, catalog))
        return found

    def apply_changes(
        self, section: str, body: Mapping[str, Any], changes: Sequence[Change]
    ) -> dict[str, Any]:
        return apply_changes(section, body, changes)

    def read_table(self, client: Any, name: str) -> NameTable | None:
        if name == t.SB_OPPORTUNITY_STATUSES:
            return salesbuildr_statuses_table(
                {"results": client.listing(OPPORTUNITY_STATUSES_PATH)}
            )
        if name in (t.SB_CATEGORIES, t.SB_COMPANY_TYPES, t.SB_COMPANY_DATA_POINTS):
            return sb_state.read_table(client, name)
        return None


DOCUMENTS = ConnectWiseDocuments()
