"""How the operations commands show things: JSON, aligned tables of live data (every cell
escaped), an operation's view, the confirmation, a job's progress on stderr."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.output import _err
from reconciler.errors import EXIT_ERROR, UsageError
from reconciler.render.escape import terminal

if TYPE_CHECKING:
    from rich.status import Status

    from reconciler.psa.base import OperationView, Table
    from reconciler.salesbuildr.client import Job

output_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table; json: one JSON document.",
)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> str:
    """A plain aligned table (two spaces between columns, numbers right-aligned).

    Every cell is live data: each goes through :func:`terminal`, so none holds a control
    sequence or a line break."""
    header = [terminal(h) for h in header]
    rows = [[terminal(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def _show_blocks(blocks: Sequence[str | Table]) -> None:
    """An operation's text view: its lines as they are (escaped where they were built), its
    tables through :func:`_table`."""
    for block in blocks:
        if isinstance(block, str):
            click.echo(block)
        else:
            click.echo(_table(block.header, block.rows, right=block.right))


def _show_view(view: OperationView, fmt: str) -> None:
    if fmt == "json":
        _echo_json(view.data)
    else:
        _show_blocks(view.blocks)


def _words(key: str) -> str:
    """``fieldValues`` -> ``field values``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in key).strip()


def _confirm(question: str, auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing without confirmation: no terminal to ask on",
            hint="review what will be done and pass --auto-approve",
        )
    if not click.confirm(question, default=False):
        _err("Nothing was changed.")
        sys.exit(EXIT_ERROR)


class _JobProgress:
    """A job's status on stderr: a spinner on a terminal, else one line per status change."""

    def __init__(self, title: str):
        self.title = title
        self.last: str | None = None
        self.started = time.monotonic()
        self._status: Status | None = None

    def __enter__(self) -> _JobProgress:
        if sys.stderr.isatty():
            from rich.console import Console  # only on a terminal

            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
            self._status = console.status(f"{self.title}: starting")
            self._status.start()
        return self

    def __call__(self, job: Job) -> None:
        from rich.markup import escape as rich_escape

        elapsed = time.monotonic() - self.started
        status, job_id = terminal(job.status), terminal(job.id)
        if self._status is not None:
            shown = rich_escape(f"{self.title}: {status} ({elapsed:.0f} s, job {job_id})")
            self._status.update(shown)
        elif job.status != self.last:
            _err(f"{self.title}: {status} ({elapsed:.1f} s, job {job_id})")
        self.last = job.status

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
