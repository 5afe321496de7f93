"""Salesbuildr jobs and the options that drive them: durations (``--timeout``, ``--since``,
``--lock-timeout``), polling a job to its end without spending the request window, and the
``--category`` choice of a product import (Salesbuildr's category tree, the same for every PSA).

Nothing here prints; nothing here knows a PSA (their parts are in each PSA's operations).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler.errors import UsageError
from reconciler.kinds.catalog import Entry, NameTable
from reconciler.render.escape import terminal
from reconciler.salesbuildr.client import Category, Job, SalesbuildrClient

# --- durations ------------------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, *, option: str, allow_zero: bool = False) -> float:
    """``90``, ``30s``, ``10m``, ``24h``, ``7d`` -> seconds; a UsageError naming ``option``."""
    match = _DURATION.match(text.strip().lower())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else -1.0
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise UsageError(
            f"{option} {text!r}: expected a {'' if allow_zero else 'positive '}duration like "
            "30s, 10m, 24h or 7d"
        )
    return seconds


def parse_since(text: str, *, now: datetime) -> datetime:
    """``--since``: a duration back from ``now`` (``30m``, ``24h``, ``7d``) or an ISO-8601
    timestamp (``2026-11-25T08:00:00Z``; without an offset it is UTC)."""
    if _DURATION.match(text.strip().lower()):
        return now - timedelta(seconds=parse_duration(text, option="--since"))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected a duration (30m, 24h, 7d) or an ISO-8601 timestamp",
            hint="e.g. --since 24h or --since 2026-11-25T08:00:00Z",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- jobs ---------------------------------------------------------------------------------------


@dataclass
class PollSchedule:
    """The pauses between polls of a job: short at first (most jobs end in seconds), doubling up
    to ``ceiling_s``, so that a long job cannot spend the 500-requests-per-10-minutes budget
    (5 s is 120 polls in 10 minutes). Passed as ``wait_for_job(sleep=...)``: it ignores the
    interval asked for."""

    first_s: float = 0.25
    ceiling_s: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    _next: float | None = None

    def __call__(self, _asked: float) -> None:
        delay = self.first_s if self._next is None else self._next
        self.sleep(delay)
        self._next = min(delay * 2, self.ceiling_s)


def run_job(
    client: SalesbuildrClient,
    job_id: str,
    *,
    timeout_s: float,
    on_progress: Callable[[Job], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Poll a started job until it ends (ProviderError after ``timeout_s``)."""
    return client.wait_for_job(
        job_id,
        timeout_s=timeout_s,
        interval_s=PollSchedule.first_s,
        on_progress=on_progress,
        sleep=PollSchedule(sleep=sleep),
    )


# --- the --category of a product import ----------------------------------------------------------


def category_table(categories: Iterable[Category]) -> NameTable:
    """Salesbuildr categories by path (``Hardware/Laptops``), as the YAML names them."""
    return NameTable(
        "Salesbuildr category",
        [Entry(id=c.id, name=c.name, path=c.path) for c in categories],
        paths=True,
    )


def resolve_categories(table: NameTable, paths: Sequence[str]) -> list[Entry]:
    """The categories ``--category`` names (case-insensitive paths), every unknown one reported
    at once with the closest valid paths."""
    found: list[Entry] = []
    problems: list[tuple[str, str | None]] = []
    for text in paths:
        outcome = table.resolve(text, allow_inactive=True)
        if outcome.entry is None:
            problems.append((outcome.message or f"unknown category {text!r}", outcome.hint))
        elif outcome.entry not in found:
            found.append(outcome.entry)
    if len(problems) == 1:
        message, hint = problems[0]
        raise UsageError(f"--category: {message}", hint=hint)
    if problems:
        lines = [terminal(f"{m} ({h})" if h else m) for m, h in problems]
        raise UsageError(
            f"--category: {len(problems)} paths name no Salesbuildr category:\n  "
            + "\n  ".join(lines),
            hint="paths use / between levels, as in the YAML (Hardware/Laptops)",
        )
    return found
