"""Numbered end-to-end scenarios against the sandbox, over real loopback HTTP.

Each scenario drives the real CLI (or, where the CLI cannot inject a fault mid-apply, the session
and apply functions the CLI calls) and then asserts the LIVE state through the simulators' own
APIs, not just exit codes. Numbering follows keycloak-config-cli: 00 creates everything, 99
deletes everything; the rest change one thing each.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scenario_world import LOCK, World

from reconciler import session
from reconciler.apply import JsonlJournal, RequestFloor, apply_plan
from reconciler.config import load_config
from reconciler.errors import PartialApplyError
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.writes import Change, Journal, Stages

# Autotask ids of the sandbox tenant (reconciler/sandbox/tenant.py and the recorded picklists).
HARDWARE_SALES, SOFTWARE_LICENSING, CLOUD_SUBSCRIPTIONS = 29683001, 29683002, 29683004
COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER = 7, 24, 14, 6
CONTRACT_TIER_UDF, SALESBUILDR_API = 29684001, 29682885
PROCUREMENT, HARDWARE_ISSUE = 40, 41
ORDER_HARDWARE_PROCUREMENT, ORDER_HARDWARE_HARDWARE = 401, 411

SECTIONS = [
    "billing_codes",
    "company_types",
    "company_udfs",
    "product_import",
    "inventory",
    "opportunity",
    "purchase_order",
    "webhook_receiver",
    "webhooks",
]


def pending(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in plan["changes"] if c["action"] != "no-op"]


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def one_webhook(world: World, collection: str, name: str) -> dict[str, Any]:
    found = world.webhooks(collection, name)
    assert len(found) == 1, found
    return found[0]


def faulting(simulator: Any, faults: dict[str, float], call: Any) -> Any:
    """``call`` with ``faults`` on ``simulator`` for exactly the requests it makes."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        simulator.set_faults(faults)
        try:
            return call(*args, **kwargs)
        finally:
            simulator.set_faults({})

    return wrapped


def assert_example_is_live(world: World) -> None:
    """What examples/mappings.yaml says, read back from both simulators."""
    hook = one_webhook(world, "CompanyWebhooks", "sb-companies")
    assert hook["isActive"] is True
    assert hook["isSubscribedToCreateEvents"] is True
    assert hook["isSubscribedToUpdateEvents"] is True
    assert hook["isSubscribedToDeleteEvents"] is True
    assert hook["sendThresholdExceededNotification"] is True
    assert hook["notificationEmailAddress"] == "ops@acme-it.example"
    receiver, _ = world.document("webhook-receiver")
    assert hook["webhookUrl"] == receiver["url"]
    assert hook["deactivationUrl"] == receiver["url"]
    assert receiver["secretSet"] is True
    fields = {
        f["fieldID"]: (f["isSubscribedField"], f["isDisplayAlwaysField"])
        for f in world.children("CompanyWebhookFields", [hook["id"]])
    }
    assert fields == {
        COMPANY_NAME: (True, False),
        COMPANY_TYPE: (True, False),
        PHONE: (True, False),
        COMPANY_NUMBER: (False, True),
    }
    udfs = world.children("CompanyWebhookUdfFields", [hook["id"]])
    assert [(u["udfFieldID"], u["isSubscribedField"]) for u in udfs] == [(CONTRACT_TIER_UDF, True)]
    excluded = world.children("CompanyWebhookExcludedResources", [hook["id"]])
    assert [x["resourceID"] for x in excluded] == [SALESBUILDR_API]
    tickets = one_webhook(world, "TicketWebhooks", "sb-tickets")
    assert tickets["isActive"] is True
    assert tickets["isSubscribedToDeleteEvents"] is False

    locations = {r["locationName"]: r for r in world.query("InventoryLocations")}
    assert set(locations) == {"Main Warehouse", "Service Van 1"}
    assert locations["Main Warehouse"]["isActive"] is True
    assert locations["Main Warehouse"]["isDefault"] is True
    inventory, _ = world.document("inventory")
    assert inventory["locations"] == [
        {"inventoryLocationId": locations["Main Warehouse"]["id"], "trackStock": True}
    ]

    billing, _ = world.document("billing-codes")
    assert billing["defaultBillingCodeId"] == HARDWARE_SALES
    assert {(r["categoryId"], r["billingCodeId"]) for r in billing["categories"]} == {
        ("c-hw", HARDWARE_SALES),
        ("c-hw-laptops", HARDWARE_SALES),
        ("c-sw", SOFTWARE_LICENSING),
        ("c-ms", 29683003),
    }
    types, _ = world.document("company-types")
    assert {(r["autotaskCompanyType"], r["companyType"]) for r in types["toSalesbuildr"]} == {
        (1, "customer"),
        (3, "lead"),
        (6, "supplier"),
    }
    product, _ = world.document("product-import")
    assert product["synchronizeToAutotask"] is True
    assert product["mpnEnrichment"] == "icecat"
    assert product["manufacturerCompanyType"] == "supplier"
    assert [(r["roleId"], r["categoryId"]) for r in product["roles"]] == [(29683301, "c-labor-eng")]
    po, _ = world.document("purchase-order")
    assert po["createTicket"] is True
    assert (po["issueType"], po["subIssueType"]) == (PROCUREMENT, ORDER_HARDWARE_PROCUREMENT)
    assert po["dueDateOffsetDays"] == 5
    opportunity, _ = world.document("opportunity-udfs")
    assert opportunity["mappings"] == [{"dataPointId": "dp-o-margin", "udfName": "Quote Margin"}]


