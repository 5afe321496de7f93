"""The suite-wide settings of tests/conftest.py are in force (a busy machine is slow, never
wrong: no test may fail for taking long)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def test_hypothesis_has_no_deadline_and_no_example_database() -> None:
    current = settings()
    assert current.deadline is None
    assert current.database is None
    assert HealthCheck.too_slow in current.suppress_health_check
