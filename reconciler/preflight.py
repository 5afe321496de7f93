"""``reconcile preflight``: can these credentials read and write everything the YAML manages?

Without writing anything. Autotask states the API user's access per entity
(``entityInformation``: ``userAccessForQuery`` / ``Create`` / ``Update`` / ``Delete``), so every
entity the file's sections read or write is checked against the operations managing it may need.
Salesbuildr's settings contract has no permission endpoint: reading each settings document the
file manages proves read access; write access cannot be known before a write, and the report
says so. The CLI renders :class:`PreflightReport`; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.config import LoadedConfig
from reconciler.config.desired import desired_resources
from reconciler.errors import AuthError, ProviderError
from reconciler.kinds import tables as t
from reconciler.kinds.constraints import ACCESS_FIELDS, DENIED, OPERATIONS, EntityRules
from reconciler.kinds.registry import kinds_of
from reconciler.psa.autotask.access import read_rules
from reconciler.salesbuildr.state import documents_for
from reconciler.session import Connections, tables_needed
from reconciler.state import Resource

OK, DENIED_STATUS, UNCHECKED = "ok", "denied", "not checkable"

READ_TABLES = {
    t.AT_BILLING_CODES: "BillingCodes",
    t.AT_ROLES: "Roles",
    t.AT_SERVICES: "Services",
    t.AT_RESOURCES: "Resources",
    t.AT_COMPANY_UDFS: "UserDefinedFieldDefinitions",
    t.AT_OPPORTUNITY_UDFS: "UserDefinedFieldDefinitions",
}
"""Reference tables read with a query (picklists come from metadata, which needs no access)."""


@dataclass(frozen=True)
class AccessCheck:
    """One line of the report: a system's entity or document, what is needed, what is denied."""

    system: str
    target: str
    status: str
    needed: tuple[str, ...]
    denied: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class PreflightReport:
    checks: tuple[AccessCheck, ...]

    @property
    def ok(self) -> bool:
        """True when everything that can be checked is allowed."""
        return all(c.status != DENIED_STATUS for c in self.checks)


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


def _autotask_check(entity: str, operations: set[str], rules: EntityRules) -> AccessCheck:
    ordered = tuple(op for op in OPERATIONS if op in operations)
    denied = tuple(op for op in ordered if rules.access.get(op) == DENIED)
    restricted = [op for op in ordered if rules.access.get(op) == "Restricted"]
    note = ""
    if denied:
        note = "needs " + ", ".join(f"{ACCESS_FIELDS[op]}" for op in denied) + " (now None)"
    elif restricted:
        note = "Restricted for " + ", ".join(restricted) + ": some records may still be refused"
    return AccessCheck("autotask", entity, DENIED_STATUS if denied else OK, ordered, denied, note)


def _salesbuildr_checks(connections: Connections, documents: Sequence[str]) -> list[AccessCheck]:
    client = connections.salesbuildr
    checks: list[AccessCheck] = []
    if client is None:
        return checks
    for name in documents:
        try:
            client.read_section(name)
        except (AuthError, ProviderError) as error:
            if isinstance(error, AuthError) or error.status in (401, 403):
                note = f"reading it failed: {error.message}"
                checks.append(
                    AccessCheck(
                        "salesbuildr", f"settings/{name}", DENIED_STATUS, ("read",), ("read",), note
                    )
                )
                continue
            raise
        checks.append(
            AccessCheck(
                "salesbuildr",
                f"settings/{name}",
                UNCHECKED,
                ("read", "write"),
                note="read ok; write: the settings contract has no permission endpoint",
            )
        )
    return checks


def run_preflight(loaded: LoadedConfig, connections: Connections) -> PreflightReport:
    """Check the access the file needs; reads metadata and settings documents, writes nothing."""
    sections = loaded.config.present_sections()
    desired = desired_resources(loaded)
    checks: list[AccessCheck] = []
    needed = autotask_needs(sections, desired)
    if connections.autotask is not None and needed:
        rules = read_rules(connections.autotask, needed, connections.metadata)
        checks.extend(_autotask_check(e, needed[e], rules[e]) for e in sorted(needed))
    checks.extend(_salesbuildr_checks(connections, documents_for(sections)))
    return PreflightReport(tuple(checks))


def summary(report: PreflightReport) -> Mapping[str, int]:
    counts = {OK: 0, DENIED_STATUS: 0, UNCHECKED: 0}
    for check in report.checks:
        counts[check.status] += 1
    return counts
