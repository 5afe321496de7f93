"""Hold requests inside a simulator (behind its SandboxMiddleware, so they count as in flight)
without blocking its other requests: overlap that tests need is made certain, not hoped for
from latency, however slowly a busy machine starts threads and processes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.types import Receive, Scope, Send

GIVE_UP_S = 60.0


@contextmanager
def held_until(
    middleware: Any, release: threading.Event, selected: Callable[[Scope], bool] = lambda _: True
) -> Iterator[threading.Event]:
    """Hold every ``selected`` request until ``release`` is set (at the latest when the block
    ends); yields ``release``."""
    app = middleware.app

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if selected(scope):
            while not release.is_set():
                await asyncio.sleep(0.01)
        await app(scope, receive, send)

    middleware.app = held
    try:
        yield release
    finally:
        release.set()
        middleware.app = app


@contextmanager
def held_until_in_flight(middleware: Any, count: int) -> Iterator[None]:
    """Hold each request until ``count`` requests to its endpoint have been in flight at once,
    so that the client's own limit decides how many overlap. After ``GIVE_UP_S`` a request goes
    on anyway, and the in-flight count the test asserts shows what the client let through."""
    app = middleware.app

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        key = middleware.endpoint_key(scope["method"], scope["path"])
        give_up = time.monotonic() + GIVE_UP_S
        while time.monotonic() < give_up:
            if middleware.stats.snapshot()["endpoints"].get(key, {}).get("max_in_flight", 0) >= (
                count
            ):
                break
            await asyncio.sleep(0.01)
        await app(scope, receive, send)

    middleware.app = held
    try:
        yield
    finally:
        middleware.app = app
