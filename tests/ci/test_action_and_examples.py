"""Structure of action.yml and of the GitHub and GitLab examples.

Nothing here can run GitHub Actions or GitLab CI, so these tests hold the files to what the
runners require and to what the scripts they call accept: a composite action whose inputs reach
ci/run_reconcile.py through the environment (never spliced into a shell script), outputs wired to
the run step, the comment only on pull requests, and workflows that take every credential from a
secret by name.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import run_reconcile
import yaml
from ci_support import REPO

ACTION = REPO / "action.yml"
GITHUB = REPO / "examples" / "github"
GITLAB = REPO / "examples" / "gitlab" / ".gitlab-ci.yml"
SECRETS = (
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHOW_STEP = "Show the plan to apply in the job summary"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """``on:`` (YAML 1.1 reads the bare key as True)."""
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else {name: None for name in on}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    return load(ACTION)


def steps_by_name(action: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in action["runs"]["steps"]}


# -- action.yml ----------------------------------------------------------------------------------


def test_action_is_composite_with_the_issue_inputs_and_outputs(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    inputs = action["inputs"]
    assert {"command", "file", "plan-file", "comment", "working-directory"} <= set(inputs)
    assert inputs["command"]["default"] == "plan"
    assert inputs["file"]["default"] == "mappings.yaml"
    assert inputs["plan-file"]["default"] == "plan.json"
    assert inputs["comment"]["default"] == "true"
    assert inputs["working-directory"]["default"] == "."
    assert inputs["fail-on"]["default"] == "error"
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), f"{name}: defaults are strings"
    for word in run_reconcile.COMMANDS:
        assert word in inputs["command"]["description"]
    for word in run_reconcile.FAIL_ON:
        assert word in inputs["fail-on"]["description"]

    outputs = action["outputs"]
    expected = {"exitcode", "has-changes", "risk", *run_reconcile.COUNTS}
    assert expected <= set(outputs)
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name
        assert spec.get("description"), name


def test_every_output_is_written_by_the_script(action: dict[str, Any], tmp_path: Path) -> None:
    result = run_reconcile.run(
        "validate",
        cwd=tmp_path,
        env={},
        reconcile=["reconcile"],
        runner=lambda argv, env, cwd: run_reconcile.Completed(argv, 0, "", ""),
    )
    written = {*result.outputs, "comment-file"}
    assert set(action["outputs"]) <= written


def test_action_installs_from_its_own_checkout_and_runs_the_script(
    action: dict[str, Any],
) -> None:
    steps = action["runs"]["steps"]
    setup = steps[0]
    assert re.fullmatch(r"actions/setup-python@v\d+", setup["uses"]), "pinned major version"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    named = steps_by_name(action)
    install = named["Install reconcile from the action's checkout"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install --disable-pip-version-check --quiet "$ACTION_PATH"' in install["run"]
    run = next(step for step in steps if step.get("id") == "run")
    assert run["working-directory"] == "${{ inputs.working-directory }}"
    assert '"$ACTION_PATH/ci/run_reconcile.py"' in run["run"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]


def test_inputs_reach_the_scripts_only_through_the_environment(action: dict[str, Any]) -> None:
    """``${{ inputs.args }}`` inside ``run:`` would let an input inject shell code."""
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert not EXPRESSION.search(step["run"]), step["name"]


def test_the_run_step_arguments_are_accepted_by_the_script(action: dict[str, Any]) -> None:
    """The words bash would pass, with example input values (one starting with a dash)."""
    run = next(step for step in action["runs"]["steps"] if step.get("id") == "run")
    example = {
        "INPUT_COMMAND": "plan",
        "INPUT_FILE": "mappings.yaml",
        "INPUT_PLAN_FILE": "plan.json",
        "INPUT_FAIL_ON": "destructive",
        "INPUT_AUTO_APPROVE": "false",
        "INPUT_ARGS": "--force",
    }
    assert set(example) <= set(run["env"])
    for name in example:
        input_name = name.removeprefix("INPUT_").lower().replace("_", "-")
        assert run["env"][name] == f"${{{{ inputs.{input_name} }}}}"
    words = [
        re.sub(r"\$(INPUT_\w+)", lambda m: example[m[1]], word) for word in shlex.split(run["run"])
    ]
    assert words[:2] == ["$PYTHON", "$ACTION_PATH/ci/run_reconcile.py"]
    options = run_reconcile.parse_args(words[2:])
    assert (options.command, options.file, options.plan_file) == (
        "plan",
        "mappings.yaml",
        "plan.json",
    )
    assert (options.fail_on, options.auto_approve, options.args) == (
        "destructive",
        False,
        "--force",
    )


def test_plan_artifact_is_uploaded_when_present(action: dict[str, Any]) -> None:
    upload = steps_by_name(action)["Upload the plan"]
    assert re.fullmatch(r"actions/upload-artifact@v\d+", upload["uses"])
    assert upload["with"]["path"] == "${{ steps.run.outputs.artifact-paths }}"
    assert "steps.run.outputs.artifact-paths != ''" in upload["if"]
    assert "!cancelled()" in upload["if"]  # also after a failed plan: the error is reviewable
    assert "inputs.artifact-name" in upload["with"]["name"]


def test_comment_only_on_pull_requests_and_when_asked(action: dict[str, Any]) -> None:
    comment = steps_by_name(action)["Comment on the pull request"]
    condition = comment["if"]
    assert "inputs.comment == 'true'" in condition
    assert "github.event_name == 'pull_request'" in condition
    assert "steps.run.outputs.comment-file != ''" in condition
    assert "!cancelled()" in condition
    assert '"$ACTION_PATH/ci/sticky_comment.py" github' in comment["run"]
    assert comment["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert comment["env"]["COMMENT_FILE"] == "${{ steps.run.outputs.comment-file }}"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"


def test_scripts_the_action_names_exist(action: dict[str, Any]) -> None:
    for step in action["runs"]["steps"]:
        for script in re.findall(r"\$ACTION_PATH/(ci/[\w.]+\.py)", step.get("run", "")):
            assert (REPO / script).is_file(), script


def test_the_signing_key_input_reaches_reconcile_only_through_the_environment(
    action: dict[str, Any],
) -> None:
    """A secret in an argument list is visible to every process on the runner."""
    spec = action["inputs"]["plan-signing-key"]
    assert spec["default"] == "" and spec.get("required") is False
    assert run_reconcile.SIGNING_KEY in spec["description"]
    run = next(step for step in action["runs"]["steps"] if step.get("id") == "run")
    assert run["env"][run_reconcile.SIGNING_KEY_INPUT] == "${{ inputs.plan-signing-key }}"
    assert run_reconcile.SIGNING_KEY_INPUT not in run["run"]
    assert "signing" not in run["run"].lower()
    show = steps_by_name(action)[SHOW_STEP]  # verifies the signature, so it holds the key too
    assert show["env"][run_reconcile.SIGNING_KEY_INPUT] == "${{ inputs.plan-signing-key }}"
    assert f'export {run_reconcile.SIGNING_KEY}="${run_reconcile.SIGNING_KEY_INPUT}"' in show["run"]
    for step in action["runs"]["steps"]:
        if step.get("id") != "run" and step["name"] != SHOW_STEP:
            assert "plan-signing-key" not in str(step), step["name"]


def test_apply_shows_the_verified_plan_in_the_job_summary_before_applying(
    action: dict[str, Any],
) -> None:
    steps = action["runs"]["steps"]
    names = [step["name"] for step in steps]
    assert names.index(SHOW_STEP) == names.index("reconcile ${{ inputs.command }}") - 1
    show = steps[names.index(SHOW_STEP)]
    assert show["if"] == "${{ inputs.command == 'apply' }}"
    assert show["working-directory"] == "${{ inputs.working-directory }}"
    assert show["env"]["INPUT_PLAN_FILE"] == "${{ inputs.plan-file }}"
    command = " ".join(show["run"].replace("\\\n", " ").split())
    show_command = '"$PYTHON" -m reconciler show "$INPUT_PLAN_FILE" --format markdown'
    assert f'{show_command} >> "$GITHUB_STEP_SUMMARY"' in command


# -- examples/github -----------------------------------------------------------------------------


def workflow_text(name: str) -> str:
    return (GITHUB / name).read_text(encoding="utf-8")


def action_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if re.fullmatch(r"[\w.-]+/reconcile@[\w.-]+", step.get("uses", ""))
    ]


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml"])
def test_workflows_take_every_credential_from_secrets(name: str) -> None:
    text = workflow_text(name)
    workflow = load(GITHUB / name)
    env: dict[str, str] = dict(workflow.get("env") or {})
    for job in workflow["jobs"].values():
        env.update(job.get("env") or {})
    for secret in SECRETS:
        assert env[secret] == f"${{{{ secrets.{secret} }}}}", secret
    assert env["SALESBUILDR_API_URL"] == "${{ vars.SALESBUILDR_API_URL }}"
    for line in text.splitlines():  # nothing that looks like a credential value is inlined
        match = re.match(r"\s*(\w*(SECRET|KEY|TOKEN|PASSWORD|USERNAME|CODE)\w*):\s*(.+)", line)
        if match:
            assert match[3].startswith("${{"), line


def test_plan_workflow_comments_on_pull_requests() -> None:
    workflow = load(GITHUB / "plan.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["permissions"]["pull-requests"] == "write"
    assert workflow["permissions"]["contents"] == "read"
    steps = action_steps(workflow)
    assert [step["with"]["command"] for step in steps] == ["validate", "plan"]
    plan = steps[1]["with"]
    assert str(plan["comment"]).lower() == "true"
    assert plan["plan-file"] == "plan.json"
    assert plan["fail-on"] in run_reconcile.FAIL_ON
    job = next(iter(workflow["jobs"].values()))
    assert job["steps"][0]["uses"].startswith("actions/checkout@v")
    assert "head.repo.full_name == github.repository" in job["if"]  # forks get no secrets


def test_apply_workflow_applies_the_approved_plan_of_the_same_run() -> None:
    workflow = load(GITHUB / "apply.yml")
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" not in on
    assert workflow["concurrency"]["cancel-in-progress"] is False
    plan_job, apply_job = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    [plan] = action_steps({"jobs": {"plan": plan_job}})
    assert plan["with"]["command"] == "plan"
    assert apply_job["needs"] == "plan"
    assert apply_job["environment"] == "production"
    assert "needs.plan.outputs.has-changes == 'true'" in apply_job["if"]
    assert plan_job["outputs"]["has-changes"] == "${{ steps.plan.outputs.has-changes }}"
    download = next(s for s in apply_job["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["name"] == plan["with"]["artifact-name"]
    [apply] = action_steps({"jobs": {"apply": apply_job}})
    assert apply["with"]["command"] == "apply"
    assert apply["with"]["plan-file"] == plan["with"]["plan-file"]
    assert str(apply["with"].get("auto-approve", "false")).lower() == "false"
    assert apply["with"]["artifact-name"] != plan["with"]["artifact-name"]  # unique per run
    assert "environment" not in plan_job


def test_apply_workflow_signs_and_verifies_with_one_secret_and_pr_plans_hold_no_key() -> None:
    apply_workflow = load(GITHUB / "apply.yml")
    steps = action_steps(apply_workflow)
    assert [step["with"]["command"] for step in steps] == ["plan", "apply"]
    for step in steps:
        assert step["with"]["plan-signing-key"] == "${{ secrets.RECONCILE_PLAN_SIGNING_KEY }}"
    plan_workflow = load(GITHUB / "plan.yml")
    for step in action_steps(plan_workflow):
        assert "plan-signing-key" not in step["with"], step
    for job in plan_workflow["jobs"].values():
        assert run_reconcile.SIGNING_KEY not in (job.get("env") or {})
    readme = (GITHUB / "README.md").read_text(encoding="utf-8")
    assert "`RECONCILE_PLAN_SIGNING_KEY` | secret, optional" in readme
    assert "## Signing the plan" in readme


def test_examples_use_only_declared_action_inputs(action: dict[str, Any]) -> None:
    for name in ("plan.yml", "apply.yml"):
        for step in action_steps(load(GITHUB / name)):
            assert set(step["with"]) <= set(action["inputs"]), (name, step["with"])
            assert step["with"]["command"] in run_reconcile.COMMANDS


def test_github_readme_walks_through_the_setup() -> None:
    text = (GITHUB / "README.md").read_text(encoding="utf-8")
    for needle in (*SECRETS, "SALESBUILDR_API_URL", "production", "Required reviewers"):
        assert needle in text, needle
    assert "trade-off" in text.lower()
    assert "replace `your-org` with the GitHub" in text  # the one placeholder, named


# -- examples/gitlab -----------------------------------------------------------------------------


def test_gitlab_example_plans_merge_requests_and_applies_after_approval() -> None:
    pipeline = load(GITLAB)
    assert pipeline["stages"] == ["validate", "plan", "apply"]
    plan, apply = pipeline["plan"], pipeline["apply"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in plan["rules"]
    plan_script = "\n".join(plan["script"])
    assert 'ci/run_reconcile.py" --command plan' in plan_script
    assert 'ci/sticky_comment.py" gitlab --body-file reconcile-plan.md' in plan_script
    assert "plan.json" in plan["artifacts"]["paths"]
    assert plan["artifacts"]["when"] == "always"
    assert plan["artifacts"]["reports"]["dotenv"] == "reconcile.env"
    assert apply["environment"]["name"] == "production"
    assert apply["needs"] == ["plan"]
    assert apply["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "when": "manual"}]
    assert "--command apply --plan-file plan.json" in "\n".join(apply["script"])
    assert plan["resource_group"] == apply["resource_group"]


def test_gitlab_example_arguments_are_accepted_by_the_scripts() -> None:
    pipeline = load(GITLAB)
    for job in ("validate", "plan", "apply"):
        for line in pipeline[job]["script"]:
            words = shlex.split(line.split("||")[0].split(";")[0].removeprefix("if "))
            if "$RECONCILE_HOME/ci/run_reconcile.py" in words:
                start = words.index("$RECONCILE_HOME/ci/run_reconcile.py") + 1
                options = run_reconcile.parse_args(words[start:])
                assert options.command == job


def test_gitlab_example_inlines_no_credential() -> None:
    text = GITLAB.read_text(encoding="utf-8")
    pipeline = load(GITLAB)
    variables = pipeline["variables"]
    for secret in (*SECRETS, "RECONCILE_GITLAB_TOKEN", "SALESBUILDR_API_URL"):
        assert secret not in variables, secret
        assert secret in text, f"{secret}: the header says where to set it"
    assert "CI_JOB_TOKEN cannot write merge-request notes" in text


def test_gitlab_example_takes_the_signing_key_from_a_protected_variable() -> None:
    """GitLab passes CI/CD variables to every job's environment; protected ones only on
    protected branches, so merge-request plans (never applied) never see the key."""
    text = GITLAB.read_text(encoding="utf-8")
    assert run_reconcile.SIGNING_KEY not in load(GITLAB)["variables"]
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert f"{run_reconcile.SIGNING_KEY} (optional, recommended; masked AND protected)" in header
    readme = (GITLAB.parent / "README.md").read_text(encoding="utf-8")
    assert run_reconcile.SIGNING_KEY in readme and "masked and protected" in readme
    assert run_reconcile.SIGNING_KEY in run_reconcile.CI_VARIABLES  # empty means unset
