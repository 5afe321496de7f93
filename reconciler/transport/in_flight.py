"""Who is told when a request waits for, takes or leaves an in-flight slot.

The HTTP limiter (transport.http) counts requests per endpoint; the apply's scheduler (apply_run)
wants to know where each write goes, so that a write waiting for a full endpoint hands its pool
slot to a write for another. The scheduler sets :data:`IN_FLIGHT_WATCH` around each op in the
worker's thread; the limiter reads it. Transport knows nothing of the apply: only this protocol.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Protocol


class InFlightWatch(Protocol):
    """Told of this thread's requests that an in-flight limit counts: the apply's scheduler
    (apply_run) hands a write's slot to another while the write waits for its endpoint."""

    def waiting(self, key: str, limit: int) -> None: ...
    def entered(self, key: str, limit: int, *, waited: bool) -> None: ...
    def left(self, key: str) -> None: ...


IN_FLIGHT_WATCH: contextvars.ContextVar[InFlightWatch | None] = contextvars.ContextVar(
    "in_flight_watch", default=None
)
"""Set by the apply's runner around each op (in the worker's thread); read by the HTTP clients'
in-flight limiter (transport.http). None elsewhere: the limiter just waits."""


def enter_slot(
    semaphore: threading.BoundedSemaphore, key: str, limit: int, watch: InFlightWatch | None
) -> None:
    """Take one of the endpoint's slots, telling ``watch`` when the request has to wait."""
    if watch is None:
        semaphore.acquire()
        return
    waited = not semaphore.acquire(blocking=False)
    if waited:
        watch.waiting(key, limit)
        semaphore.acquire()
    watch.entered(key, limit, waited=waited)
