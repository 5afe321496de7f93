"""What the Salesbuildr simulator knows about its tenant: reference data and the seeded settings.

Three seeds, as ``reconcile sandbox --seed`` names them (CLI.md):

``empty``
    the reference data of :mod:`~reconciler.sandbox.common.tenant`, every settings section at its
    defaults,
    the webhook receiver without a secret: ``examples/mappings.yaml`` applies cleanly against it.
``demo``
    the same tenant, partly configured by hand and drifting from the example on purpose (a wrong
    billing code for Software, a one-way company type mapping, switches that differ).
``large``
    the same shape at scale: about 2,000 categories in a three-level tree, 1,000 billing-code
    category mappings, a hundred more data points per entity. Everything is derived from
    deterministic formulas, so two starts of the sandbox serve identical data.

Salesbuildr keeps a synced copy of the Autotask tenant's ids (billing codes, roles, picklists, …)
and checks settings against it; :class:`AutotaskCache` is that copy, built from the same tenant
module the Autotask simulator serves, so the two sides agree without talking to each other.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from reconciler.sandbox.common import tenant

SEEDS: Final = ("empty", "demo", "large")

# The recorded real-tenant ticket metadata the Autotask simulator serves (data/SOURCES.md), so
# Salesbuildr's cache holds the same queue, priority, category and source ids.
_TICKET_FIELDS: Final = "Tickets.entityInformation.fields.json"

# Deterministic sizes of the "large" seed.
LARGE_ROOTS: Final = 40
LARGE_CHILDREN: Final = 7
LARGE_GRANDCHILDREN: Final = 6
LARGE_BILLING_MAPPINGS: Final = 1000
LARGE_DATA_POINTS_PER_ENTITY: Final = 100

# What the Autotask simulator's ``large`` seed adds to the tenant (``autotask/seed_large.py``),
# mirrored here because Salesbuildr's cache is a copy of it; tests/sandbox/test_launch.py checks
# that both sides still agree.
AUTOTASK_LARGE_BILLING_CODES: Final = range(29690001, 29690001 + 300 - len(tenant.BILLING_CODES))
AUTOTASK_LARGE_ROLES: Final = range(29691001, 29691001 + 200 - len(tenant.ROLES))
AUTOTASK_LARGE_SERVICES: Final = range(29692001, 29692001 + 200 - len(tenant.SERVICES))
AUTOTASK_LARGE_UDFS: Final = {1: 40, 3: 20}  # udfType -> "<Type> Attribute NN" UDFs, none multi


@dataclass(frozen=True)
class Category:
    """A Salesbuildr product category; paths are built by following ``parent_id``."""

    id: str
    name: str
    parent_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "parentId": self.parent_id}


@dataclass(frozen=True)
class DataPoint:
    """A Salesbuildr custom field (data point) of companies or opportunities."""

    id: str
    entity: str
    group: str | None
    name: str
    type: str
    multi_select: bool
    company_types: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "type": self.type,
            "multiSelect": self.multi_select,
            "companyTypes": list(self.company_types),
        }


@dataclass(frozen=True)
class CategoryUsage:
    """How many products and services a category holds (drives the client's billing-code rule)."""

    category_id: str
    product_count: int
    service_count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "categoryId": self.category_id,
            "productCount": self.product_count,
            "serviceCount": self.service_count,
        }


@dataclass(frozen=True)
class AutotaskCache:
    """Salesbuildr's synced copy of the Autotask ids its settings may reference.

    The real server checks settings against the cache its last sync left; the simulator builds the
    same sets from :mod:`~reconciler.sandbox.common.tenant`. Activeness is not checked: an inactive
    id that
    is still mapped stays storable (deciding about inactive ids is the client's live rule), only ids
    Autotask never had are refused. Inventory locations are not cached (they live in the Autotask
    simulator): any positive integer is accepted for them.
    """

    billing_codes: frozenset[int]
    company_types: frozenset[int]
    product_categories: frozenset[int]
    roles: frozenset[int]
    services: frozenset[int]
    company_udfs: Mapping[str, bool]  # UDF name -> multi-select
    opportunity_udfs: Mapping[str, bool]
    queues: frozenset[int]
    issue_types: frozenset[int]
    sub_issue_types: Mapping[int, int | None]  # value -> parent issue type
    ticket_categories: frozenset[int]
    priorities: frozenset[int]
    sources: frozenset[int]


