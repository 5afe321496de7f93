"""Live HaloPSA settings as data and back: the Salesbuildr documents <-> resources, export ->
plan = zero changes (reconciler.plan.compute_plan on the resources, no HTTP), what export
leaves out (and says), hostile live names carried as data, and the plan-time checks of the Halo
writes against the vendor subset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_halo_language_kinds import (
    HOOK_ID,
    ISSUE_EXAMPLE,
    OTHER_HOOK_ID,
    RECEIVER,
    catalog,
    hook_row,
    load,
    plan,
    resolve,
)

from reconciler.envvars import escape_literal
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.plan.model import Action, Change, Plan, Risk
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa.config import SECTIONS
from reconciler.psa.halopsa.export import Exported, document, export_sections
from reconciler.psa.halopsa.kinds_documents import PAGES, document_body, live_resources
from reconciler.psa.halopsa.kinds_webhooks import live_webhooks
from reconciler.psa.halopsa.live_rules import (
    EVENT_FIELDS,
    WEBHOOK_FIELDS,
    body_problems,
    check_plan,
)
from reconciler.state import Resource, State

DOCUMENTS: dict[str, dict[str, Any]] = {
    "products": {
        "categories": [
            {"assetTypeId": 1, "categoryId": "c2"},
            {"assetTypeId": 2, "categoryId": "c1"},
        ],
        "types": [
            {"productType": "hardware", "assetGroupId": 1},
            {"productType": "service", "assetGroupId": 2},
        ],
        "groups": [
            {"categoryId": "c2", "itemGroupId": 1},
            {"categoryId": "c4", "itemGroupId": 3},
        ],
        "defaultItemGroupId": 2,
        "shippingItemId": 1,
        "synchronizeToHalo": False,
    },
    "opportunities": {
        "toSalesbuildr": [
            {"haloStatusId": 1, "status": "won"},
            {"haloStatusId": 2, "status": "lost"},
        ],
        "toHalopsa": [{"status": "won", "haloStatusId": 1}],
        "ticketTypeId": 4,
        "importCategoryIds": [2, 1],
        "enabledTicketTypeIds": [4, 1],
        "teamIds": [1],
    },
    "companies": {"prospectTypeId": 1, "addressLines": {"street": 1, "city": 3}},
    "quotes": {
        "statuses": [
            {"status": "draft", "haloQuoteStatusId": 11},
            {"status": "approved", "haloQuoteStatusId": 13},
        ]
    },
    "account_codes": {
        "itemGroups": [
            {"itemGroupId": 1, "incomeCode": "4000", "expenseCode": "5000"},
            {"itemGroupId": 3, "incomeCode": "4100", "expenseCode": None},
        ]
    },
}
HOOKS = [
    hook_row(HOOK_ID, "Salesbuildr tickets", 2),
    hook_row(OTHER_HOOK_ID, "Monitoring", 21, 22, url="https://monitor.acme.example/halo"),
]


def live_state(
    cat: Catalog,
    documents: dict[str, dict[str, Any]] = DOCUMENTS,
    hooks: list[dict[str, Any]] = HOOKS,
) -> State:
    return State.of([*live_resources(documents, cat), *live_webhooks(hooks)])


def _escaped(value: Any) -> Any:
    """What the core's dumper does to every string (``${`` is written ``$${``)."""
    if isinstance(value, str):
        return escape_literal(value)
    if isinstance(value, dict):
        return {_escaped(key): _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def exported_yaml(exported: Exported, policy: dict[str, Any] | None = None) -> str:
    body = document(exported)
    if policy:
        body = {"version": 1, "psa": "halopsa", "policy": policy, **exported.sections}
    return yaml.safe_dump(_escaped(body), sort_keys=False, allow_unicode=False)


# --- documents <-> resources ----------------------------------------------------------------


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """Rows in any order compare equal (every Halo list is a set)."""
    return {
        key: sorted(value, key=json.dumps) if isinstance(value, list) else value
        for key, value in body.items()
    }


def test_every_document_reads_back_into_the_same_body() -> None:
    cat = catalog()
    resources = live_resources(DOCUMENTS, cat)

    for section in PAGES:
        rebuilt = document_body(section, resources, {})
        assert _canonical(rebuilt) == _canonical(DOCUMENTS[section]), section
    assert set(PAGES) == set(DOCUMENTS) == set(SECTIONS) - {"webhooks"}


def test_the_documents_a_plan_writes_hold_the_resolved_ids_and_keep_the_rest() -> None:
    desired, problems = resolve(ISSUE_EXAMPLE)
    assert problems == []
    read = {"unmanagedField": {"kept": True}}

    bodies = {section: document_body(section, list(desired), read) for section in PAGES}

    assert bodies["products"] == {
        "unmanagedField": {"kept": True},
        "categories": [{"assetTypeId": 1, "categoryId": "c2"}],
        "types": [{"productType": "hardware", "assetGroupId": 1}],
        "groups": [{"categoryId": "c2", "itemGroupId": 1}],
        "defaultItemGroupId": 2,
        "shippingItemId": 1,
        "synchronizeToHalo": True,
    }
    assert bodies["opportunities"]["ticketTypeId"] == 1
    assert bodies["opportunities"]["teamIds"] == [1]
    assert bodies["companies"]["addressLines"] == {"apartment": 2, "city": 3, "street": 1}
    assert {row["status"]: row["haloQuoteStatusId"] for row in bodies["quotes"]["statuses"]} == {
        "draft": 11,
        "sent": 12,
        "approved": 13,
        "declined": 14,
        "expired": 15,
    }
    assert bodies["account_codes"]["itemGroups"] == [
        {"itemGroupId": 1, "incomeCode": "4000", "expenseCode": "5000"}
    ]


def test_an_unstated_account_code_is_kept_as_read() -> None:
    desired, _ = resolve("version: 1\npsa: halopsa\naccount_codes: {Software: {income: '4200'}}\n")
    read = DOCUMENTS["account_codes"]

    body = document_body("account_codes", list(desired), read)

    assert body["itemGroups"] == [{"itemGroupId": 3, "incomeCode": "4200", "expenseCode": None}]


# --- export ---------------------------------------------------------------------------------


def test_export_reads_as_the_live_settings() -> None:
    cat = catalog()

    exported = export_sections(live_state(cat), cat)

    assert exported.sections == {
        "products": {
            "default_group": "General",
            "shipping_product": "Shipping",
            "synchronize_to_halo": False,
            "categories": {"Desktops": "Hardware", "Laptops": "Hardware/Laptops"},
            "types": {"hardware": "Hardware", "service": "Services (#2)"},
            "groups": {"Hardware/Laptops": "Hardware", "Software/AV\\/Security": "Software"},
        },
        "opportunities": {
            "type": "Project (#4)",
            "import_categories": ["Renewals", "Sales"],
            "enabled_types": ["Opportunity", "Project (#4)"],
            "teams": ["Sales"],
            "statuses": {
                "to_salesbuildr": {"Lost": "Lost", "Won": "Won"},
                "to_halopsa": {"Won": "Won"},
            },
        },
        "companies": {
            "prospect_type": "Prospect",
            "address_lines": {"city": "line3", "street": "line1"},
        },
        "quotes": {"statuses": {"approved": "Accepted", "draft": "Draft"}},
        "account_codes": {
            "Hardware": {"income": "4000", "expense": "5000"},
            "Software": {"income": "4100"},
        },
        "webhooks": {
            "Monitoring": {
                "events": ["client_created", "client_updated"],
                "active": True,
                "url": "https://monitor.acme.example/halo",
            },
            "Salesbuildr tickets": {"events": ["ticket_updated"], "active": True},
        },
    }
    assert exported.omitted == []


@pytest.mark.parametrize("policy", [None, {"manage": dict.fromkeys(SECTIONS, "full")}])
def test_export_then_plan_is_zero_changes(policy: dict[str, Any] | None) -> None:
    cat = catalog()
    state = live_state(cat)
    text = exported_yaml(export_sections(state, cat), policy)

    result = plan(text, list(state), cat=cat)

    assert [c.address for c in result.pending] == []
    assert len(result.changes) == len(state)


def test_the_exported_file_validates_offline() -> None:
    cat = catalog()

    loaded = load(exported_yaml(export_sections(live_state(cat), cat)))

    assert loaded.config.present_sections() == list(SECTIONS)


def test_export_of_chosen_sections_only() -> None:
    cat = catalog()

    exported = export_sections(live_state(cat), cat, ["quotes", "webhooks"])

    assert list(exported.sections) == ["quotes", "webhooks"]


def test_the_webhook_receiver_url_is_left_out_so_the_file_follows_it() -> None:
    cat = catalog()

    exported = export_sections(live_state(cat), cat, ["webhooks"])

    assert "url" not in exported.sections["webhooks"]["Salesbuildr tickets"]
    assert RECEIVER not in json.dumps(exported.sections)


def test_what_a_file_cannot_state_is_left_out_and_said() -> None:
    cat = catalog()
    documents = {
        **DOCUMENTS,
        "products": {
            "categories": [{"assetTypeId": 3, "categoryId": "c1"}],
            "types": [{"productType": "hardware", "assetGroupId": 99}],
            "shippingItemId": 3,
        },
        "account_codes": {"itemGroups": [{"itemGroupId": 1, "incomeCode": None}]},
    }
    hooks = [
        hook_row("11111111-1111-4111-8111-111111111111", "Twice"),
        hook_row("22222222-2222-4222-8222-222222222222", "Twice"),
        hook_row("33333333-3333-4333-8333-333333333333", "Numbered", 77),
        hook_row("44444444-4444-4444-8444-444444444444", " padded "),
        hook_row("55555555-5555-4555-8555-555555555555", "Plain http", url="http://example.com/h"),
        hook_row(
            "66666666-6666-4666-8666-666666666666",
            "With password",
            url="https://user:hunter2@example.com/h",
        ),
        {**hook_row("77777777-7777-4777-8777-777777777777", "Silent"), "events": []},
    ]

    exported = export_sections(live_state(cat, documents, hooks), cat)

    assert exported.sections["products"] == {"categories": {}, "types": {}, "groups": {}}
    assert exported.sections["account_codes"] == {}
    assert exported.sections["webhooks"] == {}
    said = dict(exported.omitted)
    assert said['products.categories["Printers"]'] == "'Printers' is inactive"
    assert said['products.types["hardware"]'] == "#99 is not a known Halo asset group"
    assert said["products.shipping_product"] == "'Freight' is inactive"
    assert said['account_codes["Hardware"]'] == "it holds neither an income nor an expense code"
    assert said['webhooks["Twice (#11111111-1111-4111-8111-111111111111)"]'].startswith(
        "2 live webhooks share its name"
    )
    assert said['webhooks["Numbered"]'] == "subscribes to eventno 77, which has no event name"
    assert said['webhooks[" padded "]'] == "its name cannot be a YAML key of its own"
    assert said['webhooks["Plain http"]'].startswith("its url is not one a file may state")
    assert said['webhooks["Silent"]'] == "subscribes to no event"
    assert "hunter2" not in json.dumps(exported.omitted)
    assert len(exported.omitted) == 11


def test_a_file_of_what_export_kept_plans_only_the_removals_it_said() -> None:
    cat = catalog()
    hooks = [*HOOKS, hook_row("11111111-1111-4111-8111-111111111111", "Numbered", 77)]
    state = live_state(cat, hooks=hooks)
    exported = export_sections(state, cat)
    text = exported_yaml(exported, {"manage": {"webhooks": "full"}})

    result = plan(text, list(state), cat=cat)

    assert [(c.address, c.action) for c in result.pending] == [
        ('webhooks["Numbered"]', Action.DELETE)
    ]
    assert [where for where, _ in exported.omitted] == ['webhooks["Numbered"]']


# --- hostile live names are data ------------------------------------------------------------

HOSTILE = [
    "${env:SALESBUILDR_API_KEY}",
    "line one\nversion: 2",
    "\x1b[31mred\x1b[0m \u202eevil",
    "**bold** | [link](https://evil.example) `code` <b>x</b>",
    "# not a comment: {a: b}",
]


def _hostile_catalog() -> Catalog:
    cat = catalog()
    names = list(enumerate(HOSTILE, start=1))
    cat.tables[t.HALO_ITEM_GROUPS] = NameTable(
        "Halo item group", [Entry(i, name) for i, name in names]
    )
    cat.tables[t.HALO_ASSET_TYPES] = NameTable(
        "Halo asset type", [Entry(i, name) for i, name in names]
    )
    cat.tables[t.HALO_TEAMS] = NameTable("Halo team", [Entry(i, name) for i, name in names])
    return cat


def test_hostile_live_names_are_data_the_exported_file_plans_to_zero() -> None:
    cat = _hostile_catalog()
    ids = list(range(1, len(HOSTILE) + 1))
    documents = {
        "products": {
            "categories": [{"assetTypeId": i, "categoryId": "c1"} for i in ids],
            "groups": [{"categoryId": "c1", "itemGroupId": 1}],
            "defaultItemGroupId": 2,
        },
        "opportunities": {"teamIds": ids},
        "account_codes": {
            "itemGroups": [{"itemGroupId": i, "incomeCode": HOSTILE[-i]} for i in ids]
        },
    }
    hooks = [
        hook_row(f"{i:08d}-0000-4000-8000-000000000000", name)
        for i, name in enumerate(HOSTILE)
        if name.strip() == name
    ]
    state = live_state(cat, documents, hooks)
    exported = export_sections(
        state, cat, ["products", "opportunities", "account_codes", "webhooks"]
    )
    text = exported_yaml(exported)

    result = plan(text, list(state), cat=cat)
    # What the loader read back is the live text itself: ${env:...} never expanded.
    loaded = load(text, {"SALESBUILDR_API_KEY": "leaked-secret"})

    assert "leaked-secret" not in repr(loaded.config)
    assert loaded.config.products is not None and loaded.config.account_codes is not None
    assert set(loaded.config.products.categories) == set(HOSTILE)
    assert loaded.config.products.default_group == HOSTILE[1]
    assert {codes.income for codes in loaded.config.account_codes.values()} == set(HOSTILE)
    assert set(loaded.config.webhooks or {}) == {n for n in HOSTILE if n.strip() == n}
    assert [c.address for c in result.pending] == []
    assert exported.omitted == []


def test_a_hostile_name_in_a_note_stays_on_one_line() -> None:
    cat = _hostile_catalog()
    cat.tables[t.HALO_ITEM_GROUPS] = NameTable(
        "Halo item group", [Entry(1, HOSTILE[1], active=False)]
    )
    documents = {"products": {"defaultItemGroupId": 1}}

    exported = export_sections(live_state(cat, documents, []), cat, ["products"])

    (where, why) = exported.omitted[0]
    assert where == "products.default_group"
    # Printed as a YAML comment: a line break would end the comment and start YAML.
    assert why == '"line one\\nversion: 2" is inactive'
    assert why.isprintable()


# --- the Halo writes against the vendor subset ----------------------------------------------


def _subset_document() -> dict[str, Any]:
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[2] / "reconciler/sandbox/halopsa/data/halopsa-openapi-subset.json",
        here.parents[3] / "shared/reference/halopsa-openapi-subset.json",
    ):
        if candidate.is_file():
            loaded: dict[str, Any] = json.loads(candidate.read_text())
            return loaded
    raise AssertionError("halopsa-openapi-subset.json not found")


