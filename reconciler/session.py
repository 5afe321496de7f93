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

import httpx

from reconciler import __version__
from reconciler.config import LoadedConfig
from reconciler.config.desired import desired_resources, policy_settings
from reconciler.envvars import parse_reference, resolve_reference
from reconciler.errors import ConfigError, Diagnostic, UsageError
from reconciler.hosts import shown
from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.kinds.constraints import EntityRules
from reconciler.kinds.registry import kinds_of
from reconciler.kinds.resolve import diagnostic_for, resolve_desired
from reconciler.kinds.webhooks import WEBHOOK
from reconciler.plan import Plan, PlanDiagnostic, compute_plan
from reconciler.plan.budgets import SALESBUILDR, Budget, iso
from reconciler.plan.live_rules import check_plan, entities_written
from reconciler.psa import registry
from reconciler.psa.base import PsaSystem, SystemReads, unsupported
from reconciler.salesbuildr.client import SalesbuildrClient, settings_from_env
from reconciler.salesbuildr.load import SalesbuildrReads
from reconciler.salesbuildr.targets import salesbuildr_url
from reconciler.salesbuildr.writer import OWNER as SALESBUILDR_OWNER
from reconciler.salesbuildr.writer import DocumentWriter
from reconciler.state import Resource, SectionSnapshot, State
from reconciler.transport.credentials import require_credentials
from reconciler.writer import Writer
from reconciler.writes import Change as WritableChange

Progress = Callable[[str], None]


def psa_system(source: object | None = None) -> PsaSystem:
    """The run side of the PSA ``source`` (a config, a saved plan) names; the default's when
    it names none (``psa`` is read with ``getattr`` until the config and plan carry it)."""
    name = getattr(source, "psa", None) if source is not None else None
    psa = registry.get(str(getattr(name, "value", name) or registry.DEFAULT))
    if psa.system is None:
        raise unsupported(psa, "plan or apply")
    return psa.system()


@dataclass
class Connections:
    """The API clients of one run (either may be absent when no section needs it).

    ``autotask`` is the PSA's client (the field keeps its name for the operations and tests
    that build one); ``system`` the PSA's run side (the default PSA's when not given)."""

    autotask: Any | None = None
    salesbuildr: SalesbuildrClient | None = None
    tables: dict[str, NameTable] = field(default_factory=dict)
    """Reference tables already read in this run: reconcile never writes them, so the
    stale check and the verification after apply reuse them instead of reading them again."""
    metadata: dict[str, EntityRules] = field(default_factory=dict)
    """The PSA's field metadata and access per entity, read once a run (plan-time checks)."""
    system: PsaSystem | None = None

    @property
    def psa(self) -> PsaSystem:
        if self.system is None:
            self.system = psa_system()
        return self.system

    def close(self) -> None:
        for client in (self.autotask, self.salesbuildr):
            if client is not None:
                client.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def targets(self) -> dict[str, str]:
        found = {}
        if self.autotask is not None:
            found[self.psa.owner] = self.psa.target(self.autotask)
        if self.salesbuildr is not None:
            found[SALESBUILDR_OWNER] = self.salesbuildr.http.base_url.rstrip("/")
        return found

    def calls(self) -> dict[str, int]:
        counts = {}
        if self.autotask is not None:
            counts[self.psa.owner] = int(self.autotask.calls)
        if self.salesbuildr is not None:
            counts[SALESBUILDR_OWNER] = self.salesbuildr.calls
        return counts


@dataclass(frozen=True)
class Transports:
    """Test seam: injected httpx transports (vcrpy cassettes, MockTransport); ``autotask``
    is the PSA's."""

    autotask: httpx.BaseTransport | None = None
    salesbuildr: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class _Target:
    """Where one system's client may be opened: a reviewed URL (the YAML's, a saved plan's
    target) and where it comes from; ``pinned``: the environment's URL must be this one."""

    needed: bool
    reviewed: str | None = None
    source: str = ""
    pinned: bool = False


def _pin(title: str, variable: str, target: _Target, environ: Mapping[str, str]) -> str | None:
    """The environment's URL, refused when a saved plan was made against another."""
    url = environ.get(variable) or target.reviewed
    if target.pinned and target.reviewed and url:  # noqa: SIM102 (the message below is long)
        if url.rstrip("/").lower() != target.reviewed.rstrip("/").lower():
            raise UsageError(
                f"the plan was made against {title} {shown(target.reviewed)}, but "
                f"{variable} is {shown(url)}",
                hint="apply a plan to the tenant it was made for",
            )
    return url


def _open(
    environ: Mapping[str, str],
    system: PsaSystem,
    psa: _Target,
    salesbuildr: _Target,
    transports: Transports,
) -> Connections:
    """The one way clients are opened: every missing credential named at once, every URL
    checked before the first request of either system (the Salesbuildr check is pure; the
    PSA's may ask a discovery host, after its own pure checks)."""
    require_credentials(
        environ,
        salesbuildr=salesbuildr.needed,
        salesbuildr_url=salesbuildr.reviewed,
        psa=system.credentials if psa.needed else (),
    )
    connections = Connections(system=system)
    if salesbuildr.needed:
        url = _pin("Salesbuildr", "SALESBUILDR_API_URL", salesbuildr, environ)
        checked = salesbuildr_url(salesbuildr.reviewed, salesbuildr.source, environ)
        if salesbuildr.pinned:
            _, key = settings_from_env({**environ, "SALESBUILDR_API_URL": str(url)}, None)
        else:
            checked, key = settings_from_env(environ, checked)
    if psa.needed:
        _pin(system.title, system.url_variable, psa, environ)
        psa_url = system.url(psa.reviewed, psa.source, environ, transports.autotask)
    if psa.needed:
        connections.autotask = system.open(environ, psa_url, transports.autotask)
    if salesbuildr.needed and checked:
        connections.salesbuildr = SalesbuildrClient.connect(
            checked, key, transport=transports.salesbuildr
        )
    return connections