@dataclass(frozen=True)
class TenantData:
    """The read-only reference data of one seeded tenant, with the lookups validation needs."""

    categories: tuple[Category, ...]
    usage: tuple[CategoryUsage, ...]
    company_types: tuple[tuple[str, str], ...]
    data_points: tuple[DataPoint, ...]
    autotask: AutotaskCache
    category_index: Mapping[str, Category] = field(init=False, repr=False)
    data_point_index: Mapping[str, DataPoint] = field(init=False, repr=False)
    children: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        kids: dict[str, list[str]] = {}
        for cat in self.categories:
            if cat.parent_id is not None:
                kids.setdefault(cat.parent_id, []).append(cat.id)
        object.__setattr__(self, "category_index", {c.id: c for c in self.categories})
        object.__setattr__(self, "data_point_index", {d.id: d for d in self.data_points})
        object.__setattr__(self, "children", {k: tuple(v) for k, v in kids.items()})

    @property
    def company_type_keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.company_types)

    def subtree(self, category_ids: list[str]) -> set[str]:
        """The given categories and all their descendants."""
        seen: set[str] = set()
        stack = list(category_ids)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.children.get(current, ()))
        return seen


def imported_count(kind: str, key: int | str, category_id: str) -> int:
    """How many items an import of one product-import mapping brings in (deterministic, 1..40).

    The seeds and the import jobs share this formula, so re-importing a seeded mapping finds the
    count it already shows: imports are idempotent.
    """
    return zlib.crc32(f"{kind}:{key}:{category_id}".encode()) % 40 + 1


@functools.cache
def _ticket_picklists() -> dict[str, dict[int, int | None]]:
    """``{field name: {value: parent value}}`` of the Tickets picklists.

    tenant.py's values are merged over the recorded sample: a tenant value replaces a sample value
    with the same code, as the Autotask simulator does.
    """
    raw = tenant.load_shared_data(_TICKET_FIELDS)
    picklists: dict[str, dict[int, int | None]] = {}
    for item in raw["fields"]:
        if item.get("isPickList"):
            picklists[item["name"]] = {
                int(p["value"]): int(p["parentValue"]) if p.get("parentValue") else None
                for p in item["picklistValues"]
            }
    extras = (
        ("issueType", tenant.TICKET_ISSUE_TYPES),
        ("subIssueType", tenant.TICKET_SUB_ISSUE_TYPES),
        ("source", tenant.TICKET_SOURCES_EXTRA),
    )
    for name, values in extras:
        picklists[name].update({value: parent for value, _, _, parent in values})
    return picklists


def _autotask_cache(seed: str) -> AutotaskCache:
    tickets = _ticket_picklists()
    large = seed == "large"
    udfs = [(u[1], u[2], u[3] == _multi_select_type()) for u in tenant.UDFS]
    if large:
        labels = dict(tenant.UDF_TYPES)
        udfs += [
            (udf_type, f"{labels[udf_type]} Attribute {n:02d}", False)
            for udf_type, count in AUTOTASK_LARGE_UDFS.items()
            for n in range(1, count + 1)
        ]
    return AutotaskCache(
        billing_codes=frozenset(
            [b[0] for b in tenant.BILLING_CODES]
            + (list(AUTOTASK_LARGE_BILLING_CODES) if large else [])
        ),
        company_types=frozenset(c[0] for c in tenant.COMPANY_TYPES),
        product_categories=frozenset(p[0] for p in tenant.PRODUCT_CATEGORIES),
        roles=frozenset(
            [r[0] for r in tenant.ROLES] + (list(AUTOTASK_LARGE_ROLES) if large else [])
        ),
        services=frozenset(
            [s[0] for s in tenant.SERVICES] + (list(AUTOTASK_LARGE_SERVICES) if large else [])
        ),
        company_udfs={name: multi for udf_type, name, multi in udfs if udf_type == 1},
        opportunity_udfs={name: multi for udf_type, name, multi in udfs if udf_type == 3},
        queues=frozenset(tickets["queueID"]),
        issue_types=frozenset(tickets["issueType"]),
        sub_issue_types=dict(tickets["subIssueType"]),
        ticket_categories=frozenset(tickets["ticketCategory"]),
        priorities=frozenset(tickets["priority"]),
        sources=frozenset(tickets["source"]),
    )


