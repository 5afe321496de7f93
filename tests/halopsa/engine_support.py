"""Fixtures of the HaloPSA engine tests: the HaloPSA and Salesbuildr simulators on loopback,
started the way ``reconcile sandbox --psa halopsa`` starts them, and raw clients on them to
plant live data the way an admin would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, register_simulator, start_sandbox
from tests.sandbox_clients import halopsa_api as halo_api
from tests.sandbox_clients import isolated_cli

HOOK = "reconciler.sandbox.halopsa:sandbox_hook"
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "halopsa" / "mappings.yaml"


def start_halo(seed: str = "demo") -> Sandbox:
    register_simulator("halopsa", HOOK)
    return start_sandbox(psa="halopsa", seed=seed)


@pytest.fixture
def halo_sandbox() -> Iterator[Sandbox]:
    sandbox = start_halo()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def empty_halo_sandbox() -> Iterator[Sandbox]:
    sandbox = start_halo("empty")
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def workdir(
    halo_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A directory holding the example's ``mappings.yaml``, the CLI run in it with none of the
    sandbox's variables in the process environment (``run`` passes them)."""
    shutil.copy(EXAMPLE, tmp_path / "mappings.yaml")
    with isolated_cli(halo_sandbox.env, tmp_path, monkeypatch):
        yield tmp_path


def run(sandbox: Sandbox, *args: str) -> Result:
    """``reconcile ARGS`` against the sandbox (no colour); a traceback fails the test."""
    result = CliRunner().invoke(
        cli, list(args), prog_name="reconcile", env={**sandbox.env, "NO_COLOR": "1"}
    )
    assert "Traceback" not in result.output, result.output
    return result


def halo_post(env: Mapping[str, str], resource: str, record: Mapping[str, Any]) -> Any:
    """Upsert one record through Halo's API (an admin's change)."""
    with halo_api(env) as api:
        response = api.post(f"/{resource}", json=[dict(record)])
        response.raise_for_status()
        return response.json()


def halo_list(env: Mapping[str, str], resource: str) -> list[Any]:
    with halo_api(env) as api:
        body = api.get(f"/{resource}").json()
    return list(
        body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
    )
