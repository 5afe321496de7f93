"""Salesbuildr's request window (500 per rolling 10 minutes), through the simulator's own rate
limit: apply refuses (exit 3) before its first write when the requests it needs exceed what the
last ``X-RateLimit-Remaining`` said is left; beyond ``--max-rate-wait`` a 429 stops the run at once
naming when to retry: exit 1 before any write, exit 4 (journalled, partial) once writes were made.
Nothing here waits: the cap is compared with ``Retry-After``, never slept."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from reliability_support import Rig, journal_lines, lock_holder, pending

from reconciler.sandbox.salesbuildr.state import RollingRateLimit

WINDOW_S = 600.0
RETRY = re.compile(r"retry after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ s\)")
NEEDS = re.compile(r"needs at least (\d+) \((\d+) write\(s\), (\d+) re-read\(s\)")

TWO_DOCUMENTS = """\
version: 1
company_types:
  to_salesbuildr:
    Customer: Customer
    Prospect: Lead
purchase_order:
  create_ticket: true
  due_date_offset_days: 5
"""


def plan_reads(rig: Rig, mappings: str) -> int:
    """Salesbuildr requests one plan of ``mappings`` makes (deterministic: same pages, same
    documents), then a fresh window and zeroed counters."""
    planned = rig.reconcile("plan", mappings)
    assert planned.returncode == 0, planned.output
    reads = int(rig.stats("salesbuildr")["requests"])
    rig.salesbuildr.reset(rig.salesbuildr.seed)
    rig.autotask.stats_counter.reset()
    return reads


def assert_nothing_written(rig: Rig, journal: str | None = None) -> None:
    rig.salesbuildr.rate_limit = RollingRateLimit(500, WINDOW_S)  # so the test may look
    assert rig.world.writes() == (0, 0)
    assert rig.stats("autotask")["writes"] == 0
    assert lock_holder(rig.world) is None
    if journal is not None:
        assert journal_lines(rig.workdir / journal) == []
    reconcile_dir = rig.workdir / ".reconcile"
    assert not reconcile_dir.exists() or not any(reconcile_dir.iterdir())


def test_apply_of_a_saved_plan_refuses_when_salesbuildr_has_too_few_requests_left(
    rig: Rig,
) -> None:
    mappings = rig.example()
    rig.plan(mappings)
    rig.salesbuildr.stats_counter.reset()
    # The apply's first Salesbuildr request takes the lock: 2 are left after it.
    rig.salesbuildr.rate_limit = RollingRateLimit(3, WINDOW_S)

    refused = rig.reconcile("apply", "plan.json")

    assert refused.returncode == 3, refused.output
    assert "only 2 Salesbuildr API requests are left in its rolling 10-minute window" in (
        refused.stderr
    )
    found = NEEDS.search(refused.stderr)
    assert found is not None, refused.stderr
    needed, writes, rereads = (int(n) for n in found.groups())
    assert needed == writes + rereads > 2
    assert writes >= 2 and rereads >= 2  # documents to PUT and the lock; check and verify
    assert RETRY.search(refused.stderr), refused.stderr
    assert "no write was made" in refused.stderr
    # The refusal cost the lock and its release, nothing else.
    assert rig.stats("salesbuildr")["requests"] == 2
    assert_nothing_written(rig, "plan.json.journal.jsonl")


def test_apply_of_a_yaml_refuses_on_the_window_its_own_plan_left(rig: Rig) -> None:
    mappings = str(rig.example())
    reads = plan_reads(rig, mappings)
    rig.salesbuildr.rate_limit = RollingRateLimit(reads + 1 + 2, WINDOW_S)  # plan, lock, 2 more

    refused = rig.reconcile("apply", mappings, "--auto-approve")

    assert refused.returncode == 3, refused.output
    assert "only 2 Salesbuildr API requests are left" in refused.stderr
    assert NEEDS.search(refused.stderr) and RETRY.search(refused.stderr), refused.stderr
    assert_nothing_written(rig)


def test_apply_that_fits_the_window_exactly_is_not_refused(rig: Rig) -> None:
    """The need is a lower bound: an apply with room for exactly what it needs goes ahead."""
    mappings = rig.write(TWO_DOCUMENTS)
    rig.plan(mappings)
    # lock (1) + 2 PUTs + unlock (1) + 2 documents re-read twice (stale check, verification)
    rig.salesbuildr.rate_limit = RollingRateLimit(1 + 2 + 1 + 2 * 2, WINDOW_S)

    applied = rig.reconcile("apply", "plan.json")

    assert applied.returncode == 0, applied.output
    rig.salesbuildr.rate_limit = RollingRateLimit(500, WINDOW_S)  # spent: a new one to look
    assert rig.world.writes() == (0, 2)
    assert rig.replan_is_empty(mappings)


def test_beyond_the_cap_before_any_write_apply_stops_with_exit_1(rig: Rig) -> None:
    mappings = str(rig.example())
    reads = plan_reads(rig, mappings)
    # The plan's reads pass; the lock's PUT hears "Retry-After: 600", over a 1 s cap.
    rig.salesbuildr.rate_limit = RollingRateLimit(reads, WINDOW_S)

    stopped = rig.reconcile("--max-rate-wait", "1", "apply", mappings, "--auto-approve")

    assert stopped.returncode == 1, stopped.output
    assert "Salesbuildr rate limit: it asks us to wait 600 s, more than the 1 s" in stopped.stderr
    assert RETRY.search(stopped.stderr), stopped.stderr
    assert "waiting" not in stopped.stderr  # compared with the cap, never waited
    assert_nothing_written(rig)


@pytest.fixture
def window_spent_at_second_put(rig: Rig) -> Iterator[list[str]]:
    """Another integration spends the whole window just as the apply's second settings PUT
    arrives: the simulator answers it 429 with ``Retry-After`` of about the window (600 s),
    although every answer before said there was plenty left."""
    sim = rig.salesbuildr
    middleware = sim.middleware
    original = middleware.endpoint_key
    puts: list[str] = []

    def endpoint_key(method: str, path: str) -> str | None:
        key: str | None = original(method, path)
        if method == "PUT" and "/settings/" in path:
            puts.append(path)
            if len(puts) == 2:
                while sim.rate_limit.admit(sim.clock()) is None:
                    pass
        return key

    middleware.endpoint_key = endpoint_key
    try:
        yield puts
    finally:
        middleware.endpoint_key = original


def test_beyond_the_cap_mid_apply_stops_with_exit_4_journalled(
    rig: Rig, window_spent_at_second_put: list[str]
) -> None:
    mappings = rig.write(TWO_DOCUMENTS)
    rig.plan(mappings)

    # One write at a time: the window is spent between the two PUTs, not while both are in
    # flight (concurrently, the first could be admitted after the second spent it).
    stopped = rig.reconcile("--max-rate-wait", "1", "apply", "--parallelism", "1", "plan.json")

    assert stopped.returncode == 4, stopped.output
    assert "apply stopped: Salesbuildr rate limit: it asks us to wait" in stopped.stderr
    assert "more than the 1 s this run may wait" in stopped.stderr
    assert RETRY.search(stopped.stderr), stopped.stderr
    assert "waiting" not in stopped.stderr  # compared, not waited
    assert len(window_spent_at_second_put) == 2  # the 429 was not sent again
    records = journal_lines(rig.workdir / "plan.json.journal.jsonl")
    written, refused = (path.rsplit("/", 1)[-1] for path in window_spent_at_second_put)
    # One record per address or per PUT (a record may list several addresses): either way the
    # first document is journalled done and the second failed, with the reason.
    outcomes = {(r["request"].split(" (")[0], r["outcome"]) for r in records}
    assert outcomes == {(f"PUT settings/{written}", "ok"), (f"PUT settings/{refused}", "failed")}
    assert all(RETRY.search(r["error"]) for r in records if r["outcome"] == "failed")
    # Spent means spent: the lock's release was refused too, and said so.
    assert "warning[lock_not_released]: could not release the apply lock" in stopped.stderr
    # Once the window has rolled over (here: a fresh one), what is left is the second document,
    # and the next apply takes the dead run's lock over and converges.
    rig.salesbuildr.rate_limit = RollingRateLimit(500, WINDOW_S)
    left = rig.reconcile("plan", str(mappings), "--format", "json")
    assert left.returncode == 0, left.output
    assert [c["section"] for c in pending(json.loads(left.stdout))] == [refused.replace("-", "_")]
    again = rig.reconcile("apply", str(mappings), "--auto-approve")
    assert again.returncode == 0, again.output
    assert rig.replan_is_empty(mappings)
