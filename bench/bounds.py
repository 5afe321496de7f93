"""Lower bounds on API calls and the latency floor, computed from what a run actually needs.

**What is needed** comes from the YAML: its sections, the reference tables their kinds declare
(``Kind.tables``), the webhook entities it names. **How many rows** each needed collection holds
comes from the simulators' stores (:func:`bench.tenants.rows`), never from the client.

Calls (the issue's definition, with ``P = 500`` rows a page for Autotask and ``P = 100`` for
Salesbuildr, the largest page its API serves):

* a plan: ``Σ max(1, ceil(rows / P))`` per collection read (one call to learn a collection is
  empty) + one call per metadata endpoint (``{Entity}/entityInformation/fields``) + one GET per
  Salesbuildr settings document + one ``ThresholdInformation`` when Autotask is read (the budget
  the plan's footer shows). Webhook children (fields, UDF fields, excluded resources) are one
  root query per entity whose webhooks exist. The webhook collections are read for the entities
  the YAML names; under ``manage: full`` or ``observe`` for all five (unlisted webhooks matter).
* a plan that writes (``apply``) also reads, for every Autotask entity it writes (the plan-time
  live rules), its ``entityInformation`` (the API user's access) and its
  ``entityInformation/fields`` unless the plan read them already: +2 (or +1) per written entity.
* an apply: the plan's reads + one write per Autotask object or child created, changed or
  deleted + one activation per new active webhook + one PUT per Salesbuildr document touched (the
  contract has no per-row write) + the verification re-read of the touched collections (rows
  after the apply) + the lock's two calls (apply's budget check reuses the plan's
  ``ThresholdInformation``, read moments before).

Latency floor (:mod:`bench.floors`): each phase's requests scheduled in rounds of one latency,
at most 3 per Autotask endpoint, 4 to Salesbuildr and N (8) overall; a request waits for what it
depends on (the next page of an Autotask cursor, Salesbuildr's pages after page 1, webhook
children after their webhook, the UDF definitions query after the ``udfType`` picklist that names
its codes, an activation after all its children), phases run one after the other: plan reads
(with ``ThresholdInformation``); the live-rule metadata of the written entities; the lock; the
writes; deletes and deactivations; the verification; the unlock. The workloads take
``max(latency floor, (client CPU + simulator CPU) / 2 cores)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import floors
from reconciler.plan.live_rules import wire_writes
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.registry import kinds_of
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK

AT = "autotask"
SB = "salesbuildr"
AT_PAGE = 500
SB_PAGE = 100
THREADS = 8
PER_ENDPOINT = 3

WEBHOOK_PREFIX = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}

# Reference tables -> (collection entity or None, metadata entity or None).
AT_TABLES: dict[str, tuple[str | None, str | None]] = {
    t.AT_BILLING_CODES: ("BillingCodes", None),
    t.AT_ROLES: ("Roles", None),
    t.AT_SERVICES: ("Services", None),
    t.AT_RESOURCES: ("Resources", None),
    t.AT_COMPANY_TYPES: (None, "Companies"),
    t.AT_PRODUCT_CATEGORIES: (None, "Products"),
    t.AT_COMPANY_UDFS: ("UserDefinedFieldDefinitions", "UserDefinedFieldDefinitions"),
    t.AT_OPPORTUNITY_UDFS: ("UserDefinedFieldDefinitions", "UserDefinedFieldDefinitions"),
    t.AT_TICKET_QUEUES: (None, "Tickets"),
    t.AT_TICKET_PRIORITIES: (None, "Tickets"),
    t.AT_TICKET_ISSUE_TYPES: (None, "Tickets"),
    t.AT_TICKET_SUB_ISSUE_TYPES: (None, "Tickets"),
    t.AT_TICKET_CATEGORIES: (None, "Tickets"),
    t.AT_TICKET_SOURCES: (None, "Tickets"),
}
UDF_TABLE_TYPES = {t.AT_COMPANY_UDFS: "company", t.AT_OPPORTUNITY_UDFS: "opportunity"}
SB_TABLES: dict[str, tuple[str, ...]] = {
    t.SB_CATEGORIES: ("category", "category-usage"),
    t.SB_COMPANY_TYPES: ("company-types",),
    t.SB_COMPANY_DATA_POINTS: ("data-points:company",),
    t.SB_OPPORTUNITY_DATA_POINTS: ("data-points:opportunity",),
}
DOCUMENTS = {
    "billing_codes": "billing-codes",
    "company_types": "company-types",
    "company_udfs": "company-udfs",
    "product_import": "product-import",
    "inventory": "inventory",
    "opportunity": "opportunity-udfs",
    "purchase_order": "purchase-order",
    "webhook_receiver": "webhook-receiver",
}


def pages(rows: int, size: int) -> int:
    return max(1, math.ceil(rows / size))


@dataclass(frozen=True)
class Step:
    """``requests`` requests to one endpoint, started after the steps named in ``after``.

    ``endpoint`` is the Autotask entity (its thread-limit group) or a Salesbuildr path;
    ``kind`` is read, meta, get or write; (endpoint, kind) is what the simulator's per-endpoint
    counts are compared against. ``paging``: ``chain`` (each request after the previous one: an
    Autotask cursor), ``offset`` (page 1, then the rest together: Salesbuildr) or ``fan``
    (independent requests).
    """

    name: str
    system: str
    endpoint: str
    kind: str
    requests: int = 1
    after: tuple[str, ...] = ()
    paging: str = "chain"


@dataclass
class Phase:
    name: str
    steps: list[Step] = field(default_factory=list)

    @property
    def calls(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for step in self.steps:
            counts[step.system] += step.requests
        return counts


@dataclass(frozen=True)
class Latency:
    """Seconds per request: Autotask's includes the usage penalty the tenant is under."""

    autotask: float
    salesbuildr: float

    def of(self, system: str) -> float:
        return self.autotask if system == AT else self.salesbuildr


