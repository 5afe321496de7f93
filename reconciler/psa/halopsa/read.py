"""HaloPSA's reads of one run (:class:`reconciler.psa.system.SystemReads`).

Every reference table the kinds of the sections name is read once, each with one list (paged at
the client's page size, the pages after the first together), all at once in one pool; the
webhooks (``GET /Webhook``, a bare list with each webhook's ``events``) start first. The
tables fixed by the language (:data:`~.kinds_tables.CONSTANT_TABLES`) are never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.kinds_webhooks import live_webhooks
from reconciler.state import Resource, SectionSnapshot

PREFIX: Final = "halopsa."
READERS: Final = 8
"""Read jobs at once; the client keeps its own in-flight limit (its pages share it)."""


def read_table(client: HaloClient, name: str) -> NameTable:
    """One Halo reference table (every record of its resource, inactive ones marked)."""
    source = t.HALO_SOURCES[name]
    return t.table_from_records(name, client.list_all(source.resource, source.query))


def read_webhooks(client: HaloClient) -> list[dict[str, Any]]:
    """Every webhook with its event subscriptions (a list row without ``events`` is read
    again by id: the list's shape is [I] in the fact sheet)."""
    rows = [row for row in client.list_all(r.WEBHOOK) if isinstance(row, dict)]
    found = []
    for row in rows:
        detailed = row
        if "events" not in row and row.get("id") is not None:
            detailed = client.get(r.WEBHOOK, str(row["id"])) or row
        found.append(detailed)
    return found


class HaloReads:
    """The Halo reads of one run; a context manager over its pool."""

    prefix = PREFIX

    def __init__(self, client: HaloClient) -> None:
        self.client = client
        self.pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="read-halo")
        self.submitted: set[str] = set()
        self.table_jobs: dict[str, Future[NameTable]] = {}
        self.webhook_job: Future[list[dict[str, Any]]] | None = None

    def __enter__(self) -> HaloReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)

    def start(self, sections: Sequence[str], tables: Sequence[str]) -> None:
        if "webhooks" in sections and self.webhook_job is None:
            self.webhook_job = self.pool.submit(read_webhooks, self.client)
        self.tables(tables)

    def tables(self, names: Sequence[str]) -> None:
        for name in sorted(names):
            if name in t.HALO_SOURCES and name not in self.submitted:
                self.submitted.add(name)
                self.table_jobs[name] = self.pool.submit(read_table, self.client, name)

    def read_tables(self) -> dict[str, NameTable]:
        return {name: job.result() for name, job in self.table_jobs.items()}

    def documents(self) -> dict[str, SectionSnapshot]:
        return {}

    def resources(
        self,
        sections: Sequence[str],
        catalog: Catalog,
        documents: Mapping[str, SectionSnapshot],
    ) -> list[Resource]:
        if "webhooks" not in sections or self.webhook_job is None:
            return []
        return live_webhooks(self.webhook_job.result())
