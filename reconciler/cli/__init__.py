"""The `reconcile` command line: parse, wire, render, map errors to exit codes.

The only module that prints or exits. Results go to stdout; diagnostics, progress and logs to
stderr. A user mistake never shows a traceback (``--debug`` does).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli import usage
from reconciler.cli.limits import (
    max_config_size_option,
    max_pages_option,
    max_rate_wait_option,
    use_max_config_size,
    use_max_pages,
    use_max_rate_wait,
)
from reconciler.cli.redacting import configure_logging, install_redacting_streams
from reconciler.envvars import DEFAULT_PARALLELISM
from reconciler.errors import (
    EXIT_ERROR,
    ApplyInterrupted,
    ConfigError,
    ReconcileError,
    StalePlanError,
    UsageError,
)
from reconciler.render.colour import use_colour
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.escape import terminal, terminal_lines
from reconciler.warning_ids import SIGNATURE_NOT_CHECKED, TARGET_MATCHES_NOTHING, labelled

# Start-up: `reconcile --help` and `validate` load only what they use (tests/cli/
# test_startup_imports.py). A command imports the clients, the plan and the views when it runs.
if TYPE_CHECKING:
    from reconciler import session
    from reconciler.apply import JsonlJournal
    from reconciler.plan import Plan
    from reconciler.state import SectionSnapshot, State

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
            raise _UsageError(usage.explain(error), error.ctx) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _err("interrupted", fg="red")
            ctx.exit(130)
        except Exception as error:
            if _debug(ctx):
                raise
            _err(f"internal error: {type(error).__name__}: {terminal(error)}", fg="red", bold=True)
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
@max_pages_option
@max_config_size_option
@max_rate_wait_option
@click.version_option(package_name="reconcile", prog_name="reconcile")  # the installed metadata
@click.pass_context
def cli(
    ctx: click.Context,
    verbose: int,
    debug: bool,
    max_pages: int | None,
    max_config_size: int | None,
    max_rate_wait: float | None,
) -> None:
    """Salesbuildr <-> Autotask integration settings as code.

    Keep the settings of the seven Admin > Integrations > Autotask pages in one YAML file
    (mappings.yaml) and reconcile the live systems with it, like terraform plan/apply.

    \b
    Start here:
      reconcile sandbox                 local simulators of both APIs
      reconcile validate mappings.yaml  check the file offline
    """
    install_redacting_streams()  # idempotent: main() did it for the console script
    configure_logging(verbose, debug)
    use_max_pages(ctx, max_pages)
    use_max_config_size(ctx, max_config_size)
    use_max_rate_wait(ctx, max_rate_wait)


file_argument = click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)


@cli.command()
@file_argument
def validate(file: Path) -> None:
    """Check FILE offline: syntax, schema, rules, ${env:NAME}.

    Checks the YAML syntax, the schema, the rules and the ${env:NAME} references; makes no
    network call. Reports every problem at once as FILE:LINE:COL with a hint, and exits
    1 when there is any; exits 0 with a one-line summary when the file is valid.
    """
    from reconciler.config import load_config
    from reconciler.config.env import run_environment

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
    """Print the JSON Schema of mappings.yaml (for editors).

    Editors with yaml-language-server complete and check mappings.yaml with it.
    """
    from reconciler.files import PUBLIC_MODE, write_text_atomically
    from reconciler.schema import mappings_schema_text

    text = mappings_schema_text()
    if out is None:
        click.echo(text, nl=False)
        return
    write_text_atomically(out, text, mode=PUBLIC_MODE)
    _err(f"wrote {out}")


def _status(message: str) -> None:
    """Progress on long work: to stderr, only when a person is watching."""
    if sys.stderr.isatty():
        _err(message, fg="cyan")


def _plan_exit_code(plan: Plan) -> int:
    from reconciler.plan import Risk

    if not plan.has_changes:
        return 0
    return 3 if plan.risk in (Risk.DESTRUCTIVE, Risk.BLOCKED) else 2


def _render(data: Mapping[str, Any], fmt: str, *, plan_file: str | None = None) -> str:
    """One view of the plan's dict form (for ``plan``: the sealed form ``--out`` saves, and
    ``plan_file`` the file it was saved to, None when it was not)."""
    from reconciler.render.json import render_json
    from reconciler.render.markdown import render_markdown
    from reconciler.render.text import render_plan

    if fmt == "json":
        return render_json(data)
    if fmt == "markdown":
        return render_markdown(data, plan_file=plan_file)
    return render_plan(data, colour=use_colour(sys.stdout, os.environ))


def _narrow(plan: Plan, targets: tuple[str, ...], excludes: tuple[str, ...]) -> Plan:
    from reconciler.plan.targeting import narrow, unmatched

    narrowed = narrow(plan, targets=targets, excludes=excludes)
    for pattern in unmatched(plan, [*targets, *excludes]):
        _err(
            f"{labelled(TARGET_MATCHES_NOTHING)}: --target/--exclude {terminal(repr(pattern))} "
            "matches no object of the plan",
            fg="yellow",
        )
    return narrowed


target_options = [
    click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="ADDR",
        help='Only this address or prefix (e.g. webhooks or webhooks["sb-companies"]); * is a '
        "wildcard. Repeatable.",
    ),
    click.option(
        "--exclude",
        "excludes",
        multiple=True,
        metavar="ADDR",
        help="Leave out this address or prefix. Repeatable.",
    ),
]


def with_targets(function: Any) -> Any:
    for option in reversed(target_options):
        function = option(function)
    return function


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
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
@with_targets
def plan(
    file: Path,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    rotate_secrets: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
) -> None:
    """Show what apply would change to match FILE.

    Reads the live state:
    only the sections FILE contains, each collection with one bulk request. Makes no
    writes. Names that do not resolve are reported with FILE:LINE:COL and the closest valid names.
    """
    from reconciler import session
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.files import refuse_unsafe_target, write_text_atomically
    from reconciler.plan.integrity import SIGNATURE_FIELD, seal
    from reconciler.redact import redact_data
    from reconciler.render.json import render_json

    if out is not None:
        refuse_unsafe_target(out)  # before any request, not after the reads
    environ = run_environment()
    loaded = load_config(file, environ=environ)
    sections = loaded.config.present_sections()
    _status(f"Reading live state for {len(sections)} section(s) of {file} ...")
    with session.connect(loaded, environ, sections=sections) as connections:
        run = session.make_plan(loaded, connections, rotate_secrets=rotate_secrets)
    for warning in run.warnings:
        _err(format_diagnostic(warning), fg="yellow")
    result = _narrow(run.plan, targets, excludes)
    # Every view shows the checksum of exactly the file --out saves.
    # Redacted before sealing, so the saved file, every view and the checksum agree.
    sealed = seal(redact_data(result.to_dict()), _signing_key())
    if out is not None:
        write_text_atomically(out, render_json(sealed))
    click.echo(_render(sealed, fmt, plan_file=str(out) if out is not None else None), nl=False)
    if out is not None:  # after the plan: the last line a person reads says what to run next
        signed = " (signed)" if SIGNATURE_FIELD in sealed else ""
        _err(
            f"Saved the plan to {terminal(out)}{signed}. "
            f"Apply exactly it with: reconcile apply {terminal(out)}"
        )
    if detailed_exitcode:
        sys.exit(_plan_exit_code(result))


def _duration(text: str) -> float:
    """``60s``, ``2m``, ``90`` -> seconds."""
    value = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(value[-1:])
    number = value[:-1] if scale else value
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        raise UsageError(f"--lock-timeout {text!r}: expected a duration like 60s or 2m") from None
    if seconds < 0:
        raise UsageError("--lock-timeout must not be negative")
    return seconds


def _signing_key() -> str | None:
    """The plan signing key, from the real environment only: never from a reviewed file."""
    from reconciler.plan.integrity import SIGNING_KEY_VARIABLE

    return os.environ.get(SIGNING_KEY_VARIABLE) or None


def _read_saved_plan(source: Path) -> Plan | None:
    """The verified saved plan (plan/saved.py), or None: SOURCE is a YAML file."""
    from reconciler.plan.saved import load_saved_plan, looks_like_plan
    from reconciler.providers.salesbuildr_state import documents_touched

    try:
        raw = source.read_bytes()
    except OSError:
        return None
    if not looks_like_plan(raw, source.name):
        return None
    saved = load_saved_plan(
        raw,
        source=str(source),
        signing_key=_signing_key(),
        documents_touched=documents_touched,
    )
    for warning in saved.warnings:  # the one kind plan/saved.py warns about
        _err(f"{labelled(SIGNATURE_NOT_CHECKED)}: {terminal(warning)}", fg="yellow")
    return saved.plan


def _apply_summary(plan: Plan, writes: int) -> str:
    counts = plan.summary
    return (
        f"Apply complete: {counts['create']} created, {counts['update']} updated, "
        f"{counts['deactivate']} deactivated, {counts['delete']} deleted "
        f"({writes} API write(s)). Verified: the live settings match the plan."
    )


@cli.command()
@click.argument(
    "source", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (pipelines).")
@click.option("--force", is_flag=True, help="Apply even when a safety threshold is exceeded.")
@click.option(
    "--rotate-secrets", is_flag=True, help="Re-send every managed secret (they are write-only)."
)
@click.option(
    "--lock-timeout",
    default="60s",
    show_default=True,
    help="How long to wait for another apply's lock on this tenant.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(min=1),
    default=DEFAULT_PARALLELISM,
    show_default=True,
    help="Writes in flight at most (never more than 3 per Autotask endpoint); 1: one by one.",
)
@with_targets
def apply(
    source: Path,
    auto_approve: bool,
    force: bool,
    rotate_secrets: bool,
    lock_timeout: str,
    parallelism: int,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
) -> None:
    """Apply a saved plan exactly, or plan SOURCE and apply it.

    \b
    reconcile apply plan.json      the reviewed plan; refused if anything
                                   it touches moved since
    reconcile apply mappings.yaml  plan now, show it, then ask
                                   `Apply these changes? [y/N]`

    Takes the tenant's apply lock, writes in dependency order, journals every write, and
    verifies the result. Exit 0 applied and verified; 1 error before any write or answered no;
    3 refused before any write (stale plan, threshold, budget, lock); 4 partial: re-run converges.
    """
    from reconciler import session
    from reconciler.cli import locking
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.render.text import render_plan

    wait_s = _duration(lock_timeout)
    environ = run_environment()
    saved = _read_saved_plan(source)
    desired = None
    documents = None
    if saved is not None:
        if targets or excludes:
            raise UsageError(
                "--target/--exclude narrow a plan when it is made, not a saved plan",
                hint="make the plan with `reconcile plan --target ... --out plan.json`",
            )
        plan_to_apply = saved
        missing = session.missing_secrets(saved, environ)
        if missing:
            raise UsageError(
                "the plan's writes need secrets that are not set:\n  " + "\n  ".join(missing),
                hint="export them and run apply again; no write was made",
            )
        if saved.config_file and Path(saved.config_file).is_file():
            digest = hashlib.sha256(Path(saved.config_file).read_bytes()).hexdigest()
            if digest != saved.config_sha256:
                _err(
                    f"note: {terminal(saved.config_file)} changed since this plan was made; "
                    "applying the plan as it was reviewed",
                    fg="yellow",
                )
        connections = session.connect_for_plan(saved, environ)
        journal_path = source.with_name(source.name + ".journal.jsonl")
        check_stale = True
    else:
        loaded = load_config(source, environ=environ)
        sections = loaded.config.present_sections()
        _status(f"Reading live state for {len(sections)} section(s) of {source} ...")
        connections = session.connect(loaded, environ, sections=sections)
        try:
            run = session.make_plan(loaded, connections, rotate_secrets=rotate_secrets)
        except BaseException:
            connections.close()
            raise
        for warning in run.warnings:
            _err(format_diagnostic(warning), fg="yellow")
        plan_to_apply = _narrow(run.plan, targets, excludes)
        desired = run.desired
        documents = run.live.documents
        shown = render_plan(plan_to_apply.to_dict(), colour=use_colour(sys.stdout, os.environ))
        click.echo(shown, nl=False)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        journal_path = Path(".reconcile") / f"journal-{stamp}.jsonl"
        # Re-read what the plan touches once the lock is held: another apply may have run
        # while this one waited for the lock or for the confirmation.
        check_stale = True
    with connections:
        if not plan_to_apply.has_changes:
            if saved is not None:
                click.echo("No changes in this plan. Nothing to apply.")
            operations.note_after_apply_skipped(plan_to_apply)
            return
        if saved is None and not auto_approve:
            if not sys.stdin.isatty():
                raise UsageError(
                    "refusing to apply without confirmation: no terminal to ask on",
                    hint="review the plan and pass --auto-approve, or apply a saved plan",
                )
            if not click.confirm("Apply these changes?", default=False):
                _err("Not applied.")
                sys.exit(EXIT_ERROR)
        try:
            _apply_locked(
                plan_to_apply,
                connections,
                environ=environ,
                desired=desired,
                documents=documents,
                journal_path=journal_path,
                force=force,
                check_stale=check_stale,
                wait_s=wait_s,
                parallelism=parallelism,
            )
        except StalePlanError as stale:
            if saved is not None:
                raise
            raise locking.moved_while_waiting(stale, source, asked=not auto_approve) from None


@contextlib.contextmanager
def _apply_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on a terminal (rich), plain lines on stderr otherwise (CI logs)."""
    if not sys.stderr.isatty() or os.environ.get("NO_COLOR") or os.environ.get("CI"):

        def plain(message: str, done: int, total: int) -> None:
            _err(f"  [{done}/{total}] {terminal(message)}")

        yield plain
        return
    from rich.console import Console  # only on a terminal
    from rich.markup import escape as rich_escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("applying", total=None)

        def update(message: str, done: int, total: int) -> None:
            shown = rich_escape(terminal(message[:60]))
            bar.update(task, description=shown, completed=done, total=total)

        yield update


