"""Run one ``reconcile`` command for a CI job and turn its result into step outputs.

What the GitHub Action (``action.yml``) and the GitLab example run; usable from any CI::

    python ci/run_reconcile.py --command plan --file mappings.yaml --plan-file plan.json

It runs ``reconcile`` (the one installed beside this interpreter), echoing its output to the log,
and then:

* decides whether the CI step fails (:func:`step_fails`, the table in ``ci/README.md``): a plan
  with changes is a *successful* check unless ``--fail-on`` says otherwise; an error always fails;
  an apply fails on any code but 0;
* writes the outputs ``exitcode``, ``failed``, ``has-changes``, ``risk``, ``create``, ``update``,
  ``delete``, ``deactivate``, ``no-op``, ``plan-file``, ``comment-file`` and ``artifact-paths`` to
  ``$GITHUB_OUTPUT`` (when set), to ``--dotenv`` as ``RECONCILE_*`` variables (GitLab's dotenv
  report), and prints them;
* writes the Markdown body for a sticky comment to ``--comment-file`` (the plan's own Markdown
  view, or an error report carrying the same marker) and appends it to ``$GITHUB_STEP_SUMMARY``;
  a plan too long for one comment is summarised per section there, and the job summary gets the
  full plan instead (``plan_comment.py``);
* turns ``FILE:LINE:COL: error: ...`` diagnostics into GitHub annotations on the changed file.

The outputs, the failure body and the annotations are made in ``step_outputs.py``.

Standard library only, and the reconcile installed beside it for the plan's Markdown view
(``plan_comment.py``): it runs wherever ``pip install`` of this repository ran.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from plan_comment import artifact_name, plan_bodies
from step_outputs import (
    COUNTS,
    _fenced,
    failure_body,
    github_annotations,
    plan_outputs,
    write_dotenv,
    write_outputs,
)

COMMANDS = ("validate", "plan", "apply", "drift")
FAIL_ON = ("error", "destructive", "changes")
PLAN_MARKER = "<!-- reconcile-plan -->"
DRIFT_MARKER = "<!-- reconcile-drift -->"
APPLY_MARKER = "<!-- reconcile-apply -->"
# Optional or secret variables a CI system sets to "" when the secret/variable is not defined.
# Empty, they would defeat `${env:NAME:-default}` and fail later with a less helpful message.
CI_VARIABLES = (
    "AUTOTASK_API_URL",
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
    "RECONCILE_PLAN_SIGNING_KEY",
)
SIGNING_KEY = "RECONCILE_PLAN_SIGNING_KEY"
SIGNING_KEY_INPUT = "INPUT_PLAN_SIGNING_KEY"
"""The Action's ``plan-signing-key`` input: a secret, so it travels in the environment (never in
an argument list, which other processes can read); reconcile reads it as :data:`SIGNING_KEY`."""
APPLY_MEANING = {
    0: "applied and verified",
    1: "error before any write",
    3: "refused before any write (stale plan, threshold without --force, hourly budget, or "
    "another apply holds the lock)",
    4: "partial: some writes were made (see the journal); re-running converges",
}


def step_fails(command: str, exitcode: int, fail_on: str = "error") -> bool:
    """Whether the CI step fails for ``reconcile COMMAND`` exiting ``exitcode``.

    ``plan --detailed-exitcode``: 0 no changes, 2 safe changes, 3 destructive or blocked; ``drift``:
    2 drift present. Those are results, not failures, unless ``fail_on`` is ``destructive`` (3
    fails) or ``changes`` (2 and 3 fail). ``validate`` and ``apply`` fail on anything but 0 (apply:
    1 error, 3 refused, 4 partial). Any other code (1, a signal) always fails.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if exitcode == 0:
        return False
    if command == "plan" and exitcode in (2, 3):
        return fail_on == "changes" or (exitcode == 3 and fail_on == "destructive")
    if command == "drift" and exitcode == 2:
        return fail_on == "changes"
    return True


@dataclass
class Completed:
    """What one ``reconcile`` process did."""

    argv: list[str]
    exitcode: int
    stdout: str
    stderr: str


Runner = Callable[[list[str], Mapping[str, str], Path], Completed]


def _pump(source: IO[str], sink: IO[str], into: list[str]) -> None:
    for line in source:
        into.append(line)
        sink.write(line)
        sink.flush()


