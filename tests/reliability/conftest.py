"""Fixtures of the reliability suite: one sandbox with recognisable secrets for the whole suite,
reset (data, faults, latency, limits) before every test; a working directory scanned for secrets
after every test; every process a test started reaped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
for helper_dir in ("scenarios", "cli", "providers"):  # scenario_world, the corpus, cassettes
    if str(TESTS / helper_dir) not in sys.path:
        sys.path.insert(0, str(TESTS / helper_dir))

from reliability_support import SECRETS, Reconcile, Rig, scan_directory  # noqa: E402
from sandbox_clients import autotask_api, salesbuildr_api  # noqa: E402
from scenario_world import World  # noqa: E402

from reconciler.sandbox.common import Sandbox, start_sandbox  # noqa: E402
from reconciler.sandbox.salesbuildr.state import RollingRateLimit  # noqa: E402


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="empty", credentials=SECRETS)
    yield running
    running.stop()


@dataclass
class _Knobs:
    """What a test may turn on the simulators besides faults and latency, put back after it."""

    thread_limit: int | None
    at_hold: float
    sb_hold: float
    rate_limit: RollingRateLimit
    clock: Callable[[], float]
    usage_delays: tuple[float, float]

    @classmethod
    def of(cls, sandbox: Sandbox) -> _Knobs:
        at, sb = sandbox.autotask, sandbox.salesbuildr
        return cls(
            at.middleware.thread_limit,
            at.middleware.timeout_hold_s,
            sb.middleware.timeout_hold_s,
            sb.rate_limit,
            sb.clock,
            at.usage_delays_s,
        )

    def restore(self, sandbox: Sandbox) -> None:
        at, sb = sandbox.autotask, sandbox.salesbuildr
        at.middleware.thread_limit = self.thread_limit
        at.middleware.timeout_hold_s = self.at_hold
        sb.middleware.timeout_hold_s = self.sb_hold
        sb.rate_limit = self.rate_limit
        sb.clock = self.clock
        at.usage_delays_s = self.usage_delays
        for simulator in (at, sb):
            simulator.set_faults({}, latency_ms=0)


@pytest.fixture
def rig(sandbox: Sandbox, tmp_path: Path) -> Iterator[Rig]:
    """A fresh ``empty`` tenant without faults, an empty working directory, API clients."""
    knobs = _Knobs.of(sandbox)
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({}, latency_ms=0)
        simulator.reset("empty")
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = sandbox.env
    autotask = autotask_api(env)
    salesbuildr = salesbuildr_api(env)
    reconcile = Reconcile(sandbox, workdir)
    rig = Rig(sandbox, World(sandbox, autotask, salesbuildr, workdir), reconcile, workdir)
    try:
        yield rig
    finally:
        reconcile.reap()
        for faults in rig.faults.values():
            faults.disarm()
        knobs.restore(sandbox)
        autotask.close()
        salesbuildr.close()
    leaked = scan_directory(workdir)
    assert not leaked, f"secret values in files: {leaked}"
