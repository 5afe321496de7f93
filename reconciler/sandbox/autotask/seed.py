"""Seed data of the Autotask simulator: the sandbox tenant as ``empty``, ``demo`` or ``large``.

* ``empty``: the reference data of ``tenant.py`` (billing codes, roles, services, resources, UDF
  definitions, picklists) plus about forty realistic companies with UDF values, a few products,
  opportunities and tickets; no webhooks, no inventory locations.
* ``demo``: ``empty`` partly configured by hand, drifting from ``examples/mappings.yaml``: the
  inventory locations "Main Warehouse" (active, default) and "Old Stockroom" (active), and the
  company webhook "sb-companies" (fields CompanyName and CompanyType subscribed, Phone missing on
  purpose, CompanyNumber display-always, UDF field Contract Tier, "Salesbuildr API" excluded).
* ``large``: ``demo`` at scale: 300 billing codes, 2,000 companies, 100 UDFs, 200 roles,
  200 services, and 50 more webhooks with 20-39 fields and some UDF fields each.

Everything is deterministic: a seed renders the same records (and webhook GUIDs) every time.
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.sandbox.autotask.entities import (
    Catalog,
)
from reconciler.sandbox.autotask.seed_large import add_large
from reconciler.sandbox.autotask.seed_rows import (
    COMPANIES,
    CREATED,
    OWNERS,
    UDF_LIST_ITEMS,
    add_billing_code,
    add_company,
    add_role,
    add_service,
    add_udf,
    add_webhook,
)
from reconciler.sandbox.autotask.store import Store
from reconciler.sandbox.common import tenant

SEEDS: Final = ("empty", "demo", "large")
DEFAULT_RECEIVER_URL: Final = "https://acme.salesbuildr.com/webhooks/autotask"
DEFAULT_WEBHOOK_SECRET: Final = "sandbox-demo-webhook-secret"
SALESBUILDR_API_RESOURCE: Final = 29682885
SANDBOX_API_RESOURCE: Final = 29682895


_STREETS: Final = ("Main", "Oak", "Pine", "Market", "Harbor")


def build_store(
    catalog: Catalog,
    seed: str,
    *,
    receiver_url: str | None,
    webhook_secret: str | None,
    api_username: str,
) -> Store:
    """A fresh store holding ``seed`` (ValueError for an unknown seed name)."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; expected one of {', '.join(SEEDS)}")
    store = Store(catalog, guid_seed=SEEDS.index(seed))
    for offset, table in enumerate(store.tables.values()):
        # Rows created without an explicit id (webhook children, API creates) get large,
        # per-entity ids like a real tenant's.
        table.next_id = 30_000_001 + offset * 100_000
    _reference_data(store, api_username)
    _companies(store)
    _sales_and_service(store)
    if seed in ("demo", "large"):
        _demo_configuration(store, receiver_url or DEFAULT_RECEIVER_URL, webhook_secret)
    if seed == "large":
        add_large(store)
    for table in store.tables.values():
        table.next_id = max([table.next_id, *[i + 1 for i in table.rows]])
    return store


def api_resource_id(store: Store, username: str) -> int:
    """The resource the API user is: the one whose email or user name is ``username``."""
    for row_id, row in sorted(store.table("Resources").rows.items()):
        if username.lower() in (str(row["email"]).lower(), str(row["userName"]).lower()):
            return row_id
    return SANDBOX_API_RESOURCE


def _reference_data(store: Store, api_username: str) -> None:
    resources = list(tenant.RESOURCES)
    if not any(api_username.lower() == email.lower() for *_, email, _ in resources):
        resources.append((SANDBOX_API_RESOURCE, "Sandbox", "API User", api_username, True))
    for row_id, first, last, email, active in resources:
        api = row_id in (SALESBUILDR_API_RESOURCE, SANDBOX_API_RESOURCE)
        store.insert(
            "Resources",
            {
                "firstName": first,
                "lastName": last,
                "email": email,
                "userName": email.split("@")[0][:32],
                "isActive": active,
                "resourceType": "Employee",
                "userType": 7 if api else 1,
                "licenseType": 7 if api else 1,
                "title": "API User" if api else "Staff",
                "dateFormat": "MM/dd/yyyy",
                "timeFormat": "hh:mm a",
                "numberFormat": "X,XXX.XX",
                "hireDate": "2019-01-07T00:00:00",
            },
            row_id=row_id,
        )
    for row_id, name, active, use_type in tenant.BILLING_CODES:
        add_billing_code(store, row_id, name, active, use_type)
    for row_id, name, active, rate in tenant.ROLES:
        add_role(store, row_id, name, active, rate)
    for row_id, name, active, billing_code in tenant.SERVICES:
        add_service(store, row_id, name, active, billing_code)
    for i, spec in enumerate(tenant.UDFS):
        add_udf(store, spec, sort_order=i)


