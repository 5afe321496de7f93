"""4. Two applies at once against one tenant, as two real processes: the apply lock lets one write;
the other refuses at once (exit 3, naming the holder) or waits for the lock and then refuses its
plan as stale; the live state ends as exactly one of the two configurations, nothing duplicated.
A lock whose owner is a dead process on this host is taken over (see also test_kill_and_resume);
a lock held from another host is waited for or refused until its TTL ends.
"""

from __future__ import annotations

import getpass
import logging
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from held_requests import held_until
from reliability_support import (
    EXTRA_SECRETS,
    Rig,
    Run,
    journal_lines,
    lock_holder,
    natural_key_duplicates,
    wait_for,
)
from scenario_world import LOCK
from starlette.types import Scope

from reconciler import session
from reconciler.apply import JsonlJournal, apply_plan
from reconciler.config import load_config
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS

pytestmark = pytest.mark.slow

CONFIG_A = """\
version: 1
billing_codes:
  default: Hardware Sales
inventory:
  locations:
    Main Warehouse: {active: true, default: true, track_stock: true}
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    fields: [CompanyName, CompanyType, Phone]
"""
CONFIG_B = (
    CONFIG_A.replace("default: Hardware Sales", "default: Software Licensing")
    .replace("[CompanyName, CompanyType, Phone]", "[CompanyName, Phone]")
    .replace("track_stock: true}\n", "track_stock: true}\n    Service Van 2: {active: true}\n")
)


def is_lock_release(scope: Scope) -> bool:
    return bool(scope["method"] == "DELETE" and scope["path"] == "/public-api" + LOCK)


def race(rig: Rig, a: tuple[str, ...], b: tuple[str, ...], *, waiting: bool) -> tuple[Run, Run]:
    """Start both commands at once; once one has met the lock the other holds (refused and
    exited, or ``waiting`` for it), let the holder release it; wait for both. The release is
    held at the simulator until then, so the holder cannot finish first however the two are
    scheduled on a busy machine."""
    release = threading.Event()
    with held_until(rig.salesbuildr.middleware, release, is_lock_release):
        first, second = rig.reconcile.start(*a), rig.reconcile.start(*b)

        def met_the_lock() -> bool:
            if waiting:
                return any(
                    "waiting for the lock held by" in p.stderr_path.read_text(errors="replace")
                    for p in (first, second)
                )
            return first.popen.poll() is not None or second.popen.poll() is not None

        wait_for(met_the_lock, what="one apply to meet the other's lock")
        release.set()
        return first.wait(), second.wait()


def owner_pid(run: Run, rig: Rig) -> int:
    return next(p.pid for p in rig.reconcile.processes if p.args == run.args)


def assert_one_config_is_live(rig: Rig, winner: str, loser: str) -> None:
    assert rig.replan_is_empty(rig.workdir / winner)
    assert not rig.replan_is_empty(rig.workdir / loser)
    assert natural_key_duplicates(rig.world) == []
    assert lock_holder(rig.world) is None


@pytest.mark.parametrize("wait", ["0s", "10m"], ids=["refuse-at-once", "wait-then-stale"])
def test_two_saved_plans_applied_at_once(rig: Rig, wait: str) -> None:
    rig.write(CONFIG_A, "a.yaml")
    rig.write(CONFIG_B, "b.yaml")
    rig.plan(rig.workdir / "a.yaml", out="a.json")
    rig.plan(rig.workdir / "b.yaml", out="b.json")

    run_a, run_b = race(
        rig,
        ("-v", "apply", "a.json", "--lock-timeout", wait),
        ("-v", "apply", "b.json", "--lock-timeout", wait),
        waiting=wait != "0s",
    )

    codes = sorted((run_a.returncode, run_b.returncode))
    assert codes == [0, 3], (run_a.output, run_b.output)
    winner, loser = (run_a, run_b) if run_a.returncode == 0 else (run_b, run_a)
    winner_pid = owner_pid(winner, rig)
    if wait == "0s":
        assert "another apply holds the lock" in loser.stderr, loser.output
        assert f"@{socket.gethostname()}:{winner_pid}" in loser.stderr  # the holder, named
    else:
        assert f"lock held by {getpass.getuser()}@{socket.gethostname()}:{winner_pid}" in (
            loser.stderr
        )
        assert "Saved plan is stale" in loser.stderr, loser.output
    loser_plan = loser.args[2]
    assert journal_lines(rig.workdir / f"{loser_plan}.journal.jsonl") == []
    names = {"a.json": "a.yaml", "b.json": "b.yaml"}
    assert_one_config_is_live(rig, names[winner.args[2]], names[loser_plan])


