"""Request statistics per endpoint, as ``GET /_sandbox/stats`` shows them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class _EndpointCounters:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class RequestStats:
    """Request counters a test or benchmark reads through ``GET /_sandbox/stats``.

    ``requests`` counts every API request (control routes excluded), ``writes`` those that are not
    reads (see :func:`is_read_request`). Per endpoint key (method + documented path template) it
    keeps the number of requests and the highest number in flight at once. Thread-safe: the server
    loop writes, any thread reads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._writes = 0
        self._endpoints: dict[str, _EndpointCounters] = {}
        self._groups: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._writes = 0
            # Keep in-flight requests counted so a reset during traffic cannot go negative.
            self._endpoints = {
                key: _EndpointCounters(in_flight=c.in_flight, max_in_flight=c.in_flight)
                for key, c in self._endpoints.items()
                if c.in_flight
            }

    def count(self, key: str | None, *, is_write: bool) -> None:
        """Count one request to ``key`` (None: no documented route)."""
        with self._lock:
            self._requests += 1
            if is_write:
                self._writes += 1
            if key is not None:
                self._endpoints.setdefault(key, _EndpointCounters()).requests += 1

    def enter(self, key: str | None, group: str | None, limit: int | None) -> bool:
        """Take an in-flight slot; False (and nothing taken) if ``group`` is at ``limit``."""
        with self._lock:
            if group is not None and limit is not None and self._groups.get(group, 0) >= limit:
                return False
            if group is not None:
                self._groups[group] = self._groups.get(group, 0) + 1
            if key is not None:
                counters = self._endpoints.setdefault(key, _EndpointCounters())
                counters.in_flight += 1
                counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            return True

    def leave(self, key: str | None, group: str | None) -> None:
        """Give back the slot taken by :meth:`enter`."""
        with self._lock:
            if group is not None:
                self._groups[group] = max(0, self._groups.get(group, 0) - 1)
            if key is not None and key in self._endpoints:
                counters = self._endpoints[key]
                counters.in_flight = max(0, counters.in_flight - 1)

    def snapshot(self) -> dict[str, Any]:
        """``{"requests": N, "writes": N, "endpoints": {key: {"requests", "max_in_flight"}}}``."""
        with self._lock:
            return {
                "requests": self._requests,
                "writes": self._writes,
                "endpoints": {
                    key: {"requests": c.requests, "max_in_flight": c.max_in_flight}
                    for key, c in sorted(self._endpoints.items())
                    if c.requests
                },
            }
