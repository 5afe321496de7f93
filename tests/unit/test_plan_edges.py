"""Edges of the pure core no other test pins (found by mutation testing, see `make mutation`):
narrowed plans' risk, removal diffs, webhook deactivation URLs, every problem reported, `{id: N}`
references to inactive objects, and a category with exactly one product."""

from __future__ import annotations

import pytest
from kind_fixtures import (
    CATALOG,
    HARDWARE_SALES,
    LEGACY_HARDWARE,
    billing_row,
    desired,
    location,
    plan,
    webhook,
)

from reconciler.errors import Diagnostic
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.plan import Action, Change, Plan, Risk
from reconciler.plan.targeting import matches, narrow, unmatched
from reconciler.psa.autotask.kinds import tables as t
from reconciler.state import Resource


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


# --- --target / --exclude ----------------------------------------------------------------------


def _change(address: str, action: Action) -> Change:
    return Change(
        address=address,
        kind="webhook",
        key=address,
        section="webhooks",
        owner="autotask",
        action=action,
        before=None,
        after=None,
    )


UPDATE = _change('webhooks["a"]', Action.UPDATE)
DELETE = _change('webhooks["b"]', Action.DELETE)
DEACTIVATE = _change('inventory.locations["Van"]', Action.DEACTIVATE)
NO_OP = _change('billing_codes.categories["Hardware"]', Action.NO_OP)
BLOCKED = Plan(
    changes=(NO_OP, DEACTIVATE, UPDATE, DELETE),
    risk=Risk.BLOCKED,
    blocked_reasons=("2 deletes/deactivations exceed policy.max_deletes (1)",),
)


def test_no_pattern_is_the_plan_itself() -> None:
    assert narrow(BLOCKED) is BLOCKED


@pytest.mark.parametrize(
    ("targets", "excludes", "kept", "risk"),
    [
        (["webhooks"], [], [UPDATE, DELETE], Risk.BLOCKED),
        (['webhooks["a"]'], [], [UPDATE], Risk.BLOCKED),
        (["billing_codes"], [], [NO_OP], Risk.SAFE),
        ([], ["webhooks", "inventory"], [NO_OP], Risk.SAFE),
    ],
)
def test_a_narrowed_blocked_plan_stays_blocked_only_while_it_changes_something(
    targets: list[str], excludes: list[str], kept: list[Change], risk: Risk
) -> None:
    narrowed = narrow(BLOCKED, targets=targets, excludes=excludes)
    assert list(narrowed.changes) == kept
    assert narrowed.risk is risk
    expected = BLOCKED.blocked_reasons if risk is Risk.BLOCKED else ()
    assert narrowed.blocked_reasons == expected


@pytest.mark.parametrize(
    ("excludes", "risk"),
    [
        ([], Risk.DESTRUCTIVE),  # a delete and a deactivation kept
        (['webhooks["b"]'], Risk.DESTRUCTIVE),  # the deactivation alone is destructive
        (['webhooks["b"]', "inventory"], Risk.SAFE),  # only the update is left
    ],
)
def test_a_narrowed_destructive_plan_is_destructive_only_while_it_removes(
    excludes: list[str], risk: Risk
) -> None:
    destructive = Plan(changes=(UPDATE, DELETE, DEACTIVATE), risk=Risk.DESTRUCTIVE)
    narrowed = narrow(destructive, excludes=excludes)
    assert narrowed.risk is risk
    assert narrowed.blocked_reasons == ()


def test_narrowing_keeps_the_rest_of_the_plan() -> None:
    full = Plan(changes=(UPDATE, NO_OP), risk=Risk.SAFE, observed={"x": "y"}, sections=("s",))
    narrowed = narrow(full, targets=["webhooks"])
    assert narrowed.observed == {"x": "y"} and narrowed.sections == ("s",)


@pytest.mark.parametrize(
    ("address", "pattern", "expected"),
    [
        ('webhooks["sb-companies"]', "webhooks", True),
        ('webhooks["sb-companies"]', "webhook", False),  # not at a boundary
        ('billing_codes.categories["Hardware"]', "billing_codes", True),
        ('billing_codes.categories["Hardware"]', "billing_codes.categories", True),
        ('billing_codes.categories["Hardware"]', "billing_codes.cat", False),
        ('billing_codes.categories["Hardware"]', '*["Hardware"]', True),
        ('billing_codes.categories["Hardware"]', 'billing_codes.*["Hard*"]', True),
        ('billing_codes.categories["Hardware"]', "*Software*", False),
        ("webhook_receiver", "  webhook_receiver ", True),
        ("webhook_receiver", "webhook_receiver.x", False),
        ('webhooks["a"]', "WEBHOOKS", False),  # addresses are exact text
    ],
)
def test_matches(address: str, pattern: str, expected: bool) -> None:
    assert matches(address, pattern) is expected


