"""Messages of `plan` and `import-products` a user acts on (issue #16 item 7), through the real
CLI against the sandbox over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.launch import Sandbox, start_sandbox

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
