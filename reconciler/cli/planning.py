"""``reconcile plan``, and the pieces ``apply`` and ``show`` share with it: the views of a plan,
targeting, the signing key, reading a saved plan."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.group import cli
from reconciler.cli.options import file_argument, format_option, with_targets
from reconciler.cli.output import _err, _status
from reconciler.render.colour import use_colour
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.escape import terminal
from reconciler.warning_ids import SIGNATURE_NOT_CHECKED, TARGET_MATCHES_NOTHING, labelled

if TYPE_CHECKING:
    from reconciler.plan import Plan


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
        return render_markdown(data, plan_file=plan_file, titles=_titles())
    return render_plan(data, colour=use_colour(sys.stdout, os.environ))


def _titles() -> dict[str, str]:
    """Each installed PSA's title by its name ("halopsa" -> "HaloPSA"), for the views."""
    from reconciler.psa.registry import installed

    return {name: psa.title for name, psa in installed().items()}


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
            f"Apply exactly it with: reconcile apply {terminal(shlex.quote(str(out)))}"
        )
    if detailed_exitcode:
        sys.exit(_plan_exit_code(result))


def _signing_key() -> str | None:
    """The plan signing key, from the real environment only: never from a reviewed file."""
    from reconciler.plan.integrity import SIGNING_KEY_VARIABLE

    return os.environ.get(SIGNING_KEY_VARIABLE) or None


def _read_saved_plan(source: Path) -> Plan | None:
    """The verified saved plan (plan/saved.py), or None: SOURCE is a YAML file."""
    from reconciler.config.references import refused_reference
    from reconciler.connections import documents_touched
    from reconciler.plan.saved import load_saved_plan, looks_like_plan

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
        refused_reference=refused_reference,
    )
    for warning in saved.warnings:  # the one kind plan/saved.py warns about
        _err(f"{labelled(SIGNATURE_NOT_CHECKED)}: {terminal(warning)}", fg="yellow")
    return saved.plan
