"""One run against the two systems: connect, read what the YAML needs (concurrently), resolve,
plan. The CLI calls this; it holds no rendering and no printing.

Reads are minimal: only the sections present in the YAML are read, each reference table once, each
collection with one bulk query, both systems in parallel (the HTTP client caps each Autotask
endpoint at 3 requests in flight).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from reconciler import __version__
from reconciler.config import LoadedConfig
from reconciler.config.desired import desired_resources, policy_settings
from reconciler.envvars import parse_reference, resolve_reference
from reconciler.errors import ConfigError, Diagnostic, ProviderError, UsageError
from reconciler.hosts import shown
from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.kinds.constraints import EntityRules
from reconciler.kinds.registry import kinds_of
from reconciler.kinds.resolve import diagnostic_for, resolve_desired
from reconciler.kinds.webhooks import RECEIVER_URL, WEBHOOK
from reconciler.plan import Plan, PlanDiagnostic, compute_plan
from reconciler.plan.budgets import AUTOTASK, SALESBUILDR, Budget, iso
from reconciler.plan.live_rules import check_plan, entities_written
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.access import read_rules
from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.psa.autotask.targets import autotask_url
from reconciler.psa.autotask.write import Writer
from reconciler.salesbuildr import state as sb_state
from reconciler.salesbuildr.client import (
    PAGE_CONCURRENCY,
    SalesbuildrClient,
    settings_from_env,
)
from reconciler.salesbuildr.targets import salesbuildr_url
from reconciler.state import Resource, SectionSnapshot, State
from reconciler.transport.credentials import require_credentials
from reconciler.writes import Change as WritableChange

log = logging.getLogger(__name__)

AUTOTASK_SECTIONS = {
    "billing_codes",
    "company_types",
    "company_udfs",
    "product_import",
    "inventory",
    "opportunity",
    "purchase_order",
    "webhooks",
}

Progress = Callable[[str], None]


@dataclass
class Connections:
    """The API clients of one run (either may be absent when no section needs it)."""

    autotask: AutotaskClient | None = None
    salesbuildr: SalesbuildrClient | None = None
    tables: dict[str, NameTable] = field(default_factory=dict)
    """Reference tables already read in this run: reconcile never writes them, so the
    stale check and the verification after apply reuse them instead of reading them again."""
    metadata: dict[str, EntityRules] = field(default_factory=dict)
    """Autotask field metadata and access per entity, read once a run (plan-time checks)."""

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
            found["autotask"] = self.autotask.http.base_url.rstrip("/").removesuffix("/V1.0")
        if self.salesbuildr is not None:
            found["salesbuildr"] = self.salesbuildr.http.base_url.rstrip("/")
        return found

    def calls(self) -> dict[str, int]:
        counts = {}
        if self.autotask is not None:
            counts["autotask"] = self.autotask.calls
        if self.salesbuildr is not None:
            counts["salesbuildr"] = self.salesbuildr.calls
        return counts


@dataclass(frozen=True)
class Transports:
    """Test seam: injected httpx transports (vcrpy cassettes, MockTransport)."""

    autotask: httpx.BaseTransport | None = None
    salesbuildr: httpx.BaseTransport | None = None


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
    connections = Connections()
    needs_autotask = any(section in AUTOTASK_SECTIONS for section in sections)
    at_yaml = config.autotask.url if config.autotask else None
    sb_yaml = config.salesbuildr.url if config.salesbuildr else None
    require_credentials(  # every missing one named at once, before any URL check or request
        environ, autotask=needs_autotask, salesbuildr=bool(sections), salesbuildr_url=sb_yaml
    )
    # Every URL is checked before the first request of either system (the Salesbuildr check is
    # pure; the Autotask one may ask ZoneInformation, after its own pure checks).
    if sections:
        sb_url, key = settings_from_env(
            environ, salesbuildr_url(sb_yaml, f"salesbuildr.url in {loaded.file}", environ)
        )
    if needs_autotask:
        credentials = credentials_from_env(environ)
        at_url = autotask_url(
            at_yaml, f"autotask.url in {loaded.file}", environ, transports.autotask
        )
    if needs_autotask:
        connections.autotask = AutotaskClient.connect(
            credentials, url=at_url, transport=transports.autotask
        )
    if sections:
        connections.salesbuildr = SalesbuildrClient.connect(
            sb_url, key, transport=transports.salesbuildr
        )
    return connections


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

AUTOTASK_READERS = 8
"""Autotask read jobs at once (webhook chains, tables, collections; the HTTP client keeps each
endpoint at 3 in flight)."""


class _Reads:
    """The jobs of one :func:`read_live`: each system's reads in its own pool, so neither waits
    for a thread the other holds. Salesbuildr is the narrow one (4 requests in flight, 100 rows a
    page): its jobs start first and its pool is as wide as its limit, so it is busy from the
    first round to the last."""

    def __init__(self, at_pool: ThreadPoolExecutor, sb_pool: ThreadPoolExecutor) -> None:
        self.at_pool, self.sb_pool = at_pool, sb_pool
        self.at_tables: list[Future[dict[str, NameTable]]] = []
        self.sb_tables: dict[str, Future[NameTable | None]] = {}
        self.submitted: set[str] = set()

    def tables(self, connections: Connections, names: Sequence[str]) -> None:
        at, sb = connections.autotask, connections.salesbuildr
        fresh = [n for n in sorted(names) if n not in self.submitted]
        self.submitted.update(fresh)
        for name in fresh:
            if name.startswith("salesbuildr.") and sb is not None:
                self.sb_tables[name] = self.sb_pool.submit(sb_state.read_table, sb, name)
        at_names = [n for n in fresh if n.startswith("autotask.")]
        if at is not None:
            for group in at_state.table_groups(at_names):
                self.at_tables.append(self.at_pool.submit(at_state.read_tables, at, group))

    def catalog(self) -> dict[str, NameTable]:
        found: dict[str, NameTable] = {}
        for at_job in self.at_tables:
            found.update(at_job.result())
        for name, sb_job in self.sb_tables.items():
            table = sb_job.result()
            if table is not None:
                found[name] = table
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

    Every read that does not wait for another starts at once: Salesbuildr's tables and
    documents, the webhook lists (their children follow as soon as their ids are known), the
    Autotask tables and collections. Only the webhook field tables of the entities the YAML
    names wait for ``desired`` (when it is a function, it runs while those reads are out).
    Webhooks are read for ``webhook_entities`` (default: all five entities); reference tables
    already in ``connections.tables`` are not read again.
    """
    at, sb = connections.autotask, connections.salesbuildr
    cached = connections.tables
    documents = sb_state.documents_for(sections) if sb is not None else []
    entities = (
        list(at_state.WEBHOOK_ENTITY_PREFIX)
        if webhook_entities is None
        else [e for e in at_state.WEBHOOK_ENTITY_PREFIX if e in webhook_entities]
    )
    with (
        ThreadPoolExecutor(max_workers=AUTOTASK_READERS, thread_name_prefix="read-at") as at_pool,
        ThreadPoolExecutor(max_workers=PAGE_CONCURRENCY, thread_name_prefix="read-sb") as sb_pool,
    ):
        reads = _Reads(at_pool, sb_pool)
        # Salesbuildr's longest listings first (categories page through their usage beside
        # them), then its documents; Autotask's longest chains (webhooks) first.
        salesbuildr_tables = [n for n in section_tables(sections) if n.startswith("salesbuildr.")]
        reads.tables(connections, [n for n in salesbuildr_tables if n not in cached])
        document_jobs = {
            name: sb_pool.submit(sb.read_section, name) for name in documents if sb is not None
        }
        webhook_jobs = (
            {e: at_pool.submit(at_state.read_webhooks, at, e) for e in entities}
            if at is not None and "webhooks" in sections
            else {}
        )
        reads.tables(connections, [n for n in section_tables(sections) if n not in cached])
        inventory_job = (
            at_pool.submit(at_state.read_inventory_locations, at)
            if at is not None and "inventory" in sections
            else None
        )
        wanted = desired() if callable(desired) else desired
        needed = tables_needed(sections, wanted)
        reads.tables(connections, [n for n in needed if n not in cached])
        catalog = Catalog()
        for name in sorted(needed):
            if name in cached:
                catalog.tables[name] = cached[name]
        catalog.tables.update(reads.catalog())
        cached.update(catalog.tables)
        snapshots = {}
        for name, doc_job in document_jobs.items():
            document = doc_job.result()
            snapshots[name] = SectionSnapshot(name=name, body=document.body, etag=document.etag)
        if progress is not None:
            progress(f"read {len(catalog.tables)} reference tables, {len(snapshots)} settings")
        inventory_rows = inventory_job.result() if inventory_job is not None else []
        webhook_data = {entity: job.result() for entity, job in webhook_jobs.items()}
    receiver = snapshots.get("webhook-receiver")
    if receiver is not None:
        catalog.facts[RECEIVER_URL] = receiver.body.get("url")
    live: list[Resource] = []
    for section in sections:
        spec = sb_state.SECTIONS.get(section)
        if spec is not None and spec.name in snapshots:
            live.extend(sb_state.section_resources(section, snapshots[spec.name].body, catalog))
    if "inventory" in sections:
        tracked = (
            {
                str(row.get("inventoryLocationId")): bool(row.get("trackStock"))
                for row in (snapshots["inventory"].body.get("locations") or [])
            }
            if "inventory" in snapshots
            else {}
        )
        live.extend(at_state.inventory_resources(inventory_rows, tracked))
    taken: set[str] = set()
    for entity, data in webhook_data.items():
        live.extend(at_state.webhook_resources(entity, data, catalog, taken))
    return LiveRead(catalog=catalog, state=State.of(live, snapshots.values()), documents=snapshots)


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
        # ThresholdInformation once a plan, beside the reads (apply's check reuses it).
        threshold = (
            pool.submit(_threshold, connections.autotask)
            if connections.autotask is not None
            else None
        )
        # The YAML's resources are built while the first reads are out (CPU beside latency).
        live = read_live(connections, sections, build_desired, progress=progress)
        autotask_budget = threshold.result() if threshold is not None else None
    wanted = built
    section_locations = {
        section: loaded.source.diagnostic((section,), "", key=True).location for section in sections
    }
    desired, problems = resolve_desired(
        wanted,
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
    _refuse_what_autotask_would(plan, desired, live.catalog, connections, section_locations)
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
        budgets=_budgets(autotask_budget, connections.salesbuildr),
        targets=connections.targets(),
        config_sha256=loaded.sha256,
        config_file=loaded.file,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
    )
    return PlanRun(plan=plan, desired=desired, live=live, warnings=warnings)


