"""A client-side request budget (:class:`SlidingWindowBudget`), shared by every API client
(re-exported by :mod:`reconciler.transport.http`, where most import it from)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("reconciler.transport.http")


class SlidingWindowBudget:
    """Client-side request budget: at most ``limit`` requests in any ``window_s`` seconds.

    Salesbuildr answers 429 past 500 requests per rolling 10 minutes; pacing ourselves below that
    keeps normal runs from ever seeing the 429.
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window_s:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self.window_s - (now - self._sent[0])
            log.info("request budget spent: waiting %.1f s", wait)
            self._sleep(max(wait, 0.01))
