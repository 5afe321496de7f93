"""ConnectWise's reference lists, as the client returns them, -> the kinds' name tables (pure).

The reader calls :func:`tables_needed` to learn which lists the sections present need (a
section absent is never read), reads each once (``pageSize=1000``, ``fields=`` the few
properties used here), and hands the rows to the builders below. Each builder takes the JSON
rows of one list (``{id, name, inactiveFlag, ...}``) and knows its list's quirks: board statuses
say ``inactive``, UDFs are named by ``caption``, subcategories carry their ``category``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.kinds.catalog import Entry, NameTable
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.kinds_registry import kinds_of

Row = Mapping[str, Any]

FIELDS: Mapping[str, str] = {
    t.CW_CATEGORIES: "id,name,inactiveFlag",
    t.CW_PRODUCT_TYPES: "id,name,inactiveFlag",
    t.CW_COMPANY_TYPES: "id,name",
    t.CW_COMPANY_STATUSES: "id,name,inactiveFlag",
    t.CW_COMPANY_UDFS: "id,caption,podId,screenId",
    t.CW_OPPORTUNITY_STATUSES: "id,name,inactiveFlag",
    t.CW_WAREHOUSES: "id,name,inactiveFlag",
    t.CW_BOARDS: "id,name,inactiveFlag",
    t.CW_BOARD_STATUSES: "id,name,inactive",
    t.CW_BOARD_TYPES: "id,name,inactiveFlag",
    t.CW_BOARD_SUBTYPES: "id,name,inactiveFlag,typeAssociationIds",
    t.CW_BOARD_ITEMS: "id,name,inactiveFlag",
    t.CW_BOARD_ASSOCIATIONS: "id,type,subType,item",
    t.CW_PRIORITIES: "id,name",
}
"""The ``fields=`` of each ConnectWise list: only what the tables use. Subcategories are read
with ``id,name,inactiveFlag,category``."""

WHAT: Mapping[str, str] = {
    t.CW_CATEGORIES: "ConnectWise category",
    t.CW_PRODUCT_TYPES: "ConnectWise product type",
    t.CW_COMPANY_TYPES: "ConnectWise company type",
    t.CW_COMPANY_STATUSES: "ConnectWise company status",
    t.CW_COMPANY_UDFS: "ConnectWise company UDF",
    t.CW_OPPORTUNITY_STATUSES: "ConnectWise opportunity status",
    t.CW_WAREHOUSES: "ConnectWise warehouse",
    t.CW_BOARDS: "ConnectWise board",
    t.CW_BOARD_STATUSES: "status",
    t.CW_BOARD_TYPES: "type",
    t.CW_BOARD_SUBTYPES: "subtype",
    t.CW_BOARD_ITEMS: "item",
    t.CW_BOARD_ASSOCIATIONS: "type/subtype/item association",
    t.CW_PRIORITIES: "ConnectWise priority",
    t.SB_OPPORTUNITY_STATUSES: "Salesbuildr opportunity status",
}
"""How messages name an object of each table."""

BOARD_CHILDREN = (t.CW_BOARD_STATUSES, t.CW_BOARD_TYPES, t.CW_BOARD_SUBTYPES, t.CW_BOARD_ITEMS)
"""Tables read per board (``/service/boards/{id}/...``): only for the board the YAML's ticket
settings name (:func:`~.read.board_scopes`), every board when there is no YAML (export)."""


def tables_needed(sections: Iterable[str]) -> frozenset[str]:
    """Every table the kinds of ``sections`` resolve names in (the reads a plan needs)."""
    return frozenset(table for section in sections for k in kinds_of(section) for table in k.tables)


def _ref_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else None


def named_table(
    table: str, rows: Iterable[Row], *, name: str = "name", inactive: str = "inactiveFlag"
) -> NameTable:
    """A flat list: ``name`` (``caption`` for UDFs), inactive where ``inactive`` is true."""
    return NameTable(
        WHAT.get(table, table),
        [
            Entry(id=row.get("id"), name=str(row.get(name) or ""), active=not row.get(inactive))
            for row in rows
        ],
    )


def categories_table(categories: Iterable[Row], subcategories: Iterable[Row]) -> NameTable:
    """Categories as one-level paths, subcategories as ``Category/Subcategory`` (their entry id
    :func:`~.kinds_tables.subcategory_entry_id`); a subcategory of an unknown category is left
    out (it cannot be named)."""
    entries: list[Entry] = []
    by_id: dict[str, Entry] = {}
    for row in categories:
        name = str(row.get("name") or "")
        entry = Entry(id=row.get("id"), name=name, active=not row.get("inactiveFlag"), path=(name,))
        entries.append(entry)
        by_id[str(entry.id)] = entry
    for row in subcategories:
        parent = by_id.get(str(_ref_id(row.get("category"))))
        if parent is None:
            continue
        name = str(row.get("name") or "")
        entries.append(
            Entry(
                id=t.subcategory_entry_id(int(parent.id), int(row.get("id") or 0)),
                name=name,
                active=parent.active and not row.get("inactiveFlag"),
                parent=parent.id,
                path=(parent.name, name),
                extra={t.CATEGORY_ID: parent.id, t.SUBCATEGORY_ID: row.get("id")},
            )
        )
    return NameTable(WHAT[t.CW_CATEGORIES], entries, paths=True)


def board_children_table(table: str, rows_by_board: Mapping[Any, Iterable[Row]]) -> NameTable:
    """One board-child list of the boards read, ``parent`` the board id; board statuses say
    ``inactive``, the others ``inactiveFlag``; subtypes keep their ``typeAssociationIds``."""
    inactive = "inactive" if table == t.CW_BOARD_STATUSES else "inactiveFlag"
    entries: list[Entry] = []
    for board, rows in rows_by_board.items():
        for row in rows:
            extra: dict[str, Any] = {}
            if table == t.CW_BOARD_SUBTYPES:
                extra[t.TYPE_IDS] = list(row.get("typeAssociationIds") or [])
            entries.append(
                Entry(
                    id=row.get("id"),
                    name=str(row.get("name") or ""),
                    active=not row.get(inactive),
                    parent=board,
                    extra=extra,
                )
            )
    return NameTable(WHAT[table], entries)


def associations_table(rows_by_board: Mapping[Any, Iterable[Row]]) -> NameTable:
    """``typeSubTypeItemAssociations`` of the boards read (looked up by id, never by name)."""
    entries = [
        Entry(
            id=row.get("id"),
            name=f"{_ref_id(row.get('type'))}/{_ref_id(row.get('subType'))}/"
            f"{_ref_id(row.get('item'))}",
            parent=board,
            extra={
                t.TYPE_ID: _ref_id(row.get("type")),
                t.SUBTYPE_ID: _ref_id(row.get("subType")),
                t.ITEM_ID: _ref_id(row.get("item")),
            },
        )
        for board, rows in rows_by_board.items()
        for row in rows
    ]
    return NameTable(WHAT[t.CW_BOARD_ASSOCIATIONS], entries)


def salesbuildr_statuses_table(body: Mapping[str, Any]) -> NameTable:
    """``GET /integration/connectwise/opportunity-statuses`` -> ``{"results": [{key, name}]}``."""
    rows = body.get("results") or []
    return NameTable(
        WHAT[t.SB_OPPORTUNITY_STATUSES],
        [Entry(id=row.get("key"), name=str(row.get("name") or "")) for row in rows],
    )
