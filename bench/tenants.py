"""Commands run inside the simulators' process (see :mod:`bench.sim`): control, row counts, tenants.

Everything here touches the simulators' stores directly, in the benchmark only: the counts are
the ground truth the lower bounds are computed from (never an API call the client could see), and
the tenant builders make the shapes the workloads need (a cold tenant, N webhooks, N categories,
N billing codes) without going through the API.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.autotask.entities import WEBHOOK_UDF_TYPE, webhook_field_picklists
from reconciler.sandbox.common import Sandbox, tenant
from reconciler.sandbox.salesbuildr.seed import (
    Category,
    CategoryUsage,
    TenantData,
    large_billing_code_ids,
)
from reconciler.sandbox.salesbuildr.seed_settings import default_settings

WEBHOOK_PREFIXES = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}
# How the ``large`` seed spreads its webhooks over the entities (20:12:8:10).
WEBHOOK_SHARES = (("Company", 20), ("Contact", 12), ("ConfigurationItem", 8), ("Ticket", 10))


# --- control ----------------------------------------------------------------------------------


def stats(sandbox: Sandbox) -> dict[str, Any]:
    return {"autotask": sandbox.autotask.stats(), "salesbuildr": sandbox.salesbuildr.stats()}


def reset_stats(sandbox: Sandbox) -> None:
    """Zero both request counters and Salesbuildr's rolling rate window (not the data)."""
    sandbox.autotask.stats_counter.reset()
    sandbox.salesbuildr.stats_counter.reset()
    with sandbox.salesbuildr._guard:
        sandbox.salesbuildr.rate_limit.clear()


def latency(sandbox: Sandbox, ms: float) -> None:
    sandbox.autotask.middleware.latency_ms = ms
    sandbox.salesbuildr.middleware.latency_ms = ms


def usage(sandbox: Sandbox, count: int) -> None:
    """Preset Autotask's hourly request counter (``/_sandbox/usage``)."""
    sandbox.autotask.usage.preset(count)


def usage_delays(sandbox: Sandbox) -> list[float]:
    return list(sandbox.autotask.usage_delays_s)


# --- ground truth for the lower bounds --------------------------------------------------------


def rows(sandbox: Sandbox) -> dict[str, Any]:
    """Row counts of every collection a plan or an apply may read."""
    store = sandbox.autotask.store
    with store.lock:
        autotask = {name: len(table.rows) for name, table in store.tables.items()}
        udf_types: dict[str, int] = {}
        for row in store.table("UserDefinedFieldDefinitions").rows.values():
            key = str(row.get("udfType"))
            udf_types[key] = udf_types.get(key, 0) + 1
    data = sandbox.salesbuildr.data
    return {
        "autotask": autotask,
        "udf_types": udf_types,
        "udf_type_codes": {label.lower(): str(code) for code, label in tenant.UDF_TYPES},
        "salesbuildr": {
            "category": len(data.categories),
            "category-usage": len(data.usage),
            "company-types": len(data.company_types),
            "data-points:company": sum(1 for d in data.data_points if d.entity == "company"),
            "data-points:opportunity": sum(
                1 for d in data.data_points if d.entity == "opportunity"
            ),
        },
    }


# --- tenants ----------------------------------------------------------------------------------


def _set_settings(sandbox: Sandbox, section: str, stored: dict[str, Any]) -> None:
    sim = sandbox.salesbuildr
    with sim._guard:
        sim._settings[section] = stored
        sim._etags[section] = sim._tag("autotask")  # the Autotask pages' ETag sequence


def _clear_webhooks(sandbox: Sandbox) -> None:
    store = sandbox.autotask.store
    with store.lock:
        for name, table in store.tables.items():
            if "webhook" in name:
                table.rows.clear()
                table.udfs.clear()


def cold(sandbox: Sandbox) -> None:
    """The tenant's reference data stays; no webhook, no inventory location, every Salesbuildr
    settings document at its defaults (what a first apply starts from)."""
    _clear_webhooks(sandbox)
    store = sandbox.autotask.store
    with store.lock:
        store.table("InventoryLocations").rows.clear()
    for section, stored in default_settings().items():
        _set_settings(sandbox, section, stored)


