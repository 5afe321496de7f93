"""The HaloPSA language at plan time, pure: the models and offline rules, the desired builder
(addresses and keys), names resolved in a tenant's tables (did you mean, inactive, ambiguous,
``{id: N}``), quote statuses from Halo's own list, webhooks keyed by name, and the plans.

The tenant has the traps a real one has: an inactive asset type, item, status and quotation
status; two ticket types named alike; an asset group whose only active namesake wins; a
Salesbuildr category whose name holds a slash. Desired resources come from YAML text through the
real loader and rules, so every resource carries its FILE:LINE:COL. The other HaloPSA language
tests import these helpers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.types import IdRef
from reconciler.errors import ConfigError, Diagnostic
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.resolve import resolve_desired
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.plan import Plan, compute_plan
from reconciler.plan.model import Action
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa.config import HaloConfig
from reconciler.psa.halopsa.desired import (
    LoadedHalo,
    desired_resources,
    parse_halo,
    policy_settings,
)
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK, live_webhooks
from reconciler.state import DeletePolicy, Resource, State

FILE = "mappings.yaml"
HEAD = "version: 1\npsa: halopsa\n"
RECEIVER = "https://acme.salesbuildr.com/webhooks/halopsa"
HOOK_ID = "6f1c1b2e-4c1a-4f5e-9d1e-2a9b8c7d6e5f"
OTHER_HOOK_ID = "0b7e2d4c-1f3a-4e6b-8c9d-5a4b3c2d1e0f"

ISSUE_EXAMPLE = """\
version: 1
psa: halopsa
products:
  categories: {Laptops: Hardware/Laptops}
  types: {hardware: Hardware}
  groups: {Hardware/Laptops: Hardware}
  default_group: General
  shipping_product: Shipping
  synchronize_to_halo: true
opportunities:
  type: Opportunity
  import_categories: [Sales]
  statuses: {to_salesbuildr: {Won: Won}, to_halopsa: {Won: Won}}
  enabled_types: [Opportunity]
  teams: [Sales]
companies: {prospect_type: Prospect, address_lines: {street: line1, apartment: line2, city: line3}}
quotes:
  statuses: {draft: Draft, sent: Sent, approved: Accepted, declined: Declined, expired: Expired}
account_codes: {Hardware: {income: "4000", expense: "5000"}}
webhooks:
  Salesbuildr tickets: {events: [ticket_updated], active: true}
"""
"""The illustration of issue #22, against this tenant."""


def _table(table: str, rows: Iterable[tuple[Any, ...]]) -> NameTable:
    """(id, name[, active])."""
    return NameTable(
        t.WHAT[table],
        [Entry(id=row[0], name=row[1], active=row[2] if len(row) > 2 else True) for row in rows],
    )


