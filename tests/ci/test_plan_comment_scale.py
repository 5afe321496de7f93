"""Plan comments that scale (issue 19 item 4): a 20,000-change plan still makes one comment.

``run_reconcile.main`` runs a fake ``reconcile plan`` (it saves a generated plan and prints the
CLI's own Markdown), then ``sticky_comment.main`` posts the body to the fake GitHub and GitLab
APIs of ``test_sticky_comment``. The posted body stays under the forge's limit, keeps every
section's counts per action, names where the full plan is, and still escapes hostile names.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import plan_comment
import pytest
import run_reconcile
import sticky_comment
from ci_support import base_env
from run_reconcile import Completed
from test_sticky_comment import GitHubApi, GitLabApi, github_env, gitlab_env

from reconciler.plan import Action, Change, FieldDiff, Plan, Risk
from reconciler.plan.integrity import seal
from reconciler.render.escape import markdown_text
from reconciler.render.markdown import MARKER, render_markdown

HOSTILE_SECTION = "web</summary></details><img src=x>|`hooks\x1b[31m@octocat"
SECTIONS = ("billing_codes", "company_types", "inventory", "webhooks", HOSTILE_SECTION)
HOSTILE_NAME = "evil</details>|`\n| forged | row |\u202e\x1b]8;;http://x\x07@octocat"


@functools.cache
def generated_plan(total: int) -> dict[str, Any]:
    """``total`` changes spread over :data:`SECTIONS` with every action; hostile names too.
    Cached (the tests only read it): making and sealing 20,000 changes takes a while."""
    actions = (Action.CREATE, Action.UPDATE, Action.DELETE, Action.DEACTIVATE)
    changes = []
    for i in range(total):
        section = SECTIONS[i % len(SECTIONS)]
        action = actions[(i // len(SECTIONS)) % len(actions)]
        name = f"{HOSTILE_NAME} {i}" if i % 97 == 0 else f"Object {i:05d}"
        changes.append(
            Change(
                address=f'{section}["{name}"]',
                kind="k",
                key=name,
                section=section,
                owner="salesbuildr",
                action=action,
                before=None if action is Action.CREATE else {"value": f"old {i}"},
                after=None if action is Action.DELETE else {"value": f"new {i}"},
                diff=(
                    FieldDiff(
                        "value",
                        None if action is Action.CREATE else f"old {i}",
                        None if action is Action.DELETE else f"new {i}",
                    ),
                ),
                reason="test",
            )
        )
    plan = Plan(changes=tuple(changes), risk=Risk.DESTRUCTIVE, generated_at="2026-12-02T12:00:00Z")
    return seal(plan.to_dict(), None)


def counts(plan: dict[str, Any], section: str) -> str:
    """What the section's ``<summary>`` says: ``N to create, N to update, ...``."""
    found: dict[str, int] = {}
    for change in plan["changes"]:
        if change["section"] == section:
            found[change["action"]] = found.get(change["action"], 0) + 1
    order = ("create", "update", "deactivate", "delete")
    return ", ".join(f"{found[a]} to {a}" for a in order if found.get(a))