def _companies(store: Store) -> None:
    tiers = UDF_LIST_ITEMS["Contract Tier"]
    tags = UDF_LIST_ITEMS["Industry Tags"]
    for i, (name, company_type, city, state) in enumerate(COMPANIES):
        row_id = 29684500 + i
        customer = company_type in (1, 5)
        udfs: dict[int, Any] = {}
        if customer:
            udfs[29684001] = tiers[i % 3]
            udfs[29684002] = f"20{18 + i % 6}-{1 + i % 12:02d}-01T00:00:00"
            udfs[29684006] = str(8 + (i * 37) % 240)
            udfs[29684004] = ", ".join(sorted({tags[i % 6], tags[(i * 5 + 1) % 6]}))
            if i % 4 == 0:
                udfs[29684003] = "Quarterly review with the office manager."
            if i % 7 == 0:
                udfs[29684005] = f"LEG-{1000 + i}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        add_company(
            store,
            row_id,
            {
                "companyName": name,
                "companyNumber": f"C{1000 + i}",
                "companyType": company_type,
                "phone": f"(503) 555-{1000 + i * 37 % 9000:04d}",
                "address1": f"{100 + i * 13} {_STREETS[i % 5]} St",
                "city": city,
                "state": state,
                "postalCode": f"97{i:03d}",
                "webAddress": f"https://www.{slug}.example",
                "ownerResourceID": OWNERS[i % 3],
                "classification": 1 + i % 3 if customer else None,
                "territoryID": 1 + i % 4,
                "marketSegmentID": 1 + i % 3,
                "isActive": company_type != 4,
            },
            udfs,
        )


def _sales_and_service(store: Store) -> None:
    products = (
        ("Dell Latitude 5450 Laptop", 1, "LAT5450"),
        ("Dell OptiPlex 7020 Desktop", 1, "OPT7020"),
        ("Ubiquiti UniFi Switch 24 PoE", 4, "USW-24-POE"),
        ("Microsoft 365 Business Premium", 5, "M365-BP"),
        ("Logitech MX Keys Keyboard", 3, "MXKEYS"),
        ("Sophos Intercept X Endpoint", 2, "SOPH-IX"),
        ("HP LaserJet Toner 26A", 6, "CF226A"),
    )
    for i, (name, category, sku) in enumerate(products):
        store.insert(
            "Products",
            {
                "name": name,
                "description": name,
                "sku": sku,
                "productCategory": category,
                "billingType": 1,
                "isActive": category != 6,
                "isSerialized": category == 1,
                "isEligibleForRma": category in (1, 4),
                "doesNotRequireProcurement": category == 5,
                "manufacturerName": name.split()[0],
                "manufacturerProductName": sku,
                "unitCost": 100.0 + 50 * i,
                "unitPrice": 140.0 + 70 * i,
                "productBillingCodeID": 29683001 if category != 5 else 29683004,
                "createdTime": CREATED,
                "createdByResourceID": 29682886,
            },
            row_id=29685001 + i,
        )
    for i in range(3):
        store.insert(
            "Opportunities",
            {
                "title": ("Office refresh 2025", "Managed backup rollout", "Firewall upgrade")[i],
                "companyID": 29684500 + i,
                "ownerResourceID": 29682888,
                "status": 1,
                "stage": 1 + i,
                "probability": 25 * (i + 1),
                "amount": 12000.0 * (i + 1),
                "cost": 8000.0 * (i + 1),
                "useQuoteTotals": True,
                "projectedCloseDate": f"2025-0{i + 4}-30T00:00:00",
                "createDate": CREATED,
                "creatorResourceID": 29682888,
            },
            udfs={29684101: str(20 + i * 5), 29684104: ("Q2", "Q3", "Q4")[i]},
            row_id=29686001 + i,
        )
    for i in range(5):
        store.insert(
            "Tickets",
            {
                "ticketNumber": f"T20250301.{i + 1:04d}",
                "title": ("Order laptops", "Printer offline", "New starter", "VPN slow", "Quote")[
                    i
                ],
                "companyID": 29684500 + i,
                "status": 1,
                "priority": 2,
                "queueID": 6 if i == 0 else 29683325,
                "issueType": 40 if i == 0 else 41,
                "subIssueType": 401 if i == 0 else 412,
                "source": 20 if i == 0 else 4,
                "ticketCategory": 3,
                "ticketType": 1,
                "createDate": CREATED,
                "creatorResourceID": 29682886,
                "lastTrackedModificationDateTime": CREATED,
            },
            udfs={29684201: f"PO-{4500 + i}"} if i == 0 else {},
            row_id=29687001 + i,
        )


def _demo_configuration(store: Store, receiver_url: str, secret: str | None) -> None:
    store.insert(
        "InventoryLocations",
        {"locationName": "Main Warehouse", "isActive": True, "isDefault": True},
        row_id=29688001,
    )
    store.insert(
        "InventoryLocations",
        {"locationName": "Old Stockroom", "isActive": True, "isDefault": False},
        row_id=29688002,
    )
    webhook = add_webhook(
        store,
        "Company",
        29689001,
        name="sb-companies",
        url=receiver_url,
        secret=secret or DEFAULT_WEBHOOK_SECRET,
        active=True,
        owner=SALESBUILDR_API_RESOURCE,
    )
    for field_id, subscribed, always in ((7, True, False), (24, True, False), (6, False, True)):
        store.insert(
            "CompanyWebhookFields",
            {
                "webhookID": webhook,
                "fieldID": field_id,
                "isSubscribedField": subscribed,
                "isDisplayAlwaysField": always,
            },
        )
    store.insert(
        "CompanyWebhookUdfFields",
        {
            "webhookID": webhook,
            "udfFieldID": 29684001,
            "isSubscribedField": True,
            "isDisplayAlwaysField": False,
        },
    )
    store.insert(
        "CompanyWebhookExcludedResources",
        {"webhookID": webhook, "resourceID": SALESBUILDR_API_RESOURCE},
    )