def catalog(*, receiver: str | None = RECEIVER) -> Catalog:
    sb_categories = [
        ("c1", ("Hardware",)),
        ("c2", ("Hardware", "Laptops")),
        ("c3", ("Software",)),
        ("c4", ("Software", "AV/Security")),
    ]
    tables = {
        t.HALO_ASSET_TYPES: _table(
            t.HALO_ASSET_TYPES, [(1, "Laptops"), (2, "Desktops"), (3, "Printers", False)]
        ),
        t.HALO_ASSET_GROUPS: _table(
            t.HALO_ASSET_GROUPS, [(1, "Hardware"), (2, "Services"), (3, "Services", False)]
        ),
        t.HALO_ITEM_GROUPS: _table(
            t.HALO_ITEM_GROUPS, [(1, "Hardware"), (2, "General"), (3, "Software")]
        ),
        t.HALO_ITEMS: _table(t.HALO_ITEMS, [(1, "Shipping"), (2, "Laptop"), (3, "Freight", False)]),
        t.HALO_TICKET_TYPES: _table(
            t.HALO_TICKET_TYPES,
            [(1, "Opportunity"), (2, "Incident"), (3, "Project"), (4, "Project")],
        ),
        t.HALO_CATEGORIES: _table(t.HALO_CATEGORIES, [(1, "Sales"), (2, "Renewals")]),
        t.HALO_STATUSES: _table(
            t.HALO_STATUSES, [(1, "Won"), (2, "Lost"), (3, "Open"), (4, "Stale", False)]
        ),
        t.HALO_TEAMS: _table(t.HALO_TEAMS, [(1, "Sales"), (2, "Account Management")]),
        t.HALO_CLIENT_TYPES: _table(t.HALO_CLIENT_TYPES, [(1, "Prospect"), (2, "Customer")]),
        t.HALO_QUOTE_STATUSES: _table(
            t.HALO_QUOTE_STATUSES,
            [
                (11, "Draft"),
                (12, "Sent"),
                (13, "Accepted"),
                (14, "Declined"),
                (15, "Expired"),
                (16, "Void", False),
            ],
        ),
        t.SB_CATEGORIES: NameTable(
            "Salesbuildr category",
            [Entry(id=i, name=p[-1], path=p) for i, p in sb_categories],
            paths=True,
        ),
        t.SB_PRODUCT_TYPES: _table(
            t.SB_PRODUCT_TYPES,
            [("hardware", "hardware"), ("service", "service"), ("labour", "labour")],
        ),
        t.SB_OPPORTUNITY_STATUSES: _table(
            t.SB_OPPORTUNITY_STATUSES, [("open", "Open"), ("won", "Won"), ("lost", "Lost")]
        ),
    }
    return Catalog(tables=tables, facts={RECEIVER_URL: receiver} if receiver else {})


def load(text: str, environ: dict[str, str] | None = None) -> LoadedHalo:
    return parse_halo(textwrap.dedent(text).encode(), file=FILE, environ=environ or {})


def resolve(
    text: str, live: Sequence[Resource] = (), *, cat: Catalog | None = None
) -> tuple[State, list[Diagnostic]]:
    loaded = load(text)
    return resolve_desired(
        desired_resources(loaded.config, loaded.source),
        cat or catalog(),
        State.of(live),
        kinds=k.BY_NAME,
        policy=policy_settings(loaded.config),
    )


def errors_of(text: str, live: Sequence[Resource] = (), *, cat: Catalog | None = None) -> list[str]:
    _, problems = resolve(text, live, cat=cat)
    return [p.message for p in problems if p.severity == "error"]


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
        kinds=k.BY_NAME,
    )


def hook_row(ident: str, name: str, *eventnos: int, **extra: Any) -> dict[str, Any]:
    """A ``GET /Webhook`` record; each event keeps an id and a condition of its own."""
    return {
        "id": ident,
        "name": name,
        "url": RECEIVER,
        "active": True,
        "events": [{"id": 100 + n, "eventno": n, "conditions": f"c{n}"} for n in eventnos or (2,)],
        **extra,
    }


def offline_problems(text: str) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as caught:
        load(text)
    return list(caught.value.diagnostics)


# --- the desired builder -------------------------------------------------------------------


def test_every_section_becomes_its_kinds_resources_at_yaml_addresses() -> None:
    loaded = load(ISSUE_EXAMPLE)

    found = [(r.address, r.kind, r.key) for r in desired_resources(loaded.config, loaded.source)]

    assert found == [
        ("products", "halo_product_settings", "products"),
        ('products.categories["Laptops"]', "halo_product_category_mapping", "Laptops"),
        ('products.types["hardware"]', "halo_product_type_mapping", "hardware"),
        ('products.groups["Hardware/Laptops"]', "halo_product_group_mapping", "Hardware/Laptops"),
        ("opportunities", "halo_opportunity_settings", "opportunities"),
        ('opportunities.statuses.to_salesbuildr["Won"]', "halo_status_to_salesbuildr", "Won"),
        ('opportunities.statuses.to_halopsa["Won"]', "halo_status_to_halopsa", "Won"),
        ("companies", "halo_company_settings", "companies"),
        ('companies.address_lines["street"]', "halo_address_line_mapping", "street"),
        ('companies.address_lines["apartment"]', "halo_address_line_mapping", "apartment"),
        ('companies.address_lines["city"]', "halo_address_line_mapping", "city"),
        ('quotes.statuses["draft"]', "halo_quote_status_mapping", "draft"),
        ('quotes.statuses["sent"]', "halo_quote_status_mapping", "sent"),
        ('quotes.statuses["approved"]', "halo_quote_status_mapping", "approved"),
        ('quotes.statuses["declined"]', "halo_quote_status_mapping", "declined"),
        ('quotes.statuses["expired"]', "halo_quote_status_mapping", "expired"),
        ('account_codes["Hardware"]', "halo_account_codes", "Hardware"),
        ('webhooks["Salesbuildr tickets"]', "halo_webhook", "Salesbuildr tickets"),
    ]


