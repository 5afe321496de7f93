"""Where the CLI writes: diagnostics, notes and progress to stderr (results go to stdout), and
how an error is shown to a person (never a traceback unless ``--debug``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.errors import ConfigError, ReconcileError
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.escape import terminal, terminal_lines


def _color() -> bool | None:
    return False if os.environ.get("NO_COLOR") else None


def _err(message: str, *, fg: str | None = None, bold: bool = False) -> None:
    click.secho(message, err=True, fg=fg, bold=bold, color=_color())


def _report(error: ReconcileError) -> None:
    if isinstance(error, ConfigError):
        lines = _source_lines(error)
        for diagnostic in error.diagnostics:
            _err(format_diagnostic(diagnostic, lines.get(diagnostic.file)))
        files = sorted({d.file for d in error.diagnostics if d.file})
        where = f" in {', '.join(files)}" if files else ""
        head = terminal_lines(error.message.split(" in the")[0])
        _err(f"{head}{terminal(where)}", fg="red", bold=True)
    else:
        # Messages embed live names; the lines the tool broke stay, each one escaped.
        _err(f"error: {terminal_lines(error.message)}", fg="red", bold=True)
    if error.hint:
        _err(f"  hint: {terminal(error.hint)}")  # hints are one line: a break is data


def _source_lines(error: ConfigError) -> dict[str, list[str]]:
    """The text of each file the diagnostics point into, for the caret display."""
    from reconciler.hosts import mask_userinfo

    lines: dict[str, list[str]] = {}
    for file in {d.file for d in error.diagnostics if d.file and d.line > 0}:
        try:
            raw = Path(file).read_bytes()
            if len(raw) <= 1024 * 1024:
                text = raw.decode("utf-8-sig", errors="replace")
                lines[file] = mask_userinfo(text).splitlines()  # a URL's password never shows
        except OSError:
            continue
    return lines


def _status(message: str) -> None:
    """Progress on long work: to stderr, only when a person is watching."""
    if sys.stderr.isatty():
        _err(message, fg="cyan")
