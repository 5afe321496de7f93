"""ci/run_reconcile.py: the action's run step, against the sandbox over real HTTP.

Each test runs the script's ``main`` the way the action's step does (arguments, a $GITHUB_OUTPUT
file, $GITHUB_STEP_SUMMARY, $RUNNER_TEMP), then reads the outputs back the way the runner would.
They call the CLI in this process (``in_process``): the same code as the subprocess CI starts,
without a second of interpreter start-up each time. test_action_end_to_end.py and
test_tee_run_streams_and_keeps_the_output run real subprocesses.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import run_reconcile
from ci_support import base_env, in_process, read_github_output
from run_reconcile import Completed, Runner, step_fails, tee_run

from reconciler.render.markdown import MARKER
from reconciler.sandbox.common import Sandbox

DESTRUCTIVE_YAML = """\
version: 1
policy:
  manage: {webhooks: full}
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-tickets:
    entity: ticket
    events: [create, update]
    fields: [Status, Priority, QueueID]
"""


def github_env(tmp_path: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    return {
        **base_env(),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(runner_temp),
        **extra,
    }


def step(
    argv: list[str], env: dict[str, str], tmp_path: Path, runner: Runner = in_process
) -> tuple[int, dict[str, str]]:
    """Run the script like the action; the outputs of this step only."""
    output = tmp_path / "github-output"
    output.unlink(missing_ok=True)
    status = run_reconcile.main(argv, env=env, runner=runner)
    return status, read_github_output(output)


# -- the exit-code mapping -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "code", "fail_on", "fails"),
    [
        ("plan", 0, "error", False),
        ("plan", 2, "error", False),
        ("plan", 3, "error", False),
        ("plan", 1, "error", True),
        ("plan", 2, "destructive", False),
        ("plan", 3, "destructive", True),
        ("plan", 2, "changes", True),
        ("plan", 3, "changes", True),
        ("plan", 0, "changes", False),
        ("plan", 130, "error", True),
        ("drift", 0, "changes", False),
        ("drift", 2, "error", False),
        ("drift", 2, "destructive", False),
        ("drift", 2, "changes", True),
        ("drift", 1, "error", True),
        ("validate", 0, "error", False),
        ("validate", 1, "error", True),
        ("apply", 0, "error", False),
        ("apply", 1, "error", True),
        ("apply", 2, "error", True),
        ("apply", 3, "error", True),
        ("apply", 4, "error", True),
    ],
)
def test_exit_code_mapping(command: str, code: int, fail_on: str, fails: bool) -> None:
    assert step_fails(command, code, fail_on) is fails


def test_unknown_fail_on_is_refused() -> None:
    with pytest.raises(ValueError, match="fail-on"):
        step_fails("plan", 2, "sometimes")


# -- plan against the sandbox ----------------------------------------------------------------


def test_plan_with_changes_sets_outputs_comment_and_summary(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = github_env(tmp_path, sandbox.env)
    status, outputs = step(["--command", "plan", "--file", "mappings.yaml"], env, tmp_path)
    assert status == 0, capsys.readouterr().err  # safe changes: a successful check
    plan = json.loads((workdir / "plan.json").read_text())
    assert outputs["exitcode"] == "2"
    assert outputs["failed"] == "false"
    assert outputs["has-changes"] == "true"
    assert outputs["risk"] == plan["risk"] == "safe"
    assert {k: int(outputs[k]) for k in ("create", "update", "delete", "deactivate")} == {
        "create": 19,
        "update": 4,
        "delete": 0,
        "deactivate": 0,
    }
    assert outputs["no-op"] == str(plan["summary"]["no_op"])
    assert outputs["plan-file"] == str(workdir / "plan.json")
    assert outputs["artifact-paths"] == str(workdir / "plan.json")
    comment = Path(outputs["comment-file"])
    assert comment.parent == tmp_path / "runner-temp"
    body = comment.read_text()
    assert body.startswith(MARKER + "\n")
    assert "19 to create, 4 to update, 0 to deactivate, 0 to delete" in body
    assert "reconcile apply plan.json" in body
    assert len(body) < 60_000
    for secret in (sandbox.env["AUTOTASK_API_SECRET"], sandbox.env["SALESBUILDR_WEBHOOK_SECRET"]):
        assert secret not in body
    assert body.strip() in (tmp_path / "step-summary.md").read_text()
    printed = capsys.readouterr().out
    assert "reconcile plan: exit 2 (the step passes)" in printed
    assert "  has-changes: true" in printed

    status, outputs = step(["--command", "plan", "--fail-on", "changes"], env, tmp_path)
    assert status == 2
    assert outputs["failed"] == "true"


def test_apply_of_the_saved_plan_then_no_changes(
    sandbox: Sandbox, workdir: Path, tmp_path: Path
) -> None:
    env = github_env(tmp_path, sandbox.env)
    assert step(["--command", "plan"], env, tmp_path)[0] == 0

    status, outputs = step(["--command", "apply", "--plan-file", "plan.json"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "0"
    assert outputs["has-changes"] == "true"  # what the applied plan did
    assert outputs["create"] == "19"
    journal = workdir / "plan.json.journal.jsonl"
    assert outputs["artifact-paths"].splitlines() == [str(workdir / "plan.json"), str(journal)]
    body = Path(outputs["comment-file"]).read_text()
    assert body.startswith("<!-- reconcile-apply -->\n### reconcile apply: applied and verified")
    assert "Apply complete: 19 created, 4 updated" in body

    status, outputs = step(["--command", "plan"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "0"
    assert outputs["has-changes"] == "false"
    assert [outputs[k] for k in ("create", "update", "delete", "deactivate")] == ["0"] * 4
    assert int(outputs["no-op"]) == 23
    body = Path(outputs["comment-file"]).read_text()
    assert body.startswith(MARKER) and "reconcile plan: no changes" in body


@pytest.mark.parametrize("sandbox", ["demo"], indirect=True)
def test_destructive_plan_passes_unless_fail_on_says_so(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "mappings.yaml").write_text(DESTRUCTIVE_YAML)
    env = github_env(tmp_path, sandbox.env)
    status, outputs = step(["--command", "plan"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "3"
    assert outputs["risk"] == "destructive"
    assert (outputs["create"], outputs["delete"]) == ("1", "1")

    status, outputs = step(["--command", "plan", "--fail-on", "destructive"], env, tmp_path)
    assert status == 3
    assert outputs["failed"] == "true"
    annotation = (
        "::error title=reconcile plan::exit 3: destructive changes, and fail-on is destructive"
    )
    assert annotation in capsys.readouterr().out


def test_plan_error_fails_the_step_with_an_error_comment(
    sandbox: Sandbox, workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "plan.json").write_text('{"format_version": "1.0"}')  # a previous run's
    env = github_env(tmp_path, {**sandbox.env, "AUTOTASK_API_SECRET": "not-the-secret"})
    status, outputs = step(["--command", "plan"], env, tmp_path)
    assert status == 1
    assert outputs["exitcode"] == "1"
    assert outputs["failed"] == "true"
    assert outputs["has-changes"] == outputs["risk"] == outputs["create"] == ""
    assert outputs["plan-file"] == outputs["artifact-paths"] == ""
    assert not (workdir / "plan.json").exists()
    body = Path(outputs["comment-file"]).read_text()
    assert body.startswith(MARKER + "\n### reconcile plan: failed (exit 1)")
    assert "refused the credentials" in body
    assert "not-the-secret" not in body
    annotation = "::error title=reconcile plan::exit 1: error: autotask refused the credentials"
    assert annotation in capsys.readouterr().out


def test_drift_reports_drift_as_a_result(sandbox: Sandbox, workdir: Path, tmp_path: Path) -> None:
    env = github_env(tmp_path, sandbox.env)
    status, outputs = step(["--command", "drift"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "2"
    assert outputs["has-changes"] == "true"
    assert outputs["artifact-paths"] == outputs["plan-file"] == ""
    body = Path(outputs["comment-file"]).read_text()
    assert body.startswith("<!-- reconcile-drift -->\n### reconcile drift: ")
    assert step(["--command", "drift", "--fail-on", "changes"], env, tmp_path)[0] == 2


def test_apply_from_the_yaml_needs_auto_approve(
    sandbox: Sandbox, workdir: Path, tmp_path: Path
) -> None:
    env = github_env(tmp_path, sandbox.env)
    calls: list[list[str]] = []

    def counting(argv: list[str], env: Mapping[str, str], cwd: Path) -> Completed:
        calls.append(argv)
        return in_process(argv, env, cwd)

    status, outputs = step(["--command", "apply"], env, tmp_path, runner=counting)
    assert status == 1
    assert outputs["exitcode"] == "1"
    assert calls == []  # refused before running reconcile at all
    body = Path(outputs["comment-file"]).read_text()
    assert "plan.json does not exist" in body and "auto-approve" in body

    status, outputs = step(["--command", "apply", "--auto-approve", "true"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "0"
    assert outputs["has-changes"] == ""  # no saved plan to count from
    [journal] = outputs["artifact-paths"].splitlines()
    assert Path(journal).parent == workdir / ".reconcile"
    assert Path(journal).read_text().count("\n") > 10
    assert step(["--command", "plan"], env, tmp_path)[1]["has-changes"] == "false"


# -- validate ----------------------------------------------------------------------------------


def test_validate_errors_become_annotations_and_a_comment(
    workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = workdir / "tenants"
    sub.mkdir()
    (sub / "mappings.yaml").write_text("version: 1\nbilling_codes:\n  defualt: Labor\n")
    env = github_env(tmp_path, {"GITHUB_WORKSPACE": str(workdir)})
    status, outputs = step(
        ["--command", "validate", "--file", "tenants/mappings.yaml"], env, tmp_path
    )
    assert status == 1
    assert outputs["exitcode"] == "1"
    assert outputs["has-changes"] == "false"
    printed = capsys.readouterr().out
    assert "::error file=tenants/mappings.yaml,line=3,col=3,title=reconcile validate::" in printed
    body = Path(outputs["comment-file"]).read_text()
    assert body.startswith(
        f"{MARKER}\n### reconcile validate: `tenants/mappings.yaml` is not valid"
    )


def test_validate_passes_without_a_comment(workdir: Path, tmp_path: Path) -> None:
    env = github_env(tmp_path, {"SALESBUILDR_WEBHOOK_SECRET": "x"})
    status, outputs = step(["--command", "validate"], env, tmp_path)
    assert status == 0
    assert outputs["exitcode"] == "0"
    assert outputs["comment-file"] == ""
    assert not (tmp_path / "step-summary.md").exists()


# -- without a real reconcile: apply codes, environment, output files ------------------------


@pytest.mark.parametrize(
    ("code", "headline"),
    [
        (3, "refused before any write"),
        (4, "partial: some writes were made"),
        (1, "error before any write"),
    ],
)
def test_apply_failures_fail_the_step(tmp_path: Path, code: int, headline: str) -> None:
    (tmp_path / "plan.json").write_text(
        json.dumps({"format_version": "1.0", "summary": {"create": 1}, "risk": "safe"})
    )
    calls: list[list[str]] = []

    def fake(argv: list[str], env: Mapping[str, str], cwd: Path) -> Completed:
        calls.append(argv)
        return Completed(argv, code, "", "error: the lock is held by ci@runner\n")

    result = run_reconcile.run(
        "apply", cwd=tmp_path, env=base_env(), reconcile=["reconcile"], runner=fake
    )
    assert calls == [["reconcile", "apply", "plan.json"]]
    assert result.failed
    assert result.outputs["exitcode"] == str(code)
    assert result.body is not None and headline in result.body
    assert "the lock is held by ci@runner" in result.body


def test_empty_ci_variables_are_treated_as_unset() -> None:
    log = io.StringIO()
    env = {"SALESBUILDR_API_URL": "", "AUTOTASK_API_SECRET": " ", "OTHER": "", "KEEP": "1"}
    cleaned = run_reconcile.clean_environment(env, log)
    assert cleaned == {"OTHER": "", "KEEP": "1"}
    assert "SALESBUILDR_API_URL is set but empty" in log.getvalue()


def test_the_signing_key_input_becomes_the_variable_reconcile_reads() -> None:
    log = io.StringIO()
    key, job = "input-signing-key-7f3a", "job-env-signing-key-7f3a"
    clean = run_reconcile.clean_environment
    given = {"INPUT_PLAN_SIGNING_KEY": key, "RECONCILE_PLAN_SIGNING_KEY": job}
    assert clean(given, log) == {"RECONCILE_PLAN_SIGNING_KEY": key}
    from_job = {"INPUT_PLAN_SIGNING_KEY": "", "RECONCILE_PLAN_SIGNING_KEY": job}
    assert clean(from_job, log) == {"RECONCILE_PLAN_SIGNING_KEY": job}
    undefined = {"INPUT_PLAN_SIGNING_KEY": "", "RECONCILE_PLAN_SIGNING_KEY": ""}
    assert clean(undefined, log) == {}  # an undefined secret: no key, plans stay unsigned
    assert key not in log.getvalue() and job not in log.getvalue()


def test_a_plan_signed_by_the_plan_step_applies_only_with_the_same_key(
    sandbox: Sandbox, workdir: Path, tmp_path: Path
) -> None:
    signing = {**sandbox.env, "INPUT_PLAN_SIGNING_KEY": "ci-plan-signing-key-1d2e"}
    env = github_env(tmp_path, signing)
    assert step(["--command", "plan"], env, tmp_path)[0] == 0
    saved = json.loads((workdir / "plan.json").read_text())
    assert saved["signature"].startswith("hmac-sha256:")

    other = github_env(tmp_path, {**signing, "INPUT_PLAN_SIGNING_KEY": "another-key-9f8e"})
    status, outputs = step(["--command", "apply", "--plan-file", "plan.json"], other, tmp_path)
    assert (status, outputs["exitcode"]) == (1, "1")
    body = Path(outputs["comment-file"]).read_text()
    assert "field `signature` does not verify with RECONCILE_PLAN_SIGNING_KEY" in body
    assert sandbox.salesbuildr.stats()["writes"] == 0

    status, outputs = step(["--command", "apply", "--plan-file", "plan.json"], env, tmp_path)
    assert (status, outputs["exitcode"]) == (0, "0")


def test_github_output_and_dotenv_files(tmp_path: Path) -> None:
    outputs = {"exitcode": "2", "has-changes": "true", "risk": "", "artifact-paths": "/a\n/b"}
    github = tmp_path / "out"
    github.write_text("earlier=1\n")
    run_reconcile.write_outputs(github, outputs)
    assert read_github_output(github) == {"earlier": "1", **outputs}
    dotenv = tmp_path / "reconcile.env"
    run_reconcile.write_dotenv(dotenv, outputs)
    assert dotenv.read_text() == "RECONCILE_EXITCODE=2\nRECONCILE_HAS_CHANGES=true\n"


def test_tee_run_streams_and_keeps_the_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = "import sys; print('to stdout'); print('to stderr', file=sys.stderr); sys.exit(3)"
    completed = tee_run([sys.executable, "-c", code], base_env(), tmp_path)
    assert (completed.exitcode, completed.stdout, completed.stderr) == (
        3,
        "to stdout\n",
        "to stderr\n",
    )
    captured = capfd.readouterr()
    assert "to stdout" in captured.out and "to stderr" in captured.err  # reached the log too
