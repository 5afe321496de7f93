"""The `reconcile` command line: parse, wire, render, map errors to exit codes.

The only module that prints or exits. Results go to stdout; diagnostics, progress and logs to
stderr. A user mistake never shows a traceback (``--debug`` does).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import click

from reconciler import __version__, session
from reconciler.config import load_config
from reconciler.config.env import run_environment
from reconciler.errors import EXIT_ERROR, ConfigError, ReconcileError, UsageError
from reconciler.plan import Plan, Risk
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.json import render_json
from reconciler.render.text import render_plan
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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            # The group's own options (`reconcile --bogus`) fail here, before invoke: 1, not 2.
            # click types exit_code as a ClassVar, but main() reads it from the instance.
            error.exit_code = EXIT_ERROR  # type: ignore[misc]
            raise

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


def _status(message: str) -> None:
    """Progress on long work: to stderr, only when a person is watching."""
    if sys.stderr.isatty():
        _err(message, fg="cyan")


def _plan_exit_code(plan: Plan) -> int:
    if not plan.has_changes:
        return 0
    return 3 if plan.risk in (Risk.DESTRUCTIVE, Risk.BLOCKED) else 2


def _render(plan: Plan, fmt: str) -> str:
    data = plan.to_dict()
    if fmt == "json":
        return render_json(data)
    return render_plan(data)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to show the plan.",
)


@cli.command()
@file_argument
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan (JSON) for `reconcile apply PLAN`.",
)
@format_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 no changes, 2 safe changes, 3 destructive or blocked changes (1 error).",
)
@click.option(
    "--rotate-secrets", is_flag=True, help="Re-send every managed secret (they are write-only)."
)
def plan(
    file: Path, out: Path | None, fmt: str, detailed_exitcode: bool, rotate_secrets: bool
) -> None:
    """Read live state and show what apply would change to make it match FILE.

    Reads only the sections FILE contains, each collection with one bulk request. Makes no
    writes. Names that do not resolve are reported with FILE:LINE:COL and the closest valid names.
    """
    environ = run_environment()
    loaded = load_config(file, environ=environ)
    sections = loaded.config.present_sections()
    _status(f"Reading live state for {len(sections)} section(s) of {file} ...")
    with session.connect(loaded, environ, sections=sections) as connections:
        run = session.make_plan(loaded, connections, rotate_secrets=rotate_secrets)
    for warning in run.warnings:
        _err(format_diagnostic(warning), fg="yellow")
    result = run.plan
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_json(result.to_dict()), encoding="utf-8")
        _err(f"Saved the plan to {out}. Apply exactly it with: reconcile apply {out}")
    click.echo(_render(result, fmt), nl=False)
    if detailed_exitcode:
        sys.exit(_plan_exit_code(result))


@cli.command()
@click.option(
    "--seed",
    type=click.Choice(["empty", "demo", "large"]),
    default="demo",
    show_default=True,
    help="empty: reference data only; demo: partly configured by hand; large: at scale.",
)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added per request.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND:RATE",
    help="Inject faults: 429, 500, 503, timeout or reset-after-commit, at a rate in 0..1.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the export lines to this file (complete before 'sandbox ready').",
)
@click.option("--port-autotask", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@click.option(
    "--port-salesbuildr", type=click.IntRange(0, 65535), default=0, help="0: a free port."
)
def sandbox(
    seed: str,
    latency_ms: float,
    faults: tuple[str, ...],
    env_file: Path | None,
    port_autotask: int,
    port_salesbuildr: int,
) -> None:
    """Start local simulators of the Autotask and Salesbuildr APIs on loopback.

    Prints `export NAME='value'` lines for the credentials and URLs, then `sandbox ready`, and
    serves until Ctrl-C / SIGTERM. In another terminal: `eval "$(cat FILE)"` (with --env-file)
    and run `reconcile plan examples/mappings.yaml`.
    """
    from reconciler.sandbox.common import parse_faults  # noqa: PLC0415 (only this command)
    from reconciler.sandbox.launch import start_sandbox  # noqa: PLC0415

    try:
        fault_rates = parse_faults(faults)
    except ValueError as error:
        raise UsageError(str(error), hint="e.g. --fault 429:0.1 --fault timeout:0.02") from None
    try:
        running = start_sandbox(
            seed=seed,
            latency_ms=latency_ms,
            faults=fault_rates,
            port_autotask=port_autotask,
            port_salesbuildr=port_salesbuildr,
        )
    except (ValueError, RuntimeError, OSError) as error:
        raise UsageError(f"cannot start the sandbox: {error}") from None
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        lines = running.export_lines()
        if env_file is not None:
            temporary = env_file.with_name(env_file.name + ".tmp")
            temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
            temporary.replace(env_file)
        for line in lines:
            click.echo(line)
        click.echo("sandbox ready")
        sys.stdout.flush()
        _err(
            f"Autotask simulator at {running.env['AUTOTASK_API_URL']}, Salesbuildr simulator at "
            f"{running.env['SALESBUILDR_API_URL']} (seed {seed}). Ctrl-C stops them."
        )
        stop.wait()
    finally:
        running.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _err("sandbox stopped")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconcile")


if __name__ == "__main__":  # pragma: no cover
    main()
