"""Autotask's side of a run (:class:`reconciler.psa.base.PsaSystem`): the client opened on a
checked URL, its reads in phases beside Salesbuildr's, its metadata, its budget, its writer.

Reads are minimal: only the sections present are read, each reference table once, each
collection with one bulk query; the HTTP client caps each endpoint at 3 requests in flight."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from reconciler.errors import ProviderError
from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.kinds.constraints import EntityRules
from reconciler.plan.budgets import Budget
from reconciler.plan.model import Plan
from reconciler.psa.autotask import CREDENTIALS
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.access import read_rules
from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.psa.autotask.documents import DOCUMENTS, AutotaskDocuments
from reconciler.psa.autotask.kinds.registry import BY_NAME, kinds_of
from reconciler.psa.autotask.kinds.sections import SECTIONS as ALL_SECTIONS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.psa.autotask.targets import autotask_url
from reconciler.psa.autotask.write import AutotaskWriter
from reconciler.salesbuildr.writer import DocumentWriter
from reconciler.state import Resource, SectionSnapshot
from reconciler.writes import Change

log = logging.getLogger(__name__)

OWNER = "autotask"
PREFIX = "autotask."
SECTIONS = frozenset(ALL_SECTIONS) - {"webhook_receiver"}
"""The sections that read or write Autotask (the others are Salesbuildr's alone)."""

READERS = 8
"""Read jobs at once (webhook chains, tables, collections; the HTTP client keeps each endpoint
at 3 in flight)."""


class AutotaskReads:
    """The Autotask reads of one run (:class:`reconciler.psa.base.SystemReads`)."""

    prefix = PREFIX

    def __init__(self, client: AutotaskClient, entities: Sequence[str] | None) -> None:
        self.client = client
        every = at_state.WEBHOOK_ENTITY_PREFIX
        self.entities = list(every) if entities is None else [e for e in every if e in entities]
        self.pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="read-at")
        self.submitted: set[str] = set()
        self.table_jobs: list[Future[dict[str, NameTable]]] = []
        self.webhook_jobs: dict[str, Future[dict[str, list[dict[str, Any]]]]] = {}
        self.inventory_job: Future[list[dict[str, Any]]] | None = None

    def __enter__(self) -> AutotaskReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)

    def start(self, sections: Sequence[str], tables: Sequence[str]) -> None:
        if "webhooks" in sections:  # the longest chains first
            self.webhook_jobs = {
                e: self.pool.submit(at_state.read_webhooks, self.client, e) for e in self.entities
            }
        self.tables(tables)
        if "inventory" in sections:
            self.inventory_job = self.pool.submit(at_state.read_inventory_locations, self.client)

    def tables(self, names: Sequence[str]) -> None:
        fresh = [n for n in sorted(names) if n.startswith(PREFIX) and n not in self.submitted]
        self.submitted.update(fresh)
        for group in at_state.table_groups(fresh):
            self.table_jobs.append(self.pool.submit(at_state.read_tables, self.client, group))

    def read_tables(self) -> dict[str, NameTable]:
        found: dict[str, NameTable] = {}
        for job in self.table_jobs:
            found.update(job.result())
        return found

    def documents(self) -> dict[str, SectionSnapshot]:
        return {}

    def resources(
        self,
        sections: Sequence[str],
        catalog: Catalog,
        documents: Mapping[str, SectionSnapshot],
    ) -> list[Resource]:
        live: list[Resource] = []
        if "inventory" in sections:
            # Stock tracking is Salesbuildr's flag, by location id, in its inventory document.
            tracking = documents.get("inventory")
            tracked = {
                str(row.get("inventoryLocationId")): bool(row.get("trackStock"))
                for row in ((tracking.body.get("locations") or []) if tracking else [])
            }
            rows = self.inventory_job.result() if self.inventory_job is not None else []
            live.extend(at_state.inventory_resources(rows, tracked))
        taken: set[str] = set()
        for entity, job in self.webhook_jobs.items():
            live.extend(at_state.webhook_resources(entity, job.result(), catalog, taken))
        return live


