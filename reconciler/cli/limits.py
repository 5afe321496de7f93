"""The global ``--max-pages`` option: how many pages one collection may take before a read stops;
``--max-config-size``: the largest mappings YAML loaded (1 MB unless raised); ``--max-rate-wait``;
``--max-response-size``: the largest API answer read (64 MiB).

Each is set on the command line or as ``RECONCILE_MAX_PAGES`` / ``RECONCILE_MAX_CONFIG_SIZE`` in
the real environment (click reads ``os.environ``, never ``.env`` nor the YAML), for the one
command it is given to.

Start-up: the settings live in :mod:`reconciler.envvars` (:class:`RunSetting`), so setting one
imports neither the clients' paging nor the YAML loader that read it.
"""

from __future__ import annotations

import click

from reconciler.envvars import (
    DEFAULT_MAX_PAGES,
    DEFAULT_MAX_RATE_WAIT,
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_CONFIG_SIZE,
    MAX_DOCUMENT_BYTES,
    MAX_PAGES,
    MAX_RATE_WAIT,
    MAX_RESPONSE_BYTES,
)

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
    ctx.with_resource(MAX_PAGES.using(max_pages))


# --- the global --max-config-size option -------------------------------------------------------

max_config_size_option = click.option(
    "--max-config-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    envvar="RECONCILE_MAX_CONFIG_SIZE",
    show_envvar=True,
    help=f"Largest mappings YAML loaded, in bytes (default {MAX_DOCUMENT_BYTES:,}, 1 MB); "
    "only here or in the environment, never in the YAML.",
)


def use_max_config_size(ctx: click.Context, max_bytes: int | None) -> None:
    """Use ``max_bytes`` as the YAML size limit until the command ends."""
    ctx.with_resource(MAX_CONFIG_SIZE.using(max_bytes))


def oversize_warning(text: str) -> str | None:
    """What ``export`` says before writing YAML the loader would refuse (None: it fits)."""
    from reconciler.config.loader import document_limit, megabytes

    size, limit = len(text.encode()), document_limit()
    if size <= limit:
        return None
    return (
        f"the exported YAML is {size:,} bytes ({size / 1_048_576:.1f} MB), over the "
        f"{megabytes(limit)} limit ({limit:,} bytes) that plan, apply and validate load; "
        f"to use it, raise the limit with `reconcile --max-config-size {size}` "
        f"(or RECONCILE_MAX_CONFIG_SIZE={size} in the environment)"
    )


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
    ctx.with_resource(MAX_RATE_WAIT.using(seconds))


max_response_size_option = click.option(
    "--max-response-size",
    type=click.IntRange(min=1024),
    default=None,
    metavar="BYTES",
    envvar="RECONCILE_MAX_RESPONSE_SIZE",
    show_envvar=True,
    help=f"Largest API answer read, in bytes once decoded (default "
    f"{DEFAULT_MAX_RESPONSE_BYTES:,}, 64 MiB); a larger one stops the run as a server fault.",
)


def use_max_response_size(ctx: click.Context, max_bytes: int | None) -> None:
    """Use ``max_bytes`` as the answer size cap until the command ends."""
    ctx.with_resource(MAX_RESPONSE_BYTES.using(max_bytes))