def webhooks(sandbox: Sandbox, count: int, seed: int = 7) -> dict[str, int]:
    """Replace every webhook by ``count`` new ones spread like the ``large`` seed's, each with
    20-39 fields and 1-3 UDF fields."""
    _clear_webhooks(sandbox)
    store = sandbox.autotask.store
    rng = random.Random(seed)
    total_share = sum(share for _, share in WEBHOOK_SHARES)
    counts = {kind: count * share // total_share for kind, share in WEBHOOK_SHARES}
    counts["Company"] += count - sum(counts.values())
    picklists = webhook_field_picklists()
    with store.lock:
        for kind, n in counts.items():
            choices = [int(v.value) for v in picklists[kind]]
            udfs = [d["id"] for d in store.udf_definitions(WEBHOOK_UDF_TYPE[kind])]
            for i in range(n):
                url = f"https://hooks.example.com/bench/{kind.lower()}/{i + 1}"
                hook = store.insert(
                    f"{kind}Webhooks",
                    {
                        "name": f"{kind.lower()}-bench-{i + 1:04d}",
                        "webhookUrl": url,
                        "deactivationUrl": url,
                        "secretKey": f"bench-secret-{kind.lower()}-{i + 1:04d}",
                        "isActive": i % 5 != 4,
                        "isSubscribedToCreateEvents": True,
                        "isSubscribedToUpdateEvents": True,
                        "isSubscribedToDeleteEvents": i % 2 == 0,
                        "sendThresholdExceededNotification": False,
                        "notificationEmailAddress": "jane.admin@acme-it.example",
                        "ownerResourceID": 29682886,
                    },
                )
                fields = sorted(rng.sample(choices, rng.randint(20, min(39, len(choices)))))
                for position, field_id in enumerate(fields):
                    store.insert(
                        f"{kind}WebhookFields",
                        {
                            "webhookID": hook,
                            "fieldID": field_id,
                            "isSubscribedField": position % 3 != 2,
                            "isDisplayAlwaysField": position % 3 == 2,
                        },
                    )
                for udf in rng.sample(udfs, min(len(udfs), rng.randint(1, 3))):
                    store.insert(
                        f"{kind}WebhookUdfFields",
                        {
                            "webhookID": hook,
                            "udfFieldID": udf,
                            "isSubscribedField": True,
                            "isDisplayAlwaysField": False,
                        },
                    )
    return counts


def categories(sandbox: Sandbox, count: int) -> dict[str, int]:
    """Salesbuildr with the base categories plus ``count`` more (families of 50), and a
    billing-codes document mapping each of the ``count`` categories to a billing code."""
    sim = sandbox.salesbuildr
    generated = ("c-l-", "c-b-")  # the large seed's, and those of an earlier call
    base = [c for c in sim.data.categories if not c.id.startswith(generated)]
    made: list[Category] = []
    usage_rows: list[CategoryUsage] = []
    family = ""
    for i in range(count):
        if i % 50 == 0:
            family = f"c-b-{i // 50:04d}"
            made.append(Category(family, f"Bench Family {i // 50:04d}", None))
            continue
        leaf = f"{family}-{i % 50:02d}"
        made.append(Category(leaf, f"Bench Model {i:06d}", family))
        usage_rows.append(CategoryUsage(leaf, 1 + i % 30, 0))
    base_usage = [u for u in sim.data.usage if not u.category_id.startswith(generated)]
    data = TenantData(
        categories=(*base, *made),
        usage=(*base_usage, *usage_rows),
        company_types=sim.data.company_types,
        data_points=sim.data.data_points,
        autotask=sim.data.autotask,
    )
    with sim._guard:
        sim.data = data
    codes = large_billing_code_ids()
    _set_settings(
        sandbox,
        "billing-codes",
        {
            "defaultBillingCodeId": codes[0],
            "categories": [
                {"categoryId": c.id, "billingCodeId": codes[n % len(codes)]}
                for n, c in enumerate(made)
            ],
        },
    )
    return {"categories": len(data.categories), "mappings": len(made)}


def billing_codes(sandbox: Sandbox, count: int) -> dict[str, int]:
    """Autotask with ``count`` billing codes in all; Salesbuildr maps every base category to one
    of them."""
    store = sandbox.autotask.store
    with store.lock:
        table = store.table("BillingCodes")
        existing = sorted(table.rows)
        for row_id in existing[count:]:
            del table.rows[row_id]
        for i in range(len(table.rows), count):
            store.insert(
                "BillingCodes",
                {
                    "name": f"Bench Billing Code {i:05d}",
                    "description": "benchmark billing code",
                    "isActive": True,
                    "useType": 3,
                    "billingCodeType": 0,
                    "isExcludedFromNewContracts": False,
                    "externalNumber": f"GL-B{i:05d}",
                    "unitPrice": 0.0,
                    "unitCost": 0.0,
                    "markupRate": 0.0,
                },
                row_id=29800001 + i,
            )
        ids = sorted(
            row_id for row_id, row in table.rows.items() if row.get("isActive") is not False
        )
    cats = [c.id for c in sandbox.salesbuildr.data.categories]
    _set_settings(
        sandbox,
        "billing-codes",
        {
            "defaultBillingCodeId": ids[0],
            "categories": [
                {"categoryId": cid, "billingCodeId": ids[(n * 7) % len(ids)]}
                for n, cid in enumerate(cats)
            ],
        },
    )
    return {"billing_codes": len(ids), "mappings": len(cats)}


def cpu(sandbox: Sandbox) -> float:
    """CPU seconds the simulators' process has used so far (every thread): the workloads take
    the difference over a measured run, the simulator's share of the CPU floor."""
    return time.process_time()


COMMANDS: dict[str, Callable[..., Any]] = {
    "cpu": cpu,
    "stats": stats,
    "reset_stats": reset_stats,
    "latency": latency,
    "usage": usage,
    "usage_delays": usage_delays,
    "rows": rows,
    "cold": cold,
    "webhooks": webhooks,
    "categories": categories,
    "billing_codes": billing_codes,
}
