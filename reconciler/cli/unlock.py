"""``reconcile force-unlock``: break the apply lock a crashed run left behind."""

from __future__ import annotations

import sys

import click

from reconciler.cli.group import cli
from reconciler.cli.output import _err
from reconciler.errors import EXIT_ERROR, UsageError
from reconciler.render.escape import terminal


@cli.command("force-unlock")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
def force_unlock(auto_approve: bool) -> None:
    """Break the apply lock a crashed run left behind.

    Names the lock's holder and when it expires, and asks before breaking it.
    """
    from reconciler.cli import locking
    from reconciler.config.env import run_environment
    from reconciler.salesbuildr.client import SalesbuildrClient, lock_owner, settings_from_env

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
