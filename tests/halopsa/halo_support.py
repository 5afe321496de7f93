"""Fixtures of the HaloPSA tests: the simulator on a real loopback port, a client pointed at it,
a fake clock both share, and a loopback webhook receiver that signals arrivals with an event."""

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

from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.connection import HaloConnection
from reconciler.sandbox.common.server import RunningServer, serve_in_thread
from reconciler.sandbox.halopsa import HaloCredentials, HaloSimulator, create_app

CLIENT_ID = "halo-test-client"
CLIENT_SECRET = "halo-test-secret-0123456789"


@dataclass
class FakeClock:
    """Seconds that move only when a test (or a fake sleep) moves them."""

    now: float = 1_000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Halo:
    """One running simulator and how to reach it."""

    simulator: HaloSimulator
    server: RunningServer
    clock: FakeClock
    credentials: HaloCredentials
    clients: list[HaloClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def environ(self, **extra: str) -> dict[str, str]:
        return {
            "HALOPSA_URL": self.url,
            "HALOPSA_CLIENT_ID": self.credentials.client_id,
            "HALOPSA_CLIENT_SECRET": self.credentials.client_secret,
            **extra,
        }

    def client(self, environ: dict[str, str] | None = None, **options: Any) -> HaloClient:
        connection = HaloConnection.from_environment(environ or self.environ())
        options.setdefault("clock", self.clock)
        options.setdefault("sleep", self.clock.sleep)
        client = HaloClient(connection, **options)
        self.clients.append(client)
        return client

    def endpoint_requests(self, key: str) -> int:
        endpoint = self.simulator.stats()["endpoints"].get(key, {})
        requests: int = endpoint.get("requests", 0)
        return requests


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def halo(fake_clock: FakeClock) -> Iterator[Callable[..., Halo]]:
    """``halo(seed="demo", credentials=None, **simulator options) -> Halo``, stopped at teardown."""
    started: list[Halo] = []

    def start(
        seed: str = "demo", credentials: HaloCredentials | None = None, **options: Any
    ) -> Halo:
        creds = credentials or HaloCredentials(CLIENT_ID, CLIENT_SECRET)
        options.setdefault("clock", fake_clock)
        simulator = create_app(seed, credentials=creds, **options)
        running = Halo(simulator, serve_in_thread(simulator.app), fake_clock, creds)
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        for client in running.clients:
            client.close()
        running.simulator.close()
        running.server.stop()


@dataclass
class Receiver:
    """A loopback endpoint that records every POST and sets ``arrived`` on each."""

    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    async def record(request: Request) -> Response:
        received.bodies.append(await request.body())
        received.headers.append(dict(request.headers))
        received.arrived.set()
        return Response(status_code=200)

    server = serve_in_thread(Starlette(routes=[Route("/hook", record, methods=["POST"])]))
    received.url = server.url + "/hook"
    yield received
    server.stop()
