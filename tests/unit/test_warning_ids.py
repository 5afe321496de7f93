"""Every warning carries an id from the one table (reconciler/warning_ids.py), and
``policy.acknowledge`` silences exactly the acknowledgeable ones.

The static checks of the sources are in tests/test_warning_sources.py (outside tests/unit: they
read the source text, which mutation testing rewrites).
"""

from __future__ import annotations

from typing import get_args

import pytest

from reconciler import warning_ids
from reconciler.config import parse_config
from reconciler.errors import ConfigError, Diagnostic
from reconciler.plan.model import Plan, PlanDiagnostic, Risk
from reconciler.psa.autotask.models import AcknowledgedWarning
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.warning_ids import ACKNOWLEDGEABLE, WARNINGS, labelled

CONSTANTS = {
    name: value
    for name, value in vars(warning_ids).items()
    if name.isupper() and isinstance(value, str) and value in WARNINGS
}


def test_the_table_is_consistent() -> None:
    assert set(CONSTANTS.values()) == set(WARNINGS), "every id has a constant"
    assert all(kind.id == key for key, kind in WARNINGS.items())
    assert all(key.isidentifier() and key.islower() for key in WARNINGS)


def test_the_acknowledge_schema_lists_exactly_the_acknowledgeable_ids() -> None:
    assert tuple(sorted(get_args(AcknowledgedWarning))) == ACKNOWLEDGEABLE
    assert ACKNOWLEDGEABLE == ("literal_secret", "unmapped_company_types")


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
