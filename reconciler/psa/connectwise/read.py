"""ConnectWise's reads of one run (:class:`reconciler.psa.system.SystemReads`): every reference
table the kinds of the sections present name, and the callbacks, all submitted at once.

Each list is read once at the paging floor (``pageSize=1000``, ``fields=`` only what the
tables use: :data:`~.kinds_catalog.FIELDS`); the client keeps 4 requests in flight and the
rate cap paces them. A board's children (statuses, types, subtypes, items, associations) are
read for every board once the boards are known: the ticket settings name their board by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from reconciler.kinds.catalog import Catalog, NameTable
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


def tables_of(sections: Sequence[str]) -> set[str]:
    """The reference tables the kinds of ``sections`` name (all known before the YAML's
    resources are built: no ConnectWise kind's tables depend on its values)."""
    return {name for kind in KINDS if kind.section in sections for name in kind.tables}


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
    """``tables`` (board children) of every board, each list of each board in parallel."""
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
        self.tables(tables)

    def tables(self, names: Sequence[str]) -> None:
        fresh = sorted(n for n in names if n.startswith(PREFIX) and n not in self.submitted)
        self.submitted.update(fresh)
        children = [n for n in fresh if n in BOARD_TABLES]
        for name in fresh:
            if name not in BOARD_TABLES and name != t.CW_BOARDS:
                self.jobs.append(self.pool.submit(self._one, name))
        if children or t.CW_BOARDS in fresh:
            self.jobs.append(self.pool.submit(self._boards, children))

    def _one(self, name: str) -> dict[str, NameTable]:
        return {name: read_list(self.client, name)}

    def _boards(self, children: Sequence[str]) -> dict[str, NameTable]:
        boards = read_list(self.client, t.CW_BOARDS)
        found = read_board_children(self.client, self.children, children, boards)
        return {t.CW_BOARDS: boards, **found}

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
