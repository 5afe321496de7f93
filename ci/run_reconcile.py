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
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from command_steps import COMMAND_RUNS, Step, annotations, step_outputs
from reconcile_process import Completed, Runner, tee_run
from step_outputs import COUNTS, _fenced, write_dotenv, write_outputs

__all__ = [  # what importers use (the tests), some of it defined in the modules beside this one
    "COUNTS",
    "Completed",
    "Runner",
    "_fenced",
    "clean_environment",
    "main",
    "parse_args",
    "run",
    "step_fails",
    "tee_run",
    "write_dotenv",
    "write_outputs",
]

COMMANDS = ("validate", "plan", "apply", "drift")
FAIL_ON = ("error", "destructive", "changes")
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
    step = Step(
        base=base,
        file=file,
        plan_file=plan_file,
        plan_path=plan_path,
        extra=list(extra_args),
        environ=environ,
        cwd=cwd,
        runner=runner,
        artifact=artifact,
        auto_approve=auto_approve,
    )
    ran = COMMAND_RUNS[command](step)
    completed, plan = ran.completed, ran.plan
    exitcode = completed.exitcode if completed is not None else 1
    failed = step_fails(command, exitcode, fail_on)
    outputs = step_outputs(
        command, exitcode, failed=failed, plan=plan, step=step, completed=completed
    )
    return Result(
        command=command,
        exitcode=exitcode,
        failed=failed,
        outputs=outputs,
        body=ran.body,
        annotations=annotations(
            command, completed, exitcode=exitcode, failed=failed, fail_on=fail_on, step=step
        ),
        summary=ran.summary,
    )


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