def test_every_resource_and_attribute_carries_its_line_and_column() -> None:
    loaded = load(ISSUE_EXAMPLE)
    by_address = {r.address: r for r in desired_resources(loaded.config, loaded.source)}

    assert by_address['products.types["hardware"]'].location == f"{FILE}:5:11"
    assert by_address['products.types["hardware"]'].locations["asset_group"] == f"{FILE}:5:21"
    assert by_address["opportunities"].locations["teams"] == f"{FILE}:15:10"
    assert by_address['account_codes["Hardware"]'].locations["expense"] == f"{FILE}:19:53"


def test_the_issue_illustration_resolves_to_ids() -> None:
    desired, problems = resolve(ISSUE_EXAMPLE)

    assert problems == []
    ids = {r.address: dict(r.ids) for r in desired}
    assert ids["products"] == {"default_group": 2, "shipping_product": 1}
    assert ids['products.categories["Laptops"]'] == {"keys": [1], "category": "c2"}
    assert ids['products.groups["Hardware/Laptops"]'] == {"keys": ["c2"], "item_group": 1}
    assert ids["opportunities"] == {
        "type": 1,
        "enabled_types": [1],
        "import_categories": [1],
        "teams": [1],
    }
    assert ids['opportunities.statuses.to_halopsa["Won"]'] == {"keys": ["won"], "status": 1}
    assert ids['quotes.statuses["approved"]'] == {"keys": ["approved"], "status": 13}
    assert ids["companies"] == {"prospect_type": 1}
    assert ids['account_codes["Hardware"]'] == {"keys": [1]}
    hook = desired.get('webhooks["Salesbuildr tickets"]')
    assert hook is not None
    assert hook.attributes["url"] == RECEIVER
    assert hook.ids == {"eventnos": [2]}


def test_names_resolve_case_insensitively_to_their_canonical_spelling() -> None:
    desired, problems = resolve(
        HEAD + "products:\n  types: {HARDWARE: hardware}\n  default_group: general\n"
    )

    assert problems == []
    assert [(r.address, dict(r.attributes)) for r in desired] == [
        ("products", {"default_group": "General"}),
        ('products.types["hardware"]', {"asset_group": "Hardware"}),
    ]


# --- names against the tenant's tables ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "hint", "line"),
    [
        (
            "products:\n  types: {hardware: Hardwre}\n",
            "unknown Halo asset group 'Hardwre'",
            "did you mean 'Hardware'?",
            4,
        ),
        (
            "products:\n  categories: {Laptop: Hardware/Laptops}\n",
            "unknown Halo asset type 'Laptop'",
            "did you mean 'Laptops'?",
            4,
        ),
        (
            "products:\n  shipping_product: Shiping\n",
            "unknown Halo item 'Shiping'",
            "did you mean 'Shipping'?",
            4,
        ),
        (
            "opportunities:\n  teams: [Sales, Acount Management]\n",
            "unknown Halo team 'Acount Management'",
            "did you mean 'Account Management'?",
            4,
        ),
        (
            "opportunities:\n  statuses: {to_halopsa: {Wonn: Won}}\n",
            "unknown Salesbuildr opportunity status 'Wonn'",
            "did you mean 'Won'?",
            4,
        ),
        (
            "companies: {prospect_type: Prospekt}\n",
            "unknown Halo client type 'Prospekt'",
            "did you mean 'Prospect'?",
            3,
        ),
        (
            "account_codes: {Hardwar: {income: '4000'}}\n",
            "unknown Halo item group 'Hardwar'",
            "did you mean 'Hardware'?",
            3,
        ),
    ],
)
def test_an_unknown_name_says_did_you_mean_at_its_line(
    body: str, message: str, hint: str, line: int
) -> None:
    _, problems = resolve(HEAD + body)

    (problem,) = problems
    assert (problem.message, problem.hint, problem.line) == (message, hint, line)


