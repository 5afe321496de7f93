"""The ``large`` seed of the Autotask simulator: ``demo`` at scale (see :mod:`.seed`)."""

from __future__ import annotations

import random
from typing import Final

from reconciler.sandbox.autotask.entities import WEBHOOK_UDF_TYPE, webhook_field_picklists
from reconciler.sandbox.autotask.seed_rows import (
    COMPANIES,
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


def add_large(store: Store) -> None:
    """``demo`` at scale (the ``large`` seed's additions)."""
    rng = random.Random("autotask-large")
    for i in range(300 - len(tenant.BILLING_CODES)):
        use_type = 1 if i % 4 == 0 else 3
        add_billing_code(
            store,
            29690001 + i,
            f"{_WORDS[i % 25]} {_TRADES[i % 15]} {i:03d}",
            i % 17 != 0,
            use_type,
        )
    for i in range(200 - len(tenant.ROLES)):
        add_role(
            store, 29691001 + i, f"{_TRADES[i % 15]} Specialist {i:03d}", i % 13 != 0, 90.0 + i % 90
        )
    for i in range(200 - len(tenant.SERVICES)):
        add_service(
            store, 29692001 + i, f"Managed {_TRADES[i % 15]} {i:03d}", i % 11 != 0, 29683003
        )
    udf_id = 29693001
    for udf_type, count in _LARGE_UDFS:
        for j in range(count):
            data_type = (1, 2, 3, 5, 1, 7)[j % 6]
            name = f"{dict(tenant.UDF_TYPES)[udf_type]} Attribute {j + 1:02d}"
            add_udf(store, (udf_id, udf_type, name, data_type, j % 9 != 8), sort_order=j)
            if data_type == 5:
                store.udf_list_values[udf_id] = ["Option A", "Option B", "Option C"]
            udf_id += 1
    for i in range(2000 - len(COMPANIES)):
        name = f"{_WORDS[i % 25]} {_TRADES[(i // 25) % 15]} {i // 375 + 1:02d}-{i:04d}"
        add_company(
            store,
            29700001 + i,
            {
                "companyName": name,
                "companyNumber": f"L{i:05d}",
                "companyType": (1, 1, 1, 2, 3, 6, 7)[i % 7],
                "phone": f"(206) 555-{i % 10000:04d}",
                "city": ("Seattle", "Portland", "Boise", "Spokane")[i % 4],
                "ownerResourceID": OWNERS[i % 3],
                "territoryID": 1 + i % 4,
            },
            {29684001: UDF_LIST_ITEMS["Contract Tier"][i % 3]} if i % 7 < 3 else {},
        )
    webhook_id = {kind: 29694001 for kind, _ in _LARGE_WEBHOOKS}
    for kind, count in _LARGE_WEBHOOKS:
        choices = [int(v.value) for v in webhook_field_picklists()[kind]]
        udfs = [d["id"] for d in store.udf_definitions(WEBHOOK_UDF_TYPE[kind])]
        for n in range(count):
            row = add_webhook(
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
