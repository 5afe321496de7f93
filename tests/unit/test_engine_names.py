"""The engine knows no kind, owner or PSA: their names appear in its code only in docstrings
and comments (which explain, and may name examples). Kinds declare what the engine asks
(``stage``, ``shadows``, ``deactivated``); the snapshot says whose document it is.

Read with ``ast``: every string constant (f-string parts included) and every identifier
(names, attributes, arguments, definitions, imports) of each module in :data:`ENGINE_MODULES`,
compared case-insensitively as substrings. A bare string statement is a docstring: skipped."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.psa.autotask.kinds.registry import KINDS
from reconciler.psa.registry import names as psa_names

ROOT = Path(__file__).resolve().parents[2]

NOT_YET: dict[str, str] = {}
"""Modules of the engine's packages that still name a system, and why (not checked)."""

ENGINE_MODULES: tuple[str, ...] = (
    *sorted(
        path
        for path in (str(p.relative_to(ROOT)) for p in (ROOT / "reconciler" / "plan").glob("*.py"))
        if path not in NOT_YET
    ),
    "reconciler/apply_graph.py",
    "reconciler/apply.py",
    "reconciler/apply_run.py",
    "reconciler/apply_journal.py",
    "reconciler/writes.py",
    "reconciler/write_resolve.py",
    "reconciler/errors.py",
    "reconciler/files.py",
    *(
        f"reconciler/render/{name}.py"
        for name in ("colour", "diagnostics", "diff", "drift", "escape", "json", "kept")
    ),
    "reconciler/render/markdown.py",
    "reconciler/render/text.py",
    *(f"reconciler/kinds/{name}.py" for name in ("catalog", "matching", "names", "resolve")),
    *(
        f"reconciler/transport/{name}.py"
        for name in ("connect", "in_flight", "paging", "rate_wait")
    ),
    *(
        f"reconciler/config/{name}.py"
        for name in ("desired", "env", "loader", "partial", "rules", "validation")
    ),
)
"""The core modules held to the rule; add a module here once it names none."""

PENDING: dict[str, frozenset[str]] = {}
"""Exact strings still allowed in a checked module, each until the change named beside it."""

OWNERS = ("autotask", "salesbuildr")
PSAS = ("autotask", "connectwise", "halopsa")
"""The PSAs this repository ships, beside those installed (the registry's entry points)."""


def forbidden() -> set[str]:
    return {
        *(kind.name.casefold() for kind in KINDS),
        *OWNERS,
        *PSAS,
        *(name.casefold() for name in psa_names()),
    }


def _docstrings(tree: ast.AST) -> set[int]:
    """id() of every bare string statement (module, class, function and attribute docs)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def words(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant and identifier outside docstrings."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in skipped:
                yield line, node.value
        elif isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.arg):
            yield line, node.arg
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.alias):
            yield line, node.asname or node.name
        elif isinstance(node, ast.keyword) and node.arg:
            yield line, node.arg


def offences(source: str, names: set[str], allowed: frozenset[str] = frozenset()) -> list[str]:
    return [
        f"line {line}: {text!r} names {name!r}"
        for line, text in words(source)
        if text not in allowed
        for name in sorted(names)
        if name in text.casefold()
    ]


def test_the_names_are_known() -> None:
    names = forbidden()
    assert {"webhook", "webhook_receiver", "inventory_location"} <= names
    assert set(OWNERS) | set(PSAS) <= names


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_names_no_kind_owner_or_psa(module: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8")
    assert offences(source, forbidden(), PENDING.get(module, frozenset())) == []


def test_every_pending_exception_is_still_needed() -> None:
    """An allowance whose string is gone must go too (else it would excuse a new use)."""
    for module, allowed in PENDING.items():
        present = {text for _, text in words((ROOT / module).read_text(encoding="utf-8"))}
        assert allowed <= present, (module, sorted(allowed - present))
    assert all((ROOT / module).is_file() for module in NOT_YET)


def test_the_reader_skips_docstrings_but_not_code() -> None:
    source = '''"""Autotask webhooks."""
def f(kind):
    """For the webhook_receiver."""
    x = "ok"  # autotask in a comment
    return kind == "webhook_receiver" or x.autotask or f"{x}salesbuildr:"
'''
    found = offences(source, {"autotask", "salesbuildr", "webhook_receiver"})
    assert [o.split(":")[0] for o in found] == ["line 5", "line 5", "line 5"]
    assert {o.rsplit(" ", 1)[1] for o in found} == {
        "'autotask'",
        "'salesbuildr'",
        "'webhook_receiver'",
    }
