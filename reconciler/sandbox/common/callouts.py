"""Webhook callouts: posted from a background thread, to loopback addresses only."""

from __future__ import annotations

import ipaddress
import json
import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is ``localhost``, 127.0.0.0/8 or ``[::1]``.

    The sandbox only ever contacts such URLs: a webhook pointing anywhere else is recorded as not
    delivered, so a demo can never post to a real receiver.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CalloutRecord:
    """One attempted callout, as listed by ``GET /_sandbox/callouts``."""

    url: str
    delivered: bool
    status: int | None
    error: str | None
    attempted_at: str
    payload: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "delivered": self.delivered,
            "status": self.status,
            "error": self.error,
            "attempted_at": self.attempted_at,
            "payload": self.payload,
        }


@dataclass
class _Job:
    url: str
    body: bytes
    headers: dict[str, str]


class CalloutSender:
    """Posts callouts (webhook deliveries) from a background thread, loopback only.

    :meth:`submit` never blocks the API response that caused the callout. Each attempt is recorded
    (:meth:`records`); ``delivered`` is True for a 2xx answer. A URL that is not loopback (see
    :func:`is_loopback_url`) is recorded as not delivered and never contacted; redirects are not
    followed. The worker thread starts on the first loopback callout.
    """

    def __init__(self, *, timeout_s: float = 2.0, max_records: int = 10_000) -> None:
        self.timeout_s = timeout_s
        self.max_records = max_records
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._records: list[CalloutRecord] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Queue one POST of ``body`` to ``url`` (or record it as refused)."""
        if not is_loopback_url(url):
            self._record(url, body, False, None, "not a loopback address: never contacted")
            return
        with self._lock:
            if self._closed:
                return
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-callouts", daemon=True
                )
                self._thread.start()
        self._queue.put(_Job(url, body, dict(headers)))

    def records(self) -> list[dict[str, Any]]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return [r.to_dict() for r in self._records]

    def clear(self) -> None:
        with self._lock:
            self._records = []

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued callout was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the callouts already queued."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(
            timeout=self.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                try:
                    response = client.post(job.url, content=job.body, headers=job.headers)
                    ok = 200 <= response.status_code < 300
                    error = None if ok else f"HTTP {response.status_code}"
                    self._record(job.url, job.body, ok, response.status_code, error)
                except httpx.HTTPError as exc:
                    self._record(job.url, job.body, False, None, f"{type(exc).__name__}: {exc}")
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()

    def _record(
        self, url: str, body: bytes, delivered: bool, status: int | None, error: str | None
    ) -> None:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode("utf-8", "replace")
        record = CalloutRecord(
            url=url,
            delivered=delivered,
            status=status,
            error=error,
            attempted_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            payload=payload,
        )
        with self._lock:
            self._records.append(record)
            del self._records[: -self.max_records]
        logger.debug("callout to %s: delivered=%s status=%s", url, delivered, status)
