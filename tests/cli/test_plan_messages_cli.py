"""Messages of `plan` and `import-products` a user acts on (issue #16 item 7), through the real
CLI against the sandbox over loopback HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, start_sandbox

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    sandbox = start_sandbox(seed="demo")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    running.autotask.reset("demo")
    running.salesbuildr.reset("demo")
    monkeypatch.chdir(tmp_path)
    return running


def run(sandbox: Sandbox, *args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=sandbox.env, prog_name="reconcile")
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def example(tmp_path: Path) -> Path:
    path = tmp_path / "mappings.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


# --- plan --format markdown and --out -------------------------------------------------------------


def test_markdown_without_out_claims_no_saved_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    result = run(sandbox, "plan", str(example(tmp_path)), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "reconcile apply" not in result.stdout
    assert "plan.json</code>," not in result.stdout  # no file named as if it existed
    foot = result.stdout.rstrip().splitlines()[-1]
    assert "· not saved: to apply exactly this plan, make it with" in foot, foot
    assert "<code>reconcile plan --out plan.json</code>" in foot
    assert "Saved the plan" not in result.output
    assert not (tmp_path / "plan.json").exists()


def test_markdown_with_out_names_the_real_file_escaped(sandbox: Sandbox, tmp_path: Path) -> None:
    out = "plan|<1>.json"
    result = run(sandbox, "plan", str(example(tmp_path)), "--format", "markdown", "--out", out)
    assert result.exit_code == 0, result.output
    assert (tmp_path / out).is_file()
    assert "apply exactly this plan: <code>reconcile apply plan&#124;&lt;1&gt;.json</code>" in (
        result.stdout
    )
    assert "reconcile apply plan|<1>.json" not in result.stdout


def test_saved_the_plan_comes_after_the_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    result = run(sandbox, "plan", str(example(tmp_path)), "--out", "plan.json")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    # click's runner keeps stdout and stderr interleaved in the order they were written
    assert (
        lines[-1] == "Saved the plan to plan.json. Apply exactly it with: reconcile apply plan.json"
    )
    assert result.stdout.strip()  # the plan itself was shown, before it
    assert "Saved the plan" not in result.stdout


# --- warning ids and policy.acknowledge ----------------------------------------------------------

WARNED = """\
version: 1
company_types:
  to_autotask:
    Customer: Customer
webhook_receiver:
  secret: literal-value-123
"""
UNMAPPED = "warning[unmapped_company_types]: Salesbuildr company type(s) 'Lead', 'Partner'"


def test_every_view_shows_the_warning_ids(sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "w.yaml"
    config.write_text(WARNED)

    text = run(sandbox, "plan", str(config))
    assert text.exit_code == 0, text.output
    assert f"{config}:6:11: warning[literal_secret]: a secret is written literally" in text.stderr
    assert f"{config}:2:1: {UNMAPPED}" in text.stderr

    as_json = json.loads(run(sandbox, "plan", str(config), "--format", "json").stdout)
    assert sorted(d["id"] for d in as_json["diagnostics"]) == [
        "literal_secret",
        "unmapped_company_types",
    ]

    markdown = run(sandbox, "plan", str(config), "--format", "markdown").stdout
    assert "warning&#91;unmapped&#95;company&#95;types]: Salesbuildr company type(s)" in markdown
    assert "warning&#91;literal&#95;secret]: a secret is written literally" in markdown

    targeted = run(sandbox, "plan", str(config), "--target", "company_types")
    assert "warning[targeting_in_effect]: targeting in effect (--target company_types)" in (
        targeted.stdout
    )


def test_acknowledge_silences_the_warning_in_every_view(sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "w.yaml"
    config.write_text(WARNED + "policy:\n  acknowledge: [unmapped_company_types]\n")

    text = run(sandbox, "plan", str(config))
    assert text.exit_code == 0, text.output
    assert "unmapped_company_types" not in text.output
    assert "have no Autotask company type" not in text.output
    assert "warning[literal_secret]" in text.stderr  # only what was acknowledged is silenced

    as_json = json.loads(run(sandbox, "plan", str(config), "--format", "json").stdout)
    assert [d["id"] for d in as_json["diagnostics"]] == ["literal_secret"]
    markdown = run(sandbox, "plan", str(config), "--format", "markdown").stdout
    assert "company&#95;types]" not in markdown.split("#### Warnings")[1]

    validated = run(sandbox, "validate", str(config))
    assert validated.exit_code == 0, validated.output
    assert "1 warning(s)" in validated.stdout


# --- import-products --category of an unmapped category -----------------------------------------


def test_import_products_warns_when_the_category_is_not_mapped(sandbox: Sandbox) -> None:
    result = run(sandbox, "import-products", "--category", "Software", "--format", "json")

    assert result.exit_code == 0, result.output  # the import still runs, as asked
    assert (
        "warning[category_not_mapped]: --category Software: no role, product category or "
        "service is mapped to it or to a subcategory" in result.stderr
    )
    assert "hint: map it under product_import" in result.stderr
    data = json.loads(result.stdout)
    assert [w["id"] for w in data["warnings"]] == ["category_not_mapped"]
    assert data["total"] == 0


@pytest.mark.parametrize("category", ["Labor/Engineering", "Labor"])
def test_import_products_of_a_mapped_category_or_its_parent_does_not_warn(
    sandbox: Sandbox, category: str
) -> None:
    result = run(sandbox, "import-products", "--category", category, "--format", "json")

    assert result.exit_code == 0, result.output
    assert "category_not_mapped" not in result.stderr
    assert json.loads(result.stdout)["warnings"] == []
    assert json.loads(result.stdout)["total"] > 0


# --- -v: one line per request; -vv: the rate-limit remainders too --------------------------------

REQUEST_LINE = re.compile(
    r"^(autotask|salesbuildr) (GET|POST|PUT|PATCH|DELETE) /\S+ -> \d{3} \(\d+ ms\)$"
)


def requests_so_far(sandbox: Sandbox) -> int:
    return int(sandbox.autotask.stats()["requests"]) + int(sandbox.salesbuildr.stats()["requests"])


def test_v_prints_one_line_per_request_and_nothing_else(sandbox: Sandbox, tmp_path: Path) -> None:
    config = example(tmp_path)
    text = config.read_text(encoding="utf-8")
    # The example warns about company types; acknowledged, stderr holds only the request lines.
    config.write_text(text.replace("acknowledge: []", "acknowledge: [unmapped_company_types]"))
    before = requests_so_far(sandbox)
    result = run(sandbox, "-v", "plan", str(config))
    sent = requests_so_far(sandbox) - before

    assert result.exit_code == 0, result.output
    logged = [line for line in result.stderr.splitlines() if line.strip()]
    assert logged, result.output
    assert [line for line in logged if not REQUEST_LINE.match(line)] == []
    assert len(logged) == sent
    assert "rate limit" not in result.stderr


def test_vv_adds_the_rate_limit_remainders(sandbox: Sandbox, tmp_path: Path) -> None:
    result = run(sandbox, "-vv", "plan", str(example(tmp_path)))

    assert result.exit_code == 0, result.output
    assert re.search(r"salesbuildr rate limit: \d+ requests left in the window", result.stderr)
    assert re.search(r"salesbuildr GET /public-api/\S+ -> 200 \(\d+ ms\)", result.stderr)
