"""Salesbuildr's ConnectWise settings documents <-> the resources of their kinds (pure).

One document per admin page, ``/integration/connectwise/settings/{page}``, shapes as proposed in
``docs/salesbuildr-contract.md`` and declared as data in ``salesbuildr_documents.json`` beside
this module (a JSON Schema per page; the tests hold every body here to it).
:func:`live_resources` turns the bodies read into live resources (ids shown through the
catalog, as the YAML side is); :func:`document_body` turns the resources a page should hold
after apply back into its body, for the writer's ``PUT``. A document's fields the YAML does not
manage are kept from the body read (``base``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.kinds.catalog import Catalog
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
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS
from reconciler.state import Resource
from reconciler.transport.body import Source, integer_id, rows_of

PAGES = {
    "categories": "categories",
    "companies": "companies",
    "opportunity_statuses": "opportunity-statuses",
    "inventory": "inventory",
    "ticket_settings": "ticket-settings",
}
"""Section -> the Salesbuildr document holding it (callbacks are ConnectWise objects)."""

TICKET_WIRE = {
    "board": "boardId",
    "status": "statusId",
    "type": "typeId",
    "subtype": "subtypeId",
    "item": "itemId",
    "priority": "priorityId",
}
IMPORTED_COUNT = "importedCount"
"""Read-only on a category mapping row: what the last product import brought in for it."""
COMPANY_WIRE = {
    "type_priority": "typePriority",
    "statuses": "statusIds",
    "manufacturer_company_type": "manufacturerCompanyTypeId",
}

_PAIRS = {
    # (section, list field) -> (kind, key field, value field)
    ("companies", "toSalesbuildr"): (
        COMPANY_TYPE_TO_SALESBUILDR,
        "connectwiseCompanyTypeId",
        "companyType",
    ),
    ("companies", "toConnectwise"): (
        COMPANY_TYPE_TO_CONNECTWISE,
        "companyType",
        "connectwiseCompanyTypeId",
    ),
    ("companies", "udfs"): (COMPANY_UDF_MAPPING, "udfId", "dataPointId"),
    ("opportunity_statuses", "toSalesbuildr"): (
        OPPORTUNITY_STATUS_TO_SALESBUILDR,
        "connectwiseStatusId",
        "status",
    ),
    ("opportunity_statuses", "toConnectwise"): (
        OPPORTUNITY_STATUS_TO_CONNECTWISE,
        "status",
        "connectwiseStatusId",
    ),
}


def category_key(row: Mapping[str, Any]) -> Any:
    """The catalog id a mapping row's key is: the category's, or ``"12/40"`` for a
    subcategory (:func:`~.kinds_tables.subcategory_entry_id`)."""
    sub = row.get("connectwiseSubcategoryId")
    category = row.get("connectwiseCategoryId")
    if sub is None:
        return category
    category_id, sub_id = integer_id(category or 0), integer_id(sub)
    if category_id is None or sub_id is None:
        raise _read("categories").fault("a category mapping's ids are not numbers")
    return t.subcategory_entry_id(category_id, sub_id)


def _read(section: str) -> Source:
    """The Salesbuildr read a document came from (for the fault of a malformed one)."""
    page = PAGES.get(section, section)
    return Source("salesbuildr", "Salesbuildr", "GET", f"/integration/connectwise/settings/{page}")


def _rows(body: Mapping[str, Any], name: str, section: str) -> list[dict[str, Any]]:
    """The rows of a document's list ``name``; not a list of objects is a server fault."""
    return rows_of(body.get(name), _read(section), f"its {name!r}")


