"""Every warning carries an id from the one table (reconciler/warning_ids.py), and
``policy.acknowledge`` silences exactly the acknowledgeable ones.

The source checks are static (an ``ast`` walk, like the layering test): no warning is written by
hand as ``"warning: ..."``, every diagnostic built with ``severity="warning"`` names an id, and
every id of the table is used by some warning site.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from reconciler import warning_ids
from reconciler.config import parse_config
from reconciler.config.models import AcknowledgedWarning
from reconciler.errors import ConfigError, Diagnostic
from reconciler.plan.model import Plan, PlanDiagnostic, Risk
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.warning_ids import ACKNOWLEDGEABLE, WARNINGS, labelled

ROOT = Path(__file__).resolve().parents[2] / "reconciler"
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


def test_the_table_is_consistent() -> None:
    assert set(CONSTANTS.values()) == set(WARNINGS), "every id has a constant"
    assert all(kind.id == key for key, kind in WARNINGS.items())
    assert all(key.isidentifier() and key.islower() for key in WARNINGS)


def test_the_acknowledge_schema_lists_exactly_the_acknowledgeable_ids() -> None:
    assert tuple(sorted(get_args(AcknowledgedWarning))) == ACKNOWLEDGEABLE
    assert ACKNOWLEDGEABLE == ("literal_secret", "unmapped_company_types")


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


def test_labelled_refuses_an_id_that_is_not_in_the_table() -> None:
    assert labelled("literal_secret") == "warning[literal_secret]"
    with pytest.raises(KeyError):
        labelled("no_such_warning")


def test_text_markdown_and_json_show_the_id() -> None:
    warning = Diagnostic("a secret is written literally", file="m.yaml", line=3, column=11)
    shown = format_diagnostic(
        Diagnostic(**{**warning.__dict__, "severity": "warning", "id": "literal_secret"})
    )
    assert shown.startswith("m.yaml:3:11: warning[literal_secret]: a secret is written literally")
    plan = Plan(
        changes=(),
        risk=Risk.SAFE,
        diagnostics=(
            PlanDiagnostic(
                severity="warning",
                message="types unmapped",
                location="m.yaml:2:1",
                id="unmapped_company_types",
            ),
        ),
    ).to_dict()
    assert plan["diagnostics"][0]["id"] == "unmapped_company_types"
    assert '"id": "unmapped_company_types"' in render_json(plan)
    assert "warning&#91;unmapped&#95;company&#95;types]: types unmapped" in render_markdown(plan)
    assert Plan.from_dict(plan).diagnostics[0].id == "unmapped_company_types"


LITERAL = "version: 1\nwebhook_receiver:\n  secret: literal-value-123\n"


def test_a_literal_secret_warns_with_its_id() -> None:
    loaded = parse_config(LITERAL.encode(), file="m.yaml", environ={})
    assert [(w.id, w.line) for w in loaded.warnings] == [("literal_secret", 3)]


def test_acknowledge_silences_that_warning() -> None:
    text = LITERAL + "policy:\n  acknowledge: [literal_secret]\n"
    loaded = parse_config(text.encode(), file="m.yaml", environ={})
    assert loaded.warnings == []
    assert loaded.config.policy.acknowledge == ["literal_secret"]


def test_acknowledging_another_id_keeps_the_warning() -> None:
    text = LITERAL + "policy:\n  acknowledge: [unmapped_company_types]\n"
    loaded = parse_config(text.encode(), file="m.yaml", environ={})
    assert [w.id for w in loaded.warnings] == ["literal_secret"]


@pytest.mark.parametrize(
    ("written", "suggested"),
    [("unmaped_company_types", "unmapped_company_types"), ("literal_secrets", "literal_secret")],
)
def test_an_unknown_id_is_a_validation_error_with_did_you_mean(
    written: str, suggested: str
) -> None:
    text = LITERAL + f"policy:\n  acknowledge: [{written}]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), file="m.yaml", environ={})
    [problem] = caught.value.diagnostics
    assert (problem.line, problem.column) == (5, 17)
    assert suggested in (problem.hint or ""), problem


def test_a_run_warning_cannot_be_acknowledged() -> None:
    text = LITERAL + "policy:\n  acknowledge: [targeting_in_effect]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), file="m.yaml", environ={})
    [problem] = caught.value.diagnostics
    assert "targeting_in_effect" in problem.message + (problem.hint or "")
