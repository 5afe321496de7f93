"""The Categories page's Import button (:class:`~reconciler.psa.base.ProductImport`): the
products of the mapped ConnectWise categories, a Salesbuildr job
(``POST /integration/connectwise/import``, polled as every job is).

The counting contract (our proposal, docs/salesbuildr-contract.md): a finished import's
``counts`` are ``{"mappings": {"<key>": n, ...}, "total": n}``, one entry per row of the
categories document's ``mappings`` the import covered, ``<key>`` the row's ConnectWise category
id (``"12"``) or category and subcategory ids (``"12/40"``) — the id the catalog's category
table gives that path (:func:`~.kinds_tables.subcategory_entry_id`) — and ``n`` the catalog
items it brought in; each row's ``importedCount`` says the same afterwards. ``--category``
narrows the job to the rows whose Salesbuildr category is that one or below it.

Pure but for :meth:`ConnectWiseProductImport.read_names`, which reads the category table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.kinds.catalog import NameTable
from reconciler.kinds.names import fold
from reconciler.psa.base import ImportLine
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.read import read_list

DOCUMENT: Final = "categories"
"""The Salesbuildr document whose ``mappings`` the import covers."""
COUNTS: Final = "mappings"
"""The job's ``counts`` key of the per-row counts."""


def _ancestors(categories: Sequence[Any], start: str) -> set[str]:
    """``start`` and every Salesbuildr category above it (a parent cycle cannot loop)."""
    parents = {str(c.id): c.parent_id for c in categories}
    found: set[str] = set()
    current: str | None = start
    while current is not None and current not in found:
        found.add(current)
        parent = parents.get(current)
        current = str(parent) if parent is not None else None
    return found


def unmapped_categories(
    categories: Sequence[Any], chosen: Sequence[Any], document: Mapping[str, Any]
) -> list[Any]:
    """The chosen Salesbuildr categories that no mapping row points at or below: an import of
    them brings nothing in."""
    covered: set[str] = set()
    for row in document.get("mappings") or []:
        if isinstance(row, Mapping) and row.get("categoryId") is not None:
            covered |= _ancestors(categories, str(row["categoryId"]))
    return [entry for entry in chosen if str(entry.id) not in covered]


def import_lines(counts: Mapping[str, Any], names: Mapping[str, Any]) -> list[ImportLine]:
    """One line per mapped ConnectWise category (or subcategory), named by its path where the
    category table knows the key; by name, then key."""
    table = names.get(t.CW_CATEGORIES)
    lines: list[ImportLine] = []
    per_row = counts.get(COUNTS)
    for key, imported in (per_row if isinstance(per_row, Mapping) else {}).items():
        entry = table.by_id(key) if isinstance(table, NameTable) else None
        kind = "subcategory" if "/" in str(key) else "category"
        name = table.label(entry) if entry is not None and isinstance(table, NameTable) else None
        lines.append(ImportLine(kind, str(key), name, int(imported)))
    return sorted(lines, key=lambda line: (fold(line.name or ""), line.id))


def import_total(counts: Mapping[str, Any]) -> int:
    total = counts.get("total")
    if isinstance(total, int):
        return total
    per_row = counts.get(COUNTS)
    return sum(int(n) for n in per_row.values()) if isinstance(per_row, Mapping) else 0


class ConnectWiseProductImport:
    """Categories > Import: the products of the mapped ConnectWise categories."""

    settings_document = DOCUMENT
    mapped_objects = "ConnectWise category"
    unmapped_hint = "map a ConnectWise category to it under categories.mappings and apply"
    no_credentials_note = (
        "note: ConnectWise credentials are not set: the mapped categories are shown by id"
    )

    def unmapped(
        self, categories: Sequence[Any], chosen: Sequence[Any], document: Mapping[str, Any]
    ) -> list[Any]:
        return unmapped_categories(categories, chosen, document)

    def needs_names(self, counts: Mapping[str, Any]) -> bool:
        return bool(counts.get(COUNTS))

    def read_names(self, client: ConnectWiseClient, counts: Mapping[str, Any]) -> dict[str, Any]:
        return {t.CW_CATEGORIES: read_list(client, t.CW_CATEGORIES)}

    def lines(self, counts: Mapping[str, Any], names: Mapping[str, Any]) -> list[ImportLine]:
        return import_lines(counts, names)

    def total(self, counts: Mapping[str, Any]) -> int:
        return import_total(counts)
