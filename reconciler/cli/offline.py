"""The offline commands: ``validate`` and ``schema`` (no network, no client imported)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.group import cli
from reconciler.cli.options import file_argument
from reconciler.cli.output import _err
from reconciler.render.diagnostics import format_diagnostic


@cli.command()
@file_argument
def validate(file: Path) -> None:
    """Check FILE offline: syntax, schema, rules, ${env:NAME}.

    Checks the YAML syntax, the schema, the rules and the ${env:NAME} references; makes no
    network call. Reports every problem at once as FILE:LINE:COL with a hint, and exits
    1 when there is any; exits 0 with a one-line summary when the file is valid.
    """
    from reconciler.config import load_document
    from reconciler.config.env import run_environment

    loaded = load_document(file, environ=run_environment())  # a file of any installed PSA
    lines = loaded.source.text.splitlines()
    for warning in loaded.warnings:
        _err(format_diagnostic(warning, lines), fg="yellow")
    document = loaded.document
    sections = document.present_sections()
    callouts, noun = document.callout_count()
    summary = f"{file}: valid, {len(sections)} section(s) managed"
    if sections:
        summary += f" ({', '.join(sections)})"
    if callouts:
        summary += f", {callouts} {noun}(s)"
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
