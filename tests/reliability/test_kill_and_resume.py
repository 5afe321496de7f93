"""2. An apply killed with SIGKILL after k of its n writes: the journal is a truthful prefix, the
re-plan shows exactly the work left, the re-run finishes it (taking over the dead run's lock), and
nothing is duplicated.

The simulators hold every write that arrives once the journal has k lines (each line is synced
before its write counts as done), so the test kills the process when its journal has k lines
however a busy machine schedules the two; the held writes are then dropped without reaching the
application.

With ``--parallelism 1`` one write is in flight at a time, so at most one unit of work (a
webhook, a location, a settings document) may have been committed without its journal line. In
parallel (the default, 8) up to 8 writes are in flight when the process dies: at most 8 units
may have been committed unjournalled, and the re-plan still finds each of them live by natural
key. A settings PUT is one journal line listing its addresses.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    Rig,
    journal_lines,
    live_object_ids,
    lock_holder,
    natural_key_duplicates,
    pending,
    wait_for,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.sandbox.common import drop_connection

pytestmark = pytest.mark.slow


@contextmanager
def writes_held_after(rig: Rig, k: int, journal: Path) -> Iterator[threading.Event]:
    """In both simulators, hold each write that arrives once ``journal`` has ``k`` lines until the
    event is set (the run is dead), then drop it unprocessed; other requests pass."""
    dead = threading.Event()
    saved = []
    held_count = [0]
    for simulator in (rig.autotask, rig.salesbuildr):
        middleware = simulator.middleware

        def holding(app: ASGIApp, middleware: Any) -> ASGIApp:
            async def held(scope: Scope, receive: Receive, send: Send) -> None:
                is_write = not middleware.is_read(scope["method"], scope["path"])
                if is_write and len(journal_lines(journal)) >= k:
                    held_count[0] += 1
                    try:
                        while not dead.is_set():
                            await asyncio.sleep(0.02)
                        await drop_connection(send)
                    finally:
                        # The last step of the request on the server loop: its in-flight slot
                        # is given back before the loop serves anything else.
                        held_count[0] -= 1
                    return
                await app(scope, receive, send)

            return held

        saved.append((middleware, middleware.app))
        middleware.app = holding(middleware.app, middleware)
    try:
        yield dead
    finally:
        dead.set()
        # In parallel several writes were held: each must be dropped before the test reads
        # through the same endpoints (Autotask's thread limit would refuse the test's queries).
        wait_for(lambda: held_count[0] == 0, timeout=60, what="the held writes to be dropped")
        for middleware, app in saved:
            middleware.app = app


def kill_after(
    rig: Rig, k: int, journal: Path, parallelism: int
) -> tuple[int, list[dict[str, Any]]]:
    """Start `apply plan.json`, SIGKILL it once its journal has k lines (its next writes held)."""
    with writes_held_after(rig, k, journal) as dead:
        process = rig.reconcile.start("apply", "plan.json", "--parallelism", str(parallelism))

        def reached() -> bool:
            assert process.popen.poll() is None, "the apply ended before it could be killed"
            return len(journal_lines(journal)) >= k

        wait_for(reached, timeout=120, what=f"{k} journal lines")
        process.kill()
        killed = process.wait()
        dead.set()
    assert killed.returncode == -signal.SIGKILL
    return process.pid, journal_lines(journal)


def done_addresses(lines: list[dict[str, Any]], planned: dict[str, dict[str, Any]]) -> set[str]:
    """Addresses whose last write is in the journal: a webhook once activated, a location once
    created (and tracked, when it is), a settings mapping once its document was written."""
    done: set[str] = set()
    for address, change in planned.items():
        mine = [line for line in lines if address in line["addresses"] and line["outcome"] == "ok"]
        if change["kind"] == "webhook":
            if any(line["action"] == "activate" for line in mine):
                done.add(address)
        elif change["kind"] == "inventory_location":
            tracked = (change["after"] or {}).get("track_stock")
            created = any(line["request"].startswith("POST") for line in mine)
            stocked = any(line["request"].startswith("PUT settings") for line in mine)
            if created and (stocked or not tracked):
                done.add(address)
        elif mine:
            done.add(address)
    return done


def kill_at_commit(rig: Rig, entity: str, parallelism: int) -> tuple[int, list[dict[str, Any]]]:
    """Start `apply plan.json` and SIGKILL it from inside the Autotask simulator the moment the
    simulator has committed the first create of ``entity``: the write is done, its answer never
    read, its journal line never written."""
    process = rig.reconcile.start("apply", "plan.json", "--parallelism", str(parallelism))
    store = rig.autotask.store
    create = store.create

    def create_then_kill(entity_def: Any, *args: Any, **kwargs: Any) -> Any:
        change = create(entity_def, *args, **kwargs)
        if entity_def.name == entity:
            os.kill(process.pid, signal.SIGKILL)
        return change

    store.create = create_then_kill
    try:
        killed = process.wait()
    finally:
        del store.create
    assert killed.returncode == -signal.SIGKILL
    return process.pid, journal_lines(rig.workdir / "plan.json.journal.jsonl")


def write_unit(address: str, planned: dict[str, dict[str, Any]], lines: list[Any]) -> str:
    """The one request that completes ``address``: its own for an Autotask object, the settings
    document's PUT otherwise (a location's stock tracking is in the inventory document)."""
    change = planned[address]
    created = any(address in line["addresses"] for line in lines)
    if change["kind"] == "webhook" or (change["kind"] == "inventory_location" and not created):
        return address
    return f"settings document of {change['section']}"


@pytest.mark.parametrize(
    ("k", "resume", "parallelism"),
    [
        (1, "saved-plan", 1),
        (4, "yaml", 1),
        (17, "saved-plan", 1),
        (0, "yaml", 1),
        (4, "saved-plan", 8),
        (12, "yaml", 8),
        (0, "saved-plan", 8),
    ],
    ids=[
        "k1",
        "k4",
        "k17",
        "killed-between-commit-and-journal",
        "parallel-k4",
        "parallel-k12",
        "parallel-killed-between-commit-and-journal",
    ],
)
def test_sigkill_after_k_writes_then_rerun_finishes_the_rest(
    rig: Rig, k: int, resume: str, parallelism: int
) -> None:
    mappings = rig.example()
    plan = rig.plan(mappings)
    planned = {c["address"]: c for c in pending(plan)}
    journal_path = rig.workdir / "plan.json.journal.jsonl"

    if k:
        pid, lines = kill_after(rig, k, journal_path, parallelism)
    else:
        pid, lines = kill_at_commit(rig, "CompanyWebhooks", parallelism)
        hooks = rig.world.webhooks("CompanyWebhooks", "sb-companies")
        assert [h["isActive"] for h in hooks] == [False]  # committed, built inactive
        assert all('webhooks["sb-companies"]' not in line["addresses"] for line in lines)

    # The journal is a truthful prefix: complete lines, every id journalled exists live, and every
    # object that exists was either journalled or is matched by natural key (not planned again).
    assert len(lines) >= k
    live = live_object_ids(rig.world)
    assert {line["id"] for line in lines if line["action"] == "create"} <= set(live), lines
    holder = lock_holder(rig.world)
    assert holder is not None
    assert holder["owner"].endswith(f":{pid}"), holder  # the dead run still holds the lock

    replanned = rig.reconcile("plan", str(mappings), "--out", "rest.json")
    assert replanned.returncode == 0, replanned.output
    rest = {c["address"]: c for c in pending(rig.plan_json("rest.json"))}
    assert set(rest) <= set(planned), set(rest) - set(planned)
    done = done_addresses(lines, planned)
    # The re-plan is exactly the work left: everything not journalled as done, except what the
    # writes in flight at the kill (one at a time, or at most N) may have committed without
    # their journal lines (the server accepted them; the re-plan finds them live by natural key
    # and leaves them out).
    assert set(rest) <= set(planned) - done, (sorted(rest), sorted(done))
    in_flight = set(planned) - done - set(rest)
    units = {write_unit(a, planned, lines) for a in in_flight}
    assert len(units) <= parallelism, sorted(in_flight)
    live_names = {what.split(" ", 1)[1].casefold() for what in live.values() if " " in what}
    for change in rest.values():
        if change["action"] == "create":
            assert change["key"].casefold() not in live_names, change["address"]

    if resume == "saved-plan":
        rerun = rig.reconcile("apply", "rest.json")
    else:
        rerun = rig.reconcile("apply", str(mappings), "--auto-approve")
    assert rerun.returncode == 0, rerun.output
    assert "taking over the lock" in rerun.stderr
    assert f":{pid}" in rerun.stderr
    assert lock_holder(rig.world) is None

    assert natural_key_duplicates(rig.world) == []
    assert rig.replan_is_empty(mappings)
    rerun_journal = (
        rig.workdir / "rest.json.journal.jsonl"
        if resume == "saved-plan"
        else next((rig.workdir / ".reconcile").glob("journal-*.jsonl"))
    )
    redone = {a for line in journal_lines(rerun_journal) for a in line["addresses"]}
    assert redone == set(rest), (sorted(redone), sorted(rest))
