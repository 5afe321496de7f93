"""Autotask's one-off actions (:class:`~reconciler.psa.base.PsaOperations`): its sync modes and
``after_apply`` jobs, the product import's counts named by Autotask's tables, and the installed
webhooks (status, delivery report, uninstall: :mod:`.operations_webhooks`,
:mod:`.operations_deliveries`, :mod:`.operations_uninstall`).

Nothing here prints: the CLI shows what these return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.errors import UsageError
from reconciler.kinds.catalog import Entry, NameTable
from reconciler.kinds.names import fold
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.models import AfterApplyAction
from reconciler.psa.autotask.operations_webhooks import AutotaskWebhooks
from reconciler.psa.autotask.targets import autotask_url
from reconciler.psa.base import ImportLine, JobAction, PsaOperations

if TYPE_CHECKING:
    from reconciler.salesbuildr.client import Category

SYNC_TITLES = {"full": "Full sync", "fields": "Fields sync", "inventory": "Inventory sync"}
SYNC_MODES = tuple(SYNC_TITLES)
AFTER_APPLY: dict[str, JobAction] = {
    AfterApplyAction.SYNC_FIELDS.value: JobAction("sync", "fields", "reconcile sync --fields"),
    AfterApplyAction.SYNC_FULL.value: JobAction("sync", "full", "reconcile sync --full"),
    AfterApplyAction.SYNC_INVENTORY.value: JobAction(
        "sync", "inventory", "reconcile sync --inventory"
    ),
    AfterApplyAction.IMPORT_PRODUCTS.value: JobAction("import", None, "reconcile import-products"),
}
"""``after_apply`` action -> the Salesbuildr job it starts."""


# --- the Autotask client of an operation ----------------------------------------------------------


def has_credentials(environ: Mapping[str, str]) -> bool:
    try:
        credentials_from_env(environ)
    except UsageError:
        return False
    return True


def open_client(environ: Mapping[str, str], config: Any | None, where: str) -> AutotaskClient:
    """Credentials from the environment; the URL from it, else the YAML's ``autotask.url``
    (checked against the operator's hosts even when the environment overrides it)."""
    credentials = credentials_from_env(environ)
    yaml_url = config.autotask.url if config is not None and config.autotask else None
    url = autotask_url(yaml_url, f"autotask.url in {where}", environ)
    return AutotaskClient.connect(credentials, url=url)


def connected_client(connections: Any) -> AutotaskClient | None:
    """The Autotask client of a run's connections (None: the run did not connect it)."""
    client: AutotaskClient | None = getattr(connections, "psa_client", None)
    return client


# --- product import -------------------------------------------------------------------------------

IMPORT_TABLES = (
    ("roles", "role", t.AT_ROLES),
    ("productCategories", "product category", t.AT_PRODUCT_CATEGORIES),
    ("services", "service", t.AT_SERVICES),
)
"""Job ``counts`` key, what it counts, the Autotask table that names its ids."""


def unmapped_categories(
    categories: Sequence[Category], chosen: Sequence[Entry], product_import: Mapping[str, Any]
) -> list[Entry]:
    """The chosen categories whose subtree no role, product category or service mapping of the
    ``product-import`` settings points into: importing them brings nothing in."""
    children: dict[str, list[str]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category.id)
    mapped = {
        str(row.get("categoryId"))
        for key, _, _ in IMPORT_TABLES
        for row in product_import.get(key) or []
        if isinstance(row, Mapping)
    }

    def covers(category_id: str) -> bool:
        seen: set[str] = set()
        stack = [category_id]
        while stack:
            current = stack.pop()
            if current in mapped:
                return True
            if current not in seen:  # a parent cycle cannot loop
                seen.add(current)
                stack.extend(children.get(current, ()))
        return False

    return [entry for entry in chosen if not covers(str(entry.id))]


def tables_for_counts(counts: Mapping[str, Any]) -> list[str]:
    """The Autotask tables that name the ids an import's counts use."""
    return [table for key, _, table in IMPORT_TABLES if counts.get(key)]


def import_lines(counts: Mapping[str, Any], tables: Mapping[str, NameTable]) -> list[ImportLine]:
    """The counts of a finished import, per role / product category / service, with names where
    the table knows the id (``name`` None otherwise)."""
    lines: list[ImportLine] = []
    for key, kind, table_name in IMPORT_TABLES:
        table = tables.get(table_name)
        per_id = counts.get(key) or {}
        rows = []
        for item_id, imported in per_id.items():
            entry = table.by_id(item_id) if table is not None else None
            rows.append(ImportLine(kind, str(item_id), entry.name if entry else None, imported))
        lines.extend(sorted(rows, key=lambda line: (fold(line.name or ""), line.id)))
    return lines


def import_total(counts: Mapping[str, Any]) -> int:
    total = counts.get("total")
    if isinstance(total, int):
        return total
    return sum(sum((counts.get(key) or {}).values()) for key, _, _ in IMPORT_TABLES)


def read_import_tables(client: AutotaskClient, counts: Mapping[str, Any]) -> dict[str, NameTable]:
    tables: dict[str, NameTable] = {}
    for name in tables_for_counts(counts):
        table = at_state.read_table(client, name)
        if table is not None:
            tables[name] = table
    return tables


class AutotaskProductImport:
    """Data Import > Product Import: categories mapped to roles, product categories, services."""

    settings_document = "product-import"
    mapped_objects = "role, product category or service"
    unmapped_hint = "map it under product_import (roles, product_categories or services) and apply"
    no_credentials_note = (
        "note: Autotask credentials are not set: roles, product categories and services are "
        "shown by id"
    )

    def unmapped(
        self, categories: Sequence[Any], chosen: Sequence[Any], document: Mapping[str, Any]
    ) -> list[Any]:
        return unmapped_categories(categories, chosen, document)

    def needs_names(self, counts: Mapping[str, Any]) -> bool:
        return bool(tables_for_counts(counts))

    def read_names(self, client: Any, counts: Mapping[str, Any]) -> Mapping[str, Any]:
        return read_import_tables(client, counts)

    def lines(self, counts: Mapping[str, Any], names: Mapping[str, Any]) -> list[ImportLine]:
        return import_lines(counts, names)

    def total(self, counts: Mapping[str, Any]) -> int:
        return import_total(counts)


def operations() -> PsaOperations:
    """The ``operations`` hook of the Autotask PSA."""
    return PsaOperations(
        sync_modes=SYNC_TITLES,
        after_apply=AFTER_APPLY,
        client=open_client,
        has_credentials=has_credentials,
        connected=connected_client,
        product_import=AutotaskProductImport(),
        callouts=AutotaskWebhooks(),
    )
