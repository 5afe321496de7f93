"""Fixtures of the end-to-end scenarios: one sandbox per module, reset before every scenario
(see ``scenario_world`` for what a scenario can do with it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from scenario_world import World

from reconciler.sandbox.launch import Sandbox, start_sandbox


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
    monkeypatch.chdir(tmp_path)
    for name in list(sandbox.env):
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("reconciler")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    env = sandbox.env
    autotask = httpx.Client(
        base_url=env["AUTOTASK_API_URL"] + "/V1.0",
        headers={
            "ApiIntegrationCode": env["AUTOTASK_API_INTEGRATION_CODE"],
            "UserName": env["AUTOTASK_API_USERNAME"],
            "Secret": env["AUTOTASK_API_SECRET"],
        },
        timeout=30,
    )
    salesbuildr = httpx.Client(
        base_url=env["SALESBUILDR_API_URL"],
        headers={"api-key": env["SALESBUILDR_API_KEY"]},
        timeout=30,
    )
    try:
        yield World(sandbox, autotask, salesbuildr, tmp_path)
    finally:
        autotask.close()
        salesbuildr.close()
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]
        for simulator in (sandbox.autotask, sandbox.salesbuildr):
            simulator.set_faults({})