def test_unmatched_patterns_are_the_typos() -> None:
    assert unmatched(BLOCKED, ["webhooks", "webhok", "inventory.locations", "x*"]) == [
        "webhok",
        "x*",
    ]


# --- removal diffs -----------------------------------------------------------------------------


def test_a_delete_diff_shows_every_live_value_as_before() -> None:
    live = webhook("old", 4, url="https://old.example/hook", active=False)
    result = plan(
        """
        version: 1
        policy: {manage: {webhooks: full}}
        webhooks: {}
        """,
        [live],
    )
    (change,) = result.pending
    assert change.action is Action.DELETE
    assert change.before == dict(live.attributes)
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        (key, value, None) for key, value in sorted(live.attributes.items())
    ]


def test_a_deactivation_diff_shows_before_values_and_turns_off_default_and_tracking() -> None:
    van = location("Van", 3, default=True, track_stock=True)
    result = plan(
        """
        version: 1
        policy: {manage: {inventory: full}}
        inventory:
          locations: {}
        """,
        [van],
    )
    (change,) = result.pending
    assert change.action is Action.DEACTIVATE
    assert change.before == {"active": True, "default": True, "track_stock": True}
    assert change.after == {"active": False, "default": False, "track_stock": False}
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("active", True, False),
        ("default", True, False),
        ("track_stock", True, False),
    ]
    assert change.ids == {"live": {"id": 3}}
    assert "deactivated" in change.reason


def test_a_location_without_stock_tracking_or_active_flag_is_deactivated_as_active() -> None:
    """A live row that says nothing of ``active`` is taken as active (it can be deactivated);
    ``track_stock`` is only turned off where the live side has it."""
    bare = Resource(
        address='inventory.locations["Van"]',
        kind="inventory_location",
        section="inventory",
        key="Van",
        attributes={"default": False},
        owner="autotask",
        ids={"id": 3},
    )
    result = plan(
        """
        version: 1
        policy: {manage: {inventory: full}}
        inventory:
          locations: {}
        """,
        [bare],
    )
    (change,) = result.pending
    assert change.after == {"default": False, "active": False}
    assert [(d.path, d.before, d.after) for d in change.diff] == [("active", None, False)]


# --- webhooks: an explicit deactivation_url --------------------------------------------------


def test_an_explicit_deactivation_url_is_kept() -> None:
    state, diagnostics = desired(
        """
        version: 1
        webhook_receiver:
          secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
        webhooks:
          monitoring:
            entity: ticket
            url: https://monitor.acme.example/autotask
            deactivation_url: https://monitor.acme.example/gone
            secret: ${env:MONITOR_SECRET}
            fields: [Status]
          receiver-hook:
            entity: company
            deactivation_url: https://monitor.acme.example/company-gone
            fields: [Phone]
        """
    )
    assert not diagnostics
    hook = state.get('webhooks["monitoring"]')
    assert hook is not None
    assert hook.attributes["url"] == "https://monitor.acme.example/autotask"
    assert hook.attributes["deactivation_url"] == "https://monitor.acme.example/gone"
    to_receiver = state.get('webhooks["receiver-hook"]')
    assert to_receiver is not None
    assert to_receiver.attributes["url"] != to_receiver.attributes["deactivation_url"]
    assert to_receiver.attributes["deactivation_url"] == (
        "https://monitor.acme.example/company-gone"
    )


# --- every problem, not the first -------------------------------------------------------------


def test_every_unresolved_name_is_reported() -> None:
    _, diagnostics = desired(
        """
        version: 1
        webhook_receiver:
          secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
        webhooks:
          sb-companies:
            entity: company
            fields: [NoSuchField, Phone, AlsoMissing]
            always_send: [Gone]
            udf_fields: [Nope, Contract Tier, Nada]
            excluded_resources: [Nobody, Jane Admin, Noone]
        billing_codes:
          categories:
            Hardware: No Such Code
            No Such Category: Labor
        """
    )
    messages = sorted(d.message for d in errors(diagnostics) if d.message.startswith("unknown"))
    assert messages == sorted(
        [
            "unknown company webhook field 'NoSuchField'",
            "unknown company webhook field 'AlsoMissing'",
            "unknown company webhook field 'Gone'",
            "unknown company webhook UDF field 'Nope'",
            "unknown company webhook UDF field 'Nada'",
            "unknown resource 'Nobody'",
            "unknown resource 'Noone'",
            "unknown billing code 'No Such Code'",
            "unknown Salesbuildr category 'No Such Category'",
        ]
    )