def test_quote_statuses_come_from_halos_own_list() -> None:
    _, problems = resolve(HEAD + "quotes:\n  statuses: {approved: Acepted, declined: Void}\n")

    assert [(p.message, p.hint) for p in problems] == [
        ("unknown Halo quotation status 'Acepted'", "did you mean 'Accepted'?"),
        (
            "Halo quotation status 'Void' is inactive",
            "activate it in the admin UI, or pick an active Halo quotation status",
        ),
    ]


def test_only_salesbuildrs_five_quote_statuses_are_keys() -> None:
    (problem,) = offline_problems(HEAD + "quotes:\n  statuses: {won: Accepted}\n")

    assert problem.line == 4
    assert "draft" in problem.message and "expired" in problem.message


def test_an_inactive_object_is_refused_with_an_active_alternative() -> None:
    problems = errors_of(
        HEAD + "products:\n  categories: {Printers: Hardware}\n  shipping_product: Freight\n"
    )

    assert sorted(problems) == [
        "Halo asset type 'Printers' is inactive",
        "Halo item 'Freight' is inactive",
    ]


def test_an_inactive_status_is_refused_in_both_directions() -> None:
    problems = errors_of(
        HEAD
        + "opportunities:\n  statuses:\n    to_salesbuildr: {Stale: Lost}\n"
        + "    to_halopsa: {Lost: Stale}\n"
    )

    assert problems == ["Halo ticket status 'Stale' is inactive"] * 2


def test_an_ambiguous_name_asks_for_an_id_and_the_id_or_pinned_name_resolves() -> None:
    (problem,) = resolve(HEAD + "opportunities: {enabled_types: [Project]}\n")[1]
    assert problem.message == "2 Halo ticket types are named 'Project' (ids 3, 4)"
    assert problem.hint == "write 'Project (#3)' to say which one"

    for written in ("{id: 4}", "'Project (#4)'"):
        desired, problems = resolve(HEAD + f"opportunities: {{enabled_types: [{written}]}}\n")
        assert problems == []
        (settings,) = desired
        assert settings.attributes == {"enabled_types": ["Project (#4)"]}
        assert settings.ids == {"enabled_types": [4]}


def test_the_only_active_namesake_wins() -> None:
    desired, problems = resolve(HEAD + "products:\n  types: {service: Services}\n")

    assert problems == []
    assert [r.ids for r in desired if r.kind == k.PRODUCT_TYPES.name] == [
        {"keys": ["service"], "asset_group": 2}
    ]


def test_an_id_that_does_not_exist_is_said() -> None:
    assert errors_of(HEAD + "products: {default_group: {id: 99}}\n") == [
        "no Halo item group has id 99"
    ]


def test_a_list_naming_one_object_twice_is_refused_at_resolution() -> None:
    # Offline the two spellings differ; resolved, both are team 1.
    assert errors_of(HEAD + "opportunities: {teams: [Sales, {id: 1}]}\n") == [
        "'Sales' is listed twice"
    ]


def test_a_salesbuildr_category_path_with_an_escaped_slash() -> None:
    text = HEAD + "products:\n  groups: {'Software/AV\\/Security': Software}\n"
    desired, problems = resolve(text)

    assert problems == []
    assert [(r.address, r.ids["keys"]) for r in desired if r.kind == k.PRODUCT_GROUPS.name] == [
        ('products.groups["Software/AV\\\\/Security"]', ["c4"])
    ]


def test_nothing_resolves_against_an_empty_tenant_without_saying_why() -> None:
    problems = errors_of(ISSUE_EXAMPLE, cat=Catalog())

    assert len(problems) >= 10
    assert all(message.startswith("unknown ") or "receiver" in message for message in problems)


