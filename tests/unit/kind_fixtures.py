"""Hand-built reference data and states for the pure tests of kinds and plans (no HTTP).

:func:`catalog` is a small tenant written out as :class:`NameTable` objects, with the traps the
real tenant has: an inactive billing code, a billing code name shared by two codes, a sub-issue
type label that repeats under two issue types, multi-select UDFs and data points, categories with
and without products. Desired states come from YAML text through the real config layer
(:func:`desired`), so every resource carries its FILE:LINE:COL; live resources are built with the
kinds' own ``live`` constructors, exactly as the providers build them from API rows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.config import LoadedConfig, parse_config
from reconciler.config.desired import policy_settings
from reconciler.errors import Diagnostic
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.resolve import resolve_desired
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.plan import Plan, compute_plan
from reconciler.psa.autotask.desired import desired_resources
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    OPPORTUNITY_UDF_MAPPING,
    PRODUCT_CATEGORY_MAPPING,
    ROLE_MAPPING,
    SERVICE_MAPPING,
)
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.settings import (
    BILLING_CODE_DEFAULT,
    PRODUCT_IMPORT_SETTINGS,
    PURCHASE_ORDER,
    WEBHOOK_RECEIVER,
)
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.state import Resource, State

FILE = "mappings.yaml"
RECEIVER = "https://acme.salesbuildr.com/webhooks/autotask"
SECRET_ENV = {"SALESBUILDR_WEBHOOK_SECRET": "receiver-secret", "MONITOR_SECRET": "monitor-secret"}

# Autotask billing codes.
LABOR, HARDWARE_SALES, SOFTWARE_LICENSING, MANAGED_SERVICES = 29682801, 29683001, 29683002, 29683003
LEGACY_HARDWARE, SHIPPING_A, SHIPPING_B = 29683099, 29683005, 29683006
# Autotask resources, webhook field ids.
SALESBUILDR_API, JANE = 29682885, 29682886
COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER = 7, 24, 14, 6
CONTRACT_TIER_UDF = 29684001


def _entries(rows: Iterable[tuple[Any, ...]]) -> list[Entry]:
    return [Entry(id=row[0], name=row[1], active=row[2] if len(row) > 2 else True) for row in rows]


def catalog() -> Catalog:
    """The reference tables every kind resolves against."""
    categories = [
        ("c-hw", ("Hardware",), 12),
        ("c-hw-laptops", ("Hardware", "Laptops"), 40),
        ("c-sw", ("Software",), 6),
        ("c-sw-av", ("Software", "Security/AV"), 0),
        ("c-ms", ("Managed Services",), 0),
        ("c-labor", ("Labor",), 0),
        ("c-labor-eng", ("Labor", "Engineering"), 0),
    ]
    tables = {
        t.AT_BILLING_CODES: NameTable(
            "billing code",
            _entries(
                [
                    (LABOR, "Labor"),
                    (HARDWARE_SALES, "Hardware Sales"),
                    (SOFTWARE_LICENSING, "Software Licensing"),
                    (MANAGED_SERVICES, "Managed Services"),
                    (LEGACY_HARDWARE, "Legacy Hardware", False),
                    (SHIPPING_A, "Shipping"),
                    (SHIPPING_B, "Shipping"),
                ]
            ),
        ),
        t.AT_COMPANY_TYPES: NameTable(
            "Autotask company type",
            _entries(
                [
                    ("1", "Customer"),
                    ("2", "Lead"),
                    ("3", "Prospect"),
                    ("6", "Vendor"),
                    ("7", "Partner"),
                    ("8", "Former Customer", False),
                ]
            ),
        ),
        t.AT_PRODUCT_CATEGORIES: NameTable(
            "product category", _entries([("1", "Hardware"), ("2", "Software")])
        ),
        t.AT_ROLES: NameTable(
            "role", _entries([(29683301, "Engineer"), (29683303, "Project Manager")])
        ),
        t.AT_SERVICES: NameTable(
            "service", _entries([(12, "Managed Workstation"), (13, "Managed Server")])
        ),
        t.AT_RESOURCES: NameTable(
            "resource", _entries([(SALESBUILDR_API, "Salesbuildr API"), (JANE, "Jane Admin")])
        ),
        t.AT_COMPANY_UDFS: NameTable(
            "company UDF",
            [
                Entry("Contract Tier", "Contract Tier", extra={t.MULTI_SELECT: False}),
                Entry("Onboarding Date", "Onboarding Date", extra={t.MULTI_SELECT: False}),
                Entry("Industry Tags", "Industry Tags", extra={t.MULTI_SELECT: True}),
            ],
        ),
        t.AT_OPPORTUNITY_UDFS: NameTable(
            "opportunity UDF",
            [
                Entry("Quote Margin", "Quote Margin", extra={t.MULTI_SELECT: False}),
                Entry("Quote Reference", "Quote Reference", extra={t.MULTI_SELECT: False}),
                Entry("Competitors", "Competitors", extra={t.MULTI_SELECT: True}),
            ],
        ),
        t.AT_TICKET_QUEUES: NameTable("ticket queue", _entries([("6", "Post Sale")])),
        t.AT_TICKET_PRIORITIES: NameTable(
            "ticket priority", _entries([("1", "High"), ("2", "Medium")])
        ),
        t.AT_TICKET_ISSUE_TYPES: NameTable(
            "issue type", _entries([("40", "Procurement"), ("41", "Hardware")])
        ),
        t.AT_TICKET_SUB_ISSUE_TYPES: NameTable(
            "sub-issue type",
            [
                Entry("401", "Order hardware", parent="40"),
                Entry("402", "Order software", parent="40"),
                Entry("411", "Order hardware", parent="41"),
                Entry("412", "Repair", parent="41"),
            ],
        ),
        t.AT_TICKET_CATEGORIES: NameTable("ticket category", _entries([("3", "Standard")])),
        t.AT_TICKET_SOURCES: NameTable("ticket source", _entries([("20", "Salesbuildr")])),
        t.at_webhook_fields("company"): NameTable(
            "company webhook field",
            _entries(
                [
                    (str(COMPANY_NAME), "CompanyName"),
                    (str(COMPANY_TYPE), "CompanyType"),
                    (str(PHONE), "Phone"),
                    (str(COMPANY_NUMBER), "CompanyNumber"),
                ]
            ),
        ),
        t.at_webhook_udf_fields("company"): NameTable(
            "company webhook UDF field", _entries([(str(CONTRACT_TIER_UDF), "Contract Tier")])
        ),
        t.at_webhook_fields("ticket"): NameTable(
            "ticket webhook field",
            _entries([("5", "Status"), ("6", "Priority"), ("14", "QueueID")]),
        ),
        t.at_webhook_udf_fields("ticket"): NameTable("ticket webhook UDF field", []),
        t.SB_CATEGORIES: NameTable(
            "Salesbuildr category",
            [
                Entry(id=cid, name=path[-1], path=path, extra={t.PRODUCT_COUNT: products})
                for cid, path, products in categories
            ],
            paths=True,
        ),
        t.SB_COMPANY_TYPES: NameTable(
            "Salesbuildr company type",
            [
                Entry("customer", "Customer"),
                Entry("lead", "Lead"),
                Entry("supplier", "Supplier"),
            ],
        ),
        t.SB_COMPANY_DATA_POINTS: NameTable(
            "company data point",
            [
                Entry("dp-c-tier", "Contract tier", extra={t.MULTI_SELECT: False}),
                Entry(
                    "dp-c-start",
                    "Start date",
                    path=("Onboarding", "Start date"),
                    extra={t.MULTI_SELECT: False},
                ),
                Entry("dp-c-tags", "Tags", extra={t.MULTI_SELECT: True}),
            ],
            paths=True,
        ),
        t.SB_OPPORTUNITY_DATA_POINTS: NameTable(
            "opportunity data point",
            [
                Entry(
                    "dp-o-margin",
                    "Expected margin",
                    path=("Sales", "Expected margin"),
                    extra={t.MULTI_SELECT: False},
                ),
                Entry(
                    "dp-o-ref",
                    "Quote reference",
                    path=("Sales", "Quote reference"),
                    extra={t.MULTI_SELECT: False},
                ),
            ],
            paths=True,
        ),
    }
    return Catalog(tables=tables, facts={RECEIVER_URL: RECEIVER})


CATALOG = catalog()


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load(text: str, *, environ: Mapping[str, str] = SECRET_ENV) -> LoadedConfig:
    return parse_config(yaml(text).encode(), file=FILE, environ=environ)


def section_locations(loaded: LoadedConfig) -> dict[str, str]:
    """Where each section starts, as ``session.make_plan`` passes it to ``resolve_desired``."""
    return {
        section: loaded.source.diagnostic((section,), "", key=True).location
        for section in loaded.config.present_sections()
    }


def desired(
    text: str, live: Sequence[Resource] = (), *, cat: Catalog | None = None
) -> tuple[State, list[Diagnostic]]:
    """The YAML through the config layer and name resolution (as ``session.make_plan`` does)."""
    loaded = load(text)
    return resolve_desired(
        desired_resources(loaded),
        cat or CATALOG,
        State.of(live),
        section_locations=section_locations(loaded),
        kinds=AUTOTASK_KINDS,
    )


def plan(
    text: str,
    live: Sequence[Resource] = (),
    *,
    rotate_secrets: bool = False,
    cat: Catalog | None = None,
) -> Plan:
    """compute_plan for the YAML against a live state; fails on resolution errors."""
    loaded = load(text)
    state, diagnostics = resolve_desired(
        desired_resources(loaded),
        cat or CATALOG,
        State.of(live),
        section_locations=section_locations(loaded),
        kinds=AUTOTASK_KINDS,
    )
    errors = [d for d in diagnostics if d.severity == "error"]
    assert not errors, [d.render() for d in errors]
    return compute_plan(
        state,
        State.of(live),
        policy_settings(loaded.config),
        sections=loaded.config.present_sections(),
        rotate_secrets=rotate_secrets,
        kinds=AUTOTASK_KINDS,
    )


# --- live resources, built the way the providers build them ----------------------------------


def billing_row(category_id: str, billing_code: Any) -> Resource:
    return BILLING_CODE_MAPPING.live(
        [category_id],
        billing_code,
        CATALOG,
        raw={"categoryId": category_id, "billingCodeId": billing_code},
    )


def billing_default(billing_code: Any) -> Resource:
    return BILLING_CODE_DEFAULT.live(
        {"billing_code": billing_code}, CATALOG, raw={"defaultBillingCodeId": billing_code}
    )


def to_salesbuildr_row(at_type: str, sb_type: str) -> Resource:
    return COMPANY_TYPE_TO_SALESBUILDR.live(
        [at_type], sb_type, CATALOG, raw={"autotaskCompanyType": at_type, "companyType": sb_type}
    )


def to_autotask_row(sb_type: str, at_type: str) -> Resource:
    return COMPANY_TYPE_TO_AUTOTASK.live(
        [sb_type], at_type, CATALOG, raw={"companyType": sb_type, "autotaskCompanyType": at_type}
    )


def company_udf_row(sb_type: str, udf: str, data_point: str) -> Resource:
    return COMPANY_UDF_MAPPING.live(
        [sb_type, udf],
        data_point,
        CATALOG,
        raw={"companyType": sb_type, "udfName": udf, "dataPointId": data_point},
    )


def role_row(role_id: int, category_id: str) -> Resource:
    return ROLE_MAPPING.live(
        [role_id], category_id, CATALOG, raw={"roleId": role_id, "categoryId": category_id}
    )


def product_category_row(value: str, category_id: str) -> Resource:
    return PRODUCT_CATEGORY_MAPPING.live(
        [value], category_id, CATALOG, raw={"productCategory": value, "categoryId": category_id}
    )


def service_row(service_id: int, category_id: str) -> Resource:
    return SERVICE_MAPPING.live(
        [service_id], category_id, CATALOG, raw={"serviceId": service_id, "categoryId": category_id}
    )


def opportunity_row(data_point: str, udf: str) -> Resource:
    return OPPORTUNITY_UDF_MAPPING.live(
        [data_point], udf, CATALOG, raw={"dataPointId": data_point, "udfName": udf}
    )


PRODUCT_IMPORT_DEFAULTS: dict[str, Any] = {
    "synchronize_to_autotask": False,
    "prepend_internal_product_id": False,
    "prepend_mpn_to_service_name": False,
    "mpn_enrichment": "none",
    "manufacturer_company_type": None,
}


def product_import(**values: Any) -> Resource:
    merged = {**PRODUCT_IMPORT_DEFAULTS, **values}
    return PRODUCT_IMPORT_SETTINGS.live(merged, CATALOG, raw=dict(merged))


PURCHASE_ORDER_DEFAULTS: dict[str, Any] = {
    "create_ticket": False,
    "billing_code": None,
    "queue": None,
    "issue_type": None,
    "sub_issue_type": None,
    "ticket_category": None,
    "priority": None,
    "source": None,
    "due_date_offset_days": 0,
}


def purchase_order(**values: Any) -> Resource:
    merged = {**PURCHASE_ORDER_DEFAULTS, **values}
    return PURCHASE_ORDER.live(merged, CATALOG, raw=dict(merged))


def receiver(secret_set: bool) -> Resource:
    return WEBHOOK_RECEIVER.live(
        {"secret_set": secret_set}, CATALOG, raw={"secretSet": secret_set, "url": RECEIVER}
    )


def location(
    name: str,
    location_id: int,
    *,
    active: bool = True,
    default: bool = False,
    track_stock: bool = False,
) -> Resource:
    row = {"id": location_id, "locationName": name, "isActive": active, "isDefault": default}
    return INVENTORY_LOCATION.live(row, track_stock, raw=dict(row))


def webhook(
    name: str,
    webhook_id: int,
    *,
    entity: str = "company",
    url: str = RECEIVER,
    active: bool = True,
    events: Sequence[str] = ("create", "update", "delete"),
    fields: Sequence[int] = (COMPANY_NAME, COMPANY_TYPE, PHONE),
    always_send: Sequence[int] = (COMPANY_NUMBER,),
    udf_fields: Sequence[int] = (CONTRACT_TIER_UDF,),
    excluded: Sequence[int] = (SALESBUILDR_API,),
    notification_email: str | None = "ops@acme-it.example",
    threshold_notification: bool = True,
    address_key: str | None = None,
) -> Resource:
    """A live webhook with its children, as ``autotask_state.webhook_resources`` builds it."""
    row = {
        "id": webhook_id,
        "name": name,
        "webhookUrl": url,
        "deactivationUrl": url,
        "isActive": active,
        "isSubscribedToCreateEvents": "create" in events,
        "isSubscribedToUpdateEvents": "update" in events,
        "isSubscribedToDeleteEvents": "delete" in events,
        "sendThresholdExceededNotification": threshold_notification,
        "notificationEmailAddress": notification_email,
    }
    child_ids = iter(range(webhook_id * 100, webhook_id * 100 + 100))
    field_rows = [
        {
            "id": next(child_ids),
            "webhookID": webhook_id,
            "fieldID": field_id,
            "isSubscribedField": field_id in fields,
            "isDisplayAlwaysField": field_id in always_send,
        }
        for field_id in dict.fromkeys([*fields, *always_send])
    ]
    udf_rows = [
        {
            "id": next(child_ids),
            "webhookID": webhook_id,
            "udfFieldID": udf,
            "isSubscribedField": True,
            "isDisplayAlwaysField": False,
        }
        for udf in udf_fields
    ]
    excluded_rows = [
        {"id": next(child_ids), "webhookID": webhook_id, "resourceID": resource}
        for resource in excluded
    ]
    return WEBHOOK.live(
        entity=entity,
        row=row,
        fields=field_rows,
        udf_fields=udf_rows,
        excluded=excluded_rows,
        catalog=CATALOG,
        address_key=address_key or name,
    )
