"""The settings sections of the Salesbuildr contract: their shape, validation and read form.

Pure functions, no HTTP: :func:`validate_put` turns a PUT body into the section's new stored form
or a list of ``{"path", "message"}`` errors (the 422 body), and :func:`read_form` renders a stored
section for a GET. A PUT replaces the whole document, so every writable field is required: a client
that forgets one gets an error instead of a silent reset to the default. Read-only fields
(``importedCount``, ``secretSet``, ``url``) are accepted and ignored; any other unknown field is an
error, which catches a client's misspelt key at once.

What is checked (SALESBUILDR-SETTINGS-API.md: "the server validates what it can"): types (integers
are never booleans or strings), enums, lengths and ranges; Salesbuildr ids against the tenant's
categories, data points and company types; Autotask ids against Salesbuildr's synced Autotask cache
(:class:`~reconciler.sandbox.salesbuildr.seed.AutotaskCache`; the simulator builds it from
``tenant.py``); a key mapped twice (a category, a UDF, a data point, a role, …); multi-select UDFs
and data points (the Autotask API cannot carry them); a sub-issue type outside its issue type.
Inventory location ids live only in Autotask and are not cached: any positive integer is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from reconciler.sandbox.salesbuildr.seed import TenantData

SECTIONS: Final = (
    "billing-codes",
    "company-types",
    "company-udfs",
    "product-import",
    "inventory",
    "opportunity-udfs",
    "webhook-receiver",
    "purchase-order",
)
MPN_ENRICHMENT: Final = ("none", "icecat", "onetrail", "distributorhub")
SECRET_MAX: Final = 64
DUE_DATE_MAX_DAYS: Final = 365
RECEIVER_PATH: Final = "/webhooks/autotask"

# Field kinds of the little schema language below.
BOOL, INT, OPT_INT, STR, OPT_STR, LIST = "bool", "int", "int?", "str", "str?", "list"
_KIND_TEXT: Final = {
    BOOL: "a boolean",
    INT: "an integer",
    OPT_INT: "an integer or null",
    STR: "a string",
    OPT_STR: "a string or null",
    LIST: "an array",
}

Doc = dict[str, Any]
ErrorList = list[dict[str, str]]


def _type_ok(value: object, kind: str) -> bool:
    if kind == BOOL:
        return isinstance(value, bool)
    if kind in (INT, OPT_INT):
        if value is None:
            return kind == OPT_INT
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (STR, OPT_STR):
        return isinstance(value, str) or (value is None and kind == OPT_STR)
    return isinstance(value, list)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Collects errors with their JSON paths while walking one PUT body."""

    def __init__(self, data: TenantData) -> None:
        self.data = data
        self.errors: ErrorList = []

    def add(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def fields(
        self,
        value: object,
        path: str,
        spec: Mapping[str, str],
        read_only: frozenset[str] = frozenset(),
    ) -> Doc | None:
        """The typed fields of an object (read-only ones dropped), or None if it has errors."""
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return None
        before = len(self.errors)
        for key in value:
            if key not in spec and key not in read_only:
                self.add(_join(path, str(key)), "unknown field")
        out: Doc = {}
        for key, kind in spec.items():
            if key not in value:
                self.add(_join(path, key), "is required (a PUT replaces the whole section)")
            elif not _type_ok(value[key], kind):
                self.add(_join(path, key), f"must be {_KIND_TEXT[kind]}")
            else:
                out[key] = value[key]
        return out if len(self.errors) == before else None

    def rows(
        self,
        doc: Doc,
        key: str,
        spec: Mapping[str, str],
        read_only: frozenset[str] = frozenset(),
    ) -> list[tuple[str, Doc]]:
        """The well-typed rows of list ``key`` with their paths (bad rows are reported, skipped)."""
        out: list[tuple[str, Doc]] = []
        for index, item in enumerate(doc.get(key, [])):
            path = f"{key}[{index}]"
            row = self.fields(item, path, spec, read_only)
            if row is not None:
                out.append((path, row))
        return out

    def unique(self, rows: list[tuple[str, Doc]], keys: tuple[str, ...], what: str) -> None:
        """Report every row whose ``keys`` repeat an earlier row's."""
        first: dict[tuple[Any, ...], str] = {}
        for path, row in rows:
            value = tuple(row[k] for k in keys)
            if value in first:
                shown = ", ".join(repr(v) for v in value)
                self.add(
                    _join(path, keys[-1]), f"{what} {shown} is mapped twice (also {first[value]})"
                )
            else:
                first[value] = path

    def known(self, path: str, value: object, known: Callable[[Any], bool], what: str) -> None:
        if value is not None and not known(value):
            self.add(path, f"unknown {what} {value!r}")

    def category(self, path: str, value: str) -> None:
        self.known(path, value, self.data.category_index.__contains__, "Salesbuildr category")

    def company_type(self, path: str, value: str | None) -> None:
        self.known(path, value, self.data.company_type_keys.__contains__, "company type")


def _billing_codes(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"defaultBillingCodeId": OPT_INT, "categories": LIST})
    if doc is None:
        return None
    codes = c.data.autotask.billing_codes
    what = "Autotask billing code"
    c.known("defaultBillingCodeId", doc["defaultBillingCodeId"], codes.__contains__, what)
    rows = c.rows(doc, "categories", {"categoryId": STR, "billingCodeId": INT})
    for path, row in rows:
        c.category(_join(path, "categoryId"), row["categoryId"])
        c.known(_join(path, "billingCodeId"), row["billingCodeId"], codes.__contains__, what)
    c.unique(rows, ("categoryId",), "category")
    return {**doc, "categories": [row for _, row in rows]}


