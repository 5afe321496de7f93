"""What Salesbuildr's answers say of its rolling request window (500 per 10 minutes).

Every response passes :class:`RateWindow` (the client's ``on_response``): it keeps the last
``X-RateLimit-Remaining`` and, after a 429, when the server said to come back. Apply compares it
with the requests it needs before its first write (``plan/budgets.py``); the plan's footer shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from reconciler.transport.http import retry_after_seconds

log = logging.getLogger("reconciler.salesbuildr.client")

RATE_LIMIT = 500
RATE_WINDOW_S = 600.0
REORDERED_S = 2.0
"""Answers this close together may have been processed out of order (concurrent requests)."""


@dataclass(frozen=True)
class WindowSeen:
    """Salesbuildr's rolling request window as the last answer told it.

    ``remaining`` is the last ``X-RateLimit-Remaining`` seen (of answers moments apart, the
    lowest: concurrent requests finish in any order); ``limit`` is ``X-RateLimit-Limit``
    when the server sends one, else the documented 500 per 10 minutes; ``retry_at`` (epoch
    seconds) is when the last 429 said to come back, the one reset time the API tells.
    """

    remaining: int
    limit: int
    window_s: float
    seen_at: float
    retry_at: float | None = None


class RateWindow:
    """Keeps what Salesbuildr's answers say of its rate window (every response passes here)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: WindowSeen | None = None

    def __call__(self, response: httpx.Response) -> None:
        remaining = _header_int(response, "X-RateLimit-Remaining")
        if remaining is None:
            return
        # -vv: -v is one line per request, and this would be a second one for each
        log.debug("salesbuildr rate limit: %s requests left in the window", remaining)
        limit = _header_int(response, "X-RateLimit-Limit") or RATE_LIMIT
        now = self._clock()
        retry_at = None
        if response.status_code == 429:
            wait = retry_after_seconds(response)
            retry_at = now + wait if wait is not None else None
        with self._lock:
            before = self._seen
            if retry_at is None and before is not None and before.retry_at is not None:
                retry_at = before.retry_at if before.retry_at > now else None
            if (
                before is not None
                and remaining > before.remaining
                and now - before.seen_at < REORDERED_S
            ):
                # Concurrent answers arrive in any order: within moments, the lowest is newest.
                self._seen = WindowSeen(
                    before.remaining, limit, RATE_WINDOW_S, before.seen_at, retry_at
                )
                return
            self._seen = WindowSeen(remaining, limit, RATE_WINDOW_S, now, retry_at)

    @property
    def seen(self) -> WindowSeen | None:
        with self._lock:
            return self._seen


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return max(int(value), 0) if value is not None else None
    except ValueError:
        return None