def _types(schema: dict[str, Any], names: Any) -> dict[str, tuple[str, str | None]]:
    properties = schema["properties"]
    return {name: (properties[name]["type"], properties[name].get("format")) for name in names}


def test_the_webhook_write_rules_are_the_vendor_documents() -> None:
    schemas = _subset_document()["components"]["schemas"]
    events = schemas["Webhook"]["properties"]["events"]

    assert _types(schemas["Webhook"], WEBHOOK_FIELDS) == dict(WEBHOOK_FIELDS)
    assert events["items"]["$ref"].endswith("/UnameNotification")
    assert _types(schemas["UnameNotification"], EVENT_FIELDS) == dict(EVENT_FIELDS)
    # Nothing the writes send has a maxLength or is required in the subset.
    written = schemas["Webhook"]["properties"]
    assert all("maxLength" not in written[name] for name in WEBHOOK_FIELDS)
    assert not set(schemas["Webhook"].get("required") or ()) & set(WEBHOOK_FIELDS)


def _update(live: Resource, after: dict[str, Any]) -> Plan:
    change = Change(
        address=live.address,
        kind=live.kind,
        key=live.key,
        section=live.section,
        owner=live.owner,
        action=Action.UPDATE,
        before=dict(live.attributes),
        after=after,
        diff=(),
        reason="differs",
        ids={"live": dict(live.ids)},
    )
    return Plan(changes=(change,), risk=Risk.SAFE)