def _apply_locked(
    plan_to_apply: Plan,
    connections: session.Connections,
    *,
    environ: dict[str, str],
    desired: State | None,
    documents: Mapping[str, SectionSnapshot] | None,
    journal_path: Path,
    force: bool,
    check_stale: bool,
    wait_s: float,
    parallelism: int,
) -> None:
    from reconciler import session
    from reconciler.apply import JsonlJournal, apply_plan
    from reconciler.cli import locking
    from reconciler.providers.salesbuildr import lock_owner

    salesbuildr = connections.salesbuildr
    owner = lock_owner()
    journal = JsonlJournal(journal_path)  # first: a refused journal path leaves no lock behind
    if salesbuildr is not None:
        try:
            locking.take_lock(salesbuildr, owner, wait_s=wait_s)
        except BaseException:  # held (exit 3) or e.g. rate limited beyond --max-rate-wait
            _discard_unused(journal, journal_path)  # no write was made
            raise
    try:
        floor = int(plan_to_apply.policy.get("min_remaining_autotask_requests", 0))
        with _apply_progress() as progress:
            result = apply_plan(
                plan_to_apply,
                session.writer_for(connections, environ, desired, documents),
                journal=journal,
                force=force,
                min_remaining_requests=floor,
                check_stale=check_stale,
                progress=progress,
                parallelism=parallelism,
            )
    except ApplyInterrupted as interrupted:
        raise interrupted.at(str(journal_path)) from None
    finally:
        journal.close()
        if salesbuildr is not None:
            locking.release(salesbuildr, owner)
        if not journal.records and journal.created:
            journal_path.unlink(missing_ok=True)  # never an earlier run's journal
        else:
            _err(f"Journal: {journal_path}")
    click.echo(_apply_summary(plan_to_apply, result.writes))
    operations.run_after_apply(plan_to_apply, connections)


