"""Issue 16 item 3 against the sandbox over real HTTP: a changed webhook field, element-wise."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox


@pytest.fixture
def changed(sandbox: Sandbox, tmp_path: Path) -> Path:
    """The exported file with the company webhook's ``CompanyType`` swapped for ``Phone``."""
    out = tmp_path / "changed.yaml"
    result = CliRunner().invoke(cli, ["export", "--out", str(out)], env=sandbox.env)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(out.read_text())
    fields = document["webhooks"]["sb-companies"]["fields"]
    assert fields == ["CompanyName", "CompanyType"]  # the demo seed, as its docstring says
    document["webhooks"]["sb-companies"]["fields"] = ["Phone", "CompanyName"]
    out.write_text(yaml.safe_dump(document), encoding="utf-8")
    return out


def test_a_changed_webhook_field_shows_what_was_added_and_removed(
    sandbox: Sandbox, changed: Path
) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["plan", str(changed), "--detailed-exitcode"], env=sandbox.env)
    assert text.exit_code == 2, text.output
    assert '  ~ webhooks["sb-companies"]' in text.stdout
    assert "      fields: + Phone, − CompanyType (1 unchanged)\n" in text.stdout
    assert "CompanyName" not in text.stdout  # unchanged elements are counted, not printed
    assert "\x1b[" not in text.stdout  # CliRunner is no terminal: no colour

    as_json = runner.invoke(cli, ["plan", str(changed), "--format", "json"], env=sandbox.env)
    (change,) = [c for c in json.loads(as_json.stdout)["changes"] if c["action"] == "update"]
    (diff,) = change["diff"]
    assert diff == {
        "path": "fields",
        "before": ["CompanyName", "CompanyType"],
        "after": ["CompanyName", "Phone"],
        "set_like": True,
        "added": ["Phone"],
        "removed": ["CompanyType"],
    }

    markdown = runner.invoke(cli, ["plan", str(changed), "--format", "markdown"], env=sandbox.env)
    shown = html.unescape(markdown.stdout)
    assert "| fields | + <code>Phone</code>, − <code>CompanyType</code> (1 unchanged) |" in shown


def test_a_saved_plan_applies_and_the_replan_is_empty(
    sandbox: Sandbox, changed: Path, tmp_path: Path
) -> None:
    """The 1.1 plan file (with added/removed) passes the schema and the seal on apply."""
    runner = CliRunner()
    saved = tmp_path / "plan.json"
    made = runner.invoke(cli, ["plan", str(changed), "--out", str(saved)], env=sandbox.env)
    assert made.exit_code == 0, made.output
    assert json.loads(saved.read_text())["format_version"] == "1.1"
    applied = runner.invoke(cli, ["apply", str(saved)], env=sandbox.env)
    assert applied.exit_code == 0, applied.output
    again = runner.invoke(cli, ["plan", str(changed), "--detailed-exitcode"], env=sandbox.env)
    assert again.exit_code == 0, again.output
