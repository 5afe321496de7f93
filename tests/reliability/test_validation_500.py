"""7. Autotask refuses a write with HTTP 500 and a validation message in ``{"errors": [...]}`` (as
it does for bad input): not retried (a retry only burns the hourly budget), the message shown
verbatim, the failed write journalled, and the next plan lists the change again."""

from __future__ import annotations

from reliability_support import Rig, journal_lines, nth, pending

LONG_NAME = "Regional Distribution Centre - North East Overflow Bay"  # 54 > 50 characters

TWO_LOCATIONS = f"""\
version: 1
inventory:
  locations:
    Main Warehouse: {{active: true, default: true}}
    {LONG_NAME}: {{active: true}}
"""


def test_a_500_validation_error_is_not_retried_and_is_shown_verbatim(rig: Rig) -> None:
    mappings = rig.write(TWO_LOCATIONS)
    rig.plan(mappings)

    applied = rig.reconcile("apply", "plan.json")

    assert applied.returncode == 4, applied.output  # Main Warehouse was created: partial
    message = f"The value of locationName is {len(LONG_NAME)} characters long; the maximum is 50."
    assert message in applied.stderr, applied.stderr
    assert "-> 500]" in applied.stderr
    assert f'not done (1): inventory.locations["{LONG_NAME}"]' in applied.stderr
    assert rig.endpoint_requests("autotask", "POST /V1.0/InventoryLocations") == 2  # no retry
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    assert [(line["address"], line["outcome"]) for line in journal] == [
        ('inventory.locations["Main Warehouse"]', "ok"),
        (f'inventory.locations["{LONG_NAME}"]', "failed"),
    ]
    assert message in journal[1]["error"]

    rig.plan(mappings, out="again.json")
    (again,) = pending(rig.plan_json("again.json"))
    assert (again["address"], again["action"]) == (f'inventory.locations["{LONG_NAME}"]', "create")


def test_an_injected_500_with_errors_is_not_retried_and_the_create_is_planned_again(
    rig: Rig,
) -> None:
    mappings = rig.write(
        "version: 1\n"
        "webhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"
        "webhooks:\n  sb-companies:\n    entity: company\n    fields: [CompanyName]\n"
    )
    rig.plan(mappings)
    faults = rig.targeted("autotask").arm("500", nth("POST /V1.0/CompanyWebhooks", 1))

    applied = rig.reconcile("apply", "plan.json")

    faults.disarm()
    assert applied.returncode == 4, applied.output  # the receiver secret was written first
    assert "An unexpected error occurred on the server (injected fault)." in applied.stderr
    assert rig.endpoint_requests("autotask", "POST /V1.0/CompanyWebhooks") == 1
    assert rig.stats("autotask")["writes"] == 1
    assert rig.world.webhooks("CompanyWebhooks") == []
    rig.plan(mappings, out="again.json")
    assert [(c["address"], c["action"]) for c in pending(rig.plan_json("again.json"))] == [
        ('webhooks["sb-companies"]', "create")
    ]
