"""A fresh ``demo`` sandbox per test, for the CLI tests that do not bring their own (a module's
own ``sandbox`` fixture, with another seed or scope, overrides this one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.sandbox.common import Sandbox, start_sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo")
    try:
        yield running
    finally:
        running.stop()
