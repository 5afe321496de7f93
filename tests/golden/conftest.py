"""Fixtures of the golden tests: fresh sandboxes per scenario (golden_sandbox.py says how they
differ from a plain one) and a working directory holding a copy of examples/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from golden_sandbox import SandboxFactory, start_golden_sandbox
from golden_support import REPO

from reconciler.sandbox.common import Sandbox


@pytest.fixture
def sandboxes() -> Iterator[SandboxFactory]:
    """Start fresh sandboxes (``sandboxes("demo")``); all are stopped when the test ends."""
    started: list[Sandbox] = []

    def start(seed: str) -> Sandbox:
        sandbox = start_golden_sandbox(seed)
        started.append(sandbox)
        return sandbox

    try:
        yield start
    finally:
        for sandbox in started:
            sandbox.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working directory holding a copy of examples/ (commands name ``examples/...``)."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path
