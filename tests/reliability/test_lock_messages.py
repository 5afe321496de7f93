"""Messages about the apply lock a user acts on (issue #16 item 7), from real processes.

* Waiting for another run's lock is one plain stderr line, without a terminal and without -v,
  printed once however many times the lock is polled.
* `apply FILE` that waited and then finds the live settings moved says so and says to run apply
  again; "Saved plan is stale" is kept for saved plans.
"""

from __future__ import annotations

from reliability_support import Rig, lock_holder, wait_for
from scenario_world import LOCK

CONFIG = """\
version: 1
billing_codes:
  default: Hardware Sales
"""
OTHER = "deploy@other-host.example:4242"
LOCK_PUT = f"PUT /public-api{LOCK}"
LABOR = 29682801  # an Autotask billing code of every seed


def test_an_apply_of_a_yaml_that_lost_the_lock_race_says_to_run_apply_again(rig: Rig) -> None:
    rig.write(CONFIG)
    taken = rig.world.salesbuildr.put(LOCK, json={"owner": OTHER, "ttlSeconds": 3600})
    assert taken.status_code == 201, taken.text
    polls = rig.endpoint_requests("salesbuildr", LOCK_PUT)
    waiting = rig.reconcile.start(
        "apply", "mappings.yaml", "--auto-approve", "--lock-timeout", "10m"
    )
    # Three refused attempts: the status line must not repeat per poll.
    wait_for(
        lambda: rig.endpoint_requests("salesbuildr", LOCK_PUT) >= polls + 3,
        timeout=120,
        what="the apply to poll the held lock three times",
    )
    # Meanwhile the holder's run changes what this apply's plan touches, then releases.
    body, _ = rig.world.document("billing-codes")
    rig.world.put_document("billing-codes", {**body, "defaultBillingCodeId": LABOR})
    released = rig.world.salesbuildr.delete(LOCK, headers={"X-Lock-Owner": OTHER})
    assert released.status_code == 204, released.text
    writes = rig.world.writes()
    late = waiting.wait()

    assert late.returncode == 3, late.output
    status = [line for line in late.stderr.splitlines() if line.startswith("waiting for")]
    assert len(status) == 1, late.stderr
    assert status[0].startswith(f"waiting for the lock held by {OTHER} (expires 20"), status
    assert "--lock-timeout 10m" in status[0]
    assert (
        "error: the live settings changed while waiting for the lock; run apply again"
        in late.stderr
    ), late.output
    assert "billing_codes.default: billing_code: None -> 'Labor'" in late.stderr
    assert "Saved plan is stale" not in late.stderr
    assert "reconcile apply mappings.yaml` plans again" in late.stderr
    assert rig.world.writes() == writes  # refused before any write
    assert lock_holder(rig.world) is None


def test_a_saved_plan_that_moved_is_still_a_stale_saved_plan(rig: Rig) -> None:
    rig.plan(rig.write(CONFIG))
    body, _ = rig.world.document("billing-codes")
    rig.world.put_document("billing-codes", {**body, "defaultBillingCodeId": LABOR})

    refused = rig.reconcile("apply", "plan.json")

    assert refused.returncode == 3, refused.output
    assert "Saved plan is stale" in refused.stderr
    assert "run apply again" not in refused.stderr