def _company_types(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"toSalesbuildr": LIST, "toAutotask": LIST})
    if doc is None:
        return None
    at_types = c.data.autotask.company_types.__contains__
    out: Doc = {}
    for key, first in (("toSalesbuildr", "autotaskCompanyType"), ("toAutotask", "companyType")):
        rows = c.rows(doc, key, {"autotaskCompanyType": INT, "companyType": STR})
        for path, row in rows:
            value = row["autotaskCompanyType"]
            c.known(_join(path, "autotaskCompanyType"), value, at_types, "Autotask company type")
            c.company_type(_join(path, "companyType"), row["companyType"])
        c.unique(rows, (first,), "company type")
        out[key] = [
            {first: row[first], **{k: v for k, v in row.items() if k != first}} for _, row in rows
        ]
    return out


def _data_point(c: _Checker, path: str, dp_id: str, entity: str) -> None:
    dp = c.data.data_point_index.get(dp_id)
    if dp is None or dp.entity != entity:
        c.add(path, f"unknown {entity} data point {dp_id!r}")
    elif dp.multi_select:
        c.add(path, f"data point {dp_id!r} is multi-select: it cannot be mapped to an Autotask UDF")


def _udf(c: _Checker, path: str, name: str, udfs: Mapping[str, bool], entity: str) -> None:
    if name not in udfs:
        c.add(path, f"unknown Autotask {entity} UDF {name!r}")
    elif udfs[name]:
        c.add(path, f"Autotask UDF {name!r} is multi-select: the Autotask API cannot map it")


def _company_udfs(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"mappings": LIST})
    if doc is None:
        return None
    rows = c.rows(doc, "mappings", {"companyType": STR, "udfName": STR, "dataPointId": STR})
    for path, row in rows:
        c.company_type(_join(path, "companyType"), row["companyType"])
        _udf(c, _join(path, "udfName"), row["udfName"], c.data.autotask.company_udfs, "company")
        dp_path = _join(path, "dataPointId")
        _data_point(c, dp_path, row["dataPointId"], "company")
        dp = c.data.data_point_index.get(row["dataPointId"])
        if dp is not None and dp.entity == "company" and row["companyType"] not in dp.company_types:
            c.add(
                dp_path, f"data point {dp.id!r} is not used by company type {row['companyType']!r}"
            )
    c.unique(rows, ("companyType", "udfName"), "UDF")
    c.unique(rows, ("companyType", "dataPointId"), "data point")
    return {"mappings": [row for _, row in rows]}


_IMPORT_TABLES: Final = (
    ("roles", "roleId", "Autotask role"),
    ("productCategories", "productCategory", "Autotask product category"),
    ("services", "serviceId", "Autotask service"),
)


def _product_import(c: _Checker, body: object, current: Doc) -> Doc | None:
    spec = {
        "synchronizeToAutotask": BOOL,
        "prependInternalProductId": BOOL,
        "prependMpnToServiceName": BOOL,
        "mpnEnrichment": STR,
        "manufacturerCompanyType": OPT_STR,
        "roles": LIST,
        "productCategories": LIST,
        "services": LIST,
    }
    doc = c.fields(body, "", spec)
    if doc is None:
        return None
    if doc["mpnEnrichment"] not in MPN_ENRICHMENT:
        c.add("mpnEnrichment", f"must be one of {', '.join(MPN_ENRICHMENT)}")
    c.company_type("manufacturerCompanyType", doc["manufacturerCompanyType"])
    cache = c.data.autotask
    known_ids = {
        "roles": cache.roles,
        "productCategories": cache.product_categories,
        "services": cache.services,
    }
    for table, key, what in _IMPORT_TABLES:
        rows = c.rows(doc, table, {key: INT, "categoryId": STR}, frozenset({"importedCount"}))
        for path, row in rows:
            c.known(_join(path, key), row[key], known_ids[table].__contains__, what)
            c.category(_join(path, "categoryId"), row["categoryId"])
        c.unique(rows, (key,), what)
        kept = {(r[key], r["categoryId"]): r.get("importedCount", 0) for r in current[table]}
        doc[table] = [
            {**row, "importedCount": kept.get((row[key], row["categoryId"]), 0)} for _, row in rows
        ]
    return doc


