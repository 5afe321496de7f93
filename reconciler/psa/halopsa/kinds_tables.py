"""The reference tables the HaloPSA kinds resolve names against, and where each one comes from.

Halo tables are read from the resources of :mod:`reconciler.psa.halopsa.resources`
(:data:`HALO_SOURCES` says which resource, which query and which record field is the name);
Salesbuildr tables from the Salesbuildr reference lists of the contract (our proposal); three are
constants of the language (:func:`with_constants`): Salesbuildr's five quote statuses, its
address fields and Halo's four address lines. :func:`table_from_records` is the pure half of a
reader: Halo records -> a :class:`NameTable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from reconciler.kinds import tables as core_tables
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.config import ADDRESS_FIELDS, ADDRESS_LINES, QUOTE_STATUSES

HALO_ASSET_TYPES: Final = "halopsa.asset_types"
HALO_ASSET_GROUPS: Final = "halopsa.asset_groups"
HALO_ITEM_GROUPS: Final = "halopsa.item_groups"
HALO_ITEMS: Final = "halopsa.items"
HALO_TICKET_TYPES: Final = "halopsa.ticket_types"
HALO_CATEGORIES: Final = "halopsa.categories"
HALO_STATUSES: Final = "halopsa.statuses"
HALO_TEAMS: Final = "halopsa.teams"
HALO_CLIENT_TYPES: Final = "halopsa.client_types"
HALO_QUOTE_STATUSES: Final = "halopsa.quote_statuses"
HALO_ADDRESS_LINES: Final = "halopsa.address_lines"

SB_CATEGORIES: Final = core_tables.SB_CATEGORIES
SB_PRODUCT_TYPES: Final = "salesbuildr.product_types"
SB_OPPORTUNITY_STATUSES: Final = "salesbuildr.opportunity_statuses"
SB_QUOTE_STATUSES: Final = "salesbuildr.quote_statuses"
SB_ADDRESS_FIELDS: Final = "salesbuildr.address_fields"

TICKET_STATUS_TYPE: Final = 1
"""``TStatus.type`` of ticket statuses (SPEC-H does not enumerate it) [assumed, as the
simulator's seed]: opportunities are tickets, so their statuses are ticket statuses."""


@dataclass(frozen=True)
class HaloSource:
    """Where a Halo table is read: ``resource`` listed with ``query``, ``name_field`` naming
    each record; records failing ``where`` (field -> required value) are left out."""

    what: str
    resource: r.Resource
    name_field: str = "name"
    query: Mapping[str, Any] = field(default_factory=dict)
    where: Mapping[str, Any] = field(default_factory=dict)


HALO_SOURCES: Final[Mapping[str, HaloSource]] = {
    HALO_ASSET_TYPES: HaloSource("Halo asset type", r.ASSET_TYPE),
    HALO_ASSET_GROUPS: HaloSource("Halo asset group", r.ASSET_GROUP),
    HALO_ITEM_GROUPS: HaloSource("Halo item group", r.ITEM_GROUP),
    HALO_ITEMS: HaloSource("Halo item", r.ITEM, query={"includeinactive": True}),
    HALO_TICKET_TYPES: HaloSource("Halo ticket type", r.TICKET_TYPE),
    HALO_CATEGORIES: HaloSource("Halo category", r.CATEGORY, name_field="value"),
    HALO_STATUSES: HaloSource("Halo ticket status", r.STATUS, where={"type": TICKET_STATUS_TYPE}),
    HALO_TEAMS: HaloSource("Halo team", r.TEAM),
    HALO_CLIENT_TYPES: HaloSource(
        "Halo client type", r.LOOKUP, query={"lookupid": r.LOOKUP_LISTS["client_types"]}
    ),
    HALO_QUOTE_STATUSES: HaloSource(
        "Halo quotation status", r.LOOKUP, query={"lookupid": r.LOOKUP_LISTS["quote_statuses"]}
    ),
}
"""Halo table -> where it is read (every list is read whole: Halo has no name filter that
the fact sheet vouches for)."""

SALESBUILDR_SOURCES: Final[Mapping[str, str]] = {
    SB_CATEGORIES: "GET /categories (as for Autotask; paths)",
    SB_PRODUCT_TYPES: "GET /integration/halopsa/product-types (proposal)",
    SB_OPPORTUNITY_STATUSES: "GET /integration/halopsa/opportunity-statuses (proposal)",
}
"""Salesbuildr table -> the reference list it is read from (docs/salesbuildr-contract.md)."""

WHAT: Final[Mapping[str, str]] = {
    **{name: source.what for name, source in HALO_SOURCES.items()},
    SB_CATEGORIES: "Salesbuildr category",
    SB_PRODUCT_TYPES: "Salesbuildr product type",
    SB_OPPORTUNITY_STATUSES: "Salesbuildr opportunity status",
    SB_QUOTE_STATUSES: "Salesbuildr quote status",
    SB_ADDRESS_FIELDS: "Salesbuildr address field",
    HALO_ADDRESS_LINES: "Halo address line",
}


def _inactive(record: Mapping[str, Any]) -> bool:
    return bool(record.get("inactive")) or record.get("active") is False


def table_from_records(table: str, records: Iterable[Mapping[str, Any]]) -> NameTable:
    """Halo records of ``table``'s resource -> its name table (inactive records kept, marked:
    a name that exists but is inactive is reported as such, not as unknown)."""
    source = HALO_SOURCES[table]
    entries = [
        Entry(
            id=record.get("id"),
            name=str(record.get(source.name_field) or record.get("name") or ""),
            active=not _inactive(record),
        )
        for record in records
        if all(record.get(k) == v for k, v in source.where.items())
    ]
    return NameTable(source.what, entries)


def _constant(what: str, values: Iterable[str]) -> NameTable:
    return NameTable(what, [Entry(id=value, name=value) for value in values])


CONSTANT_TABLES: Final[Mapping[str, NameTable]] = {
    SB_QUOTE_STATUSES: _constant(WHAT[SB_QUOTE_STATUSES], QUOTE_STATUSES),
    SB_ADDRESS_FIELDS: _constant(WHAT[SB_ADDRESS_FIELDS], ADDRESS_FIELDS),
    HALO_ADDRESS_LINES: _constant(WHAT[HALO_ADDRESS_LINES], ADDRESS_LINES),
}
"""Tables fixed by the language (never read); their ids are the YAML's own words."""


def with_constants(catalog: Catalog) -> Catalog:
    """``catalog`` with :data:`CONSTANT_TABLES` added where it lacks them (a copy)."""
    missing = {name: table for name, table in CONSTANT_TABLES.items() if name not in catalog.tables}
    if not missing:
        return catalog
    return replace(catalog, tables={**catalog.tables, **missing})