def live_resources(section: str, body: Mapping[str, Any], catalog: Catalog) -> list[Resource]:
    """The live resources of ``section`` in its document ``body``."""
    found: list[Resource] = []
    if section == "categories":
        for row in _rows(body, "mappings", section):
            # importedCount is the last import's, not the mapping's: an import moves no plan.
            raw = {k: v for k, v in row.items() if k != IMPORTED_COUNT}
            found.append(
                CATEGORY_MAPPING.live([category_key(row)], row.get("categoryId"), catalog, raw)
            )
        for row in _rows(body, "dataSources", section):
            found.append(
                PRODUCT_TYPE_DATA_SOURCE.live_choice(
                    row.get("productTypeId"), str(row.get("source")), catalog, row
                )
            )
    for (owner, field), (kind, key, value) in _PAIRS.items():
        if owner == section:
            for row in _rows(body, field, section):
                found.append(kind.live([row.get(key)], row.get(value), catalog, row))
    if section == "companies":
        values = {attr: body.get(wire) for attr, wire in COMPANY_WIRE.items()}
        found.append(COMPANY_SETTINGS.live(values, catalog, _subset(body, COMPANY_WIRE)))
    if section == "inventory":
        wire = {"warehouses": "warehouseIds"}
        values = {"warehouses": body.get("warehouseIds")}
        found.append(INVENTORY_SETTINGS.live(values, catalog, _subset(body, wire)))
    if section == "ticket_settings":
        values = {attr: body.get(wire) for attr, wire in TICKET_WIRE.items()}
        found.append(TICKET_SETTINGS.live(values, catalog, _subset(body, TICKET_WIRE)))
    return found


def _subset(body: Mapping[str, Any], wire: Mapping[str, str]) -> dict[str, Any]:
    """What a settings resource's fingerprint covers: its own fields of the document."""
    return {name: body.get(name) for name in wire.values()}


def document_body(
    section: str, resources: Iterable[Resource], base: Mapping[str, Any]
) -> dict[str, Any]:
    """The body of ``section``'s document holding exactly ``resources`` (resolved: their ids
    are set), other fields kept from ``base``. Rows are in key order, so a body is stable."""
    mine = sorted((r for r in resources if r.section == section), key=lambda r: r.address)
    body = dict(base)
    if section == "categories":
        body["mappings"] = [_category_row(r) for r in mine if r.kind == CATEGORY_MAPPING.name]
        body["dataSources"] = [
            {"productTypeId": r.ids["keys"][0], "source": r.attributes["source"]}
            for r in mine
            if r.kind == PRODUCT_TYPE_DATA_SOURCE.name
        ]
    for (owner, field), (kind, key, value) in _PAIRS.items():
        if owner == section:
            body[field] = [
                {key: r.ids["keys"][0], value: r.ids[kind.value_attr]}
                for r in mine
                if r.kind == kind.name
            ]
    settings = {
        "companies": (COMPANY_SETTINGS.name, COMPANY_WIRE),
        "inventory": (INVENTORY_SETTINGS.name, {"warehouses": "warehouseIds"}),
        "ticket_settings": (TICKET_SETTINGS.name, TICKET_WIRE),
    }
    if section in settings:
        kind_name, wire = settings[section]
        for resource in (r for r in mine if r.kind == kind_name):
            for attr, name in wire.items():
                if attr in resource.attributes:
                    body[name] = _ids_of(resource, attr)
    return body


def _category_row(resource: Resource) -> dict[str, Any]:
    key = resource.ids["keys"][0]
    category, _, sub = str(key).partition("/")
    return {
        "connectwiseCategoryId": int(category),
        "connectwiseSubcategoryId": int(sub) if sub else None,
        "categoryId": resource.ids["category"],
    }


def _ids_of(resource: Resource, attr: str) -> Any:
    """A settings field as ids: a list field in the order its labels are (type priority is
    ordered), a reference as its id, None as None."""
    value = resource.attributes.get(attr)
    ident = resource.ids.get(attr)
    if isinstance(value, list):
        by_label = ident if isinstance(ident, Mapping) else {}
        return [by_label[label] for label in value if label in by_label]
    return ident if value is not None else None
