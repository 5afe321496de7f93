"""The apply lock as the writing commands meet it, in words a user acts on.

* Waiting for another run's lock is said once per holder, on stderr, with or without a
  terminal: a CI log shows why the job seems to stand still (the per-poll line is ``-vv``).
* An apply of a YAML file that waited and then finds the live settings moved is told to run
  again, not that a saved plan is stale: there is no saved plan.
* ``force-unlock`` says what this host can tell about the holder, and what it did on "no".
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click

from reconciler.errors import ReconcileError, RefusedError, StalePlanError
from reconciler.providers.salesbuildr import (
    LockHeld,
    LockHolder,
    SalesbuildrClient,
    process_is_alive,
)
from reconciler.render.escape import terminal
from reconciler.warning_ids import LOCK_NOT_RELEASED, labelled


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


class LockWait:
    """The ``on_wait`` of :meth:`SalesbuildrClient.acquire_lock_or_take_over`: one status line
    per holder waited for."""

    def __init__(self, wait_s: float):
        self.wait_s = wait_s

    def __call__(self, holder: LockHolder) -> None:
        click.echo(
            f"waiting for the lock held by {terminal(holder.owner)} "
            f"(expires {terminal(holder.expires_at)}; --lock-timeout {_duration(self.wait_s)})",
            err=True,
        )


def take_lock(client: SalesbuildrClient, owner: str, *, wait_s: float) -> None:
    """Acquire the tenant's lock for ``owner`` or refuse (exit 3) naming the holder."""
    try:
        client.acquire_lock_or_take_over(owner, wait_s=wait_s, on_wait=LockWait(wait_s))
    except LockHeld as held:
        raise RefusedError(held.message, hint=held.hint) from None


def release(client: SalesbuildrClient, owner: str) -> None:
    """Release ``owner``'s lock; a failure is a warning (the lock expires with its TTL)."""
    try:
        client.release_lock(owner)
    except ReconcileError as error:
        click.secho(
            f"{labelled(LOCK_NOT_RELEASED)}: could not release the apply lock: "
            f"{terminal(error.message)}",
            err=True,
            fg="yellow",
            color=False if os.environ.get("NO_COLOR") else None,
        )


def moved_while_waiting(stale: StalePlanError, source: Path, *, asked: bool) -> RefusedError:
    """The refusal of ``apply FILE`` whose freshly made plan moved before it could write: it
    waited for the lock (and, when it ``asked``, for the answer). Messages are escaped where
    they are shown."""
    when = "while waiting for your answer and the lock" if asked else "while waiting for the lock"
    return RefusedError(
        f"the live settings changed {when}; run apply again:\n  " + "\n  ".join(stale.moved),
        hint=f"nothing was written; `reconcile apply {source}` plans again from the live "
        "settings as they are now (the plan shown above is stale)",
    )


def holder_note(holder: LockHolder) -> str:
    """``holder process 4242 on this host is not running``, or that this host cannot tell."""
    return terminal(holder.liveness(here=socket.gethostname(), alive=process_is_alive)) + "."