def _multi_select_type() -> int:
    return next(v for v, label in tenant.UDF_DATA_TYPES if label == tenant.MULTI_SELECT_LABEL)


def _base_categories() -> list[Category]:
    return [Category(id=i, name=n, parent_id=p) for i, n, p in tenant.CATEGORIES]


def _base_usage() -> list[CategoryUsage]:
    return [CategoryUsage(i, p, s) for i, p, s in tenant.CATEGORY_USAGE]


def _base_data_points() -> list[DataPoint]:
    return [
        DataPoint(id=i, entity=e, group=g, name=n, type=t, multi_select=m, company_types=tuple(c))
        for i, e, g, n, t, m, c in tenant.DATA_POINTS
    ]


def large_billing_code_ids() -> tuple[int, ...]:
    """The billing codes the ``large`` seed maps categories to: the Autotask ``large`` seed's own
    active material codes (``autotask/seed_large.py``: active unless ``i % 17 == 0``, work type when
    ``i % 4 == 0``)."""
    first = AUTOTASK_LARGE_BILLING_CODES.start
    return tuple(c for c in AUTOTASK_LARGE_BILLING_CODES if (c - first) % 17 and (c - first) % 4)


def tenant_data(seed: str) -> TenantData:
    """The reference data of ``seed`` (``empty`` and ``demo`` share it)."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}: expected one of {', '.join(SEEDS)}")
    categories = _base_categories()
    usage = _base_usage()
    data_points = _base_data_points()
    if seed == "large":
        categories += _large_categories()
        usage += [
            CategoryUsage(c.id, zlib.crc32(c.id.encode()) % 30 + 1, 0)
            for c in categories
            if is_large_leaf(c.id)
        ]
        data_points += _large_data_points()
    return TenantData(
        categories=tuple(categories),
        usage=tuple(usage),
        company_types=tuple(tenant.SALESBUILDR_COMPANY_TYPES),
        data_points=tuple(data_points),
        autotask=_autotask_cache(seed),
    )


def is_large_leaf(category_id: str) -> bool:
    return category_id.startswith("c-l-") and category_id.count("-") == 4


def _large_categories() -> list[Category]:
    out: list[Category] = []
    for r in range(1, LARGE_ROOTS + 1):
        root = f"c-l-{r:02d}"
        out.append(Category(root, f"Family {r:02d}", None))
        for c in range(1, LARGE_CHILDREN + 1):
            child = f"{root}-{c}"
            out.append(Category(child, f"Line {r:02d}.{c}", root))
            for g in range(1, LARGE_GRANDCHILDREN + 1):
                out.append(Category(f"{child}-{g}", f"Model {r:02d}.{c}.{g}", child))
    return out


def _large_data_points() -> list[DataPoint]:
    keys = [k for k, _ in tenant.SALESBUILDR_COMPANY_TYPES]
    out: list[DataPoint] = []
    for n in range(1, LARGE_DATA_POINTS_PER_ENTITY + 1):
        out.append(
            DataPoint(
                id=f"dp-c-l{n:03d}",
                entity="company",
                group=f"Group {n % 10}" if n % 3 else None,
                name=f"Company field {n:03d}",
                type=("text", "number", "date", "select")[n % 4],
                multi_select=n % 17 == 0,
                company_types=tuple(keys[: 1 + n % len(keys)]),
            )
        )
        out.append(
            DataPoint(
                id=f"dp-o-l{n:03d}",
                entity="opportunity",
                group=f"Group {n % 10}" if n % 3 else None,
                name=f"Opportunity field {n:03d}",
                type=("text", "number", "date", "select")[n % 4],
                multi_select=n % 19 == 0,
                company_types=(),
            )
        )
    return out
