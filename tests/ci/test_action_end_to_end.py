"""action.yml's own shell steps, run the way a runner runs them, against the sandbox.

No GitHub runner here, so this test plays one: it reads the composite action, evaluates the few
``${{ }}`` expressions its step environments use (inputs with their defaults, ``github.*``, earlier
steps' outputs), and runs each ``run:`` script with ``bash --noprofile --norc -eo pipefail`` as
GitHub does for ``shell: bash``. The install step is replaced by this virtualenv (it would
``pip install`` the checkout); setup-python and upload-artifact are GitHub's own actions. The
GitHub REST API is a small Starlette app on loopback that keeps the pull request's comments.

The story is the issue's "done when": a pull request gets a plan comment; after the change is
applied, the next run edits the same comment instead of adding one.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_support import REPO, base_env, read_github_output
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.render.markdown import MARKER
from reconciler.sandbox.common import RunningServer, Sandbox, serve_in_thread

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class FakeGitHub:
    """The issue-comments endpoints of one repository, in memory."""

    def __init__(self) -> None:
        self.comments: list[dict[str, Any]] = []
        self.ids = itertools.count(100)
        self.authorizations: list[str] = []
        self.app = Starlette(
            routes=[
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments",
                    self.thread,
                    methods=["GET", "POST"],
                ),
                Route(
                    "/repos/{owner}/{repo}/issues/comments/{id:int}", self.edit, methods=["PATCH"]
                ),
            ]
        )

    async def thread(self, request: Request) -> JSONResponse:
        self.authorizations.append(request.headers.get("authorization", ""))
        if request.method == "GET":
            return JSONResponse(self.comments)
        comment = {"id": next(self.ids), "body": (await request.json())["body"]}
        self.comments.append(comment)
        return JSONResponse(comment, status_code=201)

    async def edit(self, request: Request) -> JSONResponse:
        self.authorizations.append(request.headers.get("authorization", ""))
        [comment] = [c for c in self.comments if c["id"] == request.path_params["id"]]
        comment["body"] = (await request.json())["body"]
        return JSONResponse(comment)


@pytest.fixture
def github_api() -> Iterator[tuple[FakeGitHub, RunningServer]]:
    fake = FakeGitHub()
    server = serve_in_thread(fake.app)
    try:
        yield fake, server
    finally:
        server.stop()


class Runner:
    """Runs the composite action's bash steps for one job."""

    def __init__(self, workspace: Path, env: dict[str, str]) -> None:
        self.action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
        self.workspace = workspace
        self.env = env
        self.temp = workspace.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.event = workspace.parent / "event.json"
        self.event.write_text(json.dumps({"pull_request": {"number": 7}}))
        self.summary = workspace.parent / "step-summary.md"

    def evaluate(self, text: str, context: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match[1]
            assert expression in context, f"the test runner does not know {expression!r}"
            return context[expression]

        return EXPRESSION.sub(value, text)

    def use(self, inputs: dict[str, str]) -> dict[str, str]:
        """Run the action's steps with ``inputs``; the action's outputs."""
        context = {
            f"inputs.{name}": str(inputs.get(name, spec.get("default", "")))
            for name, spec in self.action["inputs"].items()
        }
        context["github.action_path"] = str(REPO)
        context["github.token"] = "ghs_job-token"
        context["inputs.github-token"] = self.evaluate(context["inputs.github-token"], context)
        context["steps.install.outputs.python"] = sys.executable  # in place of the venv
        for step in self.action["runs"]["steps"]:
            if step.get("id") in ("python", "install") or "uses" in step:
                continue
            assert step["shell"] == "bash"
            only_apply = step.get("if") == "${{ inputs.command == 'apply' }}"  # summary's plan
            if only_apply and context["inputs.command"] != "apply":
                continue
            commenting = step["name"] == "Comment on the pull request"
            wanted = context["inputs.comment"] == "true"
            if commenting and not (wanted and context.get("steps.run.outputs.comment-file")):
                continue  # its `if:` (the event is a pull request here)
            env = {name: self.evaluate(str(v), context) for name, v in step["env"].items()}
            output = self.temp / f"output-{step.get('id', 'step')}"
            output.write_text("")
            script = self.temp / "step.sh"
            script.write_text(step["run"])
            cwd = self.workspace / self.evaluate(step.get("working-directory", "."), context)
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=cwd,
                env={
                    **self.env,
                    **env,
                    "GITHUB_ACTIONS": "true",
                    "GITHUB_ACTION_PATH": str(REPO),
                    "GITHUB_WORKSPACE": str(self.workspace),
                    "GITHUB_OUTPUT": str(output),
                    "GITHUB_EVENT_NAME": "pull_request",
                    "GITHUB_EVENT_PATH": str(self.event),
                    "GITHUB_REPOSITORY": "acme/settings",
                    "RUNNER_TEMP": str(self.temp),
                    "GITHUB_STEP_SUMMARY": str(self.summary),
                },
                capture_output=True,
                text=True,
                check=False,
            )
            if step.get("id") == "run":
                for name, value in read_github_output(output).items():
                    context[f"steps.run.outputs.{name}"] = value
                context["steps.run.exitcode"] = str(result.returncode)
            else:
                assert result.returncode == 0, result.stdout + result.stderr
        return {
            name: self.evaluate(spec["value"], context)
            for name, spec in self.action["outputs"].items()
        } | {"step-exit": context["steps.run.exitcode"]}


def test_a_pull_request_gets_one_plan_comment_that_later_runs_update(
    sandbox: Sandbox, workdir: Path, github_api: tuple[FakeGitHub, RunningServer]
) -> None:
    fake, server = github_api
    env = {**base_env(), **sandbox.env, "GITHUB_API_URL": server.url}
    runner = Runner(workdir, env)

    outputs = runner.use({"command": "plan"})
    assert outputs["step-exit"] == "0"
    assert (outputs["exitcode"], outputs["has-changes"], outputs["risk"]) == ("2", "true", "safe")
    assert (outputs["create"], outputs["update"]) == ("19", "4")
    [comment] = fake.comments
    assert comment["body"].startswith(MARKER + "\n### reconcile plan: 19 to create, 4 to update")
    assert set(fake.authorizations) == {"Bearer ghs_job-token"}

    runner.summary.write_text("")
    outputs = runner.use({"command": "apply", "comment": "false"})
    assert (outputs["step-exit"], outputs["exitcode"]) == ("0", "0")
    assert len(fake.comments) == 1  # apply does not comment when told not to
    # The job summary: the applied artifact as `reconcile show` verified it, then apply's report.
    summary = runner.summary.read_text(encoding="utf-8")
    shown, _, report = summary.partition(
        "<code>reconcile show</code>: checksum verified; not signed."
    )
    assert shown.startswith(MARKER + "\n### reconcile plan: 19 to create, 4 to update")
    assert report.lstrip("\n").startswith(
        "<!-- reconcile-apply -->\n### reconcile apply: applied and verified (exit 0)"
    )

    outputs = runner.use({"command": "plan"})
    assert (outputs["exitcode"], outputs["has-changes"]) == ("0", "false")
    [comment] = fake.comments  # the same comment, edited
    assert comment["id"] == 100
    assert "reconcile plan: no changes" in comment["body"]
