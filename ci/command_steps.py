"""How each command of a CI step runs reconcile and what it makes of the result: the argv, the
Markdown body (the plan's own view, or a failure report carrying the same marker), the step
outputs and the GitHub annotations. ``run_reconcile.run`` picks one by the command.
Standard library only (and ``plan_comment`` beside it).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plan_comment import artifact_name, plan_bodies
from reconcile_process import Completed, Runner
from step_outputs import COUNTS, _fenced, failure_body, github_annotations, plan_outputs

PLAN_MARKER = "<!-- reconcile-plan -->"
DRIFT_MARKER = "<!-- reconcile-drift -->"
APPLY_MARKER = "<!-- reconcile-apply -->"
# Optional or secret variables a CI system sets to "" when the secret/variable is not defined.
# Empty, they would defeat `${env:NAME:-default}` and fail later with a less helpful message.
APPLY_MEANING = {
    0: "applied and verified",
    1: "error before any write",
    3: "refused before any write (stale plan, threshold without --force, hourly budget, or "
    "another apply holds the lock)",
    4: "partial: some writes were made (see the journal); re-running converges",
}


def _read_plan(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "format_version" in data else None


@dataclass(frozen=True)
class Step:
    """What one CI step runs reconcile with."""

    base: list[str]
    file: str
    plan_file: str
    plan_path: Path
    extra: list[str]
    environ: Mapping[str, str]
    cwd: Path
    runner: Runner
    artifact: str
    auto_approve: bool

    def reconcile(self, *args: str) -> Completed:
        return self.runner([*self.base, *args, *self.extra], self.environ, self.cwd)


@dataclass(frozen=True)
class Ran:
    """What running the command gave: the process (None: not run), the saved plan, the body."""

    completed: Completed | None
    plan: dict[str, Any] | None
    body: str | None
    summary: str | None = None


def _run_validate(step: Step) -> Ran:
    completed = step.reconcile("validate", step.file)
    body = (
        None
        if completed.exitcode == 0
        else failure_body(
            PLAN_MARKER,
            f"reconcile validate: `{step.file}` is not valid (exit {completed.exitcode})",
            completed,
        )
    )
    return Ran(completed, None, body)


def _run_plan(step: Step) -> Ran:
    step.plan_path.unlink(missing_ok=True)  # never report a previous run's plan
    completed = step.reconcile(
        "plan", step.file, "--out", step.plan_file, "--format", "markdown", "--detailed-exitcode"
    )
    plan = _read_plan(step.plan_path)
    if not (completed.exitcode in (0, 2, 3) and completed.stdout.strip()):
        body = failure_body(
            PLAN_MARKER, f"reconcile plan: failed (exit {completed.exitcode})", completed
        )
        return Ran(completed, plan, body)
    name = artifact_name(step.environ, "plan", step.artifact)
    bodies = (
        plan_bodies(plan, plan_file=step.plan_file, env=step.environ, artifact=name)
        if plan is not None
        else None
    )
    if bodies is None:
        return Ran(completed, plan, completed.stdout)
    # a comment that fits this forge; the full plan for the summary
    return Ran(completed, plan, bodies.comment, bodies.summary)


def _run_drift(step: Step) -> Ran:
    completed = step.reconcile("drift", step.file, "--format", "markdown")
    if completed.exitcode in (0, 2) and completed.stdout.strip():
        return Ran(completed, None, completed.stdout)
    body = failure_body(
        DRIFT_MARKER, f"reconcile drift: failed (exit {completed.exitcode})", completed
    )
    return Ran(completed, None, body)


def _run_apply(step: Step) -> Ran:
    completed, plan, body = _apply(
        step.base,
        file=step.file,
        plan_file=step.plan_file,
        plan_path=step.plan_path,
        auto_approve=step.auto_approve,
        extra=step.extra,
        environ=step.environ,
        cwd=step.cwd,
        runner=step.runner,
    )
    return Ran(completed, plan, body)


COMMAND_RUNS: dict[str, Callable[[Step], Ran]] = {
    "validate": _run_validate,
    "plan": _run_plan,
    "drift": _run_drift,
    "apply": _run_apply,
}


def step_outputs(
    command: str,
    exitcode: int,
    *,
    failed: bool,
    plan: dict[str, Any] | None,
    step: Step,
    completed: Completed | None,
) -> dict[str, str]:
    """The step outputs (see ``run_reconcile``'s docstring)."""
    outputs = {
        "exitcode": str(exitcode),
        "failed": "true" if failed else "false",
        **plan_outputs(plan),
    }
    if command == "validate":
        outputs.update({"has-changes": "false", **dict.fromkeys(COUNTS, "0")})
    elif command == "drift":
        outputs["has-changes"] = "true" if exitcode == 2 else "false" if exitcode == 0 else ""
    elif command == "plan" and plan is None and exitcode in (0, 2, 3):
        outputs["has-changes"] = "false" if exitcode == 0 else "true"
    artifacts: list[Path] = []
    if command in ("plan", "apply"):
        artifacts = [p for p in (step.plan_path, _journal(step.plan_path)) if p.is_file()]
    if command == "apply":
        artifacts.extend(p for p in _new_journals(step.cwd, completed) if p not in artifacts)
    outputs["plan-file"] = str(step.plan_path) if plan is not None else ""
    outputs["artifact-paths"] = "\n".join(str(p) for p in artifacts)
    outputs["comment-file"] = ""
    return outputs


def annotations(
    command: str,
    completed: Completed | None,
    *,
    exitcode: int,
    failed: bool,
    fail_on: str,
    step: Step,
) -> list[str]:
    found: list[str] = []
    title = f"reconcile {command}"
    if completed is not None and command != "apply":
        workspace = step.environ.get("GITHUB_WORKSPACE")
        found = github_annotations(
            completed.stderr,
            cwd=step.cwd,
            workspace=Path(workspace) if workspace else None,
            title=title,
        )
    if failed and command in ("plan", "drift") and exitcode in (2, 3):
        what = (
            "drift" if command == "drift" else "changes" if exitcode == 2 else "destructive changes"
        )
        found.append(f"::error title={title}::exit {exitcode}: {what}, and fail-on is {fail_on}")
    elif failed and not any(line.startswith("::error") for line in found):
        found.append(f"::error title={title}::{_headline(completed)}")
    return found


def _headline(completed: Completed | None) -> str:
    """The line that says what went wrong, for a one-line annotation."""
    if completed is None:
        return "reconcile did not run"
    lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith("error")), lines[-1] if lines else "")
    text = f"exit {completed.exitcode}" + (f": {chosen}" if chosen else "")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _journal(plan_path: Path) -> Path:
    return plan_path.with_name(plan_path.name + ".journal.jsonl")