def tee_run(argv: list[str], env: Mapping[str, str], cwd: Path) -> Completed:
    """Run ``argv``; its stdout and stderr reach the log as they come and are kept."""
    out: list[str] = []
    err: list[str] = []
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        threads = [
            threading.Thread(target=_pump, args=(process.stdout, sys.stdout, out)),
            threading.Thread(target=_pump, args=(process.stderr, sys.stderr, err)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        code = process.wait()
    return Completed(argv=argv, exitcode=code, stdout="".join(out), stderr="".join(err))


@dataclass
class Result:
    """The outcome of :func:`run`: the step's verdict, its outputs and its comment body."""

    command: str
    exitcode: int
    failed: bool
    outputs: dict[str, str]
    body: str | None
    annotations: list[str] = field(default_factory=list)
    summary: str | None = None
    """The job summary's Markdown when it is not the comment (a plan too long for a comment)."""


def clean_environment(env: Mapping[str, str], log: IO[str]) -> dict[str, str]:
    """The environment for reconcile: the ``plan-signing-key`` input, when given, becomes
    :data:`SIGNING_KEY`; :data:`CI_VARIABLES` that are set but empty are removed."""
    cleaned = dict(env)
    key_input = cleaned.pop(SIGNING_KEY_INPUT, "")
    if key_input.strip():
        cleaned[SIGNING_KEY] = key_input
    for name in CI_VARIABLES:
        if name in cleaned and not cleaned[name].strip():
            del cleaned[name]
            log.write(
                f"note: {name} is set but empty (a secret or variable that is not defined?); "
                "treated as unset\n"
            )
    return cleaned


def _read_plan(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "format_version" in data else None


def run(
    command: str,
    *,
    file: str = "mappings.yaml",
    plan_file: str = "plan.json",
    fail_on: str = "error",
    auto_approve: bool = False,
    extra_args: Sequence[str] = (),
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    reconcile: Sequence[str] | None = None,
    runner: Runner = tee_run,
    log: IO[str] | None = None,
    artifact: str = "",
) -> Result:
    """Run ``reconcile COMMAND`` the way a CI step does; see the module docstring."""
    if command not in COMMANDS:
        raise ValueError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
    step_fails(command, 0, fail_on)  # validates fail_on
    log = log or sys.stderr
    cwd = (cwd or Path.cwd()).resolve()
    environ = clean_environment(os.environ if env is None else env, log)
    base = list(reconcile or [sys.executable, "-m", "reconciler"])
    plan_path = cwd / plan_file
    extra = list(extra_args)
    completed: Completed | None = None
    plan: dict[str, Any] | None = None
    body: str | None
    summary: str | None = None
    if command == "validate":
        completed = runner([*base, "validate", file, *extra], environ, cwd)
        body = (
            None
            if completed.exitcode == 0
            else failure_body(
                PLAN_MARKER,
                f"reconcile validate: `{file}` is not valid (exit {completed.exitcode})",
                completed,
            )
        )
    elif command == "plan":
        plan_path.unlink(missing_ok=True)  # never report a previous run's plan
        argv = [*base, "plan", file, "--out", plan_file, "--format", "markdown"]
        completed = runner([*argv, "--detailed-exitcode", *extra], environ, cwd)
        plan = _read_plan(plan_path)
        if completed.exitcode in (0, 2, 3) and completed.stdout.strip():
            body = completed.stdout
            name = artifact_name(environ, command, artifact)
            bodies = (
                plan_bodies(plan, plan_file=plan_file, env=environ, artifact=name)
                if plan is not None
                else None
            )
            if bodies is not None:  # a comment that fits this forge; the full plan for the summary
                body, summary = bodies.comment, bodies.summary
        else:
            body = failure_body(
                PLAN_MARKER, f"reconcile plan: failed (exit {completed.exitcode})", completed
            )
    elif command == "drift":
        completed = runner([*base, "drift", file, "--format", "markdown", *extra], environ, cwd)
        if completed.exitcode in (0, 2) and completed.stdout.strip():
            body = completed.stdout
        else:
            body = failure_body(
                DRIFT_MARKER, f"reconcile drift: failed (exit {completed.exitcode})", completed
            )
    else:
        completed, plan, body = _apply(
            base,
            file=file,
            plan_file=plan_file,
            plan_path=plan_path,
            auto_approve=auto_approve,
            extra=extra,
            environ=environ,
            cwd=cwd,
            runner=runner,
        )
    exitcode = completed.exitcode if completed is not None else 1
    failed = step_fails(command, exitcode, fail_on)
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
        artifacts = [p for p in (plan_path, _journal(plan_path)) if p.is_file()]
    if command == "apply":
        artifacts.extend(p for p in _new_journals(cwd, completed) if p not in artifacts)
    outputs["plan-file"] = str(plan_path) if plan is not None else ""
    outputs["artifact-paths"] = "\n".join(str(p) for p in artifacts)
    outputs["comment-file"] = ""
    found: list[str] = []
    title = f"reconcile {command}"
    if completed is not None and command != "apply":
        workspace = environ.get("GITHUB_WORKSPACE")
        found = github_annotations(
            completed.stderr, cwd=cwd, workspace=Path(workspace) if workspace else None, title=title
        )
    if failed and command in ("plan", "drift") and exitcode in (2, 3):
        what = (
            "drift" if command == "drift" else "changes" if exitcode == 2 else "destructive changes"
        )
        found.append(f"::error title={title}::exit {exitcode}: {what}, and fail-on is {fail_on}")
    elif failed and not any(line.startswith("::error") for line in found):
        found.append(f"::error title={title}::{_headline(completed)}")
    return Result(
        command=command,
        exitcode=exitcode,
        failed=failed,
        outputs=outputs,
        body=body,
        annotations=found,
        summary=summary,
    )


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


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_reconcile.py",
        description="Run reconcile for a CI step: outputs, comment body, exit-code mapping.",
    )
    parser.add_argument("--command", choices=COMMANDS, default="plan")
    parser.add_argument("--file", default="mappings.yaml", help="the mappings YAML")
    parser.add_argument("--plan-file", default="plan.json", help="saved plan (written/applied)")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="error: only errors fail the step (default); destructive: also a destructive or "
        "blocked plan; changes: also any change or drift",
    )
    parser.add_argument(
        "--auto-approve",
        type=_flag,
        default=False,
        help="apply: without a saved plan, plan and apply FILE in one step",
    )
    parser.add_argument("--args", default="", help="extra reconcile arguments (shell words)")
    parser.add_argument("--comment-file", type=Path, help="write the Markdown body here")
    parser.add_argument("--dotenv", type=Path, help="also write the outputs as RECONCILE_* lines")
    parser.add_argument(
        "--artifact-name",
        default="",
        help="the name the plan is uploaded under, for a comment too long to hold it (default: "
        "$INPUT_ARTIFACT_NAME, else reconcile-COMMAND on GitHub Actions)",
    )
    parser.add_argument(
        "--reconcile",
        default="",
        help="how to run reconcile (default: this interpreter's `-m reconciler`)",
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    runner: Runner = tee_run,
) -> int:
    """Run, report, and return the step's exit status (0, or reconcile's code when it fails)."""
    options = parse_args(argv)
    environ = os.environ if env is None else env
    result = run(
        options.command,
        file=options.file,
        plan_file=options.plan_file,
        fail_on=options.fail_on,
        auto_approve=options.auto_approve,
        extra_args=shlex.split(options.args),
        env=environ,
        reconcile=shlex.split(options.reconcile) or None,
        runner=runner,
        artifact=options.artifact_name,
    )
    outputs = dict(result.outputs)
    if result.body is not None:
        if options.comment_file is not None:
            comment = options.comment_file.resolve()
            comment.parent.mkdir(parents=True, exist_ok=True)
        else:  # a fresh file: one job may run the action more than once
            descriptor, name = tempfile.mkstemp(
                prefix=f"reconcile-{options.command}-",
                suffix=".md",
                dir=environ.get("RUNNER_TEMP") or None,
            )
            os.close(descriptor)
            comment = Path(name)
        comment.write_text(result.body, encoding="utf-8")
        outputs["comment-file"] = str(comment)
        summary = environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write((result.summary or result.body).rstrip("\n") + "\n\n")
    if environ.get("GITHUB_ACTIONS") == "true":
        for line in result.annotations:
            print(line)
    if environ.get("GITHUB_OUTPUT"):
        write_outputs(Path(environ["GITHUB_OUTPUT"]), outputs)
    if options.dotenv is not None:
        write_dotenv(options.dotenv, outputs)
    print(f"reconcile {options.command}: exit {result.exitcode}", end="")
    print(" (the step fails)" if result.failed else " (the step passes)")
    for name, value in outputs.items():
        print(f"  {name}: {value.replace(chr(10), ', ')}")
    sys.stdout.flush()
    if not result.failed:
        return 0
    return result.exitcode if 0 < result.exitcode < 256 else 1


if __name__ == "__main__":
    sys.exit(main())
