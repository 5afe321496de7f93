"""The ConnectWise simulator's seeds: ``empty``, ``demo`` and ``large``.

* ``empty``: no rows at all (a tenant the engine has to fill);
* ``demo``: a small MSP: three service boards with statuses, types, subtypes, items and their
  type/subtype/item associations, product categories with subcategories, product types, company
  types and statuses, company UDFs, opportunity statuses/types/stages, warehouses with bins,
  priorities, an agreement type, a dozen companies with types and UDF values, a few
  opportunities; no callbacks (installing them is the engine's job);
* ``large``: the demo plus 400 categories (3 subcategories each), 25 more boards and 5,000
  companies, for paging and the read benchmarks.

Every value is deterministic: the same seed gives the same ids and records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from reconciler.sandbox.connectwise.seed_data import (
    BOARDS,
    CATALOG,
    CATEGORIES,
    COMPANY_STATUSES,
    COMPANY_TYPES,
    DEMO_COMPANIES,
    DEPARTMENT,
    LOCATION,
    MEMBER,
    OPPORTUNITY_STATUSES,
    OPPORTUNITY_TYPES,
    PRIORITIES,
    PRODUCT_TYPES,
    STAGES,
    UDFS,
    WAREHOUSES,
)
from reconciler.sandbox.connectwise.store import Store

SEEDS: Final = ("empty", "demo", "large")
LARGE_CATEGORIES: Final = 400
LARGE_SUBCATEGORIES_EACH: Final = 3
LARGE_BOARDS: Final = 25
LARGE_COMPANIES: Final = 5_000


def build_store(seed: str, store: Store) -> Store:
    """Fill ``store`` (empty) with ``seed``; ValueError for an unknown seed."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; expected one of {', '.join(SEEDS)}")
    if seed == "empty":
        return store
    _demo(store)
    if seed == "large":
        _large(store)
    return store


def _ids(store: Store, collection: str) -> dict[str, int]:
    """``{name (or description): id}`` of a collection, for the rows that follow."""
    return {
        str(row.get("name", row.get("description"))): int(row["id"])
        for row in store.everything(collection)
    }


def _named(names: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"name": name, **extra} for name, extra in names]


def _demo(store: Store) -> None:
    store.insert_many("company_types", _named(COMPANY_TYPES))
    store.insert_many("company_statuses", _named(COMPANY_STATUSES))
    store.insert_many("product_types", [{"name": name} for name in PRODUCT_TYPES])
    store.insert_many("opportunity_statuses", _named(OPPORTUNITY_STATUSES))
    store.insert_many("opportunity_types", [{"description": d} for d in OPPORTUNITY_TYPES])
    store.insert_many(
        "stages", [{"name": name, "sequenceNumber": n} for n, name in enumerate(STAGES, 1)]
    )
    store.insert_many(
        "priorities",
        [
            {"name": name, "color": color, "sortOrder": n, "defaultFlag": n == 3}
            for n, (name, color) in enumerate(PRIORITIES, 1)
        ],
    )
    store.insert_many(
        "udfs",
        [
            {
                "podId": 1,
                "screenId": "fv_company",
                "caption": caption,
                "sequenceNumber": n,
                "fieldTypeIdentifier": kind,
                "entryTypeIdentifier": "EntryField",
                "displayOnScreenFlag": True,
            }
            for n, (caption, kind) in enumerate(UDFS, 1)
        ],
    )
    store.insert_many(
        "agreement_types",
        [
            {
                "name": "Managed Services",
                "employeeCompRate": "Actual",
                "employeeCompNotExceed": "Billing",
                "invoicingCycle": "CalendarYear",
                "billTime": "Billable",
                "billExpenses": "Billable",
                "billProducts": "Billable",
            }
        ],
    )
    _categories(store, {name: list(subs) for name, subs in CATEGORIES.items()})
    _catalog(store)
    _warehouses(store)
    _boards(store, BOARDS)
    _companies(store, DEMO_COMPANIES)
    _opportunities(store)


def _categories(store: Store, tree: dict[str, list[str]]) -> None:
    store.insert_many("categories", [{"name": name} for name in tree])
    ids = _ids(store, "categories")
    store.insert_many(
        "subcategories",
        [
            {"name": sub, "category": {"id": ids[name], "name": name}}
            for name, subs in tree.items()
            for sub in subs
        ],
    )


def _catalog(store: Store) -> None:
    subcategories = {
        (row["category"]["name"], row["name"]): row for row in store.everything("subcategories")
    }
    types = _ids(store, "product_types")
    store.insert_many(
        "catalog",
        [
            {
                "identifier": identifier,
                "description": description,
                "customerDescription": description,
                "category": subcategories[(category, sub)]["category"],
                "subcategory": {
                    "id": subcategories[(category, sub)]["id"],
                    "name": sub,
                },
                "type": {"id": types[type_name], "name": type_name},
                "manufacturerPartNumber": identifier,
                "price": price,
                "cost": cost,
                "productClass": "NonInventory",
                "inactiveFlag": False,
            }
            for identifier, description, category, sub, type_name, price, cost in CATALOG
        ],
    )