def _inventory(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"locations": LIST})
    if doc is None:
        return None
    rows = c.rows(doc, "locations", {"inventoryLocationId": INT, "trackStock": BOOL})
    for path, row in rows:
        if row["inventoryLocationId"] <= 0:
            c.add(_join(path, "inventoryLocationId"), "must be a positive Autotask location id")
    c.unique(rows, ("inventoryLocationId",), "inventory location")
    return {"locations": [row for _, row in rows]}


def _opportunity_udfs(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"mappings": LIST})
    if doc is None:
        return None
    rows = c.rows(doc, "mappings", {"dataPointId": STR, "udfName": STR})
    for path, row in rows:
        _data_point(c, _join(path, "dataPointId"), row["dataPointId"], "opportunity")
        udfs = c.data.autotask.opportunity_udfs
        _udf(c, _join(path, "udfName"), row["udfName"], udfs, "opportunity")
    c.unique(rows, ("udfName",), "UDF")
    c.unique(rows, ("dataPointId",), "data point")
    return {"mappings": [row for _, row in rows]}


def _webhook_receiver(c: _Checker, body: object) -> Doc | None:
    doc = c.fields(body, "", {"secret": STR}, frozenset({"url", "secretSet"}))
    if doc is None:
        return None
    if not 1 <= len(doc["secret"]) <= SECRET_MAX:
        c.add("secret", f"must be 1..{SECRET_MAX} characters")
    return doc


def _purchase_order(c: _Checker, body: object) -> Doc | None:
    picklists = {
        "queueId": ("queue", c.data.autotask.queues),
        "issueType": ("issue type", c.data.autotask.issue_types),
        "subIssueType": ("sub-issue type", frozenset(c.data.autotask.sub_issue_types)),
        "ticketCategory": ("ticket category", c.data.autotask.ticket_categories),
        "priority": ("priority", c.data.autotask.priorities),
        "source": ("ticket source", c.data.autotask.sources),
    }
    spec = {"createTicket": BOOL, "billingCodeId": OPT_INT, **dict.fromkeys(picklists, OPT_INT)}
    doc = c.fields(body, "", {**spec, "dueDateOffsetDays": INT})
    if doc is None:
        return None
    codes = c.data.autotask.billing_codes
    c.known("billingCodeId", doc["billingCodeId"], codes.__contains__, "Autotask billing code")
    for key, (what, known) in picklists.items():
        c.known(key, doc[key], known.__contains__, f"Autotask {what}")
    parent = c.data.autotask.sub_issue_types.get(doc["subIssueType"] or 0)
    if doc["subIssueType"] in c.data.autotask.sub_issue_types and parent != doc["issueType"]:
        c.add(
            "subIssueType", f"sub-issue type {doc['subIssueType']} belongs to issue type {parent}"
        )
    if not 0 <= doc["dueDateOffsetDays"] <= DUE_DATE_MAX_DAYS:
        c.add("dueDateOffsetDays", f"must be 0..{DUE_DATE_MAX_DAYS}")
    return doc


def validate_put(section: str, body: object, current: Doc, data: TenantData) -> Doc | ErrorList:
    """The new stored form of ``section`` after a PUT of ``body``, or the validation errors."""
    checker = _Checker(data)
    validators: dict[str, Callable[[_Checker, object], Doc | None]] = {
        "billing-codes": _billing_codes,
        "company-types": _company_types,
        "company-udfs": _company_udfs,
        "product-import": lambda c, b: _product_import(c, b, current),
        "inventory": _inventory,
        "opportunity-udfs": _opportunity_udfs,
        "webhook-receiver": _webhook_receiver,
        "purchase-order": _purchase_order,
    }
    doc = validators[section](checker, body)
    if checker.errors or doc is None:
        return checker.errors or [{"path": "", "message": "invalid document"}]
    return doc


def read_form(section: str, stored: Doc, *, base_url: str) -> Doc:
    """What a GET returns: the receiver hides its secret and says where it listens."""
    if section == "webhook-receiver":
        return {"url": base_url + RECEIVER_PATH, "secretSet": stored["secret"] is not None}
    return stored
