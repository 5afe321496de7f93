"""kinds.mappings: the cross-object checks of the mapping kinds, with exact problems."""

from __future__ import annotations

from typing import Any

from reconciler.kinds import tables as t
from reconciler.kinds.base import Problem
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.psa.autotask.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_UDF_MAPPING,
)
from reconciler.state import Resource
from reconciler.warning_ids import UNMAPPED_COMPANY_TYPES


def _resource(kind: str, key: str = "k", **ids: Any) -> Resource:
    return Resource(
        address=f'{kind}["{key}"]',
        kind=kind,
        section="s",
        key=key,
        attributes=ids.pop("attributes", {}),
        owner="salesbuildr",
        ids=ids,
    )


UDF_CATALOG = Catalog(
    tables={
        t.SB_COMPANY_TYPES: NameTable(
            "Salesbuildr company type",
            [Entry("customer", "Customer"), Entry("lead", "Lead"), Entry("lead2", "Lead")],
        ),
        t.SB_COMPANY_DATA_POINTS: NameTable(
            "company data point",
            [
                Entry("dp-any", "Anything"),
                Entry("dp-cust", "Tier", extra={"company_types": ["customer"]}),
                Entry(
                    "dp-leads",
                    "Start",
                    path=("Onboarding", "Start"),
                    extra={"company_types": ["lead", "lead2"]},
                ),
                Entry("dp-none", "Never", extra={"company_types": []}),
            ],
            paths=True,
        ),
    }
)


def test_a_company_udf_data_point_serves_only_its_company_types() -> None:
    kind = COMPANY_UDF_MAPPING.name
    desired = [
        _resource(kind, "ok-any", keys=["lead", "Tier"], data_point="dp-any"),
        _resource(kind, "ok-cust", keys=["customer", "Tier"], data_point="dp-cust"),
        _resource(kind, "bad-cust", keys=["lead", "Tier"], data_point="dp-cust"),
        _resource("other_kind", "other", keys=["lead", "Tier"], data_point="dp-cust"),
        _resource(kind, "no-keys", keys=[], data_point="dp-cust"),
        _resource(kind, "no-point", keys=["lead", "Tier"], data_point="dp-missing"),
        _resource(kind, "bad-leads", keys=["customer", "Tier"], data_point="dp-leads"),
        _resource(kind, "bad-none", keys=["customer", "Tier"], data_point="dp-none"),
        _resource(kind, "unknown-type", keys=["partner", "Tier"], data_point="dp-cust"),
    ]
    hint = "map a data point of this company type, or move the mapping"
    assert COMPANY_UDF_MAPPING.check(desired, [], UDF_CATALOG) == [
        Problem(
            f'{kind}["bad-cust"]',
            "data point 'Tier' is not used by company type 'Lead (#lead)' in Salesbuildr "
            "(it is used by 'Customer')",
            hint,
            "data_point",
        ),
        Problem(
            f'{kind}["bad-leads"]',
            "data point 'Onboarding/Start' is not used by company type 'Customer' in "
            "Salesbuildr (it is used by 'Lead (#lead)', 'Lead (#lead2)')",
            hint,
            "data_point",
        ),
        Problem(
            f'{kind}["bad-none"]',
            "data point 'Never' is not used by company type 'Customer' in Salesbuildr "
            "(it is used by none)",
            hint,
            "data_point",
        ),
        Problem(
            f'{kind}["unknown-type"]',
            "data point 'Tier' is not used by company type '#partner' in Salesbuildr "
            "(it is used by 'Customer')",
            hint,
            "data_point",
        ),
    ]
    assert COMPANY_UDF_MAPPING.check([], desired, UDF_CATALOG) == []


def test_multi_select_udfs_and_data_points_cannot_be_mapped() -> None:
    key_rule, value_rule = COMPANY_UDF_MAPPING.key_rule, COMPANY_UDF_MAPPING.value_rule
    assert key_rule is not None and value_rule is not None
    multi = Entry("x", "Tags", extra={t.MULTI_SELECT: True})
    assert key_rule(multi) == (
        "company UDF 'Tags' is multi-select; the Autotask API does not support multi-select "
        "UDFs, so it cannot be mapped"
    )
    assert value_rule(multi) == (
        "data point 'Tags' is multi-select; the Autotask API does not support multi-select "
        "UDFs, so it cannot be mapped"
    )
    assert key_rule(Entry("y", "Tier", extra={t.MULTI_SELECT: False})) is None
    assert value_rule(Entry("z", "Tier", extra={"other": True})) is None


