"""3. The live systems moved between plan and apply: the saved plan is refused as stale (exit 3),
every moved object is named, and not one write is made (the simulators' counters)."""

from __future__ import annotations

from reliability_support import Rig, journal_lines, lock_holder, pending

CHANGED = (
    ("fields: [CompanyName, CompanyType, Phone]", "fields: [CompanyName, Phone]"),
    ("Software: Software Licensing", "Software: Cloud Subscriptions"),
    (
        "    Service Van 1: {active: true, track_stock: false}\n",
        "    Service Van 1: {active: true, track_stock: false}\n"
        "    Service Van 2: {active: true, track_stock: false}\n",
    ),
    (
        "    events: [create, update]\n    fields: [Status",
        "    events: [create]\n    fields: [Status",
    ),
)


def test_a_plan_whose_objects_moved_is_refused_without_any_write(rig: Rig) -> None:
    converged = rig.reconcile("apply", str(rig.example()), "--auto-approve")
    assert converged.returncode == 0, converged.output
    mappings = rig.example(*CHANGED)
    planned = pending(rig.plan(mappings))
    assert {c["address"] for c in planned} == {
        'webhooks["sb-companies"]',
        'billing_codes.categories["Software"]',
        'inventory.locations["Service Van 2"]',
        'webhooks["sb-tickets"]',
    }

    # Four people change four things in the admin UIs while the plan waits for review.
    world = rig.world
    (companies,) = world.webhooks("CompanyWebhooks", "sb-companies")
    patched = world.autotask.patch(
        "/CompanyWebhooks", json={"id": companies["id"], "sendThresholdExceededNotification": False}
    )
    assert patched.status_code == 200, patched.text
    billing, _ = world.document("billing-codes")
    billing["defaultBillingCodeId"] = 29683002
    world.put_document("billing-codes", billing)
    created = world.autotask.post(
        "/InventoryLocations", json={"locationName": "Service Van 2", "isActive": True}
    )
    assert created.status_code == 200, created.text
    (tickets,) = world.webhooks("TicketWebhooks", "sb-tickets")
    deleted = world.autotask.delete(f"/TicketWebhooks/{tickets['id']}")
    assert deleted.status_code == 200, deleted.text
    before = world.writes()
    at_before = rig.stats("autotask")["writes"]

    applied = rig.reconcile("apply", "plan.json")

    assert applied.returncode == 3, applied.output
    assert "Saved plan is stale" in applied.stderr
    for moved in (
        'webhooks["sb-companies"]: threshold_notification: True -> False',
        "salesbuildr:billing-codes: the settings document changed",
        'inventory.locations["Service Van 2"]: was created by someone else since the plan',
        'webhooks["sb-tickets"]: no longer exists',
    ):
        assert moved in applied.stderr, applied.stderr
    assert "run `reconcile plan` again" in applied.stderr
    assert world.writes() == before  # not one settings PUT
    assert rig.stats("autotask")["writes"] == at_before  # not one Autotask write
    assert journal_lines(rig.workdir / "plan.json.journal.jsonl") == []
    assert lock_holder(world) is None
    assert [h["sendThresholdExceededNotification"] for h in world.webhooks("CompanyWebhooks")] == [
        False
    ]
