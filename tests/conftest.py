"""Settings for the whole suite (keep this file small; fixtures live beside their tests).

Hypothesis: no per-example deadline and no "too slow" health check, because a busy machine is
slow, never wrong (speed is measured in bench/); and no example database, so that a run does not
depend on what an earlier run found and wrote to disk.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from reconciler import redact

settings.register_profile(
    "reconcile",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("reconcile")


@pytest.fixture(autouse=True)
def _forget_learned_secrets() -> Iterator[None]:
    """The redactor is process-wide (a process never un-learns a secret); in the suite, one
    test's secrets must not redact another test's output."""
    yield
    redact.clear()