CATEGORIES = Catalog(
    tables={
        t.SB_CATEGORIES: NameTable(
            "category",
            [
                Entry("c-empty", "Empty", extra={t.PRODUCT_COUNT: 0}),
                Entry("c-one", "One", extra={t.PRODUCT_COUNT: 1}),
                Entry("c-sub", "Sub", path=("Top", "Sub"), extra={t.PRODUCT_COUNT: 3}),
                Entry("c-mapped", "Mapped", extra={t.PRODUCT_COUNT: 9}),
                Entry("c-uncounted", "Uncounted"),
            ],
            paths=True,
        )
    }
)
BILLING_HINT = "map it under billing_codes.categories, or set billing_codes.default"


def test_every_category_with_products_needs_a_billing_code() -> None:
    kind = BILLING_CODE_MAPPING.name
    mapped = _resource(kind, "m", keys=["c-mapped", "c-one"])  # only the first key counts
    assert BILLING_CODE_MAPPING.check([mapped], [_resource(kind, "nokeys")], CATEGORIES) == [
        Problem(
            "billing_codes",
            "category 'One' contains 1 product(s) but has no billing code",
            BILLING_HINT,
        ),
        Problem(
            "billing_codes",
            "category 'Top/Sub' contains 3 product(s) but has no billing code",
            BILLING_HINT,
        ),
    ]
    live_sub = _resource(kind, "s", keys=["c-sub"])
    other = _resource("role_mapping", "r", keys=["c-one"])
    problems = BILLING_CODE_MAPPING.check([mapped, other], [live_sub], CATEGORIES)
    assert [p.message for p in problems] == [
        "category 'One' contains 1 product(s) but has no billing code"
    ]


def test_a_billing_code_default_covers_every_category() -> None:
    default = _resource("billing_code_default", attributes={"billing_code": "Labor"})
    unset = _resource("billing_code_default", attributes={"billing_code": None})
    assert BILLING_CODE_MAPPING.check([default], [], CATEGORIES) == []
    assert BILLING_CODE_MAPPING.check([], [default], CATEGORIES) == []
    assert len(BILLING_CODE_MAPPING.check([unset], [], CATEGORIES)) == 3
    wrong_kind = _resource("purchase_order", attributes={"billing_code": "Labor"})
    assert len(BILLING_CODE_MAPPING.check([wrong_kind], [], CATEGORIES)) == 3


def test_company_types_without_an_autotask_type_are_a_warning() -> None:
    kind = COMPANY_TYPE_TO_AUTOTASK.name
    catalog = Catalog(
        tables={
            t.SB_COMPANY_TYPES: NameTable(
                "Salesbuildr company type",
                [Entry("c", "Customer"), Entry("l", "Lead"), Entry("s", "Supplier")],
            )
        }
    )
    desired = [_resource(kind, "customer")]
    live = [_resource(kind, " LEAD "), _resource("company_type_to_salesbuildr", "Supplier")]
    assert COMPANY_TYPE_TO_AUTOTASK.check(desired, live, catalog) == [
        Problem(
            "company_types.to_autotask",
            "Salesbuildr company type(s) 'Supplier' have no Autotask company type; Salesbuildr "
            "cannot create such companies in Autotask",
            "map them under company_types.to_autotask if they should sync",
            severity="warning",
            id=UNMAPPED_COMPANY_TYPES,
        )
    ]
    (both,) = COMPANY_TYPE_TO_AUTOTASK.check(desired, [], catalog)
    assert "type(s) 'Lead', 'Supplier' have" in both.message
    assert COMPANY_TYPE_TO_AUTOTASK.check([], live, catalog) == []
    everything = [*desired, _resource(kind, "lead"), _resource(kind, "supplier")]
    assert COMPANY_TYPE_TO_AUTOTASK.check(everything, [], catalog) == []