def connect(
    loaded: LoadedConfig,
    environ: Mapping[str, str],
    *,
    sections: Sequence[str],
    transports: Transports = Transports(),
) -> Connections:
    """Open the clients the sections need; credentials and URLs come from the environment, and
    a URL in the YAML must name a host the environment allows (:mod:`reconciler.hosts`)."""
    config = loaded.config
    system = psa_system(config)
    psa = _Target(
        needed=any(section in system.sections for section in sections),
        reviewed=system.yaml_url(config),
        source=f"{system.url_key} in {loaded.file}",
    )
    salesbuildr = _Target(
        needed=bool(sections),
        reviewed=config.salesbuildr.url if config.salesbuildr else None,
        source=f"salesbuildr.url in {loaded.file}",
    )
    return _open(environ, system, psa, salesbuildr, transports)


def connect_for_plan(
    plan: Plan, environ: Mapping[str, str], *, transports: Transports = Transports()
) -> Connections:
    """Clients for applying a saved plan: the systems it was made against, and no others.

    A saved plan is a file a pull request (or a swapped artifact) can change: its ``targets``
    are checked like the YAML's URLs before any request."""
    system = psa_system(plan)
    target_psa = plan.targets.get(system.owner)
    target_sb = plan.targets.get(SALESBUILDR_OWNER)
    psa = _Target(bool(target_psa), target_psa, f"plan's {system.title} target", pinned=True)
    salesbuildr = _Target(bool(target_sb), target_sb, "plan's Salesbuildr target", pinned=True)
    return _open(environ, system, psa, salesbuildr, transports)


def connect_env(
    environ: Mapping[str, str], *, sections: Sequence[str], transports: Transports = Transports()
) -> Connections:
    """Clients from the environment alone (export: there is no YAML yet)."""
    system = psa_system()
    psa = _Target(needed=any(section in system.sections for section in sections))
    return _open(environ, system, psa, _Target(needed=bool(sections)), transports)


@dataclass
class LiveRead:
    catalog: Catalog
    state: State
    documents: dict[str, SectionSnapshot] = field(default_factory=dict)


def section_tables(sections: Sequence[str]) -> set[str]:
    """The reference tables the kinds of ``sections`` declare (known before the YAML's
    resources are built)."""
    return {name for section in sections for kind in kinds_of(section) for name in kind.tables}


def tables_needed(sections: Sequence[str], desired: Sequence[Resource]) -> set[str]:
    needed = section_tables(sections)
    entities = sorted({str(r.attributes.get("entity")) for r in desired if r.kind == WEBHOOK.name})
    if "webhooks" in sections:
        needed |= WEBHOOK.tables_for(entities)
    return needed


Desired = Sequence[Resource] | Callable[[], Sequence[Resource]]
"""The YAML's resources, or the function that builds them: called once the reads that do not
depend on them are under way (``make_plan`` builds them while the first requests are out)."""


def _readers(connections: Connections, entities: Sequence[str] | None) -> list[SystemReads]:
    """Salesbuildr's reads first: it is the narrow one (4 requests in flight, 100 rows a page),
    so it is busy from the first round to the last; each system's reads in its own pool."""
    found: list[SystemReads] = []
    if connections.salesbuildr is not None:
        found.append(SalesbuildrReads(connections.salesbuildr))
    if connections.autotask is not None:
        found.append(connections.psa.reads(connections.autotask, entities))
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
        first = [n for n in section_tables(sections) if n not in cached]
        for reader in readers:
            reader.start(sections, [n for n in first if n.startswith(reader.prefix)])
        wanted = desired() if callable(desired) else desired
        needed = tables_needed(sections, wanted)
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
    built: list[Resource] = []

    def build_desired() -> list[Resource]:
        built.extend(desired_resources(loaded))
        return built

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="budget") as pool:
        # The PSA's budget once a plan, beside the reads (apply's check reuses it).
        psa = connections.psa if connections.autotask is not None else None
        budget = pool.submit(psa.budget, connections.autotask) if psa is not None else None
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
    )
    _refuse_what_the_psa_would(plan, desired, live.catalog, connections, section_locations)
    policy = config.policy
    plan = plan.with_meta(
        policy={
            "min_remaining_autotask_requests": policy.min_remaining_autotask_requests,
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


def _budgets(connections: Connections, psa: Budget | None) -> dict[str, Budget]:
    found = {connections.psa.owner: psa} if psa is not None else {}
    seen = connections.salesbuildr.window if connections.salesbuildr is not None else None
    if seen is not None:
        found[SALESBUILDR] = Budget(seen.remaining, seen.limit, seen.window_s, iso(seen.retry_at))
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
    entities = entities_written(plan)
    if not entities or connections.autotask is None:
        return
    psa = connections.psa
    catalog.entities.update(psa.rules(connections.autotask, entities, connections.metadata))
    by_address = {r.address: r for r in desired}
    errors = []
    for problem in check_plan(plan, catalog):
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
    YAML file directly) from the value read with it. Never stored anywhere else."""

    def lookup(change: WritableChange, path: str) -> str:
        reference = change.secret_refs.get(path)
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
    salesbuildr = DocumentWriter(connections.salesbuildr, secret, documents)
    psa = connections.psa
    psa_writer = psa.writer(connections.autotask, salesbuildr, secret)
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