def _new_journals(cwd: Path, completed: Completed | None) -> list[Path]:
    """``apply FILE`` journals to ``.reconcile/journal-<stamp>.jsonl``; it names it on stderr."""
    if completed is None:
        return []
    found: list[Path] = []
    for match in re.finditer(r"^Journal: (.+)$", completed.stderr, flags=re.MULTILINE):
        path = cwd / match[1].strip()
        if path.is_file() and path not in found:
            found.append(path)
    return found


def _apply(
    base: list[str],
    *,
    file: str,
    plan_file: str,
    plan_path: Path,
    auto_approve: bool,
    extra: list[str],
    environ: Mapping[str, str],
    cwd: Path,
    runner: Runner,
) -> tuple[Completed | None, dict[str, Any] | None, str]:
    plan = _read_plan(plan_path)
    if plan is not None:
        completed = runner([*base, "apply", plan_file, *extra], environ, cwd)
        source = f"`{plan_file}`"
    elif plan_path.exists():
        message = f"{plan_file} is not a saved plan of reconcile (no format_version)"
        sys.stderr.write(f"error: {message}\n")
        return None, None, failure_body(APPLY_MARKER, "reconcile apply: not run", None, message)
    elif auto_approve:
        completed = runner([*base, "apply", file, "--auto-approve", *extra], environ, cwd)
        source = f"`{file}` (planned and applied in one step)"
    else:
        message = (
            f"{plan_file} does not exist. Apply a reviewed plan (download the plan artifact "
            f"first), or set auto-approve to plan and apply {file} in one step."
        )
        sys.stderr.write(f"error: {message}\n")
        return None, None, failure_body(APPLY_MARKER, "reconcile apply: not run", None, message)
    code = completed.exitcode
    meaning = APPLY_MEANING.get(code, "failed")
    lines = [
        APPLY_MARKER,
        f"### reconcile apply: {meaning} (exit {code})",
        "",
        f"Source: {source}.",
    ]
    if completed.stdout.strip():
        lines.extend(["", _fenced(completed.stdout)])
    if code != 0 and completed.stderr.strip():
        lines.extend(["", _fenced(completed.stderr)])
    return completed, plan, "\n".join(lines) + "\n"
