"""Paging that a misbehaving server cannot keep going for ever.

Both APIs list a collection in pages (Autotask follows ``nextPageUrl``; Salesbuildr pages by
offset and may or may not report a total). A :class:`PageGuard` watches one collection being
read and stops it with :class:`~reconciler.errors.ServerMisbehaved` when a next-page URL repeats,
when a page adds no row that was not already read, or when the collection passes the page ceiling.
So a hostile or broken server costs at most the ceiling's pages, and memory grows with the rows
kept only (the ids seen, one entry per row).

The ceiling is per collection: :data:`DEFAULT_MAX_PAGES`, raised for a run with the global option
``reconcile --max-pages N`` (or ``RECONCILE_MAX_PAGES`` in the real environment). It is never read
from the YAML: the file under review must not be able to raise it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.envvars import MAX_PAGES
from reconciler.errors import ServerMisbehaved

CEILING_HINT = (
    "if the collection really is this large, raise the ceiling with `reconcile --max-pages N` "
    "(or RECONCILE_MAX_PAGES=N in the environment)"
)


def page_ceiling() -> int:
    """The page ceiling of this process (what the CLI's ``--max-pages`` set, or the default)."""
    return MAX_PAGES.get()


page_ceiling_set = MAX_PAGES.using
"""Use ``max_pages`` (None: the default) as the ceiling while the block runs."""


def row_identity(row: Mapping[str, Any]) -> str:
    """What makes a row new: its ``id``, or (for rows without one) its whole content."""
    if "id" in row:
        return "id:" + json.dumps(row["id"], sort_keys=True, default=str)
    return "row:" + json.dumps(row, sort_keys=True, default=str)


@dataclass
class PageGuard:
    """The checks for one collection; ``system``, ``method`` and ``path`` name its endpoint."""

    system: str
    method: str
    path: str
    max_pages: int = field(default_factory=page_ceiling)
    pages: int = 0
    _seen_urls: set[str] = field(default_factory=set)
    _seen_rows: set[str] = field(default_factory=set)

    def next_url(self, url: str) -> None:
        """Before following ``url``: refuse one this collection has already followed."""
        if url in self._seen_urls:
            raise self._error(
                f"the server offered the same next page again after {_pages(self.pages)}; "
                "stopped reading, as following it would loop for ever",
                "this is a server fault: report it to the vendor",
            )
        self._seen_urls.add(url)

    def page(self, rows: list[Any]) -> list[Any]:
        """Count one page and return its rows not read before (a server may repeat a few).

        A page with rows none of which is new, or the page past the ceiling, stops the read."""
        self.pages += 1
        if self.pages > self.max_pages:
            raise self._error(
                f"stopped after {_pages(self.max_pages)} without reaching the end",
                CEILING_HINT,
            )
        fresh: list[Any] = []
        for row in rows:
            identity = row_identity(row) if isinstance(row, Mapping) else repr(row)
            if identity not in self._seen_rows:
                self._seen_rows.add(identity)
                fresh.append(row)
        if rows and not fresh:
            raise self._error(
                f"page {self.pages} repeated rows already read and added none; stopped reading, "
                "as the listing would not end",
                "this is a server fault: report it to the vendor",
            )
        return fresh

    def empty_page_with_more(self) -> ServerMisbehaved:
        """A page with no rows that still promises another one."""
        return self._error(
            f"page {self.pages} was empty but offered a next page; stopped reading",
            "this is a server fault: report it to the vendor",
        )

    def _error(self, message: str, hint: str) -> ServerMisbehaved:
        return ServerMisbehaved(
            f"{self.system.capitalize()} paging: {message}",
            system=self.system,
            method=self.method,
            path=self.path,
            hint=hint,
        )


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"
