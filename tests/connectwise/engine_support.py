"""What the ConnectWise engine tests share: the ConnectWise and Salesbuildr simulators started
the way ``reconcile sandbox --psa connectwise`` starts them (on loopback), the CLI run in an
isolated directory with only their environment, and a raw ConnectWise client with which a test
plants live data (drift, hostile names) as an admin would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sandbox_clients import connectwise_api as cw_api
from sandbox_clients import isolated_cli

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, register_simulator, start_sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "connectwise" / "mappings.yaml"
FAST = {"CONNECTWISE_REQUESTS_PER_MINUTE": "1000000", "NO_COLOR": "1"}
"""The rate cap out of the way: these tests are about the engine, not its pace (the cap has its
own tests on a fake clock)."""


@dataclass
class Tenant:
    """One sandbox and a working directory holding a copy of the example."""

    sandbox: Sandbox
    workdir: Path

    @property
    def env(self) -> dict[str, str]:
        return {**self.sandbox.env, **FAST}

    def cli(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env=self.env, prog_name="reconcile")
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    def callbacks(self) -> list[dict[str, Any]]:
        with cw_api(self.env) as api:
            rows: list[dict[str, Any]] = api.get("system/callbacks").json()
        return rows


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    """A fresh demo tenant on both simulators; the example copied into ``tmp_path``."""
    register_simulator("connectwise", "reconciler.sandbox.connectwise:sandbox_hook")
    running = start_sandbox(psa="connectwise", seed="demo")
    shutil.copy(EXAMPLE, tmp_path / "mappings.yaml")
    try:
        with isolated_cli({**running.env, **FAST}, tmp_path, monkeypatch):
            yield Tenant(running, tmp_path)
    finally:
        running.stop()