# --- section rules at plan time -------------------------------------------------------------


def _live_opportunities(type_id: int, enabled: list[int]) -> Resource:
    values = {"type": type_id, "enabled_types": enabled, "import_categories": [], "teams": []}
    return k.OPPORTUNITY_SETTINGS.live(values, catalog(), values)


def test_a_type_stated_alone_must_be_among_the_live_enabled_types() -> None:
    live = [_live_opportunities(1, [1])]

    problems = errors_of(HEAD + "opportunities: {type: Incident}\n", live)

    assert problems == [
        "opportunity type 'Incident' is not among the enabled types (Opportunity), so "
        "Salesbuildr would not import the opportunities it creates"
    ]
    assert errors_of(HEAD + "opportunities: {enabled_types: [Incident]}\n", live) != []
    assert errors_of(HEAD + "opportunities: {enabled_types: [Opportunity, Incident]}\n", live) == []


def test_a_type_outside_the_enabled_types_is_refused_offline() -> None:
    (problem,) = offline_problems(
        HEAD + "opportunities:\n  type: Incident\n  enabled_types: [Opportunity]\n"
    )

    assert problem.line == 4
    assert "not among enabled_types" in problem.message


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("products:\n  types: {hardware: A, HARDWARE: B}\n", 4, "listed twice"),
        ("products:\n  groups: {A//B: General}\n", 4, "empty level"),
        ("products:\n  categories: {Laptops: A//B}\n", 4, "empty level"),
        ("opportunities: {teams: [Sales, sales]}\n", 3, "listed twice"),
        ("opportunities: {import_categories: [{id: 1}, {id: 1}]}\n", 3, "listed twice"),
        ("companies: {address_lines: {street: line1, city: line1}}\n", 3, "both go to"),
        ("companies: {address_lines: {street: line5}}\n", 3, "line1"),
        ("companies: {address_lines: {zip: line4}}\n", 3, "street"),
        ("account_codes: {Hardware: {}}\n", 3, "neither an income nor an expense"),
        ("account_codes: {Hardware: {income: ''}}\n", 3, "must not be empty"),
        ("account_codes: {Hardware: {income: 4000}}\n", 3, "found the number 4000"),
        ("webhooks: {A: {events: []}}\n", 3, "at least 1"),
        ("webhooks: {A: {events: [ticket_closed]}}\n", 3, "ticket_updated"),
        ("webhooks: {A: {events: [ticket_updated, ticket_updated]}}\n", 3, "listed twice"),
        ("webhooks: {A: {events: [ticket_updated], url: 'http://example.com/x'}}\n", 3, "https"),
        ("products: {synchronize_to_halo: 'yes'}\n", 3, "expected true or false"),
        ("products: {colour: red}\n", 3, "colour"),
        ("after_apply: [sync_fields]\n", 3, "sync_full"),
    ],
)
def test_the_models_and_offline_rules_refuse(body: str, line: int, expected: str) -> None:
    problems = offline_problems(HEAD + body)

    assert any(p.line == line and expected in p.message for p in problems), problems


def test_env_references_stand_only_in_the_salesbuildr_url() -> None:
    environ = {"GROUP": "General"}
    ok = load(
        HEAD + "salesbuildr: {url: '${env:SB_URL}'}\n",
        {"SB_URL": "https://acme.salesbuildr.com/public-api"},
    )
    assert ok.config.salesbuildr is not None

    with pytest.raises(ConfigError) as caught:
        load(HEAD + "products: {default_group: '${env:GROUP}'}\n", environ)
    assert "${env:" in caught.value.diagnostics[0].message


def test_an_escaped_reference_is_a_literal_name() -> None:
    loaded = load(HEAD + "products: {default_group: '$${env:GROUP}'}\n", {"GROUP": "General"})

    assert loaded.config.products is not None
    assert loaded.config.products.default_group == "${env:GROUP}"


