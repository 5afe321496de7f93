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

import random
from typing import Any, Final

from reconciler.sandbox import tenant
from reconciler.sandbox.autotask_entities import (
    WEBHOOK_UDF_TYPE,
    Catalog,
    webhook_field_picklists,
)
from reconciler.sandbox.autotask_store import Store

SEEDS: Final = ("empty", "demo", "large")
DEFAULT_RECEIVER_URL: Final = "https://acme.salesbuildr.com/webhooks/autotask"
DEFAULT_WEBHOOK_SECRET: Final = "sandbox-demo-webhook-secret"
SALESBUILDR_API_RESOURCE: Final = 29682885
SANDBOX_API_RESOURCE: Final = 29682895
_CREATED: Final = "2024-03-04T09:15:00"

# Items of the list / multi-select UDFs of tenant.UDFS, by UDF name.
UDF_LIST_ITEMS: Final = {
    "Contract Tier": ("Gold", "Silver", "Bronze"),
    "Industry Tags": ("Healthcare", "Legal", "Manufacturing", "Retail", "Education", "Finance"),
    "Competitors": ("Globex IT", "Initech Managed Services", "Umbrella Tech"),
    "Expected Close Quarter": ("Q1", "Q2", "Q3", "Q4"),
    "Preferred Contact Method": ("Email", "Phone", "Portal"),
}

# (name, companyType, city, state) of the hand-written companies: customers, leads, prospects,
# vendors and partners of a small MSP.
_COMPANIES: Final = (
    ("Northwind Dental Group", 1, "Portland", "OR"),
    ("Contoso Legal LLP", 1, "Seattle", "WA"),
    ("Fabrikam Manufacturing", 1, "Tacoma", "WA"),
    ("Harbor View Medical Clinic", 1, "Portland", "OR"),
    ("Blue Ridge Accounting", 1, "Boise", "ID"),
    ("Cascade Veterinary Hospital", 1, "Bend", "OR"),
    ("Summit Architecture Studio", 1, "Spokane", "WA"),
    ("Pioneer Logistics", 1, "Vancouver", "WA"),
    ("Evergreen Family Practice", 1, "Salem", "OR"),
    ("Riverside Property Management", 1, "Eugene", "OR"),
    ("Lakeside Montessori School", 1, "Olympia", "WA"),
    ("Granite Insurance Partners", 1, "Boise", "ID"),
    ("Coastal Realty Group", 1, "Astoria", "OR"),
    ("Alder Street Bakery", 1, "Portland", "OR"),
    ("Meridian Engineering", 1, "Bellevue", "WA"),
    ("Silverline Financial Advisors", 1, "Seattle", "WA"),
    ("Timberland Credit Union", 1, "Longview", "WA"),
    ("Willamette Orthodontics", 1, "Corvallis", "OR"),
    ("Redwood Hotel & Suites", 1, "Medford", "OR"),
    ("Columbia Freight Brokers", 1, "Kennewick", "WA"),
    ("Beacon Home Health", 5, "Yakima", "WA"),
    ("Old Mill Printing", 5, "Albany", "OR"),
    ("Sunrise Chiropractic", 2, "Hillsboro", "OR"),
    ("Pacific Crest Brewing", 2, "Bend", "OR"),
    ("Mountain View Dermatology", 2, "Redmond", "WA"),
    ("Orchard Valley Winery", 3, "Walla Walla", "WA"),
    ("Skyline Event Rentals", 3, "Everett", "WA"),
    ("Ironwood Construction", 3, "Nampa", "ID"),
    ("Bayfront Marine Supply", 4, "Newport", "OR"),
    ("Clearwater Dental Lab", 4, "Lewiston", "ID"),
    ("Dell Technologies", 6, "Round Rock", "TX"),
    ("Ingram Micro", 6, "Irvine", "CA"),
    ("TD SYNNEX", 6, "Clearwater", "FL"),
    ("Pax8", 6, "Greenwood Village", "CO"),
    ("Ubiquiti Distribution West", 6, "Sacramento", "CA"),
    ("Datto Partner Services", 7, "Norwalk", "CT"),
    ("Salesbuildr", 7, "Amsterdam", ""),
    ("Northwest Cabling Partners", 7, "Tigard", "OR"),
    ("Puget Sound Print Partners", 7, "Kent", "WA"),
    ("Hillside Pediatrics", 1, "Gresham", "OR"),
)

_OWNERS: Final = (29682886, 29682887, 29682888)
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
        _large(store)
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
        _billing_code(store, row_id, name, active, use_type)
    for row_id, name, active, rate in tenant.ROLES:
        _role(store, row_id, name, active, rate)
    for row_id, name, active, billing_code in tenant.SERVICES:
        _service(store, row_id, name, active, billing_code)
    for i, spec in enumerate(tenant.UDFS):
        _udf(store, spec, sort_order=i)


