"""Issue 16 item 1 against the sandbox over real HTTP: what an additive section keeps is shown."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox

KEPT = 'company_types.to_autotask["Customer"]'


@pytest.fixture
def trimmed(sandbox: Sandbox, tmp_path: Path) -> Path:
    """The exported file with ``to_autotask: Customer`` removed (company_types is additive)."""
    out = tmp_path / "rm.yaml"
    result = CliRunner().invoke(cli, ["export", "--out", str(out)], env=sandbox.env)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(out.read_text())
    del document["company_types"]["to_autotask"]["Customer"]
    out.write_text(yaml.safe_dump(document), encoding="utf-8")
    return out


def test_plan_shows_the_kept_object_and_does_not_claim_a_match(
    sandbox: Sandbox, trimmed: Path
) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["plan", str(trimmed), "--detailed-exitcode"], env=sandbox.env)
    assert text.exit_code == 0, text.output  # nothing to write: kept objects are no change
    first = text.stdout.splitlines()[0]
    assert first.startswith("No changes.")
    assert "match" not in first
    assert f"1 live object in company_types is not in {trimmed} and is kept (additive)." in first
    assert f"    = {KEPT}" in text.stdout
    assert "set `policy.manage.company_types: full`" in text.stdout

    as_json = runner.invoke(cli, ["plan", str(trimmed), "--format", "json"], env=sandbox.env)
    assert as_json.exit_code == 0, as_json.output
    kept = json.loads(as_json.stdout)["kept"]
    assert [k["address"] for k in kept] == [KEPT]
    assert kept[0]["section"] == "company_types"

    markdown = runner.invoke(cli, ["plan", str(trimmed), "--format", "markdown"], env=sandbox.env)
    assert "Live settings match" not in markdown.stdout
    shown = html.unescape(markdown.stdout)
    assert f"<code>{KEPT}</code>" in shown
    assert "set <code>policy.manage.company_types: full</code>" in shown


def test_drift_lists_it_as_unlisted_kept_with_exit_0(sandbox: Sandbox, trimmed: Path) -> None:
    result = CliRunner().invoke(cli, ["drift", str(trimmed)], env=sandbox.env)
    assert result.exit_code == 0, result.output  # 2 stays "a managed object differs"
    assert f"  * {KEPT}: unlisted (kept)" in result.stdout
    assert "match" not in result.stdout


def test_targeting_warns_and_never_claims_a_full_match(sandbox: Sandbox, trimmed: Path) -> None:
    result = CliRunner().invoke(
        cli, ["plan", str(trimmed), "--target", "billing_codes"], env=sandbox.env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "warning[targeting_in_effect]: targeting in effect (--target billing_codes)"
    )
    assert "match" not in result.stdout
    assert KEPT not in result.stdout  # kept objects are narrowed like changes
