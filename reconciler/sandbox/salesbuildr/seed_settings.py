"""The settings documents of each seed (stored form), per PSA.

A fresh tenant holds every page's schema defaults (:func:`default_settings`); the ``demo`` and
``large`` seeds configure the Autotask pages partly, as a person would have
(:func:`seeded_settings`).
A PSA without seeded documents here starts every seed at its defaults (:func:`seeded_documents`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from reconciler.sandbox.common import tenant
from reconciler.sandbox.salesbuildr.documents import default_document, psa_documents
from reconciler.sandbox.salesbuildr.seed import (
    AUTOTASK_LARGE_ROLES,
    AUTOTASK_LARGE_SERVICES,
    LARGE_BILLING_MAPPINGS,
    TenantData,
    imported_count,
    is_large_leaf,
    large_billing_code_ids,
)


def default_settings(psa: str = "autotask") -> dict[str, dict[str, Any]]:
    """Every page of ``psa`` on a fresh tenant (stored form): its schema's defaults, i.e. empty
    lists, switches off, null ids."""
    return {page: default_document(schema) for page, schema in psa_documents()[psa].items()}


def seeded_settings(
    seed: str, data: TenantData, *, webhook_secret: str | None
) -> dict[str, dict[str, Any]]:
    """The Autotask pages of ``seed`` in stored form (the receiver holds its secret)."""
    settings = default_settings("autotask")
    if seed == "empty":
        return settings
    if seed == "demo":
        _demo(settings)
    else:
        _large(settings, data)
    settings["webhook-receiver"] = {"secret": webhook_secret}
    return settings


def _demo(settings: dict[str, dict[str, Any]]) -> None:
    settings["billing-codes"] = {
        "defaultBillingCodeId": 29683001,
        "categories": [
            {"categoryId": "c-hw", "billingCodeId": 29683001},
            {"categoryId": "c-sw", "billingCodeId": 29682801},  # "Labor": wrong on purpose
        ],
    }
    settings["company-types"] = {
        "toSalesbuildr": [{"autotaskCompanyType": 1, "companyType": "customer"}],
        "toAutotask": [{"companyType": "customer", "autotaskCompanyType": 1}],
    }
    settings["company-udfs"] = {
        "mappings": [
            {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"}
        ]
    }
    settings["product-import"].update(
        synchronizeToAutotask=True,
        manufacturerCompanyType="supplier",
        roles=[
            {
                "roleId": 29683301,
                "categoryId": "c-labor-eng",
                "importedCount": imported_count("roles", 29683301, "c-labor-eng"),
            }
        ],
    )


def _large(settings: dict[str, dict[str, Any]], data: TenantData) -> None:
    codes = large_billing_code_ids()
    leaves = [c.id for c in data.categories if is_large_leaf(c.id)]
    settings["billing-codes"] = {
        "defaultBillingCodeId": codes[0],
        "categories": [
            {"categoryId": cid, "billingCodeId": codes[n % len(codes)]}
            for n, cid in enumerate(leaves[:LARGE_BILLING_MAPPINGS])
        ],
    }
    settings["company-types"] = {
        "toSalesbuildr": [
            {"autotaskCompanyType": 1, "companyType": "customer"},
            {"autotaskCompanyType": 2, "companyType": "lead"},
            {"autotaskCompanyType": 3, "companyType": "lead"},
            {"autotaskCompanyType": 6, "companyType": "supplier"},
            {"autotaskCompanyType": 7, "companyType": "partner"},
        ],
        "toAutotask": [
            {"companyType": "customer", "autotaskCompanyType": 1},
            {"companyType": "lead", "autotaskCompanyType": 3},
            {"companyType": "supplier", "autotaskCompanyType": 6},
        ],
    }
    settings["company-udfs"] = {
        "mappings": [
            {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"},
            {"companyType": "customer", "udfName": "Onboarding Date", "dataPointId": "dp-c-start"},
            {"companyType": "lead", "udfName": "Employee Count", "dataPointId": "dp-c-size"},
            *(
                {
                    "companyType": "customer",
                    "udfName": f"Company Attribute {n:02d}",
                    "dataPointId": f"dp-c-l{n:03d}",
                }
                for n in range(1, 31)
                if n % 17  # dp-c-l017 is multi-select
            ),
        ]
    }
    # Active ids only, as a person would map them (autotask/seed_large.py: large role i is inactive
    # when i % 13 == 0, large service i when i % 11 == 0).
    roles = [r[0] for r in tenant.ROLES if r[2]]
    roles += [r for r in AUTOTASK_LARGE_ROLES[:45] if (r - AUTOTASK_LARGE_ROLES.start) % 13]
    pcs = [p[0] for p in tenant.PRODUCT_CATEGORIES if p[2]]
    services = [s[0] for s in tenant.SERVICES if s[2]]
    services += [
        s for s in AUTOTASK_LARGE_SERVICES[:45] if (s - AUTOTASK_LARGE_SERVICES.start) % 11
    ]
    settings["product-import"] = {
        "synchronizeToAutotask": True,
        "prependInternalProductId": True,
        "prependMpnToServiceName": True,
        "mpnEnrichment": "icecat",
        "manufacturerCompanyType": "supplier",
        "roles": [
            {"roleId": r, "categoryId": ("c-labor-eng", "c-labor-pm")[n % 2], "importedCount": 0}
            for n, r in enumerate(roles)
        ],
        "productCategories": [
            {"productCategory": p, "categoryId": leaves[n], "importedCount": 0}
            for n, p in enumerate(pcs)
        ],
        "services": [{"serviceId": s, "categoryId": "c-ms", "importedCount": 0} for s in services],
    }
    tables = {"roles": "roleId", "productCategories": "productCategory", "services": "serviceId"}
    for kind, key in tables.items():
        for row in settings["product-import"][kind]:
            row["importedCount"] = imported_count(kind, row[key], row["categoryId"])
    settings["opportunity-udfs"] = {
        "mappings": [
            {"dataPointId": "dp-o-margin", "udfName": "Quote Margin"},
            {"dataPointId": "dp-o-ref", "udfName": "Quote Reference"},
            *(
                {"dataPointId": f"dp-o-l{n:03d}", "udfName": f"Opportunity Attribute {n:02d}"}
                for n in range(1, 21)
                if n % 19  # dp-o-l019 is multi-select
            ),
        ]
    }
    settings["purchase-order"] = {
        "createTicket": True,
        "billingCodeId": 29683001,
        "queueId": 6,
        "issueType": 40,
        "subIssueType": 401,
        "ticketCategory": 3,
        "priority": 2,
        "source": 20,
        "dueDateOffsetDays": 5,
    }


SeedFn = Callable[..., dict[str, dict[str, Any]]]
SEEDED: Final[dict[str, SeedFn]] = {"autotask": seeded_settings}
"""PSA -> its seeded documents; the others start at their defaults."""


def seeded_documents(
    seed: str, data: TenantData, *, webhook_secret: str | None
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{psa: {page: stored}}`` of every PSA whose documents the simulator serves."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for psa in psa_documents():
        seeded = SEEDED.get(psa)
        out[psa] = (
            seeded(seed, data, webhook_secret=webhook_secret) if seeded else default_settings(psa)
        )
    return out
