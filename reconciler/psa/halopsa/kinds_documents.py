"""The Salesbuildr settings documents of the HaloPSA pages <-> the kinds' live resources.

One document per page under ``/integration/halopsa/settings/{page}`` (docs/salesbuildr-contract.md,
our proposal). :func:`live_resources` is the pure half of the reader (bodies as read -> the live
resources of every kind stored in them); :func:`document_body` the pure half of the writer (the
body that holds the resources a section should have after apply, keeping every field of the read
body it does not manage). Ids in the bodies are Halo's and Salesbuildr's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from reconciler.kinds.base import MappingKind
from reconciler.kinds.catalog import Catalog
from reconciler.psa.halopsa import kinds as k
from reconciler.state import Resource
from reconciler.transport.body import Source, object_of, rows_of

PAGES: Final[Mapping[str, str]] = {
    "products": "products",
    "opportunities": "opportunities",
    "companies": "companies",
    "quotes": "quotes",
    "account_codes": "account-codes",
}
"""Section -> its document's page (webhooks are Halo objects, not a document)."""

ROWS: Final[Mapping[str, tuple[str, str, str, str]]] = {
    k.PRODUCT_CATEGORIES.name: ("products", "categories", "assetTypeId", "categoryId"),
    k.PRODUCT_TYPES.name: ("products", "types", "productType", "assetGroupId"),
    k.PRODUCT_GROUPS.name: ("products", "groups", "categoryId", "itemGroupId"),
    k.STATUS_TO_SALESBUILDR.name: ("opportunities", "toSalesbuildr", "haloStatusId", "status"),
    k.STATUS_TO_HALOPSA.name: ("opportunities", "toHalopsa", "status", "haloStatusId"),
    k.QUOTE_STATUSES.name: ("quotes", "statuses", "status", "haloQuoteStatusId"),
}
"""Mapping kind -> (page section, list field, key field, value field) of its rows."""

SETTINGS: Final[Mapping[str, Mapping[str, str]]] = {
    k.PRODUCT_SETTINGS.name: {
        "default_group": "defaultItemGroupId",
        "shipping_product": "shippingItemId",
        "synchronize_to_halo": "synchronizeToHalo",
    },
    k.OPPORTUNITY_SETTINGS.name: {
        "type": "ticketTypeId",
        "import_categories": "importCategoryIds",
        "enabled_types": "enabledTicketTypeIds",
        "teams": "teamIds",
    },
    k.COMPANY_SETTINGS.name: {"prospect_type": "prospectTypeId"},
}
"""Settings kind -> attribute -> document field."""

ADDRESS_LINES_FIELD: Final = "addressLines"
ACCOUNT_CODES_FIELD: Final = "itemGroups"
CODE_FIELDS: Final = {"income": "incomeCode", "expense": "expenseCode"}


def _line(number: Any) -> str:
    return f"line{number}"


def live_resources(bodies: Mapping[str, Mapping[str, Any]], catalog: Catalog) -> list[Resource]:
    """The live resources stored in the documents read (``bodies``: section -> body)."""
    found: list[Resource] = []
    for kind_name, (section, listed, key_field, value_field) in ROWS.items():
        if section not in bodies:
            continue
        kind = k.BY_NAME[kind_name]
        assert isinstance(kind, MappingKind)
        for row in rows_of(bodies[section].get(listed), _read(section), f"its {listed!r}"):
            found.append(kind.live([row.get(key_field)], row.get(value_field), catalog, dict(row)))
    for kind_name, fields in SETTINGS.items():
        kind = k.BY_NAME[kind_name]
        assert isinstance(kind, k.HaloSettingsKind)
        if kind.section not in bodies:
            continue
        body = bodies[kind.section]
        values = {attr: body.get(wire) for attr, wire in fields.items()}
        raw = {wire: body.get(wire) for wire in fields.values()}
        found.append(kind.live(values, catalog, raw))
    if "companies" in bodies:
        lines = object_of(
            bodies["companies"].get(ADDRESS_LINES_FIELD) or {},
            _read("companies"),
            f"its {ADDRESS_LINES_FIELD!r}",
        )
        for field_name, number in lines.items():
            found.append(
                k.ADDRESS_LINES.live([field_name], _line(number), catalog, {field_name: number})
            )
    if "account_codes" in bodies:
        codes_read = _read("account_codes")
        for row in rows_of(
            bodies["account_codes"].get(ACCOUNT_CODES_FIELD), codes_read, "its item groups"
        ):
            codes = {attr: row.get(wire) for attr, wire in CODE_FIELDS.items()}
            found.append(k.ACCOUNT_CODES.live(row.get("itemGroupId"), codes, catalog, dict(row)))
    return found


def _read(section: str) -> Source:
    """The Salesbuildr read a document came from (for the fault of a malformed one)."""
    page = PAGES.get(section, section)
    return Source("salesbuildr", "Salesbuildr", "GET", f"/integration/halopsa/settings/{page}")


def _value_of(resource: Resource, attribute: str) -> Any:
    """The id a resolved or live resource holds for ``attribute`` (plain values as they are)."""
    if attribute in resource.ids:
        return resource.ids[attribute]
    return resource.attributes.get(attribute)


def document_body(
    section: str, resources: Iterable[Resource], read: Mapping[str, Any]
) -> dict[str, Any]:
    """The body of ``section``'s document holding exactly ``resources`` (resolved desired or
    live, one per row and setting the section should keep), on top of the body ``read``: a
    field no kind of this section manages is sent back as it was read."""
    body = dict(read)
    mine = [r for r in resources if r.section == section]
    for kind_name, (row_section, listed, key_field, value_field) in ROWS.items():
        if row_section != section:
            continue
        kind = k.BY_NAME[kind_name]
        assert isinstance(kind, MappingKind)
        body[listed] = [
            {key_field: r.ids["keys"][0], value_field: r.ids[kind.value_attr]}
            for r in _of(mine, kind_name)
        ]
    for kind_name, fields in SETTINGS.items():
        for r in _of(mine, kind_name):
            for attr, wire in fields.items():
                if attr in r.attributes:  # unstated: kept as read
                    body[wire] = _value_of(r, attr)
    if section == "companies":
        body[ADDRESS_LINES_FIELD] = {
            str(r.ids["keys"][0]): int(str(r.ids["line"]).removeprefix("line"))
            for r in _of(mine, k.ADDRESS_LINES.name)
        }
    if section == "account_codes":
        previous = {str(row.get("itemGroupId")): row for row in read.get(ACCOUNT_CODES_FIELD) or []}
        rows = []
        for r in _of(mine, k.ACCOUNT_CODES.name):
            group = r.ids["keys"][0]
            row = dict(previous.get(str(group)) or {})
            row["itemGroupId"] = group
            for attr, wire in CODE_FIELDS.items():
                if attr in r.attributes:
                    row[wire] = r.attributes[attr]
                else:
                    row.setdefault(wire, None)
            rows.append(row)
        body[ACCOUNT_CODES_FIELD] = rows
    return body


def _of(resources: Sequence[Resource], kind_name: str) -> list[Resource]:
    return sorted((r for r in resources if r.kind == kind_name), key=lambda r: r.address)