def phase_floor(
    phase: Phase, latency: Latency, limits: floors.Limits = floors.DEFAULT
) -> tuple[float, int]:
    """(seconds, rounds) of one phase scheduled under the limits (:mod:`bench.floors`)."""
    return floors.schedule(floors.graph_of(phase.steps), latency, limits)


def run_floor(
    phases: Sequence[Phase], latency: Latency, limits: floors.Limits = floors.DEFAULT
) -> tuple[float, int]:
    seconds = 0.0
    rounds = 0
    for phase in phases:
        s, r = phase_floor(phase, latency, limits)
        seconds += s
        rounds += r
    return seconds, rounds


def run_bound(
    phases: Sequence[Phase], latency: Latency, limits: floors.Limits = floors.DEFAULT
) -> float:
    """Σ per phase of what no schedule beats (:func:`bench.floors.resource_bound`)."""
    return sum(floors.resource_bound(floors.graph_of(p.steps), latency, limits) for p in phases)


def calls(phases: Iterable[Phase]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for phase in phases:
        total.update(phase.calls)
    return {AT: total[AT], SB: total[SB]}


def by_endpoint(phases: Iterable[Phase]) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for phase in phases:
        for step in phase.steps:
            counts[(step.system, step.endpoint, step.kind)] += step.requests
    return counts


# --- what a YAML needs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Needs:
    sections: tuple[str, ...]
    tables: frozenset[str]
    webhook_entities: tuple[str, ...]
    """Entities whose webhook collection a plan must read."""


def needs_of(
    sections: Sequence[str], yaml_entities: Iterable[str], webhook_mode: str = "additive"
) -> Needs:
    entities = sorted(set(yaml_entities))
    tables: set[str] = set()
    for section in sections:
        for kind in kinds_of(section):
            tables |= kind.tables
    if "webhooks" in sections:
        tables |= WEBHOOK.tables_for(entities)
    read_entities = list(WEBHOOK_PREFIX) if webhook_mode != "additive" else entities
    return Needs(
        sections=tuple(sections),
        tables=frozenset(tables),
        webhook_entities=tuple(e for e in WEBHOOK_PREFIX if e in read_entities)
        if "webhooks" in sections
        else (),
    )


def documents_of(sections: Iterable[str]) -> list[str]:
    return sorted({DOCUMENTS[s] for s in sections if s in DOCUMENTS})


def webhook_steps(entity: str, rows: Mapping[str, Any], tag: str) -> list[Step]:
    prefix = WEBHOOK_PREFIX[entity]
    at_rows = rows["autotask"]
    hooks = f"{tag}{prefix}Webhooks"
    steps = [
        Step(hooks, AT, f"{prefix}Webhooks", "read", pages(at_rows[hooks_key(prefix)], AT_PAGE))
    ]
    if at_rows[hooks_key(prefix)] == 0:
        return steps
    children = ["Fields", "ExcludedResources"] + ([] if entity == "ticket_note" else ["UdfFields"])
    for child in children:
        entity_name = f"{prefix}Webhook{child}"
        steps.append(
            Step(
                f"{tag}{entity_name}",
                AT,
                entity_name,
                "read",
                pages(at_rows[entity_name.lower()], AT_PAGE),
                after=(hooks,),
            )
        )
    return steps


def hooks_key(prefix: str) -> str:
    return f"{prefix}Webhooks".lower()


def plan_phases(
    needs: Needs,
    rows: Mapping[str, Any],
    changes: Sequence[Any] = (),
) -> list[Phase]:
    """The reads of one plan at their lower bound, then the metadata of the Autotask entities
    ``changes`` write (the live rules: read once the plan is computed, so after its reads)."""
    at_rows = rows["autotask"]
    steps: list[Step] = []
    collections: set[str] = set()
    metadata: set[str] = set()
    udf_types: set[str] = set()
    for table in sorted(needs.tables):
        if table in AT_TABLES:
            collection, meta = AT_TABLES[table]
            if collection:
                collections.add(collection)
            if meta:
                metadata.add(meta)
            if table in UDF_TABLE_TYPES:
                udf_types.add(UDF_TABLE_TYPES[table])
        elif table in SB_TABLES:
            for endpoint in SB_TABLES[table]:
                steps.append(
                    Step(
                        endpoint,
                        SB,
                        endpoint.split(":")[0],
                        "read",
                        pages(rows[SB][endpoint], SB_PAGE),
                        paging="offset",
                    )
                )
        else:
            for entity, prefix in WEBHOOK_PREFIX.items():
                if table == t.at_webhook_fields(entity):
                    metadata.add(f"{prefix}WebhookFields")
                elif table == t.at_webhook_udf_fields(entity):
                    metadata.add(f"{prefix}WebhookUdfFields")
    if "inventory" in needs.sections:
        collections.add("InventoryLocations")
    for meta in sorted(metadata):
        steps.append(Step(f"meta:{meta}", AT, meta, "meta"))
    for collection in sorted(collections):
        after: tuple[str, ...] = ()
        if collection == "UserDefinedFieldDefinitions":
            codes = rows["udf_type_codes"]
            count = sum(rows["udf_types"].get(codes[kind], 0) for kind in udf_types)
            # A real dependency: the query filters on the udfType codes of the entities wanted,
            # which only the udfType picklist in the metadata names (never a hard-coded number;
            # without the filter it would read every UDF type's rows, more than this bound).
            after = (f"meta:{collection}",)
        else:
            count = at_rows[collection.lower()]
        steps.append(Step(collection, AT, collection, "read", pages(count, AT_PAGE), after))
    written = sorted({write.entity for _, write in wire_writes(changes, kinds=AUTOTASK_KINDS)})
    rules: list[Step] = []
    for entity in written:
        rules.append(Step(f"info:{entity}", AT, entity, "meta"))
        if entity not in metadata:
            rules.append(Step(f"fields:{entity}", AT, entity, "meta"))
    for entity in needs.webhook_entities:
        steps.extend(webhook_steps(entity, rows, ""))
    documents = documents_of(needs.sections)
    if "webhooks" in needs.sections and "webhook-receiver" not in documents:
        documents.append("webhook-receiver")  # the receiver URL webhooks without a url use
    for document in documents:
        steps.append(Step(f"doc:{document}", SB, "settings", "read"))
    if any(step.system == AT for step in steps):
        # The hourly budget the plan's footer shows (apply's check reuses it).
        steps.append(Step("threshold", AT, "ThresholdInformation", "read"))
    phases = [Phase("plan reads", steps)]
    if rules:
        phases.append(Phase("live rules", rules))
    return phases


def naive_phase(plan: Phase, objects: Mapping[str, int]) -> Phase:
    """A per-resource provider's refresh: the same reference reads, but one GET by id per managed
    Autotask object (webhooks, their children, inventory locations) instead of the collection
    queries. Salesbuildr rows have no GET of their own: one GET per document, as ours."""
    managed = {"InventoryLocations"} | {
        f"{prefix}{suffix}"
        for prefix in WEBHOOK_PREFIX.values()
        for suffix in ("Webhooks", "WebhookFields", "WebhookUdfFields", "WebhookExcludedResources")
    }
    steps = [s for s in plan.steps if not (s.system == AT and s.endpoint in managed)]
    for entity, count in sorted(objects.items()):
        for i in range(count):
            steps.append(Step(f"get:{entity}:{i}", AT, entity, "get"))
    return Phase("naive refresh", steps)


# --- the simulators' counts, in the same terms -------------------------------------------------


def endpoint_of(system: str, key: str) -> tuple[str, str, str]:
    """A simulator endpoint key (``POST /V1.0/BillingCodes/query``) as (system, endpoint, kind)."""
    method, _, path = key.partition(" ")
    parts = [p for p in path.split("/") if p]
    if system == AT:
        rest = parts[parts.index("V1.0") + 1 :] if "V1.0" in parts else parts
        entity = rest[0] if rest else "?"
        if len(rest) > 1 and rest[1] == "entityInformation":
            return system, entity, "meta"
        if len(rest) > 1 and rest[1] == "query":
            return system, entity, "read"
        if entity == "ThresholdInformation":
            return system, entity, "read"
        if len(rest) > 2 and rest[1] == "{parentId}":
            child = f"{entity.removesuffix('s')}{rest[2]}"
            kind = "get" if method == "GET" else "write"
            return system, child, kind
        if method == "GET":
            return system, entity, "get"
        return system, entity, "write"
    tail = [p for p in parts if not p.startswith("{")]
    endpoint = tail[-1] if tail else "?"
    return system, endpoint, "read" if method == "GET" else "write"


def actual_by_endpoint(stats: Mapping[str, Any]) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for system in (AT, SB):
        for key, value in stats[system]["endpoints"].items():
            counts[endpoint_of(system, key)] += int(value["requests"])
    return counts


def excess(
    actual: Counter[tuple[str, str, str]], bound: Counter[tuple[str, str, str]]
) -> dict[str, int]:
    """``system endpoint kind`` -> actual - bound, where they differ."""
    found: dict[str, int] = {}
    for key in sorted(set(actual) | set(bound)):
        difference = actual[key] - bound[key]
        if difference:
            found[" ".join(key)] = difference
    return found
