"""Bodies and results of the contract's actions: the apply lock, syncs and product imports.

Pure functions, no HTTP. Each ``*_body`` function returns ``(value, errors)``: the usable value of
a request body, and the ``{"path", "message"}`` errors of the 422 body (empty when it is usable).

What a PSA's pages offer is data, the ``x-actions`` object of its documents file
(:func:`~reconciler.sandbox.salesbuildr.documents.psa_actions`): its sync modes, each with the
counts a finished sync reports and how each is derived from the tenant, so tests can predict
them (``nominal``: a number per seed, since only the PSA holds its companies; ``usage``: a sum
over the category usage; ``tables``: the ids of reference tables; ``rows``: the rows of a
document's list whose flag is set); its product import (the document whose mapping lists it
covers, each list's key field, or key fields when a row is keyed by several); whether it has a
delivery report. An import reports ``{"<list>": {"<key>": n}, ..., "total": n}``, n from
:func:`~reconciler.sandbox.salesbuildr.seed.imported_count`; a row keyed by several fields is
counted under their non-null values joined by ``/`` (ConnectWise's category ``"12"`` and
subcategory ``"12/40"``: one row each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from reconciler.sandbox.salesbuildr.documents import References
from reconciler.sandbox.salesbuildr.seed import TenantData, imported_count

LOCK_TTL_MAX_S: Final = 86_400
LOCK_OWNER_MAX: Final = 200

Errors = list[dict[str, str]]


def _unknown_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> Errors:
    return [{"path": str(k), "message": "unknown field"} for k in body if k not in allowed]


def lock_body(body: object) -> tuple[tuple[str, int] | None, Errors]:
    """``(owner, ttlSeconds)`` of ``PUT /lock`` (owner 1..200 characters, TTL 1..86400 s)."""
    if not isinstance(body, dict):
        return None, [{"path": "", "message": "must be an object"}]
    owner, ttl = body.get("owner"), body.get("ttlSeconds")
    errors = _unknown_fields(body, ("owner", "ttlSeconds"))
    if not isinstance(owner, str) or not 1 <= len(owner) <= LOCK_OWNER_MAX:
        errors.append({"path": "owner", "message": f"must be 1..{LOCK_OWNER_MAX} characters"})
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= LOCK_TTL_MAX_S:
        errors.append({"path": "ttlSeconds", "message": f"must be an integer 1..{LOCK_TTL_MAX_S}"})
    if errors or not isinstance(owner, str) or not isinstance(ttl, int):
        return None, errors
    return (owner, ttl), []


def sync_body(body: object, modes: Sequence[str]) -> tuple[str, Errors]:
    """The ``mode`` of ``POST /sync`` (one of the PSA's ``modes``)."""
    if not isinstance(body, dict):
        return "", [{"path": "", "message": "must be an object"}]
    errors = _unknown_fields(body, ("mode",))
    mode = body.get("mode")
    if not isinstance(mode, str) or mode not in modes:
        errors.append({"path": "mode", "message": f"must be one of {', '.join(modes)}"})
        return "", errors
    return mode, errors


def import_body(body: object, data: TenantData) -> tuple[list[str] | None, Errors]:
    """The category ids of ``POST /import``: None for ``{"scope": "mapped"}`` (every mapping)."""
    if not isinstance(body, dict) or body.get("scope") not in ("mapped", "categories"):
        return None, [{"path": "scope", "message": "must be mapped or categories"}]
    if body["scope"] == "mapped":
        return None, _unknown_fields(body, ("scope",))
    errors = _unknown_fields(body, ("scope", "categoryIds"))
    ids = body.get("categoryIds")
    if not isinstance(ids, list) or not ids:
        return None, [*errors, {"path": "categoryIds", "message": "must be a non-empty array"}]
    errors += [
        {"path": f"categoryIds[{n}]", "message": f"unknown category {cid!r}"}
        for n, cid in enumerate(ids)
        if not isinstance(cid, str) or cid not in data.category_index
    ]
    return [str(cid) for cid in ids], errors


def _count(
    rule: Mapping[str, Any],
    data: TenantData,
    documents: Mapping[str, Any],
    tables: References,
    seed: str,
) -> int:
    if "nominal" in rule:
        return int(rule["nominal"].get(seed, 0))
    if "usage" in rule:
        return sum(int(getattr(u, rule["usage"])) for u in data.usage)
    if "tables" in rule:
        return sum(len(tables.get(name) or {}) for name in rule["tables"])
    rows = rule["rows"]
    listed = (documents.get(rows["document"]) or {}).get(rows["list"]) or []
    return sum(1 for row in listed if row.get(rows["where"]))


def sync_counts(
    counts: Mapping[str, Mapping[str, Any]],
    data: TenantData,
    documents: Mapping[str, Any],
    tables: References,
    seed: str,
) -> dict[str, Any]:
    """What a finished sync reports: each count of its mode's rules (``x-actions.sync.<mode>``)."""
    return {name: _count(rule, data, documents, tables, seed) for name, rule in counts.items()}


ImportKeys = Mapping[str, str | Sequence[str]]
"""Mapping list -> its key field, or the fields that key a row together."""


def row_key(row: Mapping[str, Any], key: str | Sequence[str]) -> str:
    """The key a row's count is reported under: its key field, or the non-null values of its
    key fields joined by ``/``."""
    fields = (key,) if isinstance(key, str) else tuple(key)
    return "/".join(str(row[name]) for name in fields if row.get(name) is not None)


def import_counts(
    lists: ImportKeys,
    document: dict[str, Any],
    data: TenantData,
    category_ids: list[str] | None,
) -> dict[str, Any]:
    """Items an import brings in, per mapped PSA id of each of the document's mapping ``lists``
    (list -> its key field), and total.

    ``category_ids`` None means every mapping ("import all mapped categories"); otherwise only
    mappings whose Salesbuildr category is one of them or below one of them.
    """
    scope = None if category_ids is None else data.subtree(category_ids)
    counts: dict[str, Any] = {}
    for table, key in lists.items():
        counts[table] = {
            row_key(row, key): imported_count(table, row_key(row, key), row["categoryId"])
            for row in document.get(table) or []
            if scope is None or row["categoryId"] in scope
        }
    counts["total"] = sum(sum(counts[table].values()) for table in lists)
    return counts


def record_import(lists: ImportKeys, document: dict[str, Any], counts: dict[str, Any]) -> None:
    """Set ``importedCount`` of the mappings a finished import covered (in place)."""
    for table, key in lists.items():
        for row in document.get(table) or []:
            if row_key(row, key) in counts[table]:
                row["importedCount"] = counts[table][row_key(row, key)]