def test_a_webhook_body_halo_would_refuse_fails_the_plan() -> None:
    (live,) = live_webhooks([hook_row("not-a-uuid", "Sync")])
    after = {"name": "Sync", "url": RECEIVER, "active": True, "events": ["ticket_updated"]}

    problems = check_plan(_update(live, after))

    assert [p.message for p in problems] == [
        "Halo would refuse this webhook: Webhook.id must be string (uuid), not 'not-a-uuid'"
    ]


def test_a_subscription_id_outside_int32_is_refused() -> None:
    element = {"name": "x", "events": [{"id": 2**31, "eventno": 2}, "junk"]}

    assert body_problems(element) == [
        f"Webhook.events[0].id must be integer (int32), not {2**31}",
        "Webhook.events[1] must be an object",
    ]


def test_a_plan_of_valid_webhooks_passes_the_write_checks() -> None:
    live = live_webhooks(HOOKS)
    text = (
        "version: 1\npsa: halopsa\nwebhooks:\n"
        "  Salesbuildr tickets: {events: [ticket_updated, ticket_created]}\n"
        "  New hook: {events: [client_updated], active: false}\n"
    )

    result = plan(text, live)

    assert sorted(c.action for c in result.pending) == [Action.CREATE, Action.UPDATE]
    assert check_plan(result) == []


