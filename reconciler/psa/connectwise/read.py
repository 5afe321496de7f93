"""ConnectWise's reads of one run (:class:`reconciler.psa.system.SystemReads`): every reference
table the kinds of the sections present name, and the callbacks, all submitted at once.

Each list is read once at the paging floor (``pageSize=1000``, ``fields=`` only what the
tables use: :data:`~.kinds_catalog.FIELDS`); the client keeps 4 requests in flight and the
rate cap paces them.

A board's children (statuses, types, subtypes, items, associations) are read only for the
board the YAML's ticket settings name. The name is the YAML's, so the reads learn it through
the table names: once the YAML's resources are built, :func:`board_scopes` adds
``connectwise.board_children:<the board as written>`` to the tables needed, and the reader
resolves it in the boards list as the kind will (case-insensitively, ``{id: N}``, ``Name (#N)``)
and reads that board's children (none when it resolves to nothing: the plan reports the unknown
board with its did-you-mean). Child tables asked for with no scope at all (``export``, a
re-read with no YAML) are read for every board; a YAML whose ticket settings name no board
reads none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.client import ConnectWiseClient, Record
from reconciler.psa.connectwise.kinds_callbacks import SECTION as CALLBACKS
from reconciler.psa.connectwise.kinds_callbacks import live_callbacks
from reconciler.psa.connectwise.kinds_catalog import (
    BOARD_CHILDREN,
    FIELDS,
    associations_table,
    board_children_table,
    categories_table,
    named_table,
)
from reconciler.psa.connectwise.kinds_registry import KINDS
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS
from reconciler.state import Resource, SectionSnapshot

PREFIX: Final = "connectwise."
READERS: Final = 8
"""Read jobs at once (the client keeps 4 requests in flight; the rest wait their turn)."""
COMPANY_SCREEN: Final = "fv_company"
"""The ``screenId`` of the company screen's UDFs (the ones the Companies page maps)."""
SUBCATEGORY_FIELDS: Final = ("id", "name", "inactiveFlag", "category")
CALLBACK_FIELDS: Final = (
    "id",
    "description",
    "url",
    "type",
    "level",
    "objectId",
    "inactiveFlag",
    "payloadVersion",
    "isSelfSuppressedFlag",
)

FLAT: Final[Mapping[str, str]] = {
    t.CW_PRODUCT_TYPES: endpoints.PRODUCT_TYPES,
    t.CW_COMPANY_TYPES: endpoints.COMPANY_TYPES,
    t.CW_COMPANY_STATUSES: endpoints.COMPANY_STATUSES,
    t.CW_OPPORTUNITY_STATUSES: endpoints.OPPORTUNITY_STATUSES,
    t.CW_WAREHOUSES: endpoints.WAREHOUSES,
    t.CW_BOARDS: endpoints.BOARDS,
    t.CW_PRIORITIES: endpoints.PRIORITIES,
}
"""Table -> the one list it is read from."""

CHILD_PATHS: Final[Mapping[str, Callable[[int], str]]] = {
    t.CW_BOARD_STATUSES: endpoints.board_statuses,
    t.CW_BOARD_TYPES: endpoints.board_types,
    t.CW_BOARD_SUBTYPES: endpoints.board_subtypes,
    t.CW_BOARD_ITEMS: endpoints.board_items,
    t.CW_BOARD_ASSOCIATIONS: endpoints.board_associations,
}
BOARD_TABLES: Final = frozenset((*BOARD_CHILDREN, t.CW_BOARD_ASSOCIATIONS))
BOARD_SCOPE: Final = PREFIX + "board_children:"
"""A table name asking for the children of one board, the YAML's reference after it (JSON):
never a table of the catalog, only what the reads are to read."""


def tables_of(sections: Sequence[str]) -> set[str]:
    """The reference tables the kinds of ``sections`` name (the board children among them:
    which boards' children is :func:`board_scopes`)."""
    return {name for kind in KINDS if kind.section in sections for name in kind.tables}


def board_scopes(desired: Iterable[Resource]) -> set[str]:
    """The boards whose children the YAML's ticket settings need, as table names (one per
    ticket settings resource; ``null`` when it names no board: no children)."""
    return {
        BOARD_SCOPE + json.dumps(r.attributes.get("board"), sort_keys=True)
        for r in desired
        if r.kind == TICKET_SETTINGS.name
    }


def scope_reference(name: str) -> Any:
    """The board reference of a :data:`BOARD_SCOPE` name (None: the YAML names no board)."""
    return json.loads(name.removeprefix(BOARD_SCOPE))


def scoped_boards(boards: NameTable, references: Sequence[Any] | None) -> NameTable:
    """The boards whose children are read: those ``references`` resolve to, as the ticket
    settings kind resolves its board (every board when ``references`` is None)."""
    if references is None:
        return boards
    chosen: dict[str, Entry] = {}
    for reference in references:
        entry = boards.resolve(reference).entry if reference is not None else None
        if entry is not None:
            chosen[str(entry.id)] = entry
    return NameTable(boards.what, chosen.values())