def test_an_id_stands_wherever_a_halo_name_is_taken() -> None:
    loaded = load(
        HEAD + "products:\n  types: {hardware: {id: 1}}\n  default_group: {id: 2}\n"
        "quotes: {statuses: {draft: {id: 11}}}\n"
    )

    assert loaded.config.products is not None and loaded.config.quotes is not None
    assert loaded.config.products.types == {"hardware": IdRef(id=1)}
    assert loaded.config.quotes.statuses == {"draft": IdRef(id=11)}


# --- webhooks keyed by name -----------------------------------------------------------------


def test_a_webhook_without_url_posts_to_salesbuildrs_receiver_which_must_be_known() -> None:
    text = HEAD + "webhooks:\n  Sync: {events: [client_updated]}\n"

    assert errors_of(text, cat=catalog(receiver=None)) == [
        "Salesbuildr did not report its HaloPSA webhook receiver URL"
    ]
    (change,) = plan(text).pending
    assert change.action is Action.CREATE
    assert change.after == {
        "name": "Sync",
        "url": RECEIVER,
        "active": True,
        "events": ["client_updated"],
    }


def test_two_live_webhooks_with_one_name_are_an_ambiguity_error() -> None:
    live = live_webhooks([hook_row(HOOK_ID, "Sync"), hook_row(OTHER_HOOK_ID, "Sync")])

    assert len(State.of(live)) == 2
    (problem,) = resolve(HEAD + "webhooks:\n  Sync: {events: [ticket_updated]}\n", live)[1]
    assert problem.message.startswith('2 live halo webhooks match webhooks["Sync"]')
    assert HOOK_ID in problem.message and OTHER_HOOK_ID in problem.message
    assert "rename one of them" in (problem.hint or "")


def test_the_exact_spelling_picks_among_webhooks_that_fold_alike() -> None:
    live = live_webhooks([hook_row(HOOK_ID, "Sync"), hook_row(OTHER_HOOK_ID, "SYNC", 1)])

    result = plan(HEAD + "webhooks:\n  SYNC: {events: [ticket_created]}\n", live)

    assert result.pending == []
    assert len(result.changes) == 1


def test_a_webhook_update_reposts_the_kept_subscriptions_as_read() -> None:
    (live,) = live_webhooks([hook_row(HOOK_ID, "Sync", 2, 22)])

    text = HEAD + "webhooks:\n  Sync: {events: [ticket_updated, ticket_created]}\n"
    (change,) = plan(text, [live]).pending
    body = HALO_WEBHOOK.body(change.after or {}, live.ids)

    assert change.action is Action.UPDATE
    assert body["id"] == HOOK_ID
    assert body["events"] == [
        {"eventno": 1},
        {"id": 102, "eventno": 2, "conditions": "c2"},
    ]


def test_manage_full_deletes_unlisted_webhooks_and_nothing_else() -> None:
    live = live_webhooks([hook_row(HOOK_ID, "Sync"), hook_row(OTHER_HOOK_ID, "Old")])
    text = (
        HEAD + "policy: {manage: {webhooks: full}}\nwebhooks:\n  Sync: {events: [ticket_updated]}\n"
    )

    result = plan(text, [*live, _live_opportunities(1, [1])])

    assert [(c.address, c.action) for c in result.pending] == [('webhooks["Old"]', Action.DELETE)]


# --- what each kind manages -----------------------------------------------------------------


def test_a_present_section_manages_only_the_settings_it_states() -> None:
    cat = catalog()
    values = {"default_group": 1, "shipping_product": 2, "synchronize_to_halo": False}
    live = [k.PRODUCT_SETTINGS.live(values, cat, values)]

    (change,) = plan(HEAD + "products: {default_group: General}\n", live).pending

    assert change.address == "products"
    assert [d.path for d in change.diff] == ["default_group"]
    assert change.after is not None
    assert change.after["default_group"] == "General"


def test_lists_of_names_compare_as_sets() -> None:
    values = {"type": 1, "enabled_types": [2, 1], "import_categories": [2, 1], "teams": [1]}
    live = [k.OPPORTUNITY_SETTINGS.live(values, catalog(), values)]

    result = plan(
        HEAD + "opportunities: {enabled_types: [Opportunity, Incident], "
        "import_categories: [Sales, Renewals]}\n",
        live,
    )

    assert result.pending == []