def _billing_code(store: Store, row_id: int, name: str, active: bool, use_type: int) -> None:
    store.insert(
        "BillingCodes",
        {
            "name": name,
            "description": f"{name} (billing code)",
            "isActive": active,
            "useType": use_type,
            "billingCodeType": 0,
            "isExcludedFromNewContracts": False,
            "externalNumber": f"GL-{row_id % 100000:05d}",
            "unitPrice": 125.0 if use_type == 1 else 0.0,
            "unitCost": 0.0,
            "markupRate": 0.0,
        },
        row_id=row_id,
    )


def _role(store: Store, row_id: int, name: str, active: bool, rate: float) -> None:
    store.insert(
        "Roles",
        {
            "name": name,
            "description": f"{name} role",
            "isActive": active,
            "hourlyRate": rate,
            "hourlyFactor": 1.0,
            "isExcludedFromNewContracts": False,
            "isSystemRole": False,
            "roleType": 0,
        },
        row_id=row_id,
    )


def _service(store: Store, row_id: int, name: str, active: bool, billing_code: int) -> None:
    store.insert(
        "Services",
        {
            "name": name,
            "description": f"{name}, billed monthly",
            "invoiceDescription": name,
            "isActive": active,
            "billingCodeID": billing_code,
            "periodType": 2,
            "unitPrice": 49.0,
            "unitCost": 20.0,
            "createDate": _CREATED,
            "lastModifiedDate": _CREATED,
            "creatorResourceID": 29682886,
        },
        row_id=row_id,
    )


def _udf(
    store: Store,
    spec: tuple[int, int, str, int, bool],
    *,
    sort_order: int,
) -> None:
    row_id, udf_type, name, data_type, active = spec
    store.insert(
        "UserDefinedFieldDefinitions",
        {
            "name": name,
            "description": None,
            "udfType": udf_type,
            "dataType": data_type,
            "displayFormat": 1,
            "defaultValue": None,
            "isActive": active,
            "isRequired": False,
            "isProtected": False,
            "isPrivate": False,
            "isEncrypted": False,
            "isFieldMapping": False,
            "isVisibleToClientPortal": False,
            "mergeVariableName": f"[UDF:{name}]",
            "numberOfDecimalPlaces": 2 if data_type in (2, 4) else None,
            "sortOrder": sort_order,
            "createDate": _CREATED,
        },
        row_id=row_id,
    )
    if name in UDF_LIST_ITEMS:
        store.udf_list_values[row_id] = list(UDF_LIST_ITEMS[name])


def _company(store: Store, row_id: int, values: dict[str, Any], udfs: dict[int, Any]) -> None:
    base = {
        "isActive": True,
        "companyCategoryID": 1,
        "countryID": 237,
        "currencyID": 1,
        "isClientPortalActive": False,
        "isEnabledForComanaged": False,
        "isSample": False,
        "isTaskFireActive": False,
        "isTaxExempt": False,
        "invoiceNonContractItemsToParentCompany": False,
        "createDate": _CREATED,
        "createdByResourceID": 29682886,
        "lastActivityDate": _CREATED,
        "lastTrackedModifiedDateTime": _CREATED,
    }
    store.insert("Companies", base | values, udfs=udfs, row_id=row_id)


