"""``reconcile show PLAN``: render a saved plan, offline, after verifying it (like terraform show).

The plan is read and checked exactly as ``apply PLAN`` checks it (:func:`load_saved_plan`: JSON,
format version, schema, checksum, signature when the key is set, stale-check data), so a pipeline
can post the Markdown of exactly the artifact it is about to apply, and a tampered file is refused
with the error apply would give. No client is built and no socket is opened: the views render the
file's own content.

What was verified is said on stderr (stdout stays the view, so ``--format json`` is the plan
itself) and, for ``--format markdown`` (a job summary, a comment), as the view's last line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler.cli.group import cli
from reconciler.cli.options import format_option
from reconciler.cli.output import _err
from reconciler.cli.planning import _render, _signing_key
from reconciler.errors import PlanFileError
from reconciler.render.escape import markdown_code, terminal
from reconciler.warning_ids import SIGNATURE_NOT_CHECKED, labelled


def verification(
    data: dict[str, Any], signing_key: str | None, name: Callable[[str], str] = str
) -> str:
    """What :func:`load_saved_plan` verified for ``data`` (which it accepted); ``name`` shows
    the variable's name (``markdown_code`` in Markdown)."""
    # Imported here: reconciler.plan loads the planner, which --help must not pay for.
    from reconciler.plan.integrity import SIGNATURE_FIELD, SIGNING_KEY_VARIABLE

    variable = name(SIGNING_KEY_VARIABLE)
    if signing_key:  # accepted with a key set: the signature is present and verified
        return f"checksum verified; signature verified with {variable}"
    if data.get(SIGNATURE_FIELD):
        return f"checksum verified; signed, signature not checked ({variable} is not set)"
    return "checksum verified; not signed"


def read_verified(path: Path, signing_key: str | None) -> tuple[dict[str, Any], list[str]]:
    """The saved plan's JSON data, verified as apply verifies it, and apply's warnings."""
    # Only what reading a plan needs (not the providers' clients): show makes no request.
    from reconciler.config.references import refused_reference
    from reconciler.connections import documents_touched
    from reconciler.plan.saved import load_saved_plan, looks_like_plan

    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PlanFileError(f"cannot read {path}: {error.strerror or error}") from None
    if not looks_like_plan(raw, path.name):
        raise PlanFileError(
            f"{path} is not a saved plan (a JSON file written by `reconcile plan --out`)",
            hint="show a plan file; to see what a mappings file would change run "
            f"`reconcile plan {path}`",
        )
    saved = load_saved_plan(
        raw,
        source=str(path),
        signing_key=signing_key,
        documents_touched=documents_touched,
        refused_reference=refused_reference,
    )
    data: dict[str, Any] = json.loads(raw)  # verified above: a JSON object, no duplicate key
    return data, list(saved.warnings)


@cli.command()
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False, path_type=Path))
@format_option
def show(plan_file: Path, fmt: str) -> None:
    """Show a saved plan offline, verified as apply verifies it.

    Checks PLAN's checksum, and its signature when RECONCILE_PLAN_SIGNING_KEY is set, then
    renders it (text, json or markdown) without any network access; says on stderr what was
    verified. A plan apply would refuse is refused here with the same error (exit 1).
    """
    key = _signing_key()
    data, warnings = read_verified(plan_file, key)
    for warning in warnings:
        _err(f"{labelled(SIGNATURE_NOT_CHECKED)}: {terminal(warning)}", fg="yellow")
    verified = verification(data, key)
    _err(f"{terminal(plan_file)}: {verified}")
    text = _render(data, fmt, plan_file=str(plan_file))
    if fmt == "markdown":
        text += f"\n{markdown_code('reconcile show')}: {verification(data, key, markdown_code)}.\n"
    click.echo(text, nl=False)
