"""One run against the two systems, Salesbuildr and the YAML's PSA: connect, read what the YAML
needs (concurrently), resolve, plan. The CLI calls this; it holds no rendering and no printing.

The PSA is reached through its :class:`~reconciler.psa.base.PsaSystem` (the registry's), never
by importing its package. Reads are minimal: only the sections present in the YAML are read,
each reference table once, each collection with one bulk query, both systems in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.config import LoadedConfig
from reconciler.config.desired import policy_settings
from reconciler.config.references import OWN_VARIABLE_HINT, refused_reference
from reconciler.connections import (
    Connections,
    Transports,
    connect,
    connect_env,
    connect_for_plan,
    psa_system,
)
from reconciler.envvars import parse_reference, resolve_reference
from reconciler.errors import ConfigError, Diagnostic, UsageError
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.resolve import diagnostic_for, resolve_desired
from reconciler.plan import Plan, PlanDiagnostic, compute_plan
from reconciler.plan.budgets import Budget, iso
from reconciler.plan.live_rules import check_plan, entities_written
from reconciler.psa import registry
from reconciler.psa.system import PsaSystem, SystemReads
from reconciler.salesbuildr.load import SalesbuildrReads
from reconciler.salesbuildr.writer import OWNER as SALESBUILDR_OWNER
from reconciler.salesbuildr.writer import DocumentWriter
from reconciler.state import Resource, SectionSnapshot, State
from reconciler.writer import Writer
from reconciler.writes import Change as WritableChange

__all__ = [  # the connections are opened in .connections; callers reach them through here
    "Connections",
    "LiveRead",
    "PlanRun",
    "Transports",
    "connect",
    "connect_env",
    "connect_for_plan",
    "live_reader",
    "make_plan",
    "missing_secrets",
    "psa_system",
    "read_everything",
    "read_live",
    "secret_lookup",
    "summary_counts",
    "tables_needed",
    "writer_for",
]

Progress = Callable[[str], None]


@dataclass
class LiveRead:
    catalog: Catalog
    state: State
    documents: dict[str, SectionSnapshot] = field(default_factory=dict)


def tables_needed(
    sections: Sequence[str], desired: Sequence[Resource], system: PsaSystem | None = None
) -> set[str]:
    """The reference tables the kinds of ``sections`` and the resources ``desired`` name
    (the YAML's PSA's kinds; the default PSA's when ``system`` is not given)."""
    return (system if system is not None else psa_system()).tables_needed(sections, desired)


Desired = Sequence[Resource] | Callable[[], Sequence[Resource]]
"""The YAML's resources, or the function that builds them: called once the reads that do not
depend on them are under way (``make_plan`` builds them while the first requests are out)."""


def _readers(connections: Connections, entities: Sequence[str] | None) -> list[SystemReads]:
    """Salesbuildr's reads first: it is the narrow one (4 requests in flight, 100 rows a page),
    so it is busy from the first round to the last; each system's reads in its own pool."""
    found: list[SystemReads] = []
    if connections.salesbuildr is not None:
        found.append(SalesbuildrReads(connections.salesbuildr, connections.psa.documents))
    if connections.psa_client is not None:
        found.append(connections.psa.reads(connections.psa_client, entities))
    return found


def read_live(
    connections: Connections,
    sections: Sequence[str],
    desired: Desired,
    *,
    progress: Progress | None = None,
    webhook_entities: Sequence[str] | None = None,
) -> LiveRead:
    """Read every table and live collection the sections need, concurrently.

    Every read that does not wait for another starts at once (each system's longest chains
    first); only the reference tables the YAML's resources name (the webhook field tables of
    its entities) wait for ``desired`` (when it is a function, it runs while those reads are
    out). Webhooks are read for ``webhook_entities`` (default: all); reference tables already
    in ``connections.tables`` are not read again.
    """
    cached = connections.tables
    readers = _readers(connections, webhook_entities)
    catalog = Catalog()
    with _All(readers):
        first = [n for n in connections.psa.tables_needed(sections, ()) if n not in cached]
        for reader in readers:
            reader.start(sections, [n for n in first if n.startswith(reader.prefix)])
        wanted = desired() if callable(desired) else desired
        needed = connections.psa.tables_needed(sections, wanted)
        for reader in readers:
            reader.tables([n for n in needed if n not in cached])
        for name in sorted(needed):
            if name in cached:
                catalog.tables[name] = cached[name]
        snapshots: dict[str, SectionSnapshot] = {}
        for reader in reversed(readers):  # the PSA's tables, then Salesbuildr's
            catalog.tables.update(reader.read_tables())
        for reader in readers:
            snapshots.update(reader.documents())
        cached.update(catalog.tables)
        if progress is not None:
            progress(f"read {len(catalog.tables)} reference tables, {len(snapshots)} settings")
    live: list[Resource] = []
    for reader in readers:
        live.extend(reader.resources(sections, catalog, snapshots))
    return LiveRead(catalog=catalog, state=State.of(live, snapshots.values()), documents=snapshots)


class _All:
    """Enter every reader's pool; leaving waits for them all (last opened, first closed)."""

    def __init__(self, readers: Sequence[SystemReads]) -> None:
        self.readers = readers

    def __enter__(self) -> None:
        for reader in self.readers:
            reader.__enter__()

    def __exit__(self, *exc: object) -> None:
        for reader in reversed(self.readers):
            reader.__exit__(*exc)


def _diagnostic(d: Diagnostic, address: str = "") -> PlanDiagnostic:
    return PlanDiagnostic(
        severity=d.severity,
        message=d.message,
        address=address,
        location=d.location,
        hint=d.hint,
        id=d.id,
    )


@dataclass
class PlanRun:
    """A computed plan and what produced it (for apply: the desired state and live read)."""

    plan: Plan
    desired: State
    live: LiveRead
    warnings: list[Diagnostic]


def make_plan(
    loaded: LoadedConfig,
    connections: Connections,
    *,
    rotate_secrets: bool = False,
    progress: Progress | None = None,
) -> PlanRun:
    """Read live state, resolve the YAML against it and compute the plan (no writes)."""
    config = loaded.config
    sections = config.present_sections()
    system = connections.psa
    built: list[Resource] = []

    def build_desired() -> list[Resource]:
        built.extend(system.desired(loaded))
        return built

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="budget") as pool:
        # The PSA's budget once a plan, beside the reads (apply's check reuses it).
        psa = connections.psa if connections.psa_client is not None else None
        budget = pool.submit(psa.budget, connections.psa_client) if psa is not None else None
        # The YAML's resources are built while the first reads are out (CPU beside latency).
        live = read_live(connections, sections, build_desired, progress=progress)
        psa_budget = budget.result() if budget is not None else None
    section_locations = {
        section: loaded.source.diagnostic((section,), "", key=True).location for section in sections
    }
    desired, problems = resolve_desired(
        built,
        live.catalog,
        live.state,
        section_locations=section_locations,
        policy=policy_settings(config),
        kinds=system.kinds,
    )
    errors = [d for d in problems if d.severity == "error"]
    if errors:
        raise ConfigError(errors, hint="no API writes were made; fix the names and plan again")
    acknowledged = set(config.policy.acknowledge)
    warnings = [
        *loaded.warnings,  # the offline rules left the acknowledged ones out already
        *[d for d in problems if d.severity != "error" and d.id not in acknowledged],
    ]
    plan = compute_plan(
        desired,
        live.state,
        policy_settings(config),
        sections=sections,
        rotate_secrets=rotate_secrets,
        kinds=system.kinds,
    )
    _refuse_what_the_psa_would(plan, desired, live.catalog, connections, section_locations)
    policy = config.policy
    plan = plan.with_meta(
        psa=_psa_of(config),
        policy={
            **_psa_policy(config),
            "max_change_fraction": policy.max_change_fraction,
            "max_deletes": policy.max_deletes,
            "after_apply": [action.value for action in config.after_apply],
        },
        diagnostics=tuple(_diagnostic(w) for w in warnings),
        api_calls=connections.calls(),
        budgets=_budgets(connections, psa_budget),
        targets=connections.targets(),
        config_sha256=loaded.sha256,
        config_file=loaded.file,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
    )
    return PlanRun(plan=plan, desired=desired, live=live, warnings=warnings)


