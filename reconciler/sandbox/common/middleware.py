"""The ASGI middleware in front of every simulator: stats, thread limit, latency, faults.

Every cross-cutting behaviour lives here, so the API handlers stay plain request -> response
functions. The control surface (``/_sandbox/``) passes straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.common.control import CONTROL_PREFIX
from reconciler.sandbox.common.faults import (
    SandboxRng,
    choose_fault,
    default_fault_response,
    is_read_request,
    validate_faults,
)
from reconciler.sandbox.common.stats import RequestStats

EndpointKeyFn = Callable[[str, str], str | None]
"""``(method, path) -> key``: the documented endpoint a request hits, or None for no route."""


class SandboxMiddleware:
    """ASGI middleware: stats, thread limit, latency and faults in front of a simulator app.

    For every request outside :data:`CONTROL_PREFIX`, in this order:

    1. count it in ``stats`` under ``endpoint_key(method, path)``;
    2. take an in-flight slot in the group ``limit_key(method, path)`` (defaults to the endpoint
       key; None = exempt); over ``thread_limit`` the request is answered ``thread-limit`` (429)
       at once;
    3. while holding the slot, sleep ``latency_ms`` plus ``extra_delay()`` seconds;
    4. roll the faults (:func:`choose_fault`): ``429``/``500``/``503`` answer with
       ``fault_response(kind)`` without running the app; ``timeout`` holds the request for
       ``timeout_hold_s`` (or until the client gives up or :meth:`close` is called) and then drops
       the connection; ``reset-after-commit`` (writes only) runs the app, so the write is
       committed, discards its response and drops the connection;
    5. otherwise run the app.

    ``on_request(method, path)`` is called for every counted request (Autotask's hourly counter).
    ``latency_ms`` and ``faults`` are plain attributes and may be changed while serving.
    Wrap the *outermost* app with it: dropping a connection uses the server's transport.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoint_key: EndpointKeyFn,
        stats: RequestStats,
        rng: SandboxRng,
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        thread_limit: int | None = None,
        limit_key: EndpointKeyFn | None = None,
        extra_delay: Callable[[], float] | None = None,
        is_read: Callable[[str, str], bool] = is_read_request,
        on_request: Callable[[str, str], None] | None = None,
        fault_response: Callable[[str], Response] = default_fault_response,
        timeout_hold_s: float = 30.0,
    ) -> None:
        self.app = app
        self.endpoint_key = endpoint_key
        self.stats = stats
        self.rng = rng
        self.latency_ms = latency_ms
        self.faults = validate_faults(faults)
        self.thread_limit = thread_limit
        self.limit_key = limit_key or endpoint_key
        self.extra_delay = extra_delay
        self.is_read = is_read
        self.on_request = on_request
        self.fault_response = fault_response
        self.timeout_hold_s = timeout_hold_s
        self._closing = threading.Event()

    def close(self) -> None:
        """End every held (``timeout``) request now, so a server can shut down promptly."""
        self._closing.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"].upper()
        path: str = scope["path"]
        is_write = not self.is_read(method, path)
        key = self.endpoint_key(method, path)
        self.stats.count(key, is_write=is_write)
        if self.on_request is not None:
            self.on_request(method, path)
        group = self.limit_key(method, path) if self.thread_limit is not None else None
        if not self.stats.enter(key, group, self.thread_limit):
            await self.fault_response("thread-limit")(scope, receive, send)
            return
        try:
            delay = self.latency_ms / 1000.0 + (self.extra_delay() if self.extra_delay else 0.0)
            if delay > 0:
                await asyncio.sleep(delay)
            kind = choose_fault(self.rng, self.faults, is_write=is_write)
            if kind is None:
                await self.app(scope, receive, send)
            elif kind == "timeout":
                await self._hold(receive)
                await drop_connection(send)
            elif kind == "reset-after-commit":
                await self.app(scope, receive, _discard)
                await drop_connection(send)
            else:
                await self.fault_response(kind)(scope, receive, send)
        finally:
            self.stats.leave(key, group)

    async def _hold(self, receive: Receive) -> None:
        """Wait ``timeout_hold_s``, or less if the client disconnects or we are closing."""
        disconnected = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        deadline = time.monotonic() + self.timeout_hold_s
        try:
            while time.monotonic() < deadline and not self._closing.is_set():
                if disconnected.is_set():
                    return
                await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _discard(message: Message) -> None:
    """A ``send`` that throws the response away (the client never sees it)."""


async def drop_connection(send: Send) -> None:
    """Close the client's connection without sending (the rest of) a response.

    With uvicorn, ``send`` is bound to the request cycle, which holds the transport: aborting it
    makes the client see the connection drop (httpx: ``RemoteProtocolError``/``ReadError``)
    without a status line. Another server falls back to an announced but never sent body, which
    the server cuts off.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let the server notice the lost connection before the app returns, so it does not try
        # to send a 500 of its own.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
