"""11. Parallel apply: never more than 3 writes in flight per Autotask endpoint, never more than
``--parallelism``; Ctrl-C lets the writes in flight finish, says how many of how many writes
were done and where the journal is, exits 130, and the next apply converges.

Overlap is made certain by holding requests inside the simulator (tests/held_requests.py and the
simulators' own in-flight counters), never hoped for from timing."""

from __future__ import annotations

import signal
import threading

import pytest
from held_requests import held_until
from reliability_support import Rig, journal_lines, lock_holder, natural_key_duplicates, wait_for

LOCATION_POST = "POST /V1.0/InventoryLocations"
LOCATIONS = 9

MANY_LOCATIONS = "version: 1\ninventory:\n  locations:\n" + "".join(
    f"    Van {n}: {{active: true, track_stock: false}}\n" for n in range(1, LOCATIONS + 1)
)


def _is_location_post(scope: dict[str, object]) -> bool:
    return scope["method"] == "POST" and str(scope["path"]).endswith("/V1.0/InventoryLocations")


@pytest.mark.parametrize(("parallelism", "most"), [("8", 3), ("2", 2)])
def test_writes_to_one_autotask_endpoint_never_exceed_three_or_the_parallelism(
    rig: Rig, parallelism: str, most: int
) -> None:
    mappings = rig.write(MANY_LOCATIONS)
    rig.plan(mappings)
    middleware = rig.autotask.middleware
    release = threading.Event()

    def in_flight() -> int:
        endpoints = rig.stats("autotask")["endpoints"]
        return int(endpoints.get(LOCATION_POST, {}).get("max_in_flight", 0))

    with held_until(middleware, release, _is_location_post):
        process = rig.reconcile.start("-v", "apply", "plan.json", "--parallelism", parallelism)
        wait_for(lambda: in_flight() >= most, timeout=60, what=f"{most} location creates at once")
        release.set()
        applied = process.wait()

    assert applied.returncode == 0, applied.output
    assert in_flight() == most  # the client's limit, not the simulator's refusal
    assert "-> 429" not in applied.stderr  # no request was refused for the thread limit
    assert rig.endpoint_requests("autotask", LOCATION_POST) == LOCATIONS
    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)


def test_ctrl_c_waits_for_the_writes_in_flight_says_k_of_n_and_exits_130(rig: Rig) -> None:
    mappings = rig.write(MANY_LOCATIONS)
    rig.plan(mappings)
    journal = rig.workdir / "plan.json.journal.jsonl"
    release = threading.Event()

    with held_until(rig.autotask.middleware, release, _is_location_post):
        process = rig.reconcile.start("apply", "plan.json", "--parallelism", "2")
        wait_for(
            lambda: rig.endpoint_requests("autotask", LOCATION_POST) >= 2,
            timeout=60,
            what="two location creates in flight",
        )
        process.popen.send_signal(signal.SIGINT)
        wait_for(
            lambda: "interrupted: waiting for" in process.stderr_path.read_text(),
            timeout=60,
            what="the run to say it waits for the writes in flight",
        )
        release.set()
        interrupted = process.wait()

    assert interrupted.returncode == 130, interrupted.output
    lines = journal_lines(journal)
    done = [line for line in lines if line["outcome"] == "ok"]
    assert len(done) == 2  # both writes in flight finished and are journalled; none started after
    assert rig.endpoint_requests("autotask", LOCATION_POST) == 2
    # n counts writes: one POST per location and the inventory document's PUT.
    expected = (
        f"interrupted after 2 of {LOCATIONS + 1} writes; journal plan.json.journal.jsonl; "
        "the next apply converges"
    )
    assert expected in interrupted.stderr, interrupted.stderr
    assert lock_holder(rig.world) is None  # released on the way out

    rerun = rig.reconcile("apply", str(mappings), "--auto-approve")
    assert rerun.returncode == 0, rerun.output
    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)
