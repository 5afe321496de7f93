"""Salesbuildr's reads of one run (:class:`reconciler.psa.base.SystemReads`): its reference
tables and the settings documents of the YAML's sections, the longest listings first, in a pool
as wide as its in-flight limit so it is busy from the first round to the last."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.psa.system import SettingsDocuments
from reconciler.salesbuildr.client import PAGE_CONCURRENCY, SalesbuildrClient, Section
from reconciler.state import Resource, SectionSnapshot

PREFIX = "salesbuildr."
"""The names of Salesbuildr's reference tables (and catalog facts) begin with it."""


class SalesbuildrReads:
    prefix = PREFIX

    def __init__(self, client: SalesbuildrClient, pages: SettingsDocuments) -> None:
        self.client = client
        self.pages = pages
        """The settings documents of the YAML's PSA (which to read, what they hold)."""
        self.pool = ThreadPoolExecutor(max_workers=PAGE_CONCURRENCY, thread_name_prefix="read-sb")
        self.table_jobs: dict[str, Future[NameTable | None]] = {}
        self.document_jobs: dict[str, Future[Section]] = {}

    def __enter__(self) -> SalesbuildrReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)

    def start(self, sections: Sequence[str], tables: Sequence[str]) -> None:
        # The longest listings first (categories page through their usage beside them).
        self.tables(tables)
        self.document_jobs = {
            name: self.pool.submit(self.client.read_section, name)
            for name in self.pages.documents_for(sections)
        }

    def tables(self, names: Sequence[str]) -> None:
        for name in sorted(names):
            if name.startswith(PREFIX) and name not in self.table_jobs:
                self.table_jobs[name] = self.pool.submit(self.pages.read_table, self.client, name)

    def read_tables(self) -> dict[str, NameTable]:
        found: dict[str, NameTable] = {}
        for name, job in self.table_jobs.items():
            table = job.result()
            if table is not None:
                found[name] = table
        return found

    def documents(self) -> dict[str, SectionSnapshot]:
        snapshots = {}
        for name, job in self.document_jobs.items():
            document = job.result()
            snapshots[name] = SectionSnapshot(name=name, body=document.body, etag=document.etag)
        return snapshots

    def resources(
        self,
        sections: Sequence[str],
        catalog: Catalog,
        documents: Mapping[str, SectionSnapshot],
    ) -> list[Resource]:
        return self.pages.live(sections, documents, catalog)