def _warehouses(store: Store) -> None:
    store.insert_many(
        "warehouses",
        [{"name": name, "location": LOCATION, "department": DEPARTMENT} for name in WAREHOUSES],
    )
    ids = _ids(store, "warehouses")
    store.insert_many(
        "warehouse_bins",
        [
            {
                "name": bin_name,
                "warehouse": {"id": ids[name], "name": name},
                "quantityOnHand": 0,
                "defaultFlag": n == 0,
            }
            for name, bins in WAREHOUSES.items()
            for n, bin_name in enumerate(bins)
        ],
    )


def _boards(store: Store, boards: dict[str, dict[str, tuple[str, ...]]]) -> None:
    store.insert_many(
        "boards",
        [{"name": name, "location": LOCATION, "department": DEPARTMENT} for name in boards],
    )
    board_ids = _ids(store, "boards")
    for board_name, parts in boards.items():
        board = {"id": board_ids[board_name], "name": board_name}
        made: dict[str, list[dict[str, Any]]] = {}
        for kind, collection in (
            ("statuses", "board_statuses"),
            ("types", "board_types"),
            ("subtypes", "board_subtypes"),
            ("items", "board_items"),
        ):
            rows = [
                {
                    "name": name,
                    "board": board,
                    **(
                        {"sortOrder": n, "closedStatus": name.startswith(">")}
                        if kind == "statuses"
                        else {}
                    ),
                }
                for n, name in enumerate(parts[kind])
            ]
            store.insert_many(collection, rows)
            made[kind] = [
                {"id": row["id"], "name": row["name"]}
                for row in store.everything(collection)
                if row["board"]["id"] == board["id"]
            ]
        # Every type may take every subtype with every item: the board's full association grid.
        store.insert_many(
            "board_associations",
            [
                {"type": type_, "subType": subtype, "item": item, "board": board}
                for type_ in made["types"]
                for subtype in made["subtypes"]
                for item in made["items"]
            ],
        )


def _companies(store: Store, companies: Iterable[tuple[str, str, tuple[str, ...], str]]) -> None:
    type_ids = _ids(store, "company_types")
    status_ids = _ids(store, "company_statuses")
    udfs = store.everything("udfs")
    rows = list(companies)
    first = store.next_id("companies")
    store.insert_many(
        "companies",
        [
            {
                "identifier": identifier,
                "name": name,
                "status": {"id": status_ids[status], "name": status},
                "deletedFlag": False,
                "customFields": [
                    {
                        "id": udf["id"],
                        "caption": udf["caption"],
                        "type": udf["fieldTypeIdentifier"],
                        "entryMethod": "EntryField",
                        "numberOfDecimals": 0,
                        "value": "Gold" if udf["caption"] == "Contract Tier" and n % 2 else None,
                    }
                    for udf in udfs
                ],
            }
            for n, (identifier, name, _, status) in enumerate(rows)
        ],
    )
    store.insert_many(
        "company_type_associations",
        [
            {
                "type": {"id": type_ids[type_name], "name": type_name},
                "company": {"id": first + n, "identifier": identifier, "name": name},
            }
            for n, (identifier, name, types, _) in enumerate(rows)
            for type_name in types
        ],
    )


def _opportunities(store: Store) -> None:
    status_ids = _ids(store, "opportunity_statuses")
    companies = {row["identifier"]: row for row in store.everything("companies")}
    store.insert_many(
        "opportunities",
        [
            {
                "name": name,
                "primarySalesRep": MEMBER,
                "company": {
                    "id": companies[identifier]["id"],
                    "identifier": identifier,
                    "name": companies[identifier]["name"],
                },
                "contact": {"id": 100 + n, "name": "Primary Contact"},
                "status": {"id": status_ids[status], "name": status},
            }
            for n, (name, identifier, status) in enumerate(
                (
                    ("Laptop refresh 2027", "ACME", "Open"),
                    ("Firewall upgrade", "GLOBEX", "Won"),
                    ("Office 365 migration", "INITECH", "Lost"),
                )
            )
        ],
    )


def _large(store: Store) -> None:
    _categories(
        store,
        {
            f"Category {n:03d}": [
                f"Subcategory {n:03d}.{m}" for m in range(1, LARGE_SUBCATEGORIES_EACH + 1)
            ]
            for n in range(1, LARGE_CATEGORIES + 1)
        },
    )
    _boards(
        store,
        {
            f"Board {n:02d}": {
                "statuses": ("New", "In Progress", ">Closed"),
                "types": ("Incident", "Request"),
                "subtypes": ("Hardware", "Software"),
                "items": ("Order",),
            }
            for n in range(1, LARGE_BOARDS + 1)
        },
    )
    names = [name for name, _ in COMPANY_TYPES]
    statuses = [name for name, _ in COMPANY_STATUSES]
    _companies(
        store,
        [
            (f"C{n:05d}", f"Company {n:05d}", (names[n % 2],), statuses[n % len(statuses)])
            for n in range(1, LARGE_COMPANIES + 1)
        ],
    )
