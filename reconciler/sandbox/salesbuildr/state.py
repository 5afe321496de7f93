"""The mutable parts of the simulated Salesbuildr tenant besides its settings.

Each class is small and knows nothing of HTTP: the rolling rate limit, the apply lock, the action
jobs and the webhook delivery log. All take the current time as an argument (epoch seconds from the
simulator's clock), so tests can move time instead of sleeping. They are not thread-safe on their
own; the simulator serialises access with one lock.

Proposed beside the contract document (the simulator's behaviour, as :mod:`.app` serves it):

* ``GET /integration/<psa>/lock`` -> 200 with the holder's body, 404 when no lock is held (so
  ``reconcile force-unlock`` can name the holder before breaking the lock). ``DELETE`` needs the
  ``X-Lock-Owner`` header unless ``?force=true`` (422 otherwise).
* Jobs advance queued -> running -> succeeded|failed, one step per poll or per ``job_step_s``
  (0.2 s) of time, whichever is faster. Their ``counts`` (shapes in :mod:`.actions`) are ``{}``
  until a job succeeds and when it fails; a finished import sets the covered mappings'
  ``importedCount``. An import of ``categories`` covers the given categories and their
  subcategories.
* The ETag (``"v<n>"``, unique for the simulator's lifetime, new on every successful PUT and
  reset) versions a section's writable content; import jobs updating ``importedCount`` do not
  change it, so an import running beside an apply never makes the apply's PUT stale.
  ``If-Match: *`` matches any version (RFC 9110); a weak ETag never matches.
* The delivery report lists deliveries oldest first; ``since`` keeps those received at or after
  it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

JOB_STATUSES: Final = ("queued", "running", "succeeded", "failed")
MAX_DELIVERIES: Final = 10_000


def iso(epoch: float) -> str:
    """``2026-11-25T12:00:00.123Z``: the timestamp format of every body the simulator writes."""
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO-8601 timestamp; one without offset is taken as UTC.

    Raises ValueError for anything else (the caller answers 422).
    """
    stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


class RollingRateLimit:
    """Salesbuildr's public-API limit: ``limit`` requests per tenant per rolling ``window_s``.

    Only admitted requests count, so a client that backs off as ``Retry-After`` says gets in again
    once the oldest request leaves the window.
    """

    def __init__(self, limit: int, window_s: float) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("the rate limit needs limit >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._admitted: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._admitted and self._admitted[0] <= now - self.window_s:
            self._admitted.popleft()

    def remaining(self, now: float) -> int:
        self._expire(now)
        return max(0, self.limit - len(self._admitted))

    def admit(self, now: float) -> int | None:
        """Count one request and return None, or the seconds to wait when over the limit."""
        self._expire(now)
        if len(self._admitted) < self.limit:
            self._admitted.append(now)
            return None
        return max(1, math.ceil(self._admitted[0] + self.window_s - now))

    def clear(self) -> None:
        self._admitted.clear()


@dataclass
class _Holder:
    owner: str
    acquired_at: float
    expires_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "acquiredAt": iso(self.acquired_at),
            "expiresAt": iso(self.expires_at),
        }


class ApplyLock:
    """One apply at a time per tenant (Terraform's state lock), expiring after its TTL.

    The same owner acquiring again refreshes the expiry and keeps ``acquiredAt``.
    """

    def __init__(self) -> None:
        self._holder: _Holder | None = None

    def holder(self, now: float) -> dict[str, Any] | None:
        if self._holder is not None and self._holder.expires_at <= now:
            self._holder = None
        return self._holder.to_json() if self._holder else None

    def acquire(self, owner: str, ttl_s: int, now: float) -> tuple[bool, dict[str, Any]]:
        """(True, new holder) or (False, the other owner's holder body)."""
        current = self.holder(now)
        if current is not None and self._holder and self._holder.owner != owner:
            return False, current
        acquired = self._holder.acquired_at if self._holder else now
        self._holder = _Holder(owner, acquired, now + ttl_s)
        return True, self._holder.to_json()

    def release(self, owner: str | None, *, force: bool, now: float) -> dict[str, Any] | None:
        """None when released (or not held), else the body of the other owner's lock."""
        current = self.holder(now)
        if current is not None and self._holder and self._holder.owner != owner and not force:
            return current
        self._holder = None
        return None

    def expire(self, now: float) -> dict[str, Any] | None:
        """End the held lock's TTL at ``now`` (as if it had run out); the holder's body as it was,
        or None when no lock is held. Lets a test expire a long TTL without waiting for it."""
        current = self.holder(now)
        if self._holder is not None:
            self._holder.expires_at = now
        return current

    def clear(self) -> None:
        self._holder = None


@dataclass
class Job:
    """An action (sync or import) that runs queued -> running -> succeeded|failed.

    It advances one step per poll and one step per ``step_s`` of time, whichever is faster, so a
    client polling in a loop sees every status and a client that waits sees it finished.
    """

    id: str
    created: float
    counts: dict[str, Any]
    error: str | None
    on_success: Callable[[], None] | None = None
    polls: int = 0
    finished: bool = False

    def stage(self, now: float, step_s: float) -> int:
        return min(2, self.polls + int(max(0.0, now - self.created) / step_s))

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            if self.error is None and self.on_success is not None:
                self.on_success()

    def to_json(self, stage: int) -> dict[str, Any]:
        if stage < 2:
            return {"status": JOB_STATUSES[stage], "counts": {}, "error": None}
        if self.error is not None:
            return {"status": "failed", "counts": {}, "error": self.error}
        return {"status": "succeeded", "counts": self.counts, "error": None}


@dataclass
class JobBook:
    """The jobs of the tenant, and the one-shot failure ``/_sandbox/fail-next-job`` arms."""

    step_s: float = 0.2
    jobs: dict[str, Job] = field(default_factory=dict)
    fail_next: str | None = None
    _counter: int = 0

    def create(
        self, now: float, counts: dict[str, Any], on_success: Callable[[], None] | None
    ) -> str:
        self._counter += 1
        job_id = f"job-{self._counter:06d}"
        self.jobs[job_id] = Job(job_id, now, counts, self.fail_next, on_success)
        self.fail_next = None
        return job_id

    def poll(self, job_id: str, now: float) -> dict[str, Any] | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        stage = job.stage(now, self.step_s)
        job.polls += 1
        if stage == 2:
            job.finish()
        return job.to_json(stage)

    def settle(self, now: float) -> None:
        """Finish the jobs whose time is up, polled or not (their effects become visible)."""
        for job in self.jobs.values():
            if not job.finished and job.stage(now, self.step_s) == 2:
                job.finish()

    def clear(self) -> None:
        self.jobs.clear()
        self.fail_next = None


@dataclass(frozen=True)
class Delivery:
    """One callout the receiver got, as the delivery report lists it."""

    received: float
    webhook_guid: str | None
    entity: str | None
    action: str | None
    status: str  # delivered | failed | bad_signature
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "webhookGuid": self.webhook_guid,
            "entity": self.entity,
            "action": self.action,
            "receivedAt": iso(self.received),
            "status": self.status,
            "error": self.error,
        }


class DeliveryLog:
    """The receiver's deliveries, oldest first, bounded to the newest :data:`MAX_DELIVERIES`."""

    def __init__(self) -> None:
        self._items: deque[Delivery] = deque(maxlen=MAX_DELIVERIES)

    def add(self, delivery: Delivery) -> None:
        self._items.append(delivery)

    def select(self, since: float | None) -> list[Delivery]:
        return [d for d in self._items if since is None or d.received >= since]

    def clear(self) -> None:
        self._items.clear()
