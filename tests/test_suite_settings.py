"""The suite-wide settings of tests/conftest.py are in force (a busy machine is slow, never
wrong: no test may fail for taking long)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings


def test_hypothesis_has_no_deadline_and_no_example_database() -> None:
    current = settings()
    assert current.deadline is None
    assert current.database is None
    assert HealthCheck.too_slow in current.suppress_health_check


def test_no_two_test_modules_share_a_file_name() -> None:
    # The test directories are not packages (rootdir imports): a second test_x.py anywhere in
    # tests/ would fail collection of the whole run with "import file mismatch".
    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