def fake_reconcile(plan: dict[str, Any]) -> run_reconcile.Runner:
    """``reconcile plan --out plan.json --format markdown``: the plan saved, its Markdown out."""

    def runner(argv: list[str], env: Any, cwd: Path) -> Completed:
        (cwd / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        return Completed(argv, 3, render_markdown(plan, plan_file="plan.json"), "")

    return runner


def run_plan(tmp_path: Path, plan: dict[str, Any], env: dict[str, str]) -> Path:
    """run_reconcile.main for ``plan``; returns the comment file it wrote."""
    comment = tmp_path / "reconcile-plan.md"
    status = run_reconcile.main(
        ["--command", "plan", "--comment-file", str(comment)],
        env=env,
        runner=fake_reconcile(plan),
    )
    assert status == 0  # exit 3 (destructive) passes with fail-on error
    return comment


def assert_escaped(markdown: str) -> None:
    """No data became structure: balanced sections, four-cell rows, no raw tag or control."""
    assert markdown.startswith(MARKER + "\n") and markdown.count("<!--") == 1
    assert markdown.count("<details>") == markdown.count("</details>")
    assert markdown.count("<summary>") == markdown.count("</summary>")
    stripped = re.sub(r"</?(?:code|details|summary|b)>|<!-- reconcile-plan -->", "", markdown)
    assert "<" not in stripped and ">" not in stripped
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202e]", markdown)
    assert "@octocat" not in re.sub(r"<code>.*?</code>", "", markdown)
    for line in markdown.split("\n"):
        if line.startswith("|"):
            assert line.count("|") == 5, line


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_20000_change_plan_makes_one_github_comment_under_the_limit(cwd: Path) -> None:
    plan = generated_plan(20_000)
    summary_file = cwd / "summary.md"
    env = github_env(cwd, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary_file))
    env[plan_comment.ARTIFACT_INPUT] = "reconcile-plan"  # what action.yml passes by default
    comment = run_plan(cwd, plan, env)
    api = GitHubApi([])
    status = sticky_comment.main(
        ["github", "--body-file", str(comment), "--key", "prod"],
        env=env,
        transport=httpx.MockTransport(api),
    )
    assert status == 0
    ((method, _, posted),) = api.written()
    assert method == "POST"
    assert len(posted) < sticky_comment.GITHUB_LIMIT
    assert "… truncated" not in posted  # summarised by the renderer, never cut by prepare()
    for section in SECTIONS:
        assert f"<summary><b>{markdown_text(section)}</b>: {counts(plan, section)}</summary>" in (
            posted
        )
    assert "### reconcile plan: 5000 to create, 5000 to update, 5000 to deactivate, 5000 to" in (
        posted
    )
    shown = html.unescape(posted)
    assert "The full plan: this run's job summary and the artifact <code>reconcile-plan</code>" in (
        shown
    )
    assert_escaped(posted.replace("<!-- reconcile-key: prod -->\n", ""))
    # The job summary got its own rendering, within what GitHub takes for a step; a plan this
    # big does not fit there either, so it points at the artifact (and never at itself).
    written = summary_file.read_text(encoding="utf-8")
    assert len(written.encode("utf-8")) < 1024 * 1024
    assert "The full plan: the artifact <code>reconcile-plan</code>" in html.unescape(written)
    for section in SECTIONS:
        assert f"<b>{markdown_text(section)}</b>: {counts(plan, section)}</summary>" in written
    assert_escaped(written.strip() + "\n")


def test_a_plan_over_the_comment_budget_is_whole_in_the_job_summary(cwd: Path) -> None:
    plan = generated_plan(1_000)
    full = render_markdown(plan, limit=10**9)
    assert 60_000 < len(full) < plan_comment.JOB_SUMMARY_LIMIT
    summary_file = cwd / "summary.md"
    env = github_env(cwd, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary_file))
    comment = run_plan(cwd, plan, env).read_text(encoding="utf-8")
    assert len(comment) <= plan_comment.GITHUB_BUDGET
    assert "**Summarised**" in comment
    assert "the artifact <code>reconcile-plan</code>" in comment  # the Action's default name
    assert summary_file.read_text(encoding="utf-8") == full + "\n"  # every change, in full
    assert "**Summarised**" not in full


