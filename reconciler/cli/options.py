"""Arguments and options several commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

DEFAULT_FILE = "mappings.yaml"

file_argument = click.argument(
    "file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_FILE, required=False
)


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
