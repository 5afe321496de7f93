"""1. A write whose answer is lost: adopted by natural key (committed) or sent again (not
committed); never two objects for one key.

The sandbox's ``reset-after-commit`` runs the write and then drops the connection; its ``timeout``
holds a request without running it and then drops the connection. Both reach the client as a write
without an answer (httpx ``RemoteProtocolError``; a read timeout takes the same path,
``UnknownOutcome``), which the writer must resolve before anything else happens to that object.
"""

from __future__ import annotations

from reliability_support import (
    Rig,
    journal_lines,
    live_object_ids,
    lock_holder,
    natural_key_duplicates,
    pending,
    writes_to,
)

WEBHOOK_POST = "POST /V1.0/CompanyWebhooks"
FIELD_POST = "POST /V1.0/CompanyWebhooks/{parentId}/Fields"
LOCATION_POST = "POST /V1.0/InventoryLocations"
DOCUMENT_PUT = "PUT /public-api/integration/autotask/settings/{section}"
LOCK_PUT = "PUT /public-api/integration/autotask/lock"
LOCK_DELETE = "DELETE /public-api/integration/autotask/lock"


def test_every_committed_write_whose_answer_is_lost_is_adopted(rig: Rig) -> None:
    mappings = rig.example()
    planned = pending(rig.plan(mappings))
    rig.autotask.set_faults({"reset-after-commit": 1.0})  # every Autotask write
    # Every settings PUT and the lock's own PUT and DELETE (the after_apply sync job is left
    # alone: its lost answer is an operations error, not part of the apply).
    faults = rig.targeted("salesbuildr").arm(
        "reset-after-commit", lambda key, n: key in (DOCUMENT_PUT, LOCK_PUT, LOCK_DELETE)
    )

    applied = rig.reconcile("-v", "apply", "plan.json")

    rig.autotask.set_faults({})
    faults.disarm()
    assert applied.returncode == 0, applied.output
    assert lock_holder(rig.world) is None  # the DELETE was committed: nothing is left held
    assert "Verified" in applied.stdout
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    object_writes = [line for line in journal if not line["request"].startswith("PUT settings")]
    assert object_writes
    assert {line["outcome"] for line in journal} == {"adopted"}, journal
    # Each write was sent exactly once: the lost answer was resolved by reading, not by re-sending.
    stats = rig.stats("autotask")
    assert stats["writes"] == len(object_writes)
    assert rig.endpoint_requests("salesbuildr", DOCUMENT_PUT) == len(
        {line["request"] for line in journal if line["request"].startswith("PUT settings")}
    )
    # The journal holds the id of every object that now exists, and exactly one per natural key.
    live = live_object_ids(rig.world)
    journalled = {line["id"] for line in journal if line["action"] == "create"}
    assert journalled == set(live), (journalled, live)
    assert natural_key_duplicates(rig.world) == []
    assert len(live) == sum(1 for line in journal if line["action"] == "create")
    # A settings PUT is one record carrying the addresses of its section's mappings.
    assert {c["address"] for c in planned} >= {a for line in journal for a in line["addresses"]}
    assert rig.replan_is_empty(mappings)


SENDS = {
    WEBHOOK_POST: 1,
    FIELD_POST: 4,  # sb-companies: 3 subscribed fields + 1 always-send field
    LOCATION_POST: 2,
    DOCUMENT_PUT: 8,  # the receiver secret, 6 settings documents, inventory tracking
}


def test_an_uncommitted_write_without_answer_is_looked_up_then_sent_again(rig: Rig) -> None:
    """The first webhook POST, field POST, location POST and settings PUT are each held and
    then dropped without reaching the application: each is looked up (or its document re-read),
    found not done, and sent again; the run verifies, one object per natural key."""
    mappings = rig.example()
    rig.plan(mappings)
    rig.autotask.middleware.timeout_hold_s = 0.2
    rig.salesbuildr.middleware.timeout_hold_s = 0.2
    at_faults = rig.targeted("autotask").arm(
        "timeout", writes_to([WEBHOOK_POST, FIELD_POST, LOCATION_POST])
    )
    sb_faults = rig.targeted("salesbuildr").arm("timeout", writes_to([DOCUMENT_PUT]))

    applied = rig.reconcile("-v", "apply", "plan.json")

    at_faults.disarm()
    sb_faults.disarm()
    assert applied.returncode == 0, applied.output
    assert sorted(at_faults.hits + sb_faults.hits) == sorted(
        f"{key} #1" for key in (WEBHOOK_POST, FIELD_POST, LOCATION_POST, DOCUMENT_PUT)
    )
    assert applied.stderr.count("no answer (RemoteProtocolError)") == 4
    assert applied.stderr.count("the create did not happen; sending it again") == 3
    journal = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    assert {line["outcome"] for line in journal} == {"ok"}, journal
    for key, sends in SENDS.items():
        system = "salesbuildr" if key == DOCUMENT_PUT else "autotask"
        assert rig.endpoint_requests(system, key) == sends + 1, key  # + the dropped one
    live = live_object_ids(rig.world)
    assert {line["id"] for line in journal if line["action"] == "create"} == set(live)
    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)