def apply_in_process(rig: Rig, config: str) -> None:
    """Plan and apply ``config`` through the functions the CLI calls (no lock of its own: the
    test holds the lock for it, as another host's run would)."""
    environ = {**rig.sandbox.env, **EXTRA_SECRETS}
    loaded = load_config(rig.workdir / config, environ=environ)
    sections = loaded.config.present_sections()
    journal = JsonlJournal(rig.workdir / "other-host.journal.jsonl")
    try:
        with session.connect(loaded, environ, sections=sections) as connections:
            run = session.make_plan(loaded, connections)
            apply_plan(
                run.plan,
                session.writer_for(connections, environ, run.desired),
                journal=journal,
                check_stale=False,
                kinds=AUTOTASK_KINDS,
            )
    finally:
        journal.close()
        logging.getLogger("reconciler").handlers.clear()


def test_an_apply_file_that_waited_for_the_lock_does_not_write_its_old_plan(rig: Rig) -> None:
    """`apply FILE --auto-approve` plans, then waits for the lock another run holds; that run
    applies another configuration meanwhile. The waiting run must not write the plan it made
    before: it refuses it as stale (exit 3); the live state is the other configuration."""
    rig.write(CONFIG_A, "a.yaml")
    rig.write(CONFIG_B, "b.yaml")
    other = "deploy@other-host.example:4242"
    taken = rig.world.salesbuildr.put(LOCK, json={"owner": other, "ttlSeconds": 3600})
    assert taken.status_code == 201, taken.text
    waiting = rig.reconcile.start(
        "-v", "apply", "b.yaml", "--auto-approve", "--lock-timeout", "10m"
    )
    wait_for(
        lambda: f"waiting for the lock held by {other}" in waiting.stderr_path.read_text(),
        what="the second apply to plan and wait for the lock",
    )

    apply_in_process(rig, "a.yaml")  # the lock holder's run
    released = rig.world.salesbuildr.delete(LOCK, headers={"X-Lock-Owner": other})
    assert released.status_code == 204, released.text
    writes = rig.world.writes(), rig.stats("autotask")["writes"]
    late = waiting.wait()

    assert late.returncode == 3, late.output
    assert "stale" in late.stderr
    assert (rig.world.writes(), rig.stats("autotask")["writes"]) == writes
    assert_one_config_is_live(rig, "a.yaml", "b.yaml")


def dead_pid() -> int:
    """The pid of a process that has just ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    "owner",
    [
        f"ci-runner@build-host-2.example:{os.getpid()}",
        "ci-runner@build-host-2.example:{dead}",
        "{user}@{host}:{alive}",
    ],
    ids=["other-host", "other-host-dead-pid", "this-host-live-process"],
)
def test_a_lock_that_is_not_a_dead_local_run_is_waited_for_until_its_ttl(
    rig: Rig, owner: str
) -> None:
    """Only a dead process on this host is taken over; any other holder is refused at once or
    waited for until its lock expires. The lock is taken for far longer than the test needs and
    expired through the sandbox's control surface while the second run is seen waiting, so no
    TTL has to outlast how long a loaded machine takes to start `reconcile`."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        owner = owner.format(
            dead=dead_pid(),
            user=getpass.getuser(),
            host=socket.gethostname(),
            alive=sleeper.pid,
        )
        rig.plan(rig.write(CONFIG_A))
        taken = rig.world.salesbuildr.put(LOCK, json={"owner": owner, "ttlSeconds": 3600})
        assert taken.status_code == 201, taken.text
        before = rig.world.writes()

        refused = rig.reconcile("apply", "plan.json", "--lock-timeout", "0s")
        assert refused.returncode == 3, refused.output
        assert f"another apply holds the lock: {owner}" in refused.stderr
        assert "taking over" not in refused.stderr
        assert rig.world.writes() == before
        assert rig.stats("autotask")["writes"] == 0
        assert lock_holder(rig.world)["owner"] == owner  # type: ignore[index]

        waiting = rig.reconcile.start("-v", "apply", "plan.json", "--lock-timeout", "10m")
        wait_for(
            lambda: f"waiting for the lock held by {owner}" in waiting.stderr_path.read_text(),
            what="the second apply to wait for the lock",
        )
        assert rig.world.writes() == before, "nothing is written while it waits"
        assert lock_holder(rig.world)["owner"] == owner  # type: ignore[index]
        expired = rig.world.salesbuildr.post(rig.control("salesbuildr") + "/_sandbox/expire-lock")
        assert expired.status_code == 200, expired.text
        waited = waiting.wait()

        assert waited.returncode == 0, waited.output
        assert "taking over" not in waited.stderr
        assert rig.world.writes() != before
        assert lock_holder(rig.world) is None
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()