def test_only_the_account_codes_stated_are_managed() -> None:
    cat = catalog()
    live = [k.ACCOUNT_CODES.live(1, {"income": "4000", "expense": "5000"}, cat, {})]

    assert plan(HEAD + "account_codes: {Hardware: {income: '4000'}}\n", live).pending == []
    (change,) = plan(HEAD + "account_codes: {hardware: {expense: '5100'}}\n", live).pending
    assert change.address == 'account_codes["Hardware"]'
    assert [(d.path, d.after) for d in change.diff] == [("expense", "5100")]


def test_a_mapping_row_removed_under_manage_full_is_removed_from_its_document() -> None:
    cat = catalog()
    live = [
        k.QUOTE_STATUSES.live(["draft"], 11, cat, {}),
        k.QUOTE_STATUSES.live(["sent"], 12, cat, {}),
    ]

    text = HEAD + "policy: {manage: {quotes: full}}\nquotes: {statuses: {draft: Draft}}\n"
    result = plan(text, live)

    assert [(c.address, c.action) for c in result.pending] == [
        ('quotes.statuses["sent"]', Action.DELETE)
    ]


def test_the_kinds_declare_owner_delete_policy_and_tables() -> None:
    owners = {kind.name: (kind.owner, kind.delete_policy) for kind in k.KINDS}

    assert owners[HALO_WEBHOOK.name] == ("halopsa", DeletePolicy.DELETE)
    assert owners[k.PRODUCT_SETTINGS.name] == ("salesbuildr", DeletePolicy.NEVER)
    assert owners[k.QUOTE_STATUSES.name] == ("salesbuildr", DeletePolicy.REMOVE)
    assert owners[k.ACCOUNT_CODES.name] == ("salesbuildr", DeletePolicy.REMOVE)
    assert {kind.section for kind in k.KINDS} == set(HaloConfig.model_fields) & {
        "products",
        "opportunities",
        "companies",
        "quotes",
        "account_codes",
        "webhooks",
    }
    read = {table for kind in k.KINDS for table in kind.tables}
    assert read - set(catalog().tables) == set(t.CONSTANT_TABLES)
    assert set(t.HALO_SOURCES) <= read


# --- documented and assumed settings --------------------------------------------------------

DOCUMENTED = {
    # salesbuildr-halopsa-configuration.md row -> the YAML path that models it
    "2.1 category mapping": "products.categories",
    "2.2 product type mapping": "products.types",
    "2.3 product group mapping": "products.groups",
    "2.4 default product group": "products.default_group",
    "2.5 shipping product": "products.shipping_product",
    "2.6 synchronize to Halo": "products.synchronize_to_halo",
    "3.1 opportunity type": "opportunities.type",
    "3.2 import category filter": "opportunities.import_categories",
    "3.3 status mapping SB -> Halo": "opportunities.statuses.to_halopsa",
    "3.4 status mapping Halo -> SB": "opportunities.statuses.to_salesbuildr",
    "3.5 enabled opportunity types": "opportunities.enabled_types",
    "3.6 opportunity teams": "opportunities.teams",
    "4.1 company prospect type": "companies.prospect_type",
    "4.2 address field mapping": "companies.address_lines",
    "5.1 quote status mapping": "quotes.statuses",
    "6.1 income account code": "account_codes.*.income",
    "6.2 expense account code": "account_codes.*.expense",
    "7.1 webhook management": "webhooks.*.events",
}


def _field(path: str) -> dict[str, Any]:
    """The JSON Schema of the field at a dotted YAML path (``*``: any key of a map)."""
    schema = HaloConfig.model_json_schema()
    defs = schema["$defs"]

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        for option in node.get("anyOf", [node]):
            if "$ref" in option:
                return dict(defs[option["$ref"].rsplit("/", 1)[-1]])
            if option.get("type") == "object":
                return option
        return node

    node: dict[str, Any] = schema
    for part in path.split("."):
        node = deref(node)
        node = node["additionalProperties"] if part == "*" else node["properties"][part]
    return node


