"""Static checks of the sources (an ``ast`` walk, like the layering test): no warning is written
by hand as ``"warning: ..."``, every diagnostic built with ``severity="warning"`` names an id
from reconciler/warning_ids.py, and every id of the table is used by some warning site."""

from __future__ import annotations

import ast
from pathlib import Path

from reconciler import warning_ids
from reconciler.warning_ids import WARNINGS

ROOT = Path(__file__).resolve().parents[1] / "reconciler"
SOURCES = [
    path
    for path in sorted(ROOT.rglob("*.py"))
    if "sandbox" not in path.relative_to(ROOT).parts and path.name != "warning_ids.py"
]
CONSTANTS = {
    name: value
    for name, value in vars(warning_ids).items()
    if name.isupper() and isinstance(value, str) and value in WARNINGS
}


def string_starts(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string literal and of every f-string's first literal part."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def test_no_warning_is_written_by_hand() -> None:
    offenders = []
    for path in SOURCES:
        for line, text in string_starts(ast.parse(path.read_text(encoding="utf-8"))):
            if text.lower().startswith("warning:"):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert offenders == [], "use warning_ids.labelled(ID) instead"


def test_every_warning_diagnostic_names_an_id() -> None:
    offenders = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            severity = keywords.get("severity")
            warning = isinstance(severity, ast.Constant) and severity.value == "warning"
            if warning and "id" not in keywords:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_id_is_used_by_some_warning_site() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    unused = [name for name in CONSTANTS if name not in text]
    assert unused == []
