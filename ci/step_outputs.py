"""What a CI step makes of a reconcile run besides its verdict: the step outputs
(``$GITHUB_OUTPUT``, GitLab's dotenv report), the counts from a saved plan, the Markdown of a
failure, and GitHub annotations for ``FILE:LINE:COL`` diagnostics. Standard library only
(``run_reconcile.py`` imports it from beside itself).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from run_reconcile import Completed

COUNTS = ("create", "update", "delete", "deactivate", "no-op")
STDERR_LIMIT = 20_000
DIAGNOSTIC = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): "
    r"(?P<message>.*)$"
)


def plan_outputs(plan: Mapping[str, Any] | None) -> dict[str, str]:
    """``has-changes``, ``risk`` and the counts from a plan's JSON; empty strings without one."""
    if plan is None:
        return {"has-changes": "", "risk": "", **dict.fromkeys(COUNTS, "")}
    summary = plan.get("summary") or {}
    counts = {name: int(summary.get(name.replace("-", "_"), 0)) for name in COUNTS}
    pending = sum(counts[name] for name in COUNTS if name != "no-op")
    return {
        "has-changes": "true" if pending else "false",
        "risk": str(plan.get("risk", "")),
        **{name: str(value) for name, value in counts.items()},
    }


def _fenced(text: str, limit: int = STDERR_LIMIT) -> str:
    text = text.strip("\n")
    if len(text) > limit:
        text = "…\n" + text[-limit:]
    # A fence longer than any run of backticks in the text: no line of it can close the block.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def failure_body(marker: str, title: str, completed: Completed | None, message: str = "") -> str:
    lines = [marker, f"### {title}", ""]
    if message:
        lines.extend([message, ""])
    if completed is not None:
        output = completed.stderr.strip() or completed.stdout.strip()
        if output:
            lines.extend([_fenced(output), ""])
    return "\n".join(lines)


def github_annotations(stderr: str, *, cwd: Path, workspace: Path | None, title: str) -> list[str]:
    """GitHub workflow commands for every ``FILE:LINE:COL: error|warning:`` line."""
    found: list[str] = []
    for line in stderr.splitlines():
        match = DIAGNOSTIC.match(line)
        if not match:
            continue
        path = (cwd / match["file"]).resolve()
        if workspace is not None and path.is_relative_to(workspace.resolve()):
            path = path.relative_to(workspace.resolve())
        message = match["message"].replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        found.append(
            f"::{match['severity']} file={path},line={match['line']},col={match['col']},"
            f"title={title}::{message}"
        )
    return found


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append ``name=value`` lines to a ``$GITHUB_OUTPUT`` file (heredoc form for multi-line)."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            if "\n" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{name}={value}\n")


DOTENV_OUTPUTS = ("exitcode", "failed", "has-changes", "risk", *COUNTS)


def write_dotenv(path: Path, outputs: Mapping[str, str]) -> None:
    """``RECONCILE_HAS_CHANGES=true`` lines for a GitLab ``artifacts:reports:dotenv`` file.

    GitLab's dotenv parser takes no empty lines or values, at most 20 variables, and the paths
    mean nothing in a later job: only the non-empty :data:`DOTENV_OUTPUTS` are written.
    """
    lines = [
        f"RECONCILE_{name.upper().replace('-', '_')}={outputs[name]}"
        for name in DOTENV_OUTPUTS
        if outputs.get(name)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