class AutotaskSystem:
    owner = OWNER
    title = "Autotask"
    sections = SECTIONS
    credentials: tuple[str, ...] = CREDENTIALS
    url_variable = "AUTOTASK_API_URL"
    url_key = "autotask.url"
    kinds: Mapping[str, Kind] = BY_NAME
    documents: AutotaskDocuments = DOCUMENTS

    def desired(self, loaded: Any) -> list[Resource]:
        from reconciler.psa.autotask.desired import desired_resources  # noqa: PLC0415 (a cycle)

        return desired_resources(loaded)

    def tables_needed(self, sections: Sequence[str], desired: Sequence[Resource]) -> set[str]:
        needed = {
            name for section in sections for kind in kinds_of(section) for name in kind.tables
        }
        if "webhooks" in sections and desired:
            entities = {str(r.attributes.get("entity")) for r in desired if r.kind == WEBHOOK.name}
            needed |= WEBHOOK.tables_for(sorted(entities))
        return needed

    def yaml_url(self, config: Any) -> str | None:
        section = getattr(config, "autotask", None)
        return getattr(section, "url", None)

    def url(
        self,
        reviewed: str | None,
        source: str,
        environ: Mapping[str, str],
        transport: httpx.BaseTransport | None,
    ) -> str:
        return autotask_url(reviewed, source, environ, transport)

    def open(
        self, environ: Mapping[str, str], url: str, transport: httpx.BaseTransport | None
    ) -> AutotaskClient:
        return AutotaskClient.connect(credentials_from_env(environ), url=url, transport=transport)

    def target(self, client: AutotaskClient) -> str:
        return client.http.base_url.rstrip("/").removesuffix("/V1.0")

    def budget(self, client: AutotaskClient) -> Budget | None:
        """The hourly budget for the plan's footer; a tenant that will not say is not an error
        of the plan (apply asks again before its first write, and refuses then if it must)."""
        try:
            threshold = client.threshold()
        except ProviderError as error:
            log.info("ThresholdInformation not read: %s", error.message)
            return None
        return Budget(threshold.remaining, threshold.limit, threshold.timeframe_minutes * 60.0)

    def reads(self, client: AutotaskClient, entities: Sequence[str] | None) -> AutotaskReads:
        return AutotaskReads(client, entities)

    def stand_ins(self, entities: Sequence[str] | None) -> list[Resource]:
        chosen = list(at_state.WEBHOOK_ENTITY_PREFIX) if entities is None else entities
        return [
            Resource(
                address=f"webhooks[{entity}]",
                kind=WEBHOOK.name,
                section="webhooks",
                key=entity,
                attributes={"entity": entity},
                owner=OWNER,
            )
            for entity in chosen
        ]

    def rules(
        self, client: AutotaskClient, entities: Sequence[str], cache: dict[str, EntityRules]
    ) -> dict[str, EntityRules]:
        return read_rules(client, entities, cache)

    def plan_problems(self, plan: Plan) -> list[Problem]:
        return []  # every Autotask constraint is in its metadata (:meth:`rules`)

    def writer(
        self,
        client: AutotaskClient | None,
        documents: DocumentWriter,
        secret: Callable[[Change, str], str],
    ) -> AutotaskWriter:
        return AutotaskWriter(client, documents, secret)

    def preflight(
        self,
        client: AutotaskClient,
        sections: Sequence[str],
        desired: Sequence[Resource],
        cache: dict[str, EntityRules],
    ) -> list[Any]:
        from reconciler.psa.autotask.preflight import access_checks  # noqa: PLC0415 (a cycle)

        return access_checks(client, sections, desired, cache)


def system() -> AutotaskSystem:
    return AutotaskSystem()
