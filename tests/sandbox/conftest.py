"""Shared fixtures of the sandbox tests: real loopback servers, stopped after each test.

Generic on purpose (both simulators' tests use them): ``serve`` starts any ASGI app on a free
loopback port, ``receiver`` is a tiny HTTP server that records every request it gets (to check
webhook callouts end to end).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.common import RunningServer, serve_in_thread


@pytest.fixture
def serve() -> Iterator[Callable[[Any], RunningServer]]:
    """``serve(app) -> RunningServer``; every server started is stopped at teardown."""
    started: list[RunningServer] = []

    def start(app: Any) -> RunningServer:
        server = serve_in_thread(app)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP endpoint that answers ``status`` and records what it received."""

    url: str = ""
    status: int = 200
    received: list[ReceivedRequest] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[ReceivedRequest]:
        """Wait until at least ``count`` requests arrived; return them all."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    async def _record(self, request: Request) -> Response:
        received = ReceivedRequest(
            request.method, request.url.path, dict(request.headers), await request.body()
        )
        with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()
        return Response(status_code=self.status)


@pytest.fixture
def receiver(serve: Callable[[Any], RunningServer]) -> Receiver:
    """A running :class:`Receiver`; its ``url`` accepts POSTs on any path."""
    target = Receiver()
    app = Starlette(routes=[Route("/{path:path}", target._record, methods=["POST", "GET"])])
    target.url = serve(app).url
    return target
