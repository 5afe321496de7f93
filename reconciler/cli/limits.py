"""The global ``--max-pages`` option: how many pages one collection may take before a read stops.

Set on the command line or as ``RECONCILE_MAX_PAGES`` in the real environment (click reads
``os.environ``, never ``.env`` nor the YAML), for the one command it is given to.
"""

from __future__ import annotations

import click

from reconciler.providers.paging import DEFAULT_MAX_PAGES, page_ceiling_set
from reconciler.providers.rate_wait import DEFAULT_MAX_RATE_WAIT, rate_wait_cap_set

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


max_rate_wait_option = click.option(
    "--max-rate-wait",
    type=click.FloatRange(min=0),
    default=None,
    envvar="RECONCILE_MAX_RATE_WAIT",
    show_envvar=True,
    help=f"Seconds a Salesbuildr rate limit (429 Retry-After) is waited out before the run stops "
    f"(default {DEFAULT_MAX_RATE_WAIT:.0f}).",
)


def use_max_rate_wait(ctx: click.Context, seconds: float | None) -> None:
    """Use ``seconds`` as the rate-wait cap until the command ends."""
    ctx.with_resource(rate_wait_cap_set(seconds))
