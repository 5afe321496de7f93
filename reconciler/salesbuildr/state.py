"""Salesbuildr settings sections <-> resources, and Salesbuildr reference tables.

Each YAML section maps to one settings document of the contract, as a :class:`SectionSpec` its
PSA declares (Autotask's: psa/autotask/documents.py). Rows of a document become
:class:`MappingKind` resources, scalar settings a :class:`SingletonKind` resource. Writing goes the
other way: the live document with the plan's changes applied, sent whole with ``If-Match``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds import tables as t
from reconciler.kinds.base import MappingKind, SingletonKind
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.state import Resource
from reconciler.writes import Change


@dataclass(frozen=True)
class Rows:
    """A list in a section document whose items are rows of a mapping kind."""

    kind: MappingKind
    list_key: str
    key_fields: tuple[str, ...]
    value_field: str


@dataclass(frozen=True)
class Doc:
    """Scalar settings of a section document, as one singleton resource."""

    kind: SingletonKind
    fields: Mapping[str, str]  # attribute -> body key


@dataclass(frozen=True)
class SectionSpec:
    name: str
    rows: tuple[Rows, ...] = ()
    docs: tuple[Doc, ...] = ()
    read_only: tuple[str, ...] = field(default=())


def documents_for(
    specs: Mapping[str, SectionSpec],
    sections: Sequence[str],
    extra: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """The documents the ``sections`` read, in order, each once: each section's own
    (``specs``) and those it reads besides (``extra``: a PSA-side section's flags)."""
    names: list[str] = []
    for section in sections:
        spec = specs.get(section)
        for name in ((spec.name,) if spec else ()) + (extra or {}).get(section, ()):
            if name not in names:
                names.append(name)
    return names


def section_resources(
    spec: SectionSpec, body: Mapping[str, Any], catalog: Catalog
) -> list[Resource]:
    """The live resources of one YAML section (``spec``) from its settings document."""
    resources: list[Resource] = []
    for doc in spec.docs:
        values = {attr: body.get(key) for attr, key in doc.fields.items()}
        resources.append(
            doc.kind.live(values, catalog, raw={k: body.get(k) for k in doc.fields.values()})
        )
    for rows in spec.rows:
        for row in body.get(rows.list_key) or []:
            keys = [row.get(f) for f in rows.key_fields]
            resources.append(
                rows.kind.live(keys, row.get(rows.value_field), catalog, raw=dict(row))
            )
    return resources


def _wire(value: Any) -> Any:
    """A PSA's picklist values are numeric strings in its metadata (Autotask's); the contract
    sends integers."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def apply_changes(
    spec: SectionSpec, body: Mapping[str, Any], changes: Sequence[Change]
) -> dict[str, Any]:
    """The document to PUT (section ``spec``): the live body with each plan change applied.

    Read-only fields (``importedCount``, ``secretSet``, ``url``) are dropped; the server ignores
    them anyway.
    """
    result = copy.deepcopy(dict(body))
    by_kind_rows = {rows.kind.name: rows for rows in spec.rows}
    by_kind_docs = {doc.kind.name: doc for doc in spec.docs}
    for change in changes:
        if change.kind in by_kind_docs:
            _set_fields(result, by_kind_docs[change.kind], change)
        else:
            rows = by_kind_rows[change.kind]
            result[rows.list_key] = _changed_rows(result.get(rows.list_key) or [], rows, change)
    for rows in spec.rows:
        for item in result.get(rows.list_key) or []:
            item.pop("importedCount", None)
    for read_only in ("secretSet", "url"):
        result.pop(read_only, None)
    return result


def _set_fields(result: dict[str, Any], doc: Doc, change: Change) -> None:
    """A singleton's change: its changed fields written into the document."""
    desired = (change.ids or {}).get("desired") or {}
    after = {d.path: d.after for d in change.diff}
    paths = [path for path in after if path in doc.fields]
    if paths:
        # A scoped field is compared by label, which repeats across its scope (a sub-issue
        # type under another issue type): send its id with every write.
        paths += [n for n in sorted(doc.kind.scoped) if n in desired and n not in after]
    for path in paths:
        result[doc.fields[path]] = _wire(desired.get(path, after.get(path)))


def _changed_rows(
    current: Sequence[Mapping[str, Any]], rows: Rows, change: Change
) -> list[dict[str, Any]]:
    """A mapping row's change: the live row (by its live keys) replaced, added or removed."""
    ids = change.ids or {}
    items: list[dict[str, Any]] = [dict(r) for r in current]
    live_keys = (ids.get("live") or {}).get("keys")
    desired_ids = ids.get("desired") or {}
    if live_keys is not None:
        items = [r for r in items if [r.get(f) for f in rows.key_fields] != list(live_keys)]
    if change.action in ("create", "update"):
        keys = desired_ids.get("keys") or []
        row = {f: _wire(k) for f, k in zip(rows.key_fields, keys, strict=True)}
        row[rows.value_field] = _wire(desired_ids.get(rows.kind.value_attr))
        items.append(row)
    return items


def read_table(client: SalesbuildrClient, name: str) -> NameTable | None:
    """Build one Salesbuildr reference table, or None when the name is not a Salesbuildr table."""
    if name == t.SB_CATEGORIES:
        # Two independent paged lists: page through the usage while the categories are read,
        # so the table costs the longer of the two chains, not their sum.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-usage") as pool:
            usage_job = pool.submit(client.category_usage)
            categories = client.categories()
            usage = {u.category_id: u for u in usage_job.result()}
        return NameTable(
            "Salesbuildr category",
            [
                Entry(
                    id=c.id,
                    name=c.name,
                    path=c.path,
                    extra={
                        t.PRODUCT_COUNT: usage[c.id].product_count if c.id in usage else 0,
                    },
                )
                for c in categories
            ],
            paths=True,
        )
    if name == t.SB_COMPANY_TYPES:
        return NameTable(
            "Salesbuildr company type",
            [Entry(id=c.key, name=c.name) for c in client.company_types()],
        )
    for table, entity in (
        (t.SB_COMPANY_DATA_POINTS, "company"),
        (t.SB_OPPORTUNITY_DATA_POINTS, "opportunity"),
    ):
        if name == table:
            return NameTable(
                f"{entity} data point",
                [
                    Entry(
                        id=d.id,
                        name=d.name,
                        path=d.path,
                        extra={t.MULTI_SELECT: d.multi_select, "company_types": d.company_types},
                    )
                    for d in client.data_points(entity)
                ],
                paths=True,
            )
    return None
