"""Autotask's part of ``reconcile preflight``: Autotask states the API user's access per entity
(``entityInformation``: ``userAccessForQuery`` / ``Create`` / ``Update`` / ``Delete``), so every
entity the file's sections read or write is checked against the operations managing it may
need. Reads metadata only."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.kinds.constraints import ACCESS_FIELDS, DENIED, OPERATIONS, EntityRules
from reconciler.preflight import DENIED_STATUS, OK, AccessCheck
from reconciler.psa.autotask.access import read_rules
from reconciler.psa.autotask.client import AutotaskClient
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.registry import kinds_of
from reconciler.session import tables_needed
from reconciler.state import Resource

READ_TABLES = {
    t.AT_BILLING_CODES: "BillingCodes",
    t.AT_ROLES: "Roles",
    t.AT_SERVICES: "Services",
    t.AT_RESOURCES: "Resources",
    t.AT_COMPANY_UDFS: "UserDefinedFieldDefinitions",
    t.AT_OPPORTUNITY_UDFS: "UserDefinedFieldDefinitions",
}
"""Reference tables read with a query (picklists come from metadata, which needs no access)."""


def autotask_needs(sections: Sequence[str], desired: Sequence[Resource]) -> dict[str, set[str]]:
    """Autotask entity -> operations the file's sections may need."""
    needed: dict[str, set[str]] = {}
    for section in sections:
        for kind in kinds_of(section):
            for entity, operations in kind.autotask_access(
                [r for r in desired if r.kind == kind.name]
            ).items():
                needed.setdefault(entity, set()).update(operations)
    for table in tables_needed(sections, desired):
        if table in READ_TABLES:
            needed.setdefault(READ_TABLES[table], set()).add("query")
    return needed


def _check(entity: str, operations: set[str], rules: EntityRules) -> AccessCheck:
    ordered = tuple(op for op in OPERATIONS if op in operations)
    denied = tuple(op for op in ordered if rules.access.get(op) == DENIED)
    restricted = [op for op in ordered if rules.access.get(op) == "Restricted"]
    note = ""
    if denied:
        note = "needs " + ", ".join(f"{ACCESS_FIELDS[op]}" for op in denied) + " (now None)"
    elif restricted:
        note = "Restricted for " + ", ".join(restricted) + ": some records may still be refused"
    return AccessCheck("autotask", entity, DENIED_STATUS if denied else OK, ordered, denied, note)


def access_checks(
    client: AutotaskClient,
    sections: Sequence[str],
    desired: Sequence[Resource],
    cache: dict[str, EntityRules],
) -> list[AccessCheck]:
    needed = autotask_needs(sections, desired)
    if not needed:
        return []
    rules = read_rules(client, needed, cache)
    return [_check(e, needed[e], rules[e]) for e in sorted(needed)]
