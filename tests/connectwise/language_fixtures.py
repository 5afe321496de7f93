"""A small ConnectWise tenant as name tables, for the pure tests of the ConnectWise language.

The traps a real tenant has: an inactive category, product type, status, warehouse and board;
two categories named alike; a subcategory with a slash in its name; "New", "Procurement",
"Hardware" and "Order" on two boards; subtypes and items tied to types by the board's
associations. Desired resources come from YAML text through the real loader and rules, so every
resource carries its FILE:LINE:COL.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.resolve import resolve_desired
from reconciler.plan import Plan, compute_plan
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.desired import desired_resources, policy_settings
from reconciler.psa.connectwise.kinds_registry import BY_NAME
from reconciler.psa.connectwise.rules import LoadedConnectWise, parse_document
from reconciler.state import Resource, State

FILE = "mappings.yaml"
HEAD = "version: 1\npsa: connectwise\n"
RECEIVER = "https://acme.salesbuildr.com/callbacks/connectwise"
PROFESSIONAL_SERVICES, HELP_DESK, ARCHIVE = 10, 20, 30


def _entries(rows: Iterable[tuple[Any, ...]]) -> list[Entry]:
    return [Entry(id=row[0], name=row[1], active=row[2] if len(row) > 2 else True) for row in rows]


def _children(rows: Iterable[tuple[Any, ...]]) -> list[Entry]:
    """(id, name, board[, active])."""
    return [
        Entry(id=row[0], name=row[1], parent=row[2], active=row[3] if len(row) > 3 else True)
        for row in rows
    ]


def _categories() -> NameTable:
    categories = [(1, "Hardware"), (2, "Software"), (3, "Services"), (5, "Cables"), (6, "Cables")]
    entries = [Entry(id=i, name=n, path=(n,)) for i, n in categories]
    entries.append(Entry(id=4, name="Legacy", active=False, path=("Legacy",)))
    subcategories = [(1, 11, "Laptops"), (1, 12, "Desktops"), (2, 21, "Security/AV")]
    for category, sub, name in subcategories:
        parent = next(e for e in entries if e.id == category)
        entries.append(
            Entry(
                id=t.subcategory_entry_id(category, sub),
                name=name,
                parent=category,
                path=(parent.name, name),
                extra={t.CATEGORY_ID: category, t.SUBCATEGORY_ID: sub},
            )
        )
    return NameTable("ConnectWise category", entries, paths=True)


def catalog(*, receiver: str | None = RECEIVER) -> Catalog:
    sb_categories = [("c1", ("Hardware",)), ("c2", ("Hardware", "Laptops")), ("c3", ("Software",))]
    subtypes = [
        Entry(121, "Hardware", parent=10, extra={t.TYPE_IDS: [111]}),
        Entry(122, "Software", parent=10, extra={t.TYPE_IDS: [111, 112]}),
        Entry(123, "Consulting", parent=10, extra={t.TYPE_IDS: []}),
        Entry(221, "Hardware", parent=20, extra={t.TYPE_IDS: [211]}),
    ]
    associations = [
        (1, 10, 111, 121, 131),
        (2, 10, 111, 122, 131),
        (3, 10, 112, 123, 132),
        (4, 20, 211, 221, 231),
    ]
    tables = {
        t.CW_CATEGORIES: _categories(),
        t.CW_PRODUCT_TYPES: NameTable(
            "ConnectWise product type",
            _entries(
                [(1, "Hardware"), (2, "Services"), (3, "Fixed Cost Service"), (4, "Old", False)]
            ),
        ),
        t.CW_COMPANY_TYPES: NameTable(
            "ConnectWise company type",
            _entries([(1, "Client"), (2, "Prospect"), (3, "Vendor"), (4, "Partner")]),
        ),
        t.CW_COMPANY_STATUSES: NameTable(
            "ConnectWise company status",
            _entries([(1, "Active"), (2, "Not-Approved"), (3, "Imported", False)]),
        ),
        t.CW_COMPANY_UDFS: NameTable(
            "ConnectWise company UDF", _entries([(7, "Contract Tier"), (8, "Account Region")])
        ),
        t.CW_OPPORTUNITY_STATUSES: NameTable(
            "ConnectWise opportunity status",
            _entries([(1, "Open"), (2, "Won"), (3, "Lost"), (4, "No Decision", False)]),
        ),
        t.CW_WAREHOUSES: NameTable(
            "ConnectWise warehouse",
            _entries([(1, "Main Warehouse"), (2, "Overflow"), (3, "Old Depot", False)]),
        ),
        t.CW_BOARDS: NameTable(
            "ConnectWise board",
            _entries([(10, "Professional Services"), (20, "Help Desk"), (30, "Archive", False)]),
        ),
        t.CW_BOARD_STATUSES: NameTable(
            "ConnectWise board status",
            _children([(101, "New", 10), (102, "In Progress", 10), (103, "Closed", 10, False)])
            + _children([(201, "New", 20)]),
        ),
        t.CW_BOARD_TYPES: NameTable(
            "ConnectWise board type",
            _children([(111, "Procurement", 10), (112, "Project", 10), (211, "Procurement", 20)]),
        ),
        t.CW_BOARD_SUBTYPES: NameTable("ConnectWise board subtype", subtypes),
        t.CW_BOARD_ITEMS: NameTable(
            "ConnectWise board item",
            _children([(131, "Order", 10), (132, "Install", 10), (231, "Order", 20)]),
        ),
        t.CW_BOARD_ASSOCIATIONS: NameTable(
            "ConnectWise board association",
            [
                Entry(
                    row,
                    f"{ty}/{sub}/{item}",
                    parent=board,
                    extra={t.TYPE_ID: ty, t.SUBTYPE_ID: sub, t.ITEM_ID: item},
                )
                for row, board, ty, sub, item in associations
            ],
        ),
        t.CW_PRIORITIES: NameTable(
            "ConnectWise priority",
            _entries([(1, "Priority 1 - Critical"), (3, "Priority 3 - Normal")]),
        ),
        t.SB_CATEGORIES: NameTable(
            "Salesbuildr category",
            [Entry(id=i, name=p[-1], path=p) for i, p in sb_categories],
            paths=True,
        ),
        t.SB_COMPANY_TYPES: NameTable(
            "Salesbuildr company type",
            _entries([("customer", "Customer"), ("lead", "Lead"), ("supplier", "Supplier")]),
        ),
        t.SB_COMPANY_DATA_POINTS: NameTable(
            "Salesbuildr company data point",
            [Entry("dp1", "Contract tier", path=("Contract tier",)), Entry("dp2", "Region")],
            paths=True,
        ),
        t.SB_OPPORTUNITY_STATUSES: NameTable(
            "Salesbuildr opportunity status",
            _entries([("open", "Open"), ("won", "Won"), ("lost", "Lost")]),
        ),
    }
    facts = {t.CALLBACK_RECEIVER_URL: receiver} if receiver else {}
    return Catalog(tables=tables, facts=facts)


def load(text: str, environ: dict[str, str] | None = None) -> LoadedConnectWise:
    return parse_document(textwrap.dedent(text).encode(), file=FILE, environ=environ or {})


def resolve(
    text: str, live: Sequence[Resource] = (), *, cat: Catalog | None = None
) -> tuple[State, list[Diagnostic]]:
    loaded = load(text)
    return resolve_desired(
        desired_resources(loaded.config, loaded.source),
        cat or catalog(),
        State.of(live),
        kinds=BY_NAME,
        policy=policy_settings(loaded.config),
    )


def plan(text: str, live: Sequence[Resource] = (), *, cat: Catalog | None = None) -> Plan:
    loaded = load(text)
    desired, problems = resolve(text, live, cat=cat)
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, errors
    return compute_plan(
        desired,
        State.of(live),
        policy_settings(loaded.config),
        sections=loaded.config.present_sections(),
        kinds=BY_NAME,
    )


def messages(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return [d.message for d in diagnostics]


ISSUE_EXAMPLE = """\
version: 1
psa: connectwise
categories:
  mappings: {Hardware/Laptops: Hardware/Laptops}
  data_source: {Hardware: connectwise, Services: salesbuildr}
companies:
  types: {to_salesbuildr: {Client: Customer}, to_connectwise: {Customer: Client}}
  type_priority: [Client, Prospect, Vendor]
  statuses: [Active]
  udfs: {Contract Tier: Contract tier}
  manufacturer_company_type: Vendor
opportunity_statuses: {to_salesbuildr: {Won: Won}, to_connectwise: {Won: Won}}
callbacks:
  Salesbuildr companies: {type: company, level: owner}
inventory: {warehouses: [Main Warehouse]}
ticket_settings: {board: Professional Services, status: New, type: Procurement, subtype: Hardware,
                  item: Order, priority: Priority 3 - Normal}
"""
"""The illustration of issue #21, against this tenant."""
