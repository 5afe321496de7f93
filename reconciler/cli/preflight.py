"""``reconcile preflight [FILE]``: whether the credentials can read and write what FILE manages.

Renders :func:`reconciler.preflight.run_preflight`; exit 0 when everything checkable is allowed,
1 otherwise (a denied permission, or an error).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.group import cli
from reconciler.cli.options import file_argument
from reconciler.cli.output import _err, _status
from reconciler.errors import EXIT_ERROR

# Start-up: `reconcile --help` imports this module; the command imports the clients when it runs.
if TYPE_CHECKING:
    from reconciler.preflight import PreflightReport


def _printable(text: str) -> str:
    """Control characters (from a server's message) never reach the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def render_report(report: PreflightReport) -> str:
    from reconciler.preflight import DENIED_STATUS, summary

    width = max((len(c.target) for c in report.checks), default=0)
    lines = []
    for check in report.checks:
        needed = ", ".join(check.needed)
        line = f"{check.system:<11} {check.target:<{width}}  {check.status:<13} needs {needed}"
        if check.note:
            line += f"; {check.note}"
        lines.append(_printable(line))
    counts = summary(report)
    verdict = "every checkable permission is granted" if report.ok else "permissions are missing"
    lines.append(
        f"Preflight: {counts['ok']} ok, {counts[DENIED_STATUS]} denied, "
        f"{counts['not checkable']} not checkable: {verdict}."
    )
    return "\n".join(lines) + "\n"


@cli.command()
@file_argument
def preflight(file: Path) -> None:
    """Check the credentials' access to what FILE manages.

    Whether they may read and write it; makes no write.
    One line per PSA entity (Autotask: the API user's userAccessFor* in entityInformation) and per
    Salesbuildr settings document (read; its write permission cannot be checked: the contract
    has no endpoint for it). Exit 0 when everything checkable is allowed, 1 otherwise.
    """
    from reconciler import session
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.preflight import run_preflight

    environ = run_environment()
    loaded = load_config(file, environ=environ)
    sections = loaded.config.present_sections()
    _status(f"Checking access for {len(sections)} section(s) of {file} ...")
    with session.connect(loaded, environ, sections=sections) as connections:
        report = run_preflight(loaded, connections)
    click.echo(render_report(report), nl=False)
    if not report.ok:
        _err("  hint: grant the denied permissions to the API user, then run preflight again")
        sys.exit(EXIT_ERROR)
