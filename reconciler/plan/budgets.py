"""Request budgets: what a plan saw left of each system's request window, and whether apply may
start within what is left.

Two budgets bound a run, and neither belongs to reconcile alone:

* Autotask: ``ThresholdInformation`` counts the tenant's requests per hour, shared by every
  integration; apply refuses below ``policy.min_remaining_autotask_requests`` (apply.py).
* Salesbuildr: 500 requests per rolling 10 minutes per tenant; every answer carries
  ``X-RateLimit-Remaining``. Apply refuses (exit 3, before its first write) when the requests it
  still needs, its writes and the re-reads that check and verify them, exceed what is left: a
  run that would stop half-way on a 429 (exit 4) is better not started.

Pure: the providers tell what they saw (:class:`WindowNeed`), this module decides and words it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from reconciler.errors import RefusedError, retry_when


@dataclass(frozen=True, slots=True)
class Budget:
    """One system's request budget as the plan saw it: ``remaining`` of ``limit`` requests in a
    window of ``window_s`` seconds; ``retry_at`` (ISO 8601, UTC) when the system named the time
    its window frees up again (a 429's ``Retry-After``), else None."""

    remaining: int
    limit: int
    window_s: float
    retry_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "remaining": self.remaining,
            "limit": self.limit,
            "window_s": self.window_s,
        }
        if self.retry_at is not None:
            data["retry_at"] = self.retry_at
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Budget:
        return cls(
            remaining=int(data.get("remaining") or 0),
            limit=int(data.get("limit") or 0),
            window_s=float(data.get("window_s") or 0),
            retry_at=str(data["retry_at"]) if data.get("retry_at") else None,
        )


def budgets_from_dict(data: Mapping[str, Any] | None) -> dict[str, Budget]:
    return {str(system): Budget.from_dict(value) for system, value in (data or {}).items()}


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WindowNeed(Protocol):
    """What an apply still needs of a system's rolling window (Salesbuildr's) and what its last
    answer said is left (``writes.RequestWindowNeed`` is one); ``title`` names the system."""

    @property
    def title(self) -> str: ...
    @property
    def writes(self) -> int: ...
    @property
    def rereads(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def window_s(self) -> float: ...
    @property
    def retry_at(self) -> float | None: ...


def window_text(window_s: float) -> str:
    """``10-minute`` for 600 s, ``90-second`` otherwise."""
    if window_s >= 60 and window_s % 60 == 0:
        return f"{window_s / 60:.0f}-minute"
    return f"{window_s:g}-second"


def window_refusal(need: WindowNeed, *, now: float) -> tuple[str, str] | None:
    """(message, hint) when the apply needs more of the system's requests than are left; None when
    it fits. ``now`` is epoch seconds. When the server named a time (a 429), retry then; else
    every request counted now has left the rolling window one window from now, at the latest."""
    needed = need.writes + need.rereads
    if needed <= need.remaining:
        return None
    window = window_text(need.window_s)
    message = (
        f"only {need.remaining} {need.title} API requests are left in its rolling {window} "
        f"window; this apply needs at least {needed} ({need.writes} write(s), "
        f"{need.rereads} re-read(s) to check and verify)"
    )
    moment = datetime.fromtimestamp(now, UTC)
    if need.retry_at is not None and need.retry_at > now:
        when = retry_when(need.retry_at - now, moment)
        hint = f"{need.title} named the time: {when}"
    else:
        when = retry_when(need.window_s, moment)
        hint = f"the window frees requests as they age; at the latest {when}"
    return message, hint + "; no write was made"


def refuse_over_window_budget(need: WindowNeed | None, *, now: float | None = None) -> None:
    """Raise :class:`RefusedError` (exit 3) when ``need`` does not fit; None: not involved."""
    if need is None:
        return
    refusal = window_refusal(need, now=time.time() if now is None else now)
    if refusal is not None:
        message, hint = refusal
        raise RefusedError(message, hint=hint)
