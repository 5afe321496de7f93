"""Waiting in tests without depending on the machine's speed: poll a condition until it holds,
with a deadline far beyond what any machine needs (a loaded CI runner included)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

GENEROUS_S = 60.0
_YIELD_S = 0.02  # a yield between polls, not a timing assumption

T = TypeVar("T")


def wait_for(condition: Callable[[], bool], *, timeout: float = GENEROUS_S, what: str = "") -> None:
    """Return once ``condition()`` holds; fail the test after ``timeout`` seconds."""
    poll(condition, bool, timeout=timeout, what=what)


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float = GENEROUS_S,
    what: str = "",
) -> T:
    """Call ``fetch`` until ``done(value)``; return that value, or fail after ``timeout`` seconds
    naming what never happened and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: {value!r}")
        time.sleep(_YIELD_S)
