"""The `reconcile` command line: parse, wire, render, map errors to exit codes.

The only module that prints or exits. Results go to stdout; diagnostics, progress and logs to
stderr. A user mistake never shows a traceback (``--debug`` does).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.config import load_config
from reconciler.config.env import run_environment
from reconciler.errors import EXIT_ERROR, ConfigError, ReconcileError
from reconciler.render.diagnostics import format_diagnostic
from reconciler.schema import mappings_schema_text

DEFAULT_FILE = "mappings.yaml"


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
        _err(f"{error.message.split(' in the')[0]}{where}", fg="red", bold=True)
    else:
        _err(f"error: {error.message}", fg="red", bold=True)
    if error.hint:
        _err(f"  hint: {error.hint}")


def _source_lines(error: ConfigError) -> dict[str, list[str]]:
    """The text of each file the diagnostics point into, for the caret display."""
    lines: dict[str, list[str]] = {}
    for file in {d.file for d in error.diagnostics if d.file and d.line > 0}:
        try:
            raw = Path(file).read_bytes()
            if len(raw) <= 1024 * 1024:
                lines[file] = raw.decode("utf-8", errors="replace").splitlines()
        except OSError:
            continue
    return lines


class _UsageError(click.UsageError):
    """A click usage error with exit code 1 (2 means "changes" in CLI.md's exit codes)."""

    exit_code = EXIT_ERROR


class ReconcileGroup(click.Group):
    """Maps errors to exit codes for every command: no traceback unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcileError as error:
            if _debug(ctx):
                traceback.print_exc()
            _report(error)
            ctx.exit(error.exit_code)
        except click.UsageError as error:
            # Terraform-compatible codes: 2 means "changes", so bad usage is 1.
            raise _UsageError(error.message, error.ctx) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _err("interrupted", fg="red")
            ctx.exit(130)
        except Exception as error:
            if _debug(ctx):
                raise
            _err(f"internal error: {type(error).__name__}: {error}", fg="red", bold=True)
            _err("  hint: this is a bug in reconcile; run with --debug for the traceback")
            ctx.exit(EXIT_ERROR)


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


@click.group(
    cls=ReconcileGroup,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "RECONCILE"},
)
@click.option("-v", "--verbose", count=True, help="-v: one log line per API request; -vv: more.")
@click.option("--debug", is_flag=True, help="Show a traceback for every error.")
@click.version_option(__version__, prog_name="reconcile")
def cli(verbose: int, debug: bool) -> None:
    """Salesbuildr <-> Autotask integration settings as code.

    Keep the settings of the seven Admin > Integrations > Autotask pages in one YAML file
    (mappings.yaml) and reconcile the live systems with it, like terraform plan/apply.

    \b
    Start here:
      reconcile sandbox                 local simulators of both APIs (prints export lines)
      reconcile validate mappings.yaml  check the file offline
    """
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2 or debug:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("reconciler")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


file_argument = click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)


@cli.command()
@file_argument
def validate(file: Path) -> None:
    """Check FILE offline: YAML syntax, schema, rules and ${env:NAME} references.

    Makes no network call. Reports every problem at once as FILE:LINE:COL with a hint, and exits
    1 when there is any; exits 0 with a one-line summary when the file is valid.
    """
    loaded = load_config(file, environ=run_environment())
    lines = loaded.source.text.splitlines()
    for warning in loaded.warnings:
        _err(format_diagnostic(warning, lines), fg="yellow")
    config = loaded.config
    sections = config.present_sections()
    webhooks = len(config.webhooks or {})
    summary = f"{file}: valid, {len(sections)} section(s) managed"
    if sections:
        summary += f" ({', '.join(sections)})"
    if webhooks:
        summary += f", {webhooks} webhook(s)"
    if loaded.warnings:
        summary += f", {len(loaded.warnings)} warning(s)"
    click.echo(summary)


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file instead of stdout.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of mappings.yaml (for editors: yaml-language-server)."""
    text = mappings_schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    _err(f"wrote {out}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconcile")


if __name__ == "__main__":  # pragma: no cover
    main()