def test_only_the_kinds_of_the_documents_are_read_from_them() -> None:
    cat = catalog()
    kinds = {r.kind for r in live_resources(DOCUMENTS, cat)}

    assert kinds == {kind.name for kind in k.KINDS} - {"halo_webhook"}


def test_every_note_is_one_line_of_visible_text_whatever_the_live_data() -> None:
    cat = _hostile_catalog()
    cat.tables[t.HALO_ASSET_TYPES] = NameTable(
        "Halo asset type", [Entry(i, name, active=False) for i, name in enumerate(HOSTILE)]
    )
    documents = {
        "products": {
            "categories": [{"assetTypeId": i, "categoryId": "c1"} for i in range(len(HOSTILE))],
            "types": [{"productType": "hardware", "assetGroupId": "9\nversion: 2"}],
        }
    }
    hooks = [
        hook_row("a\nb", "Twice"),
        hook_row("c\x1b[2J", "Twice"),
        {**hook_row(HOOK_ID, "Odd"), "events": [{"eventno": "7\n# injected"}]},
    ]

    exported = export_sections(live_state(cat, documents, hooks), cat)

    assert len(exported.omitted) == len(HOSTILE) + 4
    assert all(where.isprintable() and why.isprintable() for where, why in exported.omitted)


def test_live_settings_the_rules_refuse_are_left_out_and_said() -> None:
    cat = catalog()
    documents = {
        "opportunities": {"ticketTypeId": 2, "enabledTicketTypeIds": [1], "teamIds": [1]},
        "companies": {
            "prospectTypeId": 1,
            "addressLines": {"street": 1, "apartment": 1, "city": 2},
        },
        "account_codes": {
            "itemGroups": [
                {"itemGroupId": 1, "incomeCode": "4" * 101},
                {"itemGroupId": 2, "incomeCode": 4000},
                {"itemGroupId": 3, "incomeCode": "4100"},
            ]
        },
    }
    state = live_state(cat, documents, [])

    exported = export_sections(state, cat, ["opportunities", "companies", "account_codes"])
    result = plan(exported_yaml(exported), list(state), cat=cat)

    assert exported.sections["opportunities"] == {
        "teams": ["Sales"],
        "statuses": {"to_salesbuildr": {}, "to_halopsa": {}},
    }
    assert exported.sections["companies"] == {
        "prospect_type": "Prospect",
        "address_lines": {"city": "line2"},
    }
    assert exported.sections["account_codes"] == {"Software": {"income": "4100"}}
    said = dict(exported.omitted)
    assert said["opportunities.type"] == "the type 'Incident' is not among the enabled types"
    assert said["opportunities.enabled_types"] == said["opportunities.type"]
    assert said['companies.address_lines["street"]'] == "apartment, street all go to Halo's line1"
    assert said['account_codes["Hardware"]'] == "a code is not text of at most 100 characters"
    assert said['account_codes["General"]'] == said['account_codes["Hardware"]']
    assert [c.address for c in result.pending] == []


def test_webhooks_whose_names_fold_alike_are_exported_apart_and_plan_to_zero() -> None:
    cat = catalog()
    hooks = [hook_row(HOOK_ID, "Sync"), hook_row(OTHER_HOOK_ID, "SYNC", 1)]
    state = live_state(cat, {}, hooks)

    exported = export_sections(state, cat, ["webhooks"])
    result = plan(exported_yaml(exported, {"manage": {"webhooks": "full"}}), list(state), cat=cat)

    assert set(exported.sections["webhooks"]) == {"Sync", "SYNC"}
    assert result.pending == []
