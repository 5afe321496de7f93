"""The global ``--max-pages`` option: how many pages one collection may take before a read stops.

Set on the command line or as ``RECONCILE_MAX_PAGES`` in the real environment (click reads
``os.environ``, never ``.env`` nor the YAML), for the one command it is given to.
"""

from __future__ import annotations

import click

from reconciler.providers.paging import DEFAULT_MAX_PAGES, page_ceiling_set

max_pages_option = click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=None,
    envvar="RECONCILE_MAX_PAGES",
    show_envvar=True,
    help=f"Pages read per collection before the read stops as runaway paging "
    f"(default {DEFAULT_MAX_PAGES:,}).",
)


def use_max_pages(ctx: click.Context, max_pages: int | None) -> None:
    """Use ``max_pages`` until the command ends (the clients read it when they page)."""
    ctx.with_resource(page_ceiling_set(max_pages))
