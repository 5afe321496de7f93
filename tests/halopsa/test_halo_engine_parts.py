"""HaloPSA's run side on its own, against the simulators over loopback: the Salesbuildr
documents' bodies after changes, the client opened from HALOPSA_* only, the reads, the webhook
writes with their journal and an unknown outcome resolved by name, the sandbox hook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from reconciler.errors import UnknownOutcome, UsageError
from reconciler.kinds.catalog import Catalog
from reconciler.plan.model import Action, Change, FieldDiff
from reconciler.psa import registry
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.documents import DOCUMENTS, apply_changes
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.psa.halopsa.system import HaloSystem
from reconciler.psa.halopsa.write import HaloWriter
from reconciler.sandbox.common import Sandbox
from reconciler.writes import WriteRecord
from tests.halopsa.engine_support import halo_list
from tests.sandbox_clients import salesbuildr_api


def change(
    kind: str,
    section: str,
    action: Action,
    *,
    live: Mapping[str, Any] | None = None,
    desired: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    diff: tuple[FieldDiff, ...] = (),
    owner: str = "salesbuildr",
    key: str = "k",
) -> Change:
    ids: dict[str, Any] = {}
    if live is not None:
        ids["live"] = dict(live)
    if desired is not None:
        ids["desired"] = dict(desired)
    return Change(
        address=f"{section}[{key}]",
        kind=kind,
        key=key,
        section=section,
        owner=owner,
        action=action,
        before=None,
        after=dict(after) if after is not None else None,
        diff=diff,
        ids=ids,
    )


# --- the documents' bodies -------------------------------------------------------------------


def test_a_mapping_row_is_replaced_added_and_removed_by_its_live_key() -> None:
    body = {
        "categories": [
            {"assetTypeId": 1, "categoryId": "c1"},
            {"assetTypeId": 2, "categoryId": "c2"},
        ],
        "types": [],
        "defaultItemGroupId": 3,
        "synchronizeToHalo": False,
    }
    kind = k.PRODUCT_CATEGORIES.name
    changes = [
        change(
            kind,
            "products",
            Action.UPDATE,
            live={"keys": [1]},
            desired={"keys": [1], "category": "c9"},
        ),
        change(kind, "products", Action.DELETE, live={"keys": [2], "category": "c2"}),
        change(kind, "products", Action.CREATE, desired={"keys": [5], "category": "c5"}),
    ]
    out = apply_changes("products", body, changes)
    assert out["categories"] == [
        {"assetTypeId": 1, "categoryId": "c9"},
        {"assetTypeId": 5, "categoryId": "c5"},
    ]
    assert out["defaultItemGroupId"] == 3, "a field no change names is sent back as read"
    assert body["categories"][0]["categoryId"] == "c1", "the read body is not changed"


def test_settings_write_the_changed_attributes_as_ids() -> None:
    body = {
        "ticketTypeId": 1,
        "importCategoryIds": [1],
        "teamIds": [2],
        "enabledTicketTypeIds": [1],
    }
    diff = (FieldDiff("type", "Incident", "Opportunity"), FieldDiff("teams", ["A"], ["A", "B"]))
    update = change(
        k.OPPORTUNITY_SETTINGS.name,
        "opportunities",
        Action.UPDATE,
        desired={"type": 7, "teams": [2, 3], "import_categories": [9]},
        after={"type": "Opportunity", "teams": ["A", "B"]},
        diff=diff,
    )
    out = apply_changes("opportunities", body, [update])
    assert out == {
        "ticketTypeId": 7,
        "importCategoryIds": [1],
        "teamIds": [2, 3],
        "enabledTicketTypeIds": [1],
    }


def test_address_lines_and_account_codes() -> None:
    companies = {"prospectTypeId": None, "addressLines": {"street": 1, "city": 2}}
    lines = [
        change(
            k.ADDRESS_LINES.name,
            "companies",
            Action.UPDATE,
            live={"keys": ["city"]},
            desired={"keys": ["city"], "line": "line3"},
        ),
        change(k.ADDRESS_LINES.name, "companies", Action.DELETE, live={"keys": ["street"]}),
    ]
    assert apply_changes("companies", companies, lines)["addressLines"] == {"city": 3}
    codes = {"itemGroups": [{"itemGroupId": 2, "incomeCode": "4000", "expenseCode": "5000"}]}
    only_income = change(
        k.ACCOUNT_CODES.name,
        "account_codes",
        Action.UPDATE,
        live={"keys": [2]},
        desired={"keys": [2]},
        after={"income": "4100"},
    )
    assert apply_changes("account_codes", codes, [only_income])["itemGroups"] == [
        {"itemGroupId": 2, "incomeCode": "4100", "expenseCode": "5000"}
    ]


def test_which_documents_a_run_reads_and_writes() -> None:
    assert DOCUMENTS.documents_for(["products", "webhooks", "account_codes"]) == [
        "products",
        "account-codes",
        "webhook-receiver",
    ]
    assert DOCUMENTS.document_of("webhooks") is None
    row = change(
        k.QUOTE_STATUSES.name, "quotes", Action.CREATE, desired={"keys": ["draft"], "status": 1}
    )
    assert DOCUMENTS.documents_touched(row) == ("quotes",)
    hook = change(HALO_WEBHOOK.name, "webhooks", Action.CREATE, owner="halopsa")
    assert DOCUMENTS.documents_touched(hook) == ()


def test_the_registry_gives_the_whole_psa() -> None:
    psa = registry.get("halopsa")
    assert psa.system is not None and psa.simulator is not None
    system = psa.system()
    assert system.owner == "halopsa" and system.documents.integration == "halopsa"
    assert system.budget(None) is None
    assert psa.simulator.launcher == "reconciler.sandbox.halopsa:sandbox_hook"


# --- the client and the reads ----------------------------------------------------------------


def test_the_sandbox_prints_both_systems_variables(halo_sandbox: Sandbox) -> None:
    names = [line.split("=", 1)[0] for line in halo_sandbox.export_lines()]
    assert names == [
        "export HALOPSA_URL",
        "export HALOPSA_AUTH_URL",
        "export HALOPSA_CLIENT_ID",
        "export HALOPSA_CLIENT_SECRET",
        "export SALESBUILDR_API_URL",
        "export SALESBUILDR_API_KEY",
        "export SALESBUILDR_WEBHOOK_SECRET",
    ]


def test_salesbuildr_serves_the_halo_reference_lists_and_receiver(halo_sandbox: Sandbox) -> None:
    env = halo_sandbox.env
    with salesbuildr_api(env) as api:
        types = api.get("/integration/halopsa/product-types").json()
        receiver = api.get("/integration/halopsa/settings/webhook-receiver").json()
    assert {"key": "hardware", "name": "Hardware"} in types["results"]
    assert receiver["url"].endswith("/webhooks/halopsa")


def open_client(sandbox: Sandbox, system: HaloSystem) -> HaloClient:
    url = system.url(None, "", sandbox.env, None)
    return system.open(sandbox.env, url, None)


def test_reads_every_table_once_and_the_webhooks(halo_sandbox: Sandbox) -> None:
    system = HaloSystem()
    sections = ["products", "quotes", "webhooks"]
    with open_client(halo_sandbox, system) as client, system.reads(client, None) as reads:
        needed = sorted(system.tables_needed(sections, []))
        reads.start(sections, [n for n in needed if n.startswith(reads.prefix)])
        reads.tables(needed)  # asked twice: read once
        tables = reads.read_tables()
        live = reads.resources(sections, Catalog(tables=dict(tables)), {})
    assert tables["halopsa.item_groups"].resolve("Hardware").entry is not None
    assert tables["halopsa.quote_statuses"].resolve("Accepted").entry is not None
    assert "halopsa.address_lines" not in tables, "a constant of the language is not read"
    assert [r.key for r in live] == ["Accounting sync"]
    endpoints = halo_sandbox.psa_simulator.stats()["endpoints"]
    assert endpoints["GET /ItemGroup"]["requests"] == 1


def test_a_saved_target_on_another_host_is_refused(halo_sandbox: Sandbox) -> None:
    with pytest.raises(UsageError, match="not allowed to receive the halopsa credentials"):
        HaloSystem().url(
            "https://evil.example.com", "plan's HaloPSA target", halo_sandbox.env, None
        )


def test_an_auth_server_on_another_host_is_refused(halo_sandbox: Sandbox) -> None:
    env = {**halo_sandbox.env, "HALOPSA_AUTH_URL": "https://login.evil.example.com/auth"}
    system = HaloSystem()
    with pytest.raises(UsageError, match=r"login\.evil\.example\.com"):
        system.open(env, system.url(None, "", env, None), None)


# --- the writes ------------------------------------------------------------------------------


def run_stages(stages: Any) -> list[WriteRecord]:
    records: list[WriteRecord] = []
    for stage in stages:
        for op in stage:
            op.run(records.append)
    return records


def webhook_change(action: Action, after: Mapping[str, Any] | None, live: Any = None) -> Change:
    return change(
        HALO_WEBHOOK.name, "webhooks", action, live=live, after=after, owner="halopsa", key="Sb"
    )


AFTER = {"name": "Sb", "url": "http://127.0.0.1:9/h", "active": True, "events": ["ticket_updated"]}


def test_webhooks_are_created_updated_and_deleted_with_a_journal(halo_sandbox: Sandbox) -> None:
    env = halo_sandbox.env
    with open_client(halo_sandbox, HaloSystem()) as client:
        writer = HaloWriter(client)
        created = run_stages(writer.writes(webhook_change(Action.CREATE, AFTER)))
        [row] = [w for w in halo_list(env, "Webhook") if w["name"] == "Sb"]
        assert [(r.action, r.request, r.outcome, r.item_id) for r in created] == [
            ("create", "POST /Webhook", "ok", row["id"])
        ]
        live = HALO_WEBHOOK.live(row).ids
        updated = run_stages(
            writer.writes(webhook_change(Action.UPDATE, {**AFTER, "active": False}, live))
        )
        assert [r.outcome for r in updated] == ["ok"]
        [row] = [w for w in halo_list(env, "Webhook") if w["name"] == "Sb"]
        assert row["active"] is False and [e["eventno"] for e in row["events"]] == [2]
        deleted = run_stages(writer.removal_writes(webhook_change(Action.DELETE, None, live)))
        assert [(r.action, r.outcome) for r in deleted] == [("delete", "ok")]
        assert not [w for w in halo_list(env, "Webhook") if w["name"] == "Sb"]


class LostAnswer:
    """A client whose first webhook POST is committed but its answer lost."""

    def __init__(self, client: HaloClient) -> None:
        self.client = client
        self.posts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def upsert(self, resource: Any, records: Any) -> Any:
        self.posts += 1
        saved = self.client.upsert(resource, records)
        if self.posts == 1:
            raise UnknownOutcome(
                "the answer was lost", system="halopsa", method="POST", path="/api/Webhook"
            )
        return saved


def test_a_create_whose_answer_was_lost_is_adopted_by_name(halo_sandbox: Sandbox) -> None:
    with open_client(halo_sandbox, HaloSystem()) as client:
        lossy = LostAnswer(client)
        records = run_stages(HaloWriter(lossy).writes(webhook_change(Action.CREATE, AFTER)))  # type: ignore[arg-type]
    [row] = [w for w in halo_list(halo_sandbox.env, "Webhook") if w["name"] == "Sb"]
    assert [(r.outcome, r.item_id) for r in records] == [("adopted", row["id"])]
    assert lossy.posts == 1, "adopted, not sent again"


def test_preflight_reads_one_record_of_each_resource(halo_sandbox: Sandbox) -> None:
    system = HaloSystem()
    with open_client(halo_sandbox, system) as client:
        checks = system.preflight(client, ["products", "webhooks"], [], {})
    shown = {c.target: (c.status, c.needed) for c in checks}
    assert shown["Webhook"] == ("ok", ("query", "create", "update", "delete"))
    assert shown["ItemGroup"] == ("ok", ("query",))
    endpoints = halo_sandbox.psa_simulator.stats()["endpoints"]
    assert [e for e in endpoints if not e.startswith("GET ")] == ["POST /auth/token"]


def test_the_client_is_not_opened_without_its_variables() -> None:
    system = HaloSystem()
    with pytest.raises(UsageError, match="HALOPSA_CLIENT_SECRET"):
        system.open(
            {"HALOPSA_URL": "https://acme.halopsa.com", "HALOPSA_CLIENT_ID": "x"},
            "https://acme.halopsa.com",
            httpx.MockTransport(lambda r: httpx.Response(500)),
        )
