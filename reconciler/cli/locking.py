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

from reconciler.apply_workflow import LockReporting
from reconciler.cli.output import _err
from reconciler.errors import RefusedError, StalePlanError
from reconciler.render.escape import terminal
from reconciler.salesbuildr.client import LockHolder, process_is_alive
from reconciler.warning_ids import LOCK_NOT_RELEASED, labelled


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"


class LockWait:
    """The ``on_wait`` of ``SalesbuildrClient.acquire_lock_or_take_over``: one status line
    per holder waited for."""

    def __init__(self, wait_s: float):
        self.wait_s = wait_s

    def __call__(self, holder: LockHolder) -> None:
        click.echo(
            f"waiting for the lock held by {terminal(holder.owner)} "
            f"(expires {terminal(holder.expires_at)}; --lock-timeout {_duration(self.wait_s)})",
            err=True,
        )


def reporting(wait_s: float) -> LockReporting:
    """How a writing command reports on the lock: the wait once per holder, a lock it could
    not release as a warning (it expires with its TTL), the journal it wrote."""

    def not_released(message: str) -> None:
        click.secho(
            f"{labelled(LOCK_NOT_RELEASED)}: could not release the apply lock: {terminal(message)}",
            err=True,
            fg="yellow",
            color=False if os.environ.get("NO_COLOR") else None,
        )

    return LockReporting(on_wait=LockWait(wait_s), warn_not_released=not_released, note=_err)


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