def test_every_unresolved_singleton_field_is_reported() -> None:
    _, diagnostics = desired(
        """
        version: 1
        purchase_order:
          create_ticket: true
          queue: No Queue
          priority: No Priority
          source: No Source
        """
    )
    assert sorted(d.message for d in errors(diagnostics)) == [
        "unknown ticket priority 'No Priority'",
        "unknown ticket queue 'No Queue'",
        "unknown ticket source 'No Source'",
    ]


def test_every_duplicate_reference_is_reported() -> None:
    """A name and the same object pinned by id (``Name (#id)``): each pair is one duplicate."""
    state, diagnostics = desired(
        """
        version: 1
        product_import:
          roles:
            Engineer: Labor
            Engineer (#29683301): Hardware
            Project Manager: Labor
            Project Manager (#29683303): Software
        """
    )
    found = [(d.location, d.message) for d in errors(diagnostics)]
    assert found == [
        (
            "mappings.yaml:5:5",
            "this names the same role mapping as product_import.roles[\"Engineer\"] ('Engineer')",
        ),
        (
            "mappings.yaml:7:5",
            'this names the same role mapping as product_import.roles["Project Manager"] '
            "('Project Manager')",
        ),
    ]
    assert sorted(r.address for r in state if r.kind == "role_mapping") == [
        'product_import.roles["Engineer"]',
        'product_import.roles["Project Manager"]',
    ]


# --- {id: N} references to inactive objects ------------------------------------------------


def test_an_id_reference_to_an_inactive_object_is_refused_unless_allowed() -> None:
    table = CATALOG.table(t.AT_BILLING_CODES)
    refused = table.resolve({"id": LEGACY_HARDWARE})
    assert refused.entry is None
    assert refused.message == "billing code 'Legacy Hardware' is inactive"
    allowed = table.resolve({"id": LEGACY_HARDWARE}, allow_inactive=True)
    assert allowed.entry is not None and allowed.entry.id == LEGACY_HARDWARE
    pinned = table.resolve(f"Legacy Hardware (#{LEGACY_HARDWARE})", allow_inactive=True)
    assert pinned.entry is not None and pinned.entry.id == LEGACY_HARDWARE
    assert table.resolve(f"Legacy Hardware (#{LEGACY_HARDWARE})").entry is None


def test_an_exact_spelling_among_twins_may_be_inactive_only_when_allowed() -> None:
    table = NameTable(
        "billing code", [Entry(1, "Old", active=False), Entry(2, "OLD", active=False)]
    )
    assert table.resolve("Old").entry is None
    found = table.resolve("Old", allow_inactive=True).entry
    assert found is not None and found.id == 1


def test_a_yaml_id_reference_to_an_inactive_billing_code_is_an_error() -> None:
    _, diagnostics = desired(
        f"""
        version: 1
        billing_codes:
          categories:
            Hardware: {{id: {LEGACY_HARDWARE}}}
            Hardware/Laptops: Hardware Sales
            Software: Hardware Sales
        """
    )
    (error,) = [d for d in errors(diagnostics) if "Legacy" in d.message]
    assert error.message == "billing code 'Legacy Hardware' is inactive"
    assert error.location == "mappings.yaml:4:15"


# --- the billing-code rule at one product --------------------------------------------------


def test_a_category_with_exactly_one_product_needs_a_billing_code() -> None:
    one = Catalog(tables=dict(CATALOG.tables), facts=dict(CATALOG.facts))
    one.tables[t.SB_CATEGORIES] = NameTable(
        "Salesbuildr category",
        [
            Entry("c-one", "Single", path=("Single",), extra={t.PRODUCT_COUNT: 1}),
            Entry("c-none", "Empty", path=("Empty",), extra={t.PRODUCT_COUNT: 0}),
            Entry("c-unknown", "Unknown", path=("Unknown",)),
        ],
        paths=True,
    )
    _, diagnostics = desired(
        """
        version: 1
        billing_codes:
          categories: {Empty: Labor}
        """,
        cat=one,
    )
    assert [d.message for d in errors(diagnostics)] == [
        "category 'Single' contains 1 product(s) but has no billing code"
    ]


def test_a_live_row_of_another_category_does_not_count() -> None:
    _, diagnostics = desired(
        """
        version: 1
        billing_codes:
          categories:
            Hardware: Hardware Sales
            Software: Software Licensing
        """,
        [billing_row("c-hw", HARDWARE_SALES)],
    )
    assert [d.message for d in errors(diagnostics)] == [
        "category 'Hardware/Laptops' contains 40 product(s) but has no billing code"
    ]