# --- 00: create everything -----------------------------------------------------------------------


def test_00_create_all(world: World) -> None:
    mappings = world.example()
    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    plan = world.plan_json()
    assert plan["risk"] == "safe"
    assert {c["section"] for c in pending(plan)} == set(SECTIONS)
    assert plan["summary"]["delete"] == plan["summary"]["deactivate"] == 0
    assert world.writes() == (0, 0)
    secret = world.sandbox.env["SALESBUILDR_WEBHOOK_SECRET"]
    assert secret not in (world.workdir / "plan.json").read_text()

    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert "Verified" in applied.stdout
    journal = journal_lines(world.workdir / "plan.json.journal.jsonl")
    assert journal
    assert {line["outcome"] for line in journal} == {"ok"}
    assert secret not in json.dumps(journal)

    again = world.cli("plan", str(mappings), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
    assert_example_is_live(world)


# --- 01: one mapping changes ---------------------------------------------------------------------


def test_01_update_mappings(world: World) -> None:
    world.converge(world.example())
    mappings = world.example(
        ("Software: Software Licensing", "Software: cloud subscriptions"),
    )
    planned = world.cli(
        "plan", str(mappings), "--out", "plan.json", "--format", "json", "--detailed-exitcode"
    )
    assert planned.exit_code == 2, planned.output
    (change,) = pending(world.plan_json())
    assert change["address"] == 'billing_codes.categories["Software"]'
    assert change["action"] == "update"
    assert change["diff"] == [
        {"path": "billing_code", "before": "Software Licensing", "after": "Cloud Subscriptions"}
    ]
    assert change["ids"]["desired"]["billing_code"] == CLOUD_SUBSCRIPTIONS

    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    billing, _ = world.document("billing-codes")
    rows = {r["categoryId"]: r["billingCodeId"] for r in billing["categories"]}
    assert rows["c-sw"] == CLOUD_SUBSCRIPTIONS
    assert rows["c-hw"] == HARDWARE_SALES
    assert billing["defaultBillingCodeId"] == HARDWARE_SALES
    assert world.cli("plan", str(mappings), "--detailed-exitcode").exit_code == 0


# --- 02: a webhook leaves the YAML under manage: full ---------------------------------------------

WITHOUT_TICKETS = (
    (
        """  sb-tickets:
    entity: ticket
    events: [create, update]
    fields: [Status, Priority, QueueID]
""",
        "",
    ),
)


def test_02_remove_webhook_full_manage(world: World) -> None:
    world.converge(world.example())
    tickets = one_webhook(world, "TicketWebhooks", "sb-tickets")
    assert world.children("TicketWebhookFields", [tickets["id"]])
    mappings = world.example(*WITHOUT_TICKETS)

    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 3, planned.output
    plan = world.plan_json()
    assert plan["risk"] == "destructive"
    (change,) = pending(plan)
    assert (change["address"], change["action"]) == ('webhooks["sb-tickets"]', "delete")

    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert world.webhooks("TicketWebhooks") == []
    for root in ("TicketWebhookFields", "TicketWebhookUdfFields", "TicketWebhookExcludedResources"):
        assert world.children(root, [tickets["id"]]) == [], root
    assert len(world.webhooks("CompanyWebhooks", "sb-companies")) == 1
    assert world.cli("plan", str(mappings), "--detailed-exitcode").exit_code == 0


# --- 03: the live systems moved after the plan was saved ------------------------------------------


def _patch_webhook(world: World) -> str:
    hook = one_webhook(world, "CompanyWebhooks", "sb-companies")
    response = world.autotask.patch(
        "/CompanyWebhooks", json={"id": hook["id"], "sendThresholdExceededNotification": False}
    )
    assert response.status_code == 200, response.text
    return 'webhooks["sb-companies"]'


def _put_billing_codes(world: World) -> str:
    body, _ = world.document("billing-codes")
    body["defaultBillingCodeId"] = SOFTWARE_LICENSING
    world.put_document("billing-codes", body)
    return "salesbuildr:billing-codes"


@pytest.mark.parametrize("move", [_patch_webhook, _put_billing_codes], ids=["webhook", "document"])
def test_03_stale_plan_refused(world: World, move: Any) -> None:
    world.converge(world.example())
    mappings = world.example(
        ("fields: [CompanyName, CompanyType, Phone]", "fields: [CompanyName, Phone]"),
        ("Software: Software Licensing", "Software: Cloud Subscriptions"),
    )
    planned = world.cli("plan", str(mappings), "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    assert len(pending(world.plan_json())) == 2

    moved = move(world)
    before = world.writes()
    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 3, applied.output
    assert "Saved plan is stale" in applied.stderr
    assert moved in applied.stderr
    assert world.writes() == before
    assert not (world.workdir / "plan.json.journal.jsonl").exists()
    assert world.salesbuildr.get(LOCK).status_code == 404
    hook = one_webhook(world, "CompanyWebhooks", "sb-companies")
    fields = world.children("CompanyWebhookFields", [hook["id"]])
    assert COMPANY_TYPE in {f["fieldID"] for f in fields if f["isSubscribedField"]}


def test_03_stale_plan_of_a_webhook_whose_key_is_not_its_name(world: World) -> None:
    """``name:`` makes the YAML key differ from the live address: the stale check must still
    find the webhook's fingerprint."""
    renamed = (("  sb-companies:\n", "  companies:\n    name: sb-companies\n"),)
    world.converge(world.example(*renamed))
    mappings = world.example(
        *renamed, ("fields: [CompanyName, CompanyType, Phone]", "fields: [CompanyName, Phone]")
    )
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    (change,) = pending(world.plan_json())
    assert change["address"] == 'webhooks["companies"]'

    _patch_webhook(world)
    before = world.writes()
    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 3, applied.output
    assert 'webhooks["companies"]' in applied.stderr
    assert world.writes() == before


# --- 04: a write fails half-way; the next run converges -------------------------------------------


class FailSalesbuildrAfterAutotask:
    """Wraps the writer: once the Autotask writes are done, every Salesbuildr settings PUT
    fails with a 500 (reads still work, so the failure is exactly the writes)."""

    def __init__(self, writer: Any, world: World):
        self.writer = writer
        self.world = world
        self.lock = threading.Lock()
        self.faulted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)

    def document_writes(self, changes: Sequence[Change]) -> Stages:
        """The settings PUTs, each made to fail once it runs (the receiver's secret passes)."""
        stages = self.writer.document_writes(changes)
        if any(c.kind == "webhook_receiver" for c in changes):
            return stages
        return [[replace(op, run=self._failing(op.run)) for op in stage] for stage in stages]

    def _failing(self, run: Callable[[Journal], None]) -> Callable[[Journal], None]:
        def failing(journal: Journal) -> None:
            client = self.writer.salesbuildr
            with self.lock:
                if not self.faulted:
                    self.faulted = True
                    client.write_section = faulting(
                        self.world.sandbox.salesbuildr, {"500": 1.0}, client.write_section
                    )
            run(journal)

        return failing


def test_04_partial_failure_resume(world: World) -> None:
    mappings = world.example()
    environ = dict(world.sandbox.env)
    loaded = load_config(mappings, environ=environ)
    journal_path = world.workdir / "partial.journal.jsonl"
    with session.connect(loaded, environ, sections=loaded.config.present_sections()) as connections:
        run = session.make_plan(loaded, connections)
        writer = session.writer_for(connections, environ, run.desired)
        journal = JsonlJournal(journal_path)
        try:
            with pytest.raises(PartialApplyError) as raised:
                apply_plan(
                    run.plan,
                    FailSalesbuildrAfterAutotask(writer, world),
                    journal=journal,
                    request_floor=RequestFloor(
                        "autotask", "Autotask", "min_remaining_autotask_requests", 1000
                    ),
                    check_stale=False,
                    parallelism=1,  # the first document fails, nothing after it is sent
                    kinds=AUTOTASK_KINDS,
                )
        finally:
            journal.close()
    error = raised.value
    assert error.exit_code == 4
    assert "done (" in error.message
    assert "not done (" in error.message
    done = error.message.split("not done")[0]
    assert 'webhooks["sb-companies"]' in done
    assert "webhook_receiver" in done
    assert 'billing_codes.categories["Hardware"]' in error.message.split("not done")[1]
    lines = journal_lines(journal_path)
    assert any(line["address"] == 'webhooks["sb-companies"]' for line in lines)
    failed = [line for line in lines if line["outcome"] != "ok"]
    assert {line["request"] for line in failed} == {"PUT settings/billing-codes (5 change(s))"}
    assert {line["outcome"] for line in failed} == {"failed"}
    billing, _ = world.document("billing-codes")
    assert billing["categories"] == []

    rerun = world.cli("apply", str(mappings), "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert world.cli("plan", str(mappings), "--detailed-exitcode").exit_code == 0
    assert_example_is_live(world)
    for collection, name in (("CompanyWebhooks", "sb-companies"), ("TicketWebhooks", "sb-tickets")):
        assert len(world.webhooks(collection, name)) == 1
    names = [r["locationName"] for r in world.query("InventoryLocations")]
    assert sorted(names) == ["Main Warehouse", "Service Van 1"]


# --- 05: a create whose answer is lost is adopted, not duplicated ---------------------------------


def test_05_unknown_outcome_create_adopted(world: World) -> None:
    mappings = world.example()
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    world.sandbox.autotask.set_faults({"reset-after-commit": 1.0})
    applied = world.cli("apply", "plan.json")
    world.sandbox.autotask.set_faults({})
    assert applied.exit_code == 0, applied.output

    journal = journal_lines(world.workdir / "plan.json.journal.jsonl")
    creates = [
        line
        for line in journal
        if line["address"] == 'webhooks["sb-companies"]' and line["request"].startswith("POST")
    ]
    assert creates[0]["request"] == "POST CompanyWebhooks (inactive)"
    assert creates[0]["outcome"] == "adopted"
    hook = one_webhook(world, "CompanyWebhooks", "sb-companies")
    assert creates[0]["id"] == hook["id"]
    assert all(line["outcome"] == "adopted" for line in creates)
    assert hook["isActive"] is True
    fields = world.children("CompanyWebhookFields", [hook["id"]])
    assert sorted(f["fieldID"] for f in fields) == sorted(
        [COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER]
    )
    names = [r["locationName"] for r in world.query("InventoryLocations")]
    assert sorted(names) == ["Main Warehouse", "Service Van 1"]
    assert world.cli("plan", str(mappings), "--detailed-exitcode").exit_code == 0


def apply_directly(
    world: World, mappings: Path, *, on_connect: Any = None
) -> tuple[PartialApplyError | None, list[dict[str, Any]]]:
    """Plan and apply through the functions the CLI calls (no lock): the seam for injecting a
    fault into one kind of request. ``on_connect(connections)`` may wrap the API clients."""
    environ = dict(world.sandbox.env)
    loaded = load_config(mappings, environ=environ)
    journal_path = world.workdir / "direct.journal.jsonl"
    failure: PartialApplyError | None = None
    with session.connect(loaded, environ, sections=loaded.config.present_sections()) as connections:
        run = session.make_plan(loaded, connections)
        if on_connect is not None:
            on_connect(connections)
        journal = JsonlJournal(journal_path)
        try:
            apply_plan(
                run.plan,
                session.writer_for(connections, environ, run.desired),
                journal=journal,
                check_stale=False,
                kinds=AUTOTASK_KINDS,
            )
        except PartialApplyError as error:
            failure = error
        finally:
            journal.close()
    lines = journal_lines(journal_path) if journal_path.exists() else []
    return failure, lines


def test_05_unknown_outcome_of_a_document_put_is_adopted(world: World) -> None:
    mappings = world.write(
        "version: 1\n"
        "billing_codes:\n"
        "  default: Hardware Sales\n"
        "  categories: {Software: Software Licensing}\n"
    )

    def lose_answers(connections: session.Connections) -> None:
        client = connections.salesbuildr
        assert client is not None
        client.write_section = faulting(  # type: ignore[method-assign]
            world.sandbox.salesbuildr, {"reset-after-commit": 1.0}, client.write_section
        )

    failure, journal = apply_directly(world, mappings, on_connect=lose_answers)
    assert failure is None
    assert [line["outcome"] for line in journal] == ["adopted"]  # one PUT, two mappings
    assert len(journal[0]["addresses"]) == 2
    assert world.writes()[1] == 1
    billing, _ = world.document("billing-codes")
    assert billing["defaultBillingCodeId"] == HARDWARE_SALES
    assert billing["categories"] == [{"categoryId": "c-sw", "billingCodeId": SOFTWARE_LICENSING}]


def test_04_a_failing_document_put_is_journalled_as_failed(world: World) -> None:
    mappings = world.write(
        "version: 1\n"
        "billing_codes:\n"
        "  default: Hardware Sales\n"
        "  categories: {Software: Software Licensing}\n"
    )

    def refuse(connections: session.Connections) -> None:
        client = connections.salesbuildr
        assert client is not None
        client.write_section = faulting(  # type: ignore[method-assign]
            world.sandbox.salesbuildr, {"500": 1.0}, client.write_section
        )

    failure, journal = apply_directly(world, mappings, on_connect=refuse)
    assert failure is not None
    assert failure.exit_code == 4
    # One PUT, one record: it names the document and lists the two mappings it carried.
    (line,) = journal
    assert line["address"] == "salesbuildr:billing-codes"
    assert set(line["addresses"]) == {
        "billing_codes.default",
        'billing_codes.categories["Software"]',
    }
    assert {line["outcome"] for line in journal} == {"failed"}
    assert all("injected fault" in line["error"] for line in journal)
    billing, _ = world.document("billing-codes")
    assert billing["categories"] == []


def test_04_a_create_whose_answer_is_lost_twice_is_journalled_as_unknown(world: World) -> None:
    """Two 503s: the look-up between them found nothing, but after the second the client cannot
    know whether the create happened, so the journal says unknown (the next apply re-reads)."""
    mappings = world.write(
        "version: 1\ninventory:\n  locations:\n    Main Warehouse: {active: true, default: true}\n"
    )

    def unavailable(connections: session.Connections) -> None:
        client = connections.psa_client
        assert client is not None
        client.create = faulting(  # type: ignore[method-assign]
            world.sandbox.autotask, {"503": 1.0}, client.create
        )

    failure, journal = apply_directly(world, mappings, on_connect=unavailable)
    assert failure is not None
    assert 'not done (1): inventory.locations["Main Warehouse"]' in failure.message
    assert [(line["request"], line["outcome"]) for line in journal] == [
        ("POST InventoryLocations", "unknown")
    ]
    assert world.query("InventoryLocations") == []


# --- 06: a plan over a safety threshold needs --force ---------------------------------------------

ONLY_WEBHOOKS = """\
version: 1
policy:
  manage: {{webhooks: full}}
  max_deletes: {max_deletes}
webhooks: {{}}
"""


def test_06_threshold_needs_force(world: World) -> None:
    world.converge(world.example())
    mappings = world.write(ONLY_WEBHOOKS.format(max_deletes=1))
    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 3, planned.output
    plan = world.plan_json()
    assert plan["risk"] == "blocked"
    assert plan["blocked_reasons"] == ["2 deletes/deactivations exceed policy.max_deletes (1)"]

    before = world.writes()
    refused = world.cli("apply", "plan.json")
    assert refused.exit_code == 3, refused.output
    assert "max_deletes" in refused.stderr
    assert "--force" in refused.stderr
    assert world.writes() == before
    assert len(world.webhooks("CompanyWebhooks")) == 1

    forced = world.cli("apply", "plan.json", "--force")
    assert forced.exit_code == 0, forced.output
    assert world.webhooks("CompanyWebhooks") == []
    assert world.webhooks("TicketWebhooks") == []


# --- 07: the Autotask hourly budget is nearly spent -----------------------------------------------


def test_07_budget_refusal(world: World) -> None:
    mappings = world.example()
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    control = world.sandbox.env["AUTOTASK_API_URL"].removesuffix("/atservicesrest")
    response = world.autotask.post(control + "/_sandbox/usage", json={"count": 9500})
    assert response.status_code == 200, response.text
    before = world.writes()
    refused = world.cli("apply", "plan.json")
    assert refused.exit_code == 3, refused.output
    assert "Autotask API requests are left this hour" in refused.stderr
    assert "min_remaining_autotask_requests is 1000" in refused.stderr
    assert world.writes() == before
    assert world.webhooks("CompanyWebhooks") == []
    assert not (world.workdir / "plan.json.journal.jsonl").exists()
    assert world.salesbuildr.get(LOCK).status_code == 404


# --- 08: another apply holds the lock -------------------------------------------------------------


def test_08_locked_out(world: World) -> None:
    mappings = world.example()
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    taken = world.salesbuildr.put(LOCK, json={"owner": "other@elsewhere:1", "ttlSeconds": 900})
    assert taken.status_code == 201, taken.text

    refused = world.cli("apply", "plan.json", "--lock-timeout", "0s")
    assert refused.exit_code == 3, refused.output
    assert "other@elsewhere:1" in refused.stderr
    assert world.writes() == (0, 0)
    assert world.salesbuildr.get(LOCK).json()["owner"] == "other@elsewhere:1"

    unlocked = world.cli("force-unlock", "--auto-approve")
    assert unlocked.exit_code == 0, unlocked.output
    assert "other@elsewhere:1" in unlocked.stdout
    assert world.salesbuildr.get(LOCK).status_code == 404

    applied = world.cli("apply", "plan.json", "--lock-timeout", "0s")
    assert applied.exit_code == 0, applied.output
    assert world.salesbuildr.get(LOCK).status_code == 404
    assert_example_is_live(world)


def test_rotate_secrets_resends_every_managed_secret(world: World) -> None:
    mappings = world.example()
    world.converge(mappings)
    rotated: dict[str, str | None] = {"SALESBUILDR_WEBHOOK_SECRET": "rotated-shared-secret"}
    planned = world.cli(
        "plan", str(mappings), "--rotate-secrets", "--out", "plan.json", "--detailed-exitcode"
    )
    assert planned.exit_code == 2, planned.output
    changes = pending(world.plan_json())
    assert {c["address"] for c in changes} == {
        "webhook_receiver",
        'webhooks["sb-companies"]',
        'webhooks["sb-tickets"]',
    }
    for change in changes:
        assert change["diff"] == [
            {"path": "secret", "before": "(sensitive)", "after": "(sensitive)"}
        ]
    assert "rotated-shared-secret" not in (world.workdir / "plan.json").read_text()

    applied = world.cli("apply", "plan.json", env=rotated)
    assert applied.exit_code == 0, applied.output
    assert world.sandbox.salesbuildr.settings("webhook-receiver")["secret"] == (
        "rotated-shared-secret"
    )
    for collection in ("CompanyWebhooks", "TicketWebhooks"):
        rows = world.sandbox.autotask.store.table(collection).rows.values()
        assert [r["secretKey"] for r in rows] == ["rotated-shared-secret"], collection
    journal = (world.workdir / "plan.json.journal.jsonl").read_text()
    assert "rotated-shared-secret" not in journal
    assert world.cli("plan", str(mappings), "--detailed-exitcode", env=rotated).exit_code == 0


def test_a_live_name_spelled_differently_is_updated_not_refused(world: World) -> None:
    """The plan matches "Main Warehouse" to the live "main  warehouse " (names compare folded);
    apply's stale check and verification must find it the same way."""
    created = world.autotask.post(
        "/InventoryLocations",
        json={"locationName": "main  warehouse ", "isActive": True, "isDefault": False},
    )
    assert created.status_code == 200, created.text
    mappings = world.write(
        "version: 1\n"
        "inventory:\n"
        "  locations:\n"
        "    Main Warehouse: {active: true, default: true, track_stock: true}\n"
    )
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    (change,) = pending(world.plan_json())
    assert change["action"] == "update"
    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    (row,) = world.query("InventoryLocations")
    assert (row["locationName"], row["isDefault"]) == ("main  warehouse ", True)
    inventory, _ = world.document("inventory")
    assert inventory["locations"] == [{"inventoryLocationId": row["id"], "trackStock": True}]


def test_a_saved_plan_needing_an_unset_secret_is_refused_before_any_write(world: World) -> None:
    mappings = world.write(
        "version: 1\nwebhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"
    )
    assert world.cli("plan", str(mappings), "--out", "plan.json").exit_code == 0
    (change,) = pending(world.plan_json())
    assert change["address"] == "webhook_receiver"
    refused = world.cli("apply", "plan.json", env={"SALESBUILDR_WEBHOOK_SECRET": None})
    assert refused.exit_code == 1, refused.output
    assert "SALESBUILDR_WEBHOOK_SECRET" in refused.stderr
    assert world.writes() == (0, 0)
    assert world.sandbox.salesbuildr.stats()["writes"] == 0
    receiver, _ = world.document("webhook-receiver")
    assert receiver["secretSet"] is False


# --- live rules and drift through the CLI ---------------------------------------------------------


def test_typo_in_a_billing_code_fails_the_plan_at_its_line(world: World) -> None:
    mappings = world.example(("Software: Software Licensing", "Software: Software Licencing"))
    line = 1 + mappings.read_text().splitlines().index("    Software: Software Licencing")
    result = world.cli("plan", str(mappings), "--detailed-exitcode")
    assert result.exit_code == 1, result.output
    assert f"{mappings}:{line}:15: error: unknown billing code 'Software Licencing'" in (
        result.stderr
    )
    assert "did you mean 'Software Licensing'" in result.stderr
    assert result.stdout == ""
    assert world.writes() == (0, 0)


def test_demo_seed_drifts_in_the_sections_the_example_manages(world: World) -> None:
    for simulator in (world.sandbox.autotask, world.sandbox.salesbuildr):
        simulator.reset("demo")
    mappings = world.example()
    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    plan = world.plan_json()
    changed = {c["section"] for c in pending(plan)}
    assert changed == set(SECTIONS) - {"webhook_receiver"}
    by_address = {c["address"]: c for c in plan["changes"]}
    assert by_address["webhook_receiver"]["action"] == "no-op"
    hook = by_address['webhooks["sb-companies"]']
    assert hook["action"] == "update"
    # The example states sb-companies' e-mail: managed now that it has no ignore_fields.
    assert {d["path"] for d in hook["diff"]} == {
        "events",
        "fields",
        "notification_email",
        "threshold_notification",
    }
    software = by_address['billing_codes.categories["Software"]']
    assert software["diff"] == [
        {"path": "billing_code", "before": "Labor", "after": "Software Licensing"}
    ]
    assert by_address['inventory.locations["Main Warehouse"]']["diff"] == [
        {"path": "track_stock", "before": False, "after": True}
    ]
    assert 'inventory.locations["Old Stockroom"]' not in by_address  # inventory is additive

    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert world.cli("plan", str(mappings), "--detailed-exitcode").exit_code == 0
    hook_row = one_webhook(world, "CompanyWebhooks", "sb-companies")
    assert hook_row["isSubscribedToDeleteEvents"] is True
    old = [r for r in world.query("InventoryLocations") if r["locationName"] == "Old Stockroom"]
    assert old[0]["isActive"] is True


def test_sub_issue_type_moves_with_its_issue_type(world: World) -> None:
    """Labels repeat across issue types: "Order hardware" under Hardware becomes "Order
    hardware" under Procurement, so the id must be written even though the label is equal."""
    po, _ = world.document("purchase-order")
    po.update(issueType=HARDWARE_ISSUE, subIssueType=ORDER_HARDWARE_HARDWARE)
    world.put_document("purchase-order", po)
    mappings = world.write(
        "version: 1\npurchase_order:\n  issue_type: Procurement\n  sub_issue_type: Order hardware\n"
    )
    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    (change,) = pending(world.plan_json())
    assert [d["path"] for d in change["diff"]] == ["issue_type"]
    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    po, _ = world.document("purchase-order")
    assert (po["issueType"], po["subIssueType"]) == (PROCUREMENT, ORDER_HARDWARE_PROCUREMENT)


# --- 99: delete everything ------------------------------------------------------------------------

DELETE_ALL = """\
version: 1
policy:
  manage: {webhooks: full, inventory: full}
inventory:
  locations: {}
webhooks: {}
"""


def test_99_delete_all(world: World) -> None:
    world.converge(world.example())
    hook_ids = [h["id"] for h in world.webhooks("CompanyWebhooks")]
    hook_ids += [h["id"] for h in world.webhooks("TicketWebhooks")]
    assert len(hook_ids) == 2
    mappings = world.write(DELETE_ALL)

    planned = world.cli("plan", str(mappings), "--out", "plan.json", "--detailed-exitcode")
    assert planned.exit_code == 3, planned.output
    plan = world.plan_json()
    assert plan["risk"] == "destructive"
    assert plan["summary"] == {
        "create": 0,
        "update": 0,
        "delete": 2,
        "deactivate": 2,
        "no_op": 0,
    }
    applied = world.cli("apply", "plan.json")
    assert applied.exit_code == 0, applied.output

    assert world.webhooks("CompanyWebhooks") == []
    assert world.webhooks("TicketWebhooks") == []
    for root in (
        "CompanyWebhookFields",
        "CompanyWebhookUdfFields",
        "CompanyWebhookExcludedResources",
        "TicketWebhookFields",
    ):
        assert world.children(root, hook_ids) == [], root
    locations = world.query("InventoryLocations")
    assert len(locations) == 2
    assert all(r["isActive"] is False and r["isDefault"] is False for r in locations)
    inventory, _ = world.document("inventory")
    assert not any(r["trackStock"] for r in inventory["locations"])

    again = world.cli("plan", str(mappings), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