def _threshold(client: AutotaskClient) -> Budget | None:
    """The hourly budget for the plan's footer; a tenant that will not say is not an error of
    the plan (apply asks again before its first write, and refuses then if it must)."""
    try:
        threshold = client.threshold()
    except ProviderError as error:
        log.info("ThresholdInformation not read: %s", error.message)
        return None
    return Budget(threshold.remaining, threshold.limit, threshold.timeframe_minutes * 60.0)


def _budgets(autotask: Budget | None, salesbuildr: SalesbuildrClient | None) -> dict[str, Budget]:
    found = {AUTOTASK: autotask} if autotask is not None else {}
    seen = salesbuildr.window if salesbuildr is not None else None
    if seen is not None:
        found[SALESBUILDR] = Budget(seen.remaining, seen.limit, seen.window_s, iso(seen.retry_at))
    return found


def _refuse_what_autotask_would(
    plan: Plan,
    desired: State,
    catalog: Catalog,
    connections: Connections,
    section_locations: Mapping[str, str | None],
) -> None:
    """Plan passes => apply succeeds: check every Autotask request the plan needs against the
    metadata of the entities it writes (read once a run, only when something is written)."""
    entities = entities_written(plan)
    if not entities or connections.autotask is None:
        return
    catalog.entities.update(read_rules(connections.autotask, entities, connections.metadata))
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
                owner="autotask",
                location=section_locations.get(section),
            )
        errors.append(diagnostic_for(problem, owner))
    if errors:
        raise ConfigError(
            errors, hint="no API writes were made; Autotask would refuse these, fix them first"
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
        stand_ins = [
            Resource(
                address=f"webhooks[{entity}]",
                kind=WEBHOOK.name,
                section="webhooks",
                key=entity,
                attributes={"entity": entity},
                owner="autotask",
            )
            for entity in entities
        ]
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
    return Writer(
        autotask=connections.autotask,
        salesbuildr=connections.salesbuildr,
        secret=secret_lookup(environ, desired),
        read_live=live_reader(connections),
        documents=documents,
    )


def connect_for_plan(
    plan: Plan, environ: Mapping[str, str], *, transports: Transports = Transports()
) -> Connections:
    """Clients for applying a saved plan: the systems it was made against, and no others.

    A saved plan is a file a pull request (or a swapped artifact) can change: its ``targets``
    are checked like the YAML's URLs before any request."""
    connections = Connections()
    target_at = plan.targets.get("autotask")
    target_sb = plan.targets.get("salesbuildr")
    require_credentials(
        environ, autotask=bool(target_at), salesbuildr=bool(target_sb), salesbuildr_url=target_sb
    )
    at_url = sb_url = None
    if target_sb:
        url = environ.get("SALESBUILDR_API_URL") or target_sb
        if url.rstrip("/").lower() != target_sb.rstrip("/").lower():
            raise UsageError(
                f"the plan was made against Salesbuildr {shown(target_sb)}, but "
                f"SALESBUILDR_API_URL is {shown(url)}",
                hint="apply a plan to the tenant it was made for",
            )
        sb_url = salesbuildr_url(target_sb, "plan's Salesbuildr target", environ)
        _, key = settings_from_env({**environ, "SALESBUILDR_API_URL": url}, None)
    if target_at:
        url = environ.get("AUTOTASK_API_URL") or target_at
        if url.rstrip("/").lower() != target_at.rstrip("/").lower():
            raise UsageError(
                f"the plan was made against Autotask {shown(target_at)}, but AUTOTASK_API_URL "
                f"is {shown(url)}",
                hint="apply a plan to the tenant it was made for",
            )
        credentials = credentials_from_env(environ)
        at_url = autotask_url(target_at, "plan's Autotask target", environ, transports.autotask)
    if at_url:
        connections.autotask = AutotaskClient.connect(
            credentials, url=at_url, transport=transports.autotask
        )
    if sb_url:
        connections.salesbuildr = SalesbuildrClient.connect(
            sb_url, key, transport=transports.salesbuildr
        )
    return connections


def connect_env(
    environ: Mapping[str, str], *, sections: Sequence[str], transports: Transports = Transports()
) -> Connections:
    """Clients from the environment alone (export: there is no YAML yet)."""
    connections = Connections()
    needs_autotask = any(section in AUTOTASK_SECTIONS for section in sections)
    require_credentials(environ, autotask=needs_autotask, salesbuildr=bool(sections))
    if needs_autotask:
        credentials = credentials_from_env(environ)
        connections.autotask = AutotaskClient.connect(
            credentials,
            url=autotask_url(None, "", environ, transports.autotask),
            transport=transports.autotask,
        )
    if sections:
        url, key = settings_from_env(environ, salesbuildr_url(None, "", environ))
        connections.salesbuildr = SalesbuildrClient.connect(
            url, key, transport=transports.salesbuildr
        )
    return connections


def read_everything(connections: Connections, sections: Sequence[str]) -> LiveRead:
    """Every live object of ``sections`` (webhooks of all five entities, with their tables)."""
    stand_ins = [
        Resource(
            address=f"webhooks[{entity}]",
            kind=WEBHOOK.name,
            section="webhooks",
            key=entity,
            attributes={"entity": entity},
            owner="autotask",
        )
        for entity in at_state.WEBHOOK_ENTITY_PREFIX
    ]
    return read_live(connections, sections, stand_ins if "webhooks" in sections else [])
