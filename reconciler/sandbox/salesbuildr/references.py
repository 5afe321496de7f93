"""The reference tables the settings documents' ``x-known`` checks look values up in.

Salesbuildr's own data (categories, company types, data points per entity) and its synced cache
of each PSA's ids (:class:`~reconciler.sandbox.salesbuildr.seed.AutotaskCache` for Autotask), as
``{table: {key: attributes}}`` (:data:`~reconciler.sandbox.salesbuildr.documents.References`).
A PSA whose cache the tenant does not hold has no tables here: its documents' references are then
not checked (the shapes still are), so a PSA's documents can be served before its cache is
simulated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.sandbox.salesbuildr.documents import References
from reconciler.sandbox.salesbuildr.seed import AutotaskCache, TenantData


def _keys(keys: Iterable[Any]) -> dict[Any, Mapping[str, Any]]:
    return {key: {} for key in keys}


def _multi(udfs: Mapping[str, bool]) -> dict[Any, Mapping[str, Any]]:
    return {name: {"multiSelect": multi} for name, multi in udfs.items()}


def salesbuildr_tables(data: TenantData) -> dict[str, dict[Any, Mapping[str, Any]]]:
    """The tenant's own reference data."""
    points: dict[str, dict[Any, Mapping[str, Any]]] = {
        entity: {
            dp.id: {"multiSelect": dp.multi_select, "companyTypes": list(dp.company_types)}
            for dp in data.data_points
            if dp.entity == entity
        }
        for entity in ("company", "opportunity")
    }
    return {
        "salesbuildr.categories": _keys(data.category_index),
        "salesbuildr.companyTypes": _keys(data.company_type_keys),
        "salesbuildr.companyDataPoints": points["company"],
        "salesbuildr.opportunityDataPoints": points["opportunity"],
    }


def autotask_tables(cache: AutotaskCache) -> dict[str, dict[Any, Mapping[str, Any]]]:
    """Salesbuildr's cache of the Autotask ids (activeness is the client's rule, not checked)."""
    return {
        "autotask.billingCodes": _keys(cache.billing_codes),
        "autotask.companyTypes": _keys(cache.company_types),
        "autotask.productCategories": _keys(cache.product_categories),
        "autotask.roles": _keys(cache.roles),
        "autotask.services": _keys(cache.services),
        "autotask.companyUdfs": _multi(cache.company_udfs),
        "autotask.opportunityUdfs": _multi(cache.opportunity_udfs),
        "autotask.queues": _keys(cache.queues),
        "autotask.issueTypes": _keys(cache.issue_types),
        "autotask.subIssueTypes": {
            value: {"parent": parent} for value, parent in cache.sub_issue_types.items()
        },
        "autotask.ticketCategories": _keys(cache.ticket_categories),
        "autotask.priorities": _keys(cache.priorities),
        "autotask.sources": _keys(cache.sources),
    }


def reference_tables(data: TenantData) -> References:
    """Every table of this tenant: its own and the PSA caches it holds."""
    return {**salesbuildr_tables(data), **autotask_tables(data.autotask)}
