"""The Autotask simulator's seed rows: one helper per kind of record, and what they share.

Used by :mod:`.seed` (``empty``, ``demo``) and :mod:`.seed_large` (``large``).
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.sandbox.autotask.store import Store

CREATED: Final = "2024-03-04T09:15:00"
OWNERS: Final = (29682886, 29682887, 29682888)
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
COMPANIES: Final = (
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


def add_billing_code(store: Store, row_id: int, name: str, active: bool, use_type: int) -> None:
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


def add_role(store: Store, row_id: int, name: str, active: bool, rate: float) -> None:
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


def add_service(store: Store, row_id: int, name: str, active: bool, billing_code: int) -> None:
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
            "createDate": CREATED,
            "lastModifiedDate": CREATED,
            "creatorResourceID": 29682886,
        },
        row_id=row_id,
    )


def add_udf(
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
            "createDate": CREATED,
        },
        row_id=row_id,
    )
    if name in UDF_LIST_ITEMS:
        store.udf_list_values[row_id] = list(UDF_LIST_ITEMS[name])


def add_company(store: Store, row_id: int, values: dict[str, Any], udfs: dict[int, Any]) -> None:
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
        "createDate": CREATED,
        "createdByResourceID": 29682886,
        "lastActivityDate": CREATED,
        "lastTrackedModifiedDateTime": CREATED,
    }
    store.insert("Companies", base | values, udfs=udfs, row_id=row_id)


def add_webhook(
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