def _psa_of(config: Any) -> str:
    """The plan's ``psa``: "" for the default PSA's files (their plans stay as they were)."""
    name = getattr(config, "psa", None)
    text = str(getattr(name, "value", name) or "")
    return "" if text in ("", registry.DEFAULT) else text


def _psa_policy(config: Any) -> dict[str, Any]:
    """The values of the policy keys that belong to the YAML's PSA (its request floor)."""
    psa = registry.get(_psa_of(config) or registry.DEFAULT)
    return {key: getattr(config.policy, key) for key in psa.policy_keys}


def _budgets(connections: Connections, psa: Budget | None) -> dict[str, Budget]:
    found = {connections.psa.owner: psa} if psa is not None else {}
    seen = connections.salesbuildr.window if connections.salesbuildr is not None else None
    if seen is not None:
        found[SALESBUILDR_OWNER] = Budget(
            seen.remaining, seen.limit, seen.window_s, iso(seen.retry_at)
        )
    return found


def _refuse_what_the_psa_would(
    plan: Plan,
    desired: State,
    catalog: Catalog,
    connections: Connections,
    section_locations: Mapping[str, str | None],
) -> None:
    """Plan passes => apply succeeds: check every PSA request the plan needs against the
    metadata of the entities it writes (read once a run, only when something is written)."""
    psa = connections.psa
    entities = entities_written(plan, psa.kinds)
    problems = []
    if entities and connections.psa_client is not None:
        catalog.entities.update(psa.rules(connections.psa_client, entities, connections.metadata))
        problems = check_plan(plan, catalog, psa.kinds)
    problems.extend(psa.plan_problems(plan))
    by_address = {r.address: r for r in desired}
    errors = []
    for problem in problems:
        owner = by_address.get(problem.address)
        if owner is None:
            section = problem.address.split(".", 1)[0].split("[", 1)[0]
            owner = Resource(
                address=problem.address,
                kind="",
                section=section,
                key=problem.address,
                attributes={},
                owner=psa.owner,
                location=section_locations.get(section),
            )
        errors.append(diagnostic_for(problem, owner))
    if errors:
        raise ConfigError(
            errors, hint=f"no API writes were made; {psa.title} would refuse these, fix them first"
        )


