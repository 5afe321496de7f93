"""``reconcile apply``: choose what to apply (a saved plan, or a plan of the YAML made now and
confirmed), then hand it to the apply workflow (:mod:`reconciler.apply_workflow`: lock,
journal, stale check, writes, verification) and run the ``after_apply`` jobs."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from reconciler.cli.group import cli
from reconciler.cli.options import DEFAULT_FILE, with_targets
from reconciler.cli.output import _err, _status
from reconciler.cli.planning import _narrow, _read_saved_plan
from reconciler.envvars import DEFAULT_PARALLELISM
from reconciler.errors import EXIT_ERROR, StalePlanError, UsageError
from reconciler.render.colour import use_colour
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.escape import terminal


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
    help="Writes in flight at most (never more than a PSA endpoint allows: Autotask 3); "
    "1: one by one.",
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
    from reconciler.apply_workflow import (
        ApplyRequest,
        apply_summary,
        check_saved_plan,
        journal_path_for,
        run_apply,
    )
    from reconciler.cli import locking
    from reconciler.cli.operations import note_after_apply_skipped, run_after_apply
    from reconciler.cli.psa_choice import psa_of
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.render.text import render_plan

    wait_s = _duration(lock_timeout)
    environ = run_environment()
    saved = _read_saved_plan(source)
    desired = None
    documents = None
    psa_source: object = saved  # what names the PSA: the saved plan, or the YAML
    if saved is not None:
        if targets or excludes:
            raise UsageError(
                "--target/--exclude narrow a plan when it is made, not a saved plan",
                hint="make the plan with `reconcile plan --target ... --out plan.json`",
            )
        plan_to_apply = saved
        for note in check_saved_plan(saved, environ):
            _err(note, fg="yellow")
        connections = session.connect_for_plan(saved, environ)
        journal_path = journal_path_for(source, saved=True)
        check_stale = True
    else:
        loaded = load_config(source, environ=environ)
        psa_source = loaded.config
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
        journal_path = journal_path_for(source, saved=False)
        # Re-read what the plan touches once the lock is held: another apply may have run
        # while this one waited for the lock or for the confirmation.
        check_stale = True
    with connections:
        if not plan_to_apply.has_changes:
            if saved is not None:
                click.echo("No changes in this plan. Nothing to apply.")
            note_after_apply_skipped(plan_to_apply)
            return
        if saved is None and not auto_approve:
            _confirm_apply()
        psa = psa_of(psa_source)
        request = ApplyRequest(
            plan=plan_to_apply,
            environ=environ,
            journal_path=journal_path,
            desired=desired,
            documents=documents,
            force=force,
            check_stale=check_stale,
            wait_s=wait_s,
            parallelism=parallelism,
            floor_key=psa.request_floor_key,
            psa=psa.name,
            psa_title=psa.title,
        )
        try:
            result = run_apply(
                request, connections, progress=_apply_progress, reporting=locking.reporting(wait_s)
            )
        except StalePlanError as stale:
            if saved is not None:
                raise
            raise locking.moved_while_waiting(stale, source, asked=not auto_approve) from None
        click.echo(apply_summary(plan_to_apply, result.writes))
        run_after_apply(plan_to_apply, connections, psa)


def _confirm_apply() -> None:
    """Ask before applying a plan made now; no terminal to ask on is a refusal."""
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without confirmation: no terminal to ask on",
            hint="review the plan and pass --auto-approve, or apply a saved plan",
        )
    if not click.confirm("Apply these changes?", default=False):
        _err("Not applied.")
        sys.exit(EXIT_ERROR)


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
