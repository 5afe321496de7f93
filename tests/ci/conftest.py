"""Fixtures of the CI-integration tests: a sandbox (stopped after each test) and a checkout."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_support import EXAMPLE

from reconciler.sandbox.common import Sandbox, start_sandbox


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Both simulators on loopback; seed ``empty`` unless the test is parametrized indirectly."""
    running = start_sandbox(seed=getattr(request, "param", "empty"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository checkout holding examples/mappings.yaml as mappings.yaml; the cwd."""
    checkout = tmp_path / "repo"
    checkout.mkdir()
    shutil.copy(EXAMPLE, checkout / "mappings.yaml")
    monkeypatch.chdir(checkout)
    return checkout