def summary_counts(plan: Plan) -> dict[str, Any]:
    return plan.summary


def secret_lookup(
    environ: Mapping[str, str], desired: State | None = None
) -> Callable[[WritableChange, str], str]:
    """Secrets for writes: from the ``${env:NAME}`` reference the plan keeps, or (applying a
    YAML file directly) from the value read with it. Never stored anywhere else.

    A reference the YAML could not have made (reconcile's own credentials, trust settings, CI
    tokens, limits, URLs: :func:`~reconciler.config.references.refused_reference`) is never
    resolved, whatever file carried it: loading a saved plan refuses it first, this is the
    last guard before a value leaves the process."""

    def lookup(change: WritableChange, path: str) -> str:
        reference = change.secret_refs.get(path)
        why = refused_reference(reference) if reference else None
        if why:
            raise UsageError(
                f"{change.address}: the secret {path}: {why}; it was not sent",
                hint=OWN_VARIABLE_HINT,
            )
        parsed = parse_reference(reference) if reference else None
        if parsed is not None:
            value = resolve_reference(parsed, environ)
            if value is not None:
                return value
        if desired is not None:
            for resource in desired:
                if resource.address == change.address and path in resource.secrets:
                    return str(resource.secrets[path].get_secret_value())
        raise UsageError(
            f"{change.address}: the secret {reference or path} is not set",
            hint="export the variable the plan names before applying",
        )

    return lookup


def missing_secrets(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    """Every ``${env:NAME}`` a saved plan's writes need that the environment lacks."""
    missing = []
    for change in plan.pending:
        needs_secret = change.action.value == "create" or bool(change.sensitive_paths)
        for reference in change.secret_refs.values() if needs_secret else ():
            parsed = parse_reference(reference or "")
            if reference is None:
                missing.append(f"{change.address}: its secret was written literally in the YAML")
            elif parsed is not None and resolve_reference(parsed, environ) is None:
                missing.append(f"{change.address}: {parsed.name}")
    return sorted(set(missing))


def live_reader(
    connections: Connections,
) -> Callable[[Sequence[str], Sequence[str]], tuple[State, Catalog]]:
    """Re-read what given sections hold (stale check and verification of apply)."""

    def read(sections: Sequence[str], entities: Sequence[str]) -> tuple[State, Catalog]:
        stand_ins = connections.psa.stand_ins(entities)
        live = read_live(connections, sections, stand_ins, webhook_entities=entities)
        return live.state, live.catalog

    return read


def writer_for(
    connections: Connections,
    environ: Mapping[str, str],
    desired: State | None = None,
    documents: Mapping[str, SectionSnapshot] | None = None,
) -> Writer:
    """The writer of one apply; ``documents`` are the settings documents the plan just read."""
    secret = secret_lookup(environ, desired)
    psa = connections.psa
    salesbuildr = DocumentWriter(connections.salesbuildr, secret, documents, psa.documents)
    psa_writer = psa.writer(connections.psa_client, salesbuildr, secret)
    return Writer(
        psa=psa_writer,
        documents=salesbuildr,
        owners={psa.owner: psa_writer, SALESBUILDR_OWNER: salesbuildr},
        read_live=live_reader(connections),
    )


def read_everything(connections: Connections, sections: Sequence[str]) -> LiveRead:
    """Every live object of ``sections`` (webhooks of all entities, with their tables)."""
    stand_ins = connections.psa.stand_ins(None) if "webhooks" in sections else []
    return read_live(connections, sections, stand_ins)
