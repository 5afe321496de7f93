"""7. Autotask refuses a write with HTTP 500 and a validation message in ``{"errors": [...]}`` (as
it does for bad input): not retried (a retry only burns the hourly budget), the message shown
verbatim, the failed write journalled, and the next plan lists the change again."""

from __future__ import annotations

from reliability_support import Rig, journal_lines, nth, pending

RECEIVER_AND_LOCATION = """\
version: 1
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
inventory:
  locations:
    Main Warehouse: {active: true, default: true}
"""


def test_a_500_validation_error_is_not_retried_and_is_shown_verbatim(rig: Rig) -> None:
    """Plan-time checks refuse what the metadata says Autotask would refuse (a 54-character
    location name is refused by `plan` now), so the 500 comes from what changed after the plan:
    the API user lost the create permission."""
    mappings = rig.write(RECEIVER_AND_LOCATION)
    rig.plan(mappings)
    rig.sandbox.autotask.permissions.configure(
        {"entities": {"InventoryLocations": {"create": "None"}}}
    )

    applied = rig.reconcile("apply", "plan.json")

    rig.sandbox.autotask.permissions.clear()
    assert applied.returncode == 4, applied.output  # the receiver secret was written: partial
    message = "User does not have permission to create InventoryLocation."
    assert message in applied.stderr, applied.stderr
    assert "-> 500]" in applied.stderr
    assert 'not done (1): inventory.locations["Main Warehouse"]' in applied.stderr
    assert rig.endpoint_requests("autotask", "POST /V1.0/InventoryLocations") == 1  # no retry
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    outcomes = {line["address"]: line["outcome"] for line in journal}
    assert outcomes['inventory.locations["Main Warehouse"]'] == "failed", journal
    assert outcomes["webhook_receiver"] == "ok", journal
    failed = [line for line in journal if line["outcome"] == "failed"]
    assert message in failed[0]["error"]

    rig.plan(mappings, out="again.json")
    (again,) = pending(rig.plan_json("again.json"))
    assert (again["address"], again["action"]) == (
        'inventory.locations["Main Warehouse"]',
        "create",
    )


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
