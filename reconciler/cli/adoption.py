"""Adoption commands: ``export`` (live settings as YAML) and ``drift`` (live vs YAML)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

import reconciler
from reconciler.cli.group import cli
from reconciler.cli.limits import oversize_warning
from reconciler.cli.options import file_argument
from reconciler.cli.output import _err, _status
from reconciler.cli.psa_choice import InstalledPsa
from reconciler.errors import UsageError
from reconciler.render.diagnostics import format_diagnostic
from reconciler.warning_ids import EXPORT_OVER_SIZE_LIMIT, labelled

# Start-up: `reconcile --help` imports this module; a command imports the clients when it runs.
if TYPE_CHECKING:
    from reconciler.plan import DriftItem, Plan

EXIT_DRIFT = 2


@dataclass(frozen=True)
class _Named:
    """``--psa`` as a source naming a PSA (:func:`~.psa_choice.psa_of`)."""

    psa: str


class _SectionOption(click.Option):
    """``--section``'s help names the default PSA's sections, filled in when the help is shown
    (the top-level help loads no PSA)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from reconciler.cli.psa_choice import psa_of

        psa = psa_of(None)
        self.help = (
            f"Only this section ({psa.title}: {', '.join(psa.sections())}; another PSA: its "
            "own). Repeatable. Default: all."
        )
        return super().get_help_record(ctx)


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the YAML here instead of stdout (refuses to overwrite without --force).",
)
@click.option(
    "--section",
    "sections",
    multiple=True,
    metavar="SECTION",
    cls=_SectionOption,
)
@click.option(
    "--psa",
    "psa_name",
    type=InstalledPsa(),
    default=None,
    help="The PSA whose settings to export (autotask, connectwise, halopsa; default autotask).",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def export(out: Path | None, sections: tuple[str, ...], psa_name: str | None, force: bool) -> None:
    """Write the live settings as a mappings.yaml to adopt them.

    The file holds both systems' settings and plans to zero changes.

    \b
    reconcile export --out mappings.yaml
    reconcile export --section webhooks --section billing_codes
    reconcile export --psa connectwise --out mappings.yaml

    Names, not ids; set-like lists sorted; secrets as ${env:NAME} placeholders (the file's header
    names every variable to set). Credentials and URLs come from the environment.
    """
    from reconciler import session
    from reconciler.config.env import run_environment
    from reconciler.files import PUBLIC_MODE, refuse_unsafe_target, write_text_atomically
    from reconciler.psa.base import unsupported

    from .psa_choice import psa_of

    if out is not None:
        refuse_unsafe_target(out)  # a planted link is refused before any request
    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} exists", hint="pass --force to overwrite it, or choose --out")
    psa = psa_of(_Named(psa_name) if psa_name else None)
    if psa.export is None or psa.system is None:
        raise unsupported(psa, "export")
    known = list(psa.sections())
    unknown = [s for s in sections if s not in known]
    if unknown:
        raise UsageError(
            f"{psa.title} has no section {', '.join(map(repr, unknown))}",
            hint=f"its sections: {', '.join(known)}",
        )
    chosen = list(sections) or known
    environ = run_environment()
    _status(f"Reading {len(chosen)} section(s) from {psa.title} and Salesbuildr ...")
    with session.connect_env(environ, sections=chosen, psa=psa.name) as connections:
        live = session.read_everything(connections, chosen)
        targets = connections.targets()
        calls = connections.calls()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        "yaml-language-server: $schema=mappings.schema.json",
        "(editor completion: `reconcile schema --out mappings.schema.json` beside this file)",
        f"Exported by reconcile {reconciler.__version__} on {when} from",
        *[f"  {system}: {url}" for system, url in sorted(targets.items())],
        "Every section below is managed additively; see policy.manage to let apply delete.",
        "",
    ]
    text = psa.export(live.state, live.catalog, chosen, header)
    oversize = oversize_warning(text)
    if oversize is not None:
        _err(f"{labelled(EXPORT_OVER_SIZE_LIMIT)}: {oversize}", fg="yellow")
    if out is None:
        click.echo(text, nl=False)
    else:
        # Committed beside the YAML: no secret in it (placeholders; redacted), umask applies.
        write_text_atomically(out, text, mode=PUBLIC_MODE)
        _err(f"Wrote {out} ({len(text.splitlines())} lines, {sum(calls.values())} API calls).")
        _err(f"Next: `reconcile plan {out}` (no secrets needed: unstated ones are kept).")


def drift_items(plan: Plan) -> list[DriftItem]:
    """Every live object that differs from the YAML: pending changes and observed drift."""
    from reconciler.plan import Action, DriftItem

    state = {
        Action.CREATE: "missing",
        Action.UPDATE: "differs",
        Action.DELETE: "unlisted",
        Action.DEACTIVATE: "unlisted",
    }
    items = [
        DriftItem(
            address=c.address,
            kind=c.kind,
            section=c.section,
            state=state[c.action],
            diff=tuple(d for d in c.diff if c.action is Action.UPDATE),
        )
        for c in plan.pending
    ]
    return [*items, *plan.drift]


@cli.command()
@file_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
def drift(file: Path, fmt: str) -> None:
    """Show live objects that differ from FILE. Exit 0 none, 2 drift present, 1 error.

    For a scheduled job: `reconcile drift --format markdown` makes an issue or comment body.
    Makes no writes.
    """
    from reconciler import session
    from reconciler.config import load_config
    from reconciler.config.env import run_environment
    from reconciler.render.drift import render_drift_markdown, render_drift_text
    from reconciler.render.json import render_json

    environ = run_environment()
    loaded = load_config(file, environ=environ)
    sections = loaded.config.present_sections()
    _status(f"Reading live state for {len(sections)} section(s) of {file} ...")
    with session.connect(loaded, environ, sections=sections) as connections:
        run = session.make_plan(loaded, connections)
    for warning in run.warnings:
        _err(format_diagnostic(warning), fg="yellow")
    items = [item.to_dict() for item in drift_items(run.plan)]
    report = {
        "config_file": str(file),
        "targets": dict(run.plan.targets),
        "generated_at": run.plan.generated_at,
        "drift": items,
        # Shown as "unlisted (kept)", never drift: apply leaves them; the exit code ignores them.
        "kept": [k.to_dict() for k in run.plan.kept],
        "checked": len(run.plan.changes),
        "api_calls": dict(run.plan.api_calls),
    }
    if fmt == "json":
        click.echo(render_json(report), nl=False)
    elif fmt == "markdown":
        click.echo(render_drift_markdown(report), nl=False)
    else:
        click.echo(render_drift_text(report), nl=False)
    if items:
        sys.exit(EXIT_DRIFT)