def _fields(table: str) -> list[str]:
    return FIELDS[table].split(",")


def read_list(client: ConnectWiseClient, table: str) -> NameTable:
    """One flat table, or the UDFs of the company screen, or categories with subcategories."""
    if table == t.CW_CATEGORIES:
        categories = client.list_all(endpoints.CATEGORIES, fields=_fields(table))
        subs = client.list_all(endpoints.SUBCATEGORIES, fields=SUBCATEGORY_FIELDS)
        return categories_table(categories, subs)
    if table == t.CW_COMPANY_UDFS:
        rows = client.list_all(endpoints.USER_DEFINED_FIELDS, fields=_fields(table))
        company = [row for row in rows if row.get("screenId") in (None, COMPANY_SCREEN)]
        return named_table(table, company, name="caption")
    return named_table(table, client.list_all(FLAT[table], fields=_fields(table)))


def read_board_children(
    client: ConnectWiseClient, pool: ThreadPoolExecutor, tables: Sequence[str], boards: NameTable
) -> dict[str, NameTable]:
    """``tables`` (board children) of each of ``boards``, each list of each board in parallel."""
    jobs: dict[str, dict[Any, Future[list[Record]]]] = {
        table: {
            entry.id: pool.submit(
                client.list_all, CHILD_PATHS[table](int(entry.id)), fields=_fields(table)
            )
            for entry in boards.entries
        }
        for table in tables
    }
    found: dict[str, NameTable] = {}
    for table, by_board in jobs.items():
        rows = {board: job.result() for board, job in by_board.items()}
        if table == t.CW_BOARD_ASSOCIATIONS:
            found[table] = associations_table(rows)
        else:
            found[table] = board_children_table(table, rows)
    return found


class ConnectWiseReads:
    """The ConnectWise reads of one run."""

    prefix = PREFIX

    def __init__(self, client: ConnectWiseClient) -> None:
        self.client = client
        self.pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="read-cw")
        # Board children wait for the boards: their own pool, so they never starve it.
        self.children = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="read-cw-b")
        self.submitted: set[str] = set()
        self.jobs: list[Future[dict[str, NameTable]]] = []
        self.callbacks: Future[list[Record]] | None = None
        self.boards: Future[NameTable] | None = None
        self.wanted_children: set[str] = set()
        """Board child tables asked for and not yet submitted."""
        self.scopes: list[Any] = []
        """The board references of the scope names asked for (in the order asked)."""

    def __enter__(self) -> ConnectWiseReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)
        self.children.shutdown(wait=True)

    def start(self, sections: Sequence[str], tables: Sequence[str]) -> None:
        if CALLBACKS in sections:
            self.callbacks = self.pool.submit(
                self.client.list_all, endpoints.CALLBACKS, fields=CALLBACK_FIELDS
            )
        self._submit(tables)

    def tables(self, names: Sequence[str]) -> None:
        """The last names of the run: the board children asked for are read now, for the
        boards the scope names resolve to (every board when none came)."""
        self._submit(names)
        if self.wanted_children:
            children, self.wanted_children = sorted(self.wanted_children), set()
            scopes = list(self.scopes) if self.scopes else None
            self.jobs.append(self.pool.submit(self._children, children, scopes))

    def _submit(self, names: Sequence[str]) -> None:
        fresh = sorted(n for n in names if n.startswith(PREFIX) and n not in self.submitted)
        self.submitted.update(fresh)
        for name in fresh:
            if name.startswith(BOARD_SCOPE):
                self.scopes.append(scope_reference(name))
            elif name in BOARD_TABLES:
                self.wanted_children.add(name)
            elif name != t.CW_BOARDS:
                self.jobs.append(self.pool.submit(self._one, name))
        if t.CW_BOARDS in fresh or self.wanted_children:
            self._boards()

    def _boards(self) -> Future[NameTable]:
        """The boards list, read once (the children need it; returned when asked for)."""
        if self.boards is None:
            boards = self.pool.submit(read_list, self.client, t.CW_BOARDS)
            self.boards = boards
            self.jobs.append(self.pool.submit(lambda: {t.CW_BOARDS: boards.result()}))
        return self.boards

    def _one(self, name: str) -> dict[str, NameTable]:
        return {name: read_list(self.client, name)}

    def _children(
        self, tables: Sequence[str], scopes: Sequence[Any] | None
    ) -> dict[str, NameTable]:
        boards = scoped_boards(self._boards().result(), scopes)
        return read_board_children(self.client, self.children, tables, boards)

    def read_tables(self) -> dict[str, NameTable]:
        found: dict[str, NameTable] = {}
        for job in self.jobs:
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
        if CALLBACKS not in sections or self.callbacks is None:
            return []
        return live_callbacks(self.callbacks.result())