def _discard_unused(journal: JsonlJournal, path: Path) -> None:
    """Close a journal no write reached; remove the file when this run created it."""
    journal.close()
    if not journal.records and journal.created:
        path.unlink(missing_ok=True)


@cli.command("force-unlock")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
def force_unlock(auto_approve: bool) -> None:
    """Break the apply lock a crashed run left behind.

    Names the lock's holder and when it expires, and asks before breaking it.
    """
    from reconciler.cli import locking
    from reconciler.config.env import run_environment
    from reconciler.providers.salesbuildr import SalesbuildrClient, lock_owner, settings_from_env

    environ = run_environment()
    url, key = settings_from_env(environ, None)
    with SalesbuildrClient.connect(url, key) as client:
        holder = client.lock_holder()
        if holder is None:
            click.echo("No apply holds the lock.")
            return
        click.echo(
            f"The lock is held by {terminal(holder.owner)} since {terminal(holder.acquired_at)} "
            f"(expires {terminal(holder.expires_at)})."
        )
        click.echo(locking.holder_note(holder).capitalize())
        if not auto_approve:
            if not sys.stdin.isatty():
                raise UsageError("no terminal to confirm on", hint="pass --auto-approve")
            if not click.confirm("Break it? Only do this when that run is dead.", default=False):
                _err("Lock left in place.")
                sys.exit(EXIT_ERROR)
        client.release_lock(lock_owner(), force=True)
        click.echo("Lock released.")


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
    """Start local simulators of both APIs on loopback.

    Serves the Autotask and Salesbuildr APIs with seeded data.
    Prints `export NAME='value'` lines for the credentials and URLs, then `sandbox ready`, and
    serves until Ctrl-C / SIGTERM. In another terminal: `eval "$(cat FILE)"` (with --env-file)
    and run `reconcile plan examples/mappings.yaml`.
    """
    from reconciler.files import write_text_atomically
    from reconciler.sandbox.common import parse_faults, start_sandbox

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
            # The sandbox's own (fake) credentials: mode 0600, never through a link.
            write_text_atomically(env_file, "\n".join(lines) + "\n")
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


# Commands defined in sibling modules register themselves on `cli` when imported.
from reconciler.cli import adoption, operations  # noqa: E402, F401
from reconciler.cli import preflight as _preflight  # noqa: E402, F401
from reconciler.cli import show as _show  # noqa: E402, F401


def main() -> None:
    """Console-script entry point: nothing is printed before the streams redact."""
    install_redacting_streams()
    cli(prog_name="reconcile")


if __name__ == "__main__":  # pragma: no cover
    main()
