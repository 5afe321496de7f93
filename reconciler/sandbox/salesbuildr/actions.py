"""Bodies and results of the contract's actions: the apply lock, syncs and product imports.

Pure functions, no HTTP. Each ``*_body`` function returns ``(value, errors)``: the usable value of
a request body, and the ``{"path", "message"}`` errors of the 422 body (empty when it is usable).
The counts a finished job reports are derived deterministically from the tenant, so tests can
predict them:

* a sync reports what it read: ``full`` -> ``companies``, ``contacts``, ``products``,
  ``services``, ``fieldValues``; ``fields`` -> ``fieldValues``; ``inventory`` -> ``locations``
  (the tracked ones). Companies and contacts are nominal numbers per seed, since only the Autotask
  side holds them.
* an import reports ``{"roles": {"<roleId>": n}, "productCategories": {"<productCategory>": n},
  "services": {"<serviceId>": n}, "total": n}``, n from
  :func:`~reconciler.sandbox.salesbuildr.seed.imported_count`.
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.sandbox.salesbuildr.seed import TenantData, imported_count

LOCK_TTL_MAX_S: Final = 86_400
LOCK_OWNER_MAX: Final = 200
SYNC_MODES: Final = ("full", "fields", "inventory")
IMPORT_TABLES: Final = {
    "roles": "roleId",
    "productCategories": "productCategory",
    "services": "serviceId",
}
_SYNCED_COMPANIES: Final = {"empty": 25, "demo": 25, "large": 2000}
_SYNCED_CONTACTS: Final = {"empty": 80, "demo": 80, "large": 8000}

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


def sync_body(body: object) -> tuple[str, Errors]:
    """The ``mode`` of ``POST /sync``."""
    if not isinstance(body, dict):
        return "", [{"path": "", "message": "must be an object"}]
    errors = _unknown_fields(body, ("mode",))
    mode = body.get("mode")
    if not isinstance(mode, str) or mode not in SYNC_MODES:
        errors.append({"path": "mode", "message": f"must be one of {', '.join(SYNC_MODES)}"})
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


def sync_counts(
    mode: str, data: TenantData, inventory: dict[str, Any], seed: str
) -> dict[str, Any]:
    """What a finished sync of ``mode`` reports."""
    cache = data.autotask
    field_values = sum(
        len(ids)
        for ids in (
            cache.billing_codes,
            cache.company_types,
            cache.queues,
            cache.issue_types,
            cache.sub_issue_types,
            cache.ticket_categories,
            cache.priorities,
            cache.sources,
        )
    )
    if mode == "fields":
        return {"fieldValues": field_values}
    if mode == "inventory":
        return {"locations": sum(1 for loc in inventory["locations"] if loc["trackStock"])}
    return {
        "companies": _SYNCED_COMPANIES[seed],
        "contacts": _SYNCED_CONTACTS[seed],
        "products": sum(u.product_count for u in data.usage),
        "services": sum(u.service_count for u in data.usage),
        "fieldValues": field_values,
    }


def import_counts(
    product_import: dict[str, Any], data: TenantData, category_ids: list[str] | None
) -> dict[str, Any]:
    """Items an import brings in, per mapped Autotask id of each product-import table, and total.

    ``category_ids`` None means every mapping ("import all mapped categories"); otherwise only
    mappings whose Salesbuildr category is one of them or below one of them.
    """
    scope = None if category_ids is None else data.subtree(category_ids)
    counts: dict[str, Any] = {}
    for table, key in IMPORT_TABLES.items():
        counts[table] = {
            str(row[key]): imported_count(table, row[key], row["categoryId"])
            for row in product_import[table]
            if scope is None or row["categoryId"] in scope
        }
    counts["total"] = sum(sum(counts[table].values()) for table in IMPORT_TABLES)
    return counts


def record_import(product_import: dict[str, Any], counts: dict[str, Any]) -> None:
    """Set ``importedCount`` of the mappings a finished import covered (in place)."""
    for table, key in IMPORT_TABLES.items():
        for row in product_import[table]:
            if str(row[key]) in counts[table]:
                row["importedCount"] = counts[table][str(row[key])]