def _companies(store: Store) -> None:
    tiers = UDF_LIST_ITEMS["Contract Tier"]
    tags = UDF_LIST_ITEMS["Industry Tags"]
    for i, (name, company_type, city, state) in enumerate(_COMPANIES):
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
        _company(
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
                "ownerResourceID": _OWNERS[i % 3],
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
                "createdTime": _CREATED,
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
                "createDate": _CREATED,
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
                "createDate": _CREATED,
                "creatorResourceID": 29682886,
                "lastTrackedModificationDateTime": _CREATED,
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
    webhook = _webhook(
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


def _webhook(
    store: Store,
    kind: str,
    row_id: int,
    *,
    name: str,
    url: str,
    secret: str,
    active: bool,
    owner: int,
) -> int:
    return store.insert(
        f"{kind}Webhooks",
        {
            "name": name,
            "webhookUrl": url,
            "deactivationUrl": url,
            "secretKey": secret,
            "isActive": active,
            "isSubscribedToCreateEvents": True,
            "isSubscribedToUpdateEvents": True,
            "isSubscribedToDeleteEvents": False,
            "sendThresholdExceededNotification": False,
            "notificationEmailAddress": "jane.admin@acme-it.example",
            "ownerResourceID": owner,
        },
        row_id=row_id,
    )


_LARGE_WEBHOOKS: Final = (
    ("Company", 20),
    ("Contact", 12),
    ("ConfigurationItem", 8),
    ("Ticket", 10),
)
_LARGE_UDFS: Final = ((1, 40), (3, 20), (4, 10), (2, 8), (6, 5), (5, 4))
_WORDS: Final = (
    "Alpine", "Bright", "Cedar", "Delta", "Eagle", "Falcon", "Golden", "Highland", "Inland",
    "Juniper", "Keystone", "Liberty", "Maple", "Noble", "Oakridge", "Prairie", "Quarry", "Rainier",
    "Sierra", "Tidewater", "Union", "Valley", "Westside", "Yellowstone", "Zenith",
)  # fmt: skip
_TRADES: Final = (
    "Dental", "Legal", "Logistics", "Medical", "Accounting", "Engineering", "Realty", "Bakery",
    "Insurance", "Veterinary", "Construction", "Printing", "Winery", "Consulting", "Clinic",
)  # fmt: skip


def _large(store: Store) -> None:
    rng = random.Random("autotask-large")
    for i in range(300 - len(tenant.BILLING_CODES)):
        use_type = 1 if i % 4 == 0 else 3
        _billing_code(
            store,
            29690001 + i,
            f"{_WORDS[i % 25]} {_TRADES[i % 15]} {i:03d}",
            i % 17 != 0,
            use_type,
        )
    for i in range(200 - len(tenant.ROLES)):
        _role(
            store, 29691001 + i, f"{_TRADES[i % 15]} Specialist {i:03d}", i % 13 != 0, 90.0 + i % 90
        )
    for i in range(200 - len(tenant.SERVICES)):
        _service(store, 29692001 + i, f"Managed {_TRADES[i % 15]} {i:03d}", i % 11 != 0, 29683003)
    udf_id = 29693001
    for udf_type, count in _LARGE_UDFS:
        for j in range(count):
            data_type = (1, 2, 3, 5, 1, 7)[j % 6]
            name = f"{dict(tenant.UDF_TYPES)[udf_type]} Attribute {j + 1:02d}"
            _udf(store, (udf_id, udf_type, name, data_type, j % 9 != 8), sort_order=j)
            if data_type == 5:
                store.udf_list_values[udf_id] = ["Option A", "Option B", "Option C"]
            udf_id += 1
    for i in range(2000 - len(_COMPANIES)):
        name = f"{_WORDS[i % 25]} {_TRADES[(i // 25) % 15]} {i // 375 + 1:02d}-{i:04d}"
        _company(
            store,
            29700001 + i,
            {
                "companyName": name,
                "companyNumber": f"L{i:05d}",
                "companyType": (1, 1, 1, 2, 3, 6, 7)[i % 7],
                "phone": f"(206) 555-{i % 10000:04d}",
                "city": ("Seattle", "Portland", "Boise", "Spokane")[i % 4],
                "ownerResourceID": _OWNERS[i % 3],
                "territoryID": 1 + i % 4,
            },
            {29684001: UDF_LIST_ITEMS["Contract Tier"][i % 3]} if i % 7 < 3 else {},
        )
    webhook_id = {kind: 29694001 for kind, _ in _LARGE_WEBHOOKS}
    for kind, count in _LARGE_WEBHOOKS:
        choices = [int(v.value) for v in webhook_field_picklists()[kind]]
        udfs = [d["id"] for d in store.udf_definitions(WEBHOOK_UDF_TYPE[kind])]
        for n in range(count):
            row = _webhook(
                store,
                kind,
                webhook_id[kind],
                name=f"{kind.lower()}-sync-{n + 1:02d}",
                url=f"https://hooks.example.com/autotask/{kind.lower()}/{n + 1}",
                secret=f"large-secret-{kind.lower()}-{n + 1:02d}",
                active=n % 5 != 4,
                owner=29682886,
            )
            webhook_id[kind] += 1
            for position, field_id in enumerate(sorted(rng.sample(choices, rng.randint(20, 39)))):
                store.insert(
                    f"{kind}WebhookFields",
                    {
                        "webhookID": row,
                        "fieldID": field_id,
                        "isSubscribedField": position % 3 != 2,
                        "isDisplayAlwaysField": position % 3 == 2,
                    },
                )
            for udf in rng.sample(udfs, min(len(udfs), rng.randint(1, 3))):
                store.insert(
                    f"{kind}WebhookUdfFields",
                    {
                        "webhookID": row,
                        "udfFieldID": udf,
                        "isSubscribedField": True,
                        "isDisplayAlwaysField": False,
                    },
                )
