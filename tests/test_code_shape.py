"""The shape issue 20 holds the code to: no module over 500 lines (tests excluded), and no
function of the core or of a PSA package worse than radon's rank C (cyclomatic complexity above
20). The simulators (``reconciler/sandbox/``) are held to the line limit only: their query and
rule engines mirror the vendors' and are tested by the conformance suites."""

from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
WORST_COMPLEXITY = 20  # rank C ends here (radon: A 1-5, B 6-10, C 11-20, D 21-30 ...)

SOURCES = sorted(
    path for folder in ("reconciler", "bench", "scripts") for path in (ROOT / folder).rglob("*.py")
)
CORE = [path for path in SOURCES if path.is_relative_to(ROOT / "reconciler")]
CORE = [path for path in CORE if not path.is_relative_to(ROOT / "reconciler" / "sandbox")]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_sources_are_found() -> None:
    names = {_name(path) for path in CORE}
    assert {"reconciler/session.py", "reconciler/plan/compute.py"} <= names
    assert not any(name.startswith("reconciler/sandbox/") for name in names)


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines; split it by responsibility"


def test_no_core_function_is_worse_than_rank_c() -> None:
    worse = [
        f"{_name(path)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in CORE
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if block.complexity > WORST_COMPLEXITY
    ]
    assert worse == []


def test_the_complexity_check_can_fail() -> None:
    branches = "\n".join(f"    if x == {n}:\n        return {n}" for n in range(25))
    (block,) = cc_visit(f"def f(x):\n{branches}\n    return -1\n")
    assert block.complexity > WORST_COMPLEXITY