@pytest.mark.parametrize("row", sorted(DOCUMENTED))
def test_every_documented_setting_is_modelled_and_described(row: str) -> None:
    assert _field(DOCUMENTED[row]).get("description")


def _marked(node: Any, path: str, found: set[str], defs: dict[str, Any]) -> None:
    if isinstance(node, dict):
        if str(node.get("description", "")).startswith("[assumed]"):
            found.add(path)
        for key, value in node.items():
            if key == "properties":
                for name, spec in value.items():
                    _marked(spec, f"{path}.{name}".strip("."), found, defs)
            elif key == "$ref":
                _marked(defs[value.rsplit("/", 1)[-1]], path, found, defs)
            elif key in ("anyOf", "additionalProperties", "items"):
                children = value if isinstance(value, list) else [value]
                suffix = ".*" if key == "additionalProperties" else ""
                for child in children:
                    _marked(child, path + suffix, found, defs)


def test_every_setting_marked_assumed_is_in_assumed_settings_with_a_reason() -> None:
    schema = HaloConfig.model_json_schema()
    marked: set[str] = set()
    _marked(schema, "", marked, schema["$defs"])

    uncovered = [
        path
        for path in marked
        if not any(path == key or path.startswith(key + ".") for key in k.ASSUMED_SETTINGS)
    ]
    assert "products.groups" in marked and "webhooks.*.events" in marked
    assert uncovered == []
    for key, reason in k.ASSUMED_SETTINGS.items():
        _field(key)
        assert len(reason) > 40, key


def test_the_example_file_uses_every_section_and_resolves_against_this_tenant() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "halopsa" / "mappings.yaml"

    loaded = parse_halo(example.read_bytes(), file=FILE, environ={})
    _, problems = resolve(example.read_text())

    assert len(loaded.config.present_sections()) == 6
    assert problems == []


# --- Halo's lists -> the name tables --------------------------------------------------------


def test_halo_records_become_name_tables_with_their_quirks() -> None:
    statuses = t.table_from_records(
        t.HALO_STATUSES,
        [
            {"id": 1, "name": "Won", "type": t.TICKET_STATUS_TYPE},
            {"id": 2, "name": "Won", "type": 99},  # a status of another record type
            {"id": 3, "name": "Stale", "type": t.TICKET_STATUS_TYPE, "inactive": True},
        ],
    )
    categories = t.table_from_records(t.HALO_CATEGORIES, [{"id": 5, "value": "Sales"}])
    items = t.table_from_records(t.HALO_ITEMS, [{"id": 7, "name": "Freight", "active": False}])

    assert [(e.id, e.name, e.active) for e in statuses.entries] == [
        (1, "Won", True),
        (3, "Stale", False),
    ]
    assert statuses.resolve("won").entry is not None
    assert categories.resolve("sales").entry == categories.entries[0]
    assert items.resolve("Freight").message == "Halo item 'Freight' is inactive"
    assert t.HALO_SOURCES[t.HALO_ITEMS].query == {"includeinactive": True}


def test_quote_statuses_and_client_types_are_read_from_their_lookup_lists() -> None:
    quote = t.HALO_SOURCES[t.HALO_QUOTE_STATUSES]
    client = t.HALO_SOURCES[t.HALO_CLIENT_TYPES]

    assert (quote.resource.name, client.resource.name) == ("Lookup", "Lookup")
    assert quote.query["lookupid"] != client.query["lookupid"]


def test_the_constant_tables_are_added_only_where_missing() -> None:
    cat = catalog()
    mine = NameTable("Salesbuildr quote status", [Entry("draft", "draft")])
    cat.tables[t.SB_QUOTE_STATUSES] = mine

    added = t.with_constants(cat)

    assert added.tables[t.SB_QUOTE_STATUSES] is mine
    assert [e.name for e in added.table(t.HALO_ADDRESS_LINES).entries] == [
        "line1",
        "line2",
        "line3",
        "line4",
    ]
    assert t.SB_ADDRESS_FIELDS not in cat.tables