def test_a_20000_change_plan_makes_one_gitlab_note_under_the_limit(cwd: Path) -> None:
    plan = generated_plan(20_000)
    env = gitlab_env(GITLAB_CI="true")
    comment = run_plan(cwd, plan, env)
    body = comment.read_text(encoding="utf-8")
    assert plan_comment.GITHUB_BUDGET < len(body) <= plan_comment.GITLAB_BUDGET  # more detail
    api = GitLabApi([])
    status = sticky_comment.main(
        ["gitlab", "--body-file", str(comment)], env=env, transport=httpx.MockTransport(api)
    )
    assert status == 0
    ((method, _, posted),) = api.written()
    assert method == "POST" and len(posted) < sticky_comment.GITLAB_LIMIT
    for section in SECTIONS:
        assert f"<summary><b>{markdown_text(section)}</b>: {counts(plan, section)}</summary>" in (
            posted
        )
    # No job summary on GitLab, and its artifacts have no name of their own.
    assert "job summary" not in posted
    assert "see the JSON plan (<code>plan.json</code>, the CI artifact) for every field" in posted
    assert_escaped(posted)


def test_a_small_plan_is_the_comment_and_the_summary_unchanged(cwd: Path) -> None:
    plan = generated_plan(10)
    summary_file = cwd / "summary.md"
    env = github_env(cwd, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary_file))
    comment = run_plan(cwd, plan, env).read_text(encoding="utf-8")
    assert comment == render_markdown(plan, plan_file="plan.json")  # what reconcile printed
    assert summary_file.read_text(encoding="utf-8") == comment + "\n"


def test_a_plan_of_another_format_posts_reconcile_s_own_output(cwd: Path) -> None:
    """A plan made by another reconcile (--reconcile): this renderer does not guess its format."""
    plan = {**generated_plan(3), "format_version": "1.0"}
    assert plan_comment.plan_bodies(plan, plan_file="plan.json", env={}, artifact=None) is None
    comment = run_plan(cwd, plan, github_env(cwd)).read_text(encoding="utf-8")
    assert comment == render_markdown(plan, plan_file="plan.json")


@pytest.mark.parametrize(
    ("env", "given", "expected"),
    [
        ({"GITHUB_ACTIONS": "true"}, "", "reconcile-plan"),
        ({"GITHUB_ACTIONS": "true", "INPUT_ARTIFACT_NAME": "prod-plan"}, "", "prod-plan"),
        ({"GITHUB_ACTIONS": "true", "INPUT_ARTIFACT_NAME": "prod-plan"}, "mine", "mine"),
        ({"GITLAB_CI": "true"}, "", None),
        ({}, "", None),
    ],
)
def test_the_artifact_is_named_as_the_action_names_it(
    env: dict[str, str], given: str, expected: str | None
) -> None:
    assert plan_comment.artifact_name(env, "plan", given) == expected


def test_the_action_passes_its_artifact_name_to_the_run_step() -> None:
    import yaml  # noqa: PLC0415

    action = yaml.safe_load((Path(run_reconcile.__file__).parents[1] / "action.yml").read_text())
    steps = action["runs"]["steps"]
    run = next(step for step in steps if step.get("id") == "run")
    upload = next(step for step in steps if "upload-artifact" in step.get("uses", ""))
    assert run["env"][plan_comment.ARTIFACT_INPUT] == "${{ inputs.artifact-name }}"
    # ... and an empty input means the upload step's default, which artifact_name() repeats.
    default = "${{ inputs.artifact-name || format('reconcile-{0}', inputs.command) }}"
    assert upload["with"]["name"] == default
    actions = {"GITHUB_ACTIONS": "true", plan_comment.ARTIFACT_INPUT: ""}
    assert plan_comment.artifact_name(actions, "plan") == "reconcile-plan"


def test_budgets_fit_the_forges() -> None:
    assert plan_comment.GITHUB_BUDGET + 1_000 < sticky_comment.GITHUB_LIMIT
    assert plan_comment.GITLAB_BUDGET + 1_000 < sticky_comment.GITLAB_LIMIT
    assert plan_comment.comment_budget(base_env()) == plan_comment.GITHUB_BUDGET
    assert plan_comment.comment_budget({"GITLAB_CI": "true"}) == plan_comment.GITLAB_BUDGET
