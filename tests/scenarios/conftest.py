"""Fixtures of the end-to-end scenarios: one sandbox per module, reset before every scenario
(see ``scenario_world`` for what a scenario can do with it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_clients import autotask_api, isolated_cli, salesbuildr_api
from scenario_world import World

from reconciler.sandbox.common import Sandbox, start_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="empty", latency_ms=0)
    yield running
    running.stop()


@pytest.fixture
def world(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh ``empty`` tenant, no faults, an empty working directory, clients on both APIs."""
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("empty")
    env = sandbox.env
    with (
        isolated_cli(env, tmp_path, monkeypatch),
        autotask_api(env) as autotask,
        salesbuildr_api(env) as salesbuildr,
    ):
        try:
            yield World(sandbox, autotask, salesbuildr, tmp_path)
        finally:
            for simulator in (sandbox.autotask, sandbox.salesbuildr):
                simulator.set_faults({})
