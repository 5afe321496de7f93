"""The Salesbuildr mapping kinds: rows of settings sections mapping one name to another.

Billing codes (category -> billing code), company types in both directions, company UDFs per
company type, product import tables (roles, product categories, services -> category) and
opportunity UDFs (data point -> UDF). Each is one :class:`MappingKind`; the few rules that span a
whole section are methods of a small subclass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.kinds.base import EntryRule, MappingKind, Problem
from reconciler.kinds.catalog import Catalog, Entry
from reconciler.kinds.names import fold
from reconciler.psa.autotask.kinds import tables as t
from reconciler.state import Resource
from reconciler.warning_ids import UNMAPPED_COMPANY_TYPES


def _not_multi_select(what: str) -> EntryRule:
    def rule(entry: Entry) -> str | None:
        if entry.extra.get(t.MULTI_SELECT):
            return (
                f"{what} '{entry.name}' is multi-select; the Autotask API does not support "
                "multi-select UDFs, so it cannot be mapped"
            )
        return None

    return rule


@dataclass(frozen=True)
class BillingCodeMappingKind(MappingKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """Every category that contains products resolves to a billing code (Autotask refuses
        products without one), directly or via the default."""
        if any(
            r.kind == "billing_code_default" and r.attributes.get("billing_code")
            for r in (*desired, *live)
        ):
            return []
        mapped = {
            key
            for r in (*desired, *live)
            if r.kind == self.name
            for key in r.ids.get("keys", [])[:1]
        }
        categories = catalog.table(t.SB_CATEGORIES)
        problems = []
        for entry in categories.entries:
            if entry.extra.get(t.PRODUCT_COUNT, 0) > 0 and entry.id not in mapped:
                problems.append(
                    Problem(
                        address="billing_codes",
                        message=f"category '{categories.label(entry)}' contains "
                        f"{entry.extra[t.PRODUCT_COUNT]} product(s) but has no billing code",
                        hint="map it under billing_codes.categories, or set billing_codes.default",
                    )
                )
        return problems


@dataclass(frozen=True)
class CompanyTypeToAutotaskKind(MappingKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """Warn about Salesbuildr company types without an Autotask company type."""
        ours = [r for r in (*desired, *live) if r.kind == self.name]
        if not any(r.kind == self.name for r in desired):
            return []
        mapped = {fold(r.key) for r in ours}
        unmapped = [
            e.name for e in catalog.table(t.SB_COMPANY_TYPES).entries if fold(e.name) not in mapped
        ]
        if not unmapped:
            return []
        names = ", ".join(f"'{n}'" for n in unmapped)
        return [
            Problem(
                address="company_types.to_autotask",
                message=f"Salesbuildr company type(s) {names} have no Autotask company type; "
                "Salesbuildr cannot create such companies in Autotask",
                hint="map them under company_types.to_autotask if they should sync",
                severity="warning",
                id=UNMAPPED_COMPANY_TYPES,
            )
        ]


BILLING_CODE_MAPPING = BillingCodeMappingKind(
    name="billing_code_mapping",
    section="billing_codes",
    subsection="categories",
    key_tables=(t.SB_CATEGORIES,),
    value_attr="billing_code",
    value_table=t.AT_BILLING_CODES,
)

COMPANY_TYPE_TO_SALESBUILDR = MappingKind(
    name="company_type_to_salesbuildr",
    section="company_types",
    subsection="to_salesbuildr",
    key_tables=(t.AT_COMPANY_TYPES,),
    value_attr="company_type",
    value_table=t.SB_COMPANY_TYPES,
)

COMPANY_TYPE_TO_AUTOTASK = CompanyTypeToAutotaskKind(
    name="company_type_to_autotask",
    section="company_types",
    subsection="to_autotask",
    key_tables=(t.SB_COMPANY_TYPES,),
    value_attr="company_type",
    value_table=t.AT_COMPANY_TYPES,
)


@dataclass(frozen=True)
class CompanyUdfMappingKind(MappingKind):
    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """A data point serves only the company types Salesbuildr lists for it (the contract
        answers 422 "data point … is not used by company type …" otherwise)."""
        points = catalog.table(t.SB_COMPANY_DATA_POINTS)
        types = catalog.table(t.SB_COMPANY_TYPES)
        problems = []
        for resource in desired:
            keys = resource.ids.get("keys") or []
            point = points.by_id(resource.ids.get(self.value_attr))
            if resource.kind != self.name or not keys or point is None:
                continue
            allowed = point.extra.get("company_types")
            if allowed is None or keys[0] in allowed:
                continue
            shown = ", ".join(f"'{types.display(k)}'" for k in allowed) or "none"
            problems.append(
                Problem(
                    address=resource.address,
                    message=f"data point '{points.label(point)}' is not used by company type "
                    f"'{types.display(keys[0])}' in Salesbuildr (it is used by {shown})",
                    hint="map a data point of this company type, or move the mapping",
                    attribute=self.value_attr,
                )
            )
        return problems


COMPANY_UDF_MAPPING = CompanyUdfMappingKind(
    name="company_udf_mapping",
    section="company_udfs",
    subsection=None,
    key_tables=(t.SB_COMPANY_TYPES, t.AT_COMPANY_UDFS),
    value_attr="data_point",
    value_table=t.SB_COMPANY_DATA_POINTS,
    key_rule=_not_multi_select("company UDF"),
    value_rule=_not_multi_select("data point"),
)

ROLE_MAPPING = MappingKind(
    name="role_mapping",
    section="product_import",
    subsection="roles",
    key_tables=(t.AT_ROLES,),
    value_attr="category",
    value_table=t.SB_CATEGORIES,
)

PRODUCT_CATEGORY_MAPPING = MappingKind(
    name="product_category_mapping",
    section="product_import",
    subsection="product_categories",
    key_tables=(t.AT_PRODUCT_CATEGORIES,),
    value_attr="category",
    value_table=t.SB_CATEGORIES,
)

SERVICE_MAPPING = MappingKind(
    name="service_mapping",
    section="product_import",
    subsection="services",
    key_tables=(t.AT_SERVICES,),
    value_attr="category",
    value_table=t.SB_CATEGORIES,
)

OPPORTUNITY_UDF_MAPPING = MappingKind(
    name="opportunity_udf_mapping",
    section="opportunity",
    subsection="udfs",
    key_tables=(t.SB_OPPORTUNITY_DATA_POINTS,),
    value_attr="udf",
    value_table=t.AT_OPPORTUNITY_UDFS,
    key_rule=_not_multi_select("data point"),
    value_rule=_not_multi_select("opportunity UDF"),
)
