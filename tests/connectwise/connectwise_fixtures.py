"""Fixtures and helpers of the ConnectWise tests (registered by ``conftest.py``; imported by name
from here, since every test directory has a ``conftest`` module): the simulator on a real loopback
port, a client pointed at it through the environment it exports, a fake clock and sleep (no test
ever waits for real), and a loopback receiver that signals each callback it gets."""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.credentials import ConnectWiseCredentials as ClientCredentials
from reconciler.sandbox.common.server import RunningServer, serve_in_thread
from reconciler.sandbox.connectwise import ConnectWiseCredentials, create_app, export_lines
from reconciler.sandbox.connectwise.app import ConnectWiseSimulator

CREDENTIALS = ConnectWiseCredentials(
    company="acmetest",
    public_key="pubKEYabc123",
    private_key="privKEYsecret-4567",
    client_id="0f8fad5b-d9cb-469f-a165-70867728950e",
)


@dataclass
class FakeTime:
    """A clock that moves only when the code under test sleeps; every sleep is recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


MOCK_BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def mocked_client(
    answer: Callable[[httpx.Request], httpx.Response], *, fake_time: FakeTime | None = None
) -> ConnectWiseClient:
    """A client on the public host whose every request ``answer`` answers (no network); with
    ``fake_time``, its rate cap and backoff run on that clock (else its waits are skipped)."""
    credentials = ClientCredentials(
        api_url=MOCK_BASE,
        company="acme",
        public_key=SecretStr("pub-key-1"),
        private_key=SecretStr("priv-key-1"),
        client_id="client-1",
    )
    timing: dict[str, Any] = (
        {"clock": fake_time.clock, "sleep": fake_time.sleep}
        if fake_time
        else {"sleep": lambda seconds: None}
    )
    return ConnectWiseClient.connect(credentials, transport=httpx.MockTransport(answer), **timing)


@dataclass
class Running:
    simulator: ConnectWiseSimulator
    server: RunningServer

    @property
    def env(self) -> dict[str, str]:
        return environment(self.server.url, self.simulator.credentials)


def environment(base_url: str, credentials: ConnectWiseCredentials) -> dict[str, str]:
    """The CONNECTWISE_* variables, parsed back from the simulator's export lines."""
    env: dict[str, str] = {}
    for line in export_lines(base_url, credentials):
        name, _, quoted = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(quoted)[0]
    return env


@pytest.fixture
def start_cw() -> Iterator[Callable[..., Running]]:
    """``start_cw(seed="demo", **options) -> Running``; stopped at teardown."""
    started: list[Running] = []

    def start(seed: str = "demo", **options: Any) -> Running:
        simulator = create_app(seed, credentials=options.pop("credentials", CREDENTIALS), **options)
        running = Running(simulator, serve_in_thread(simulator))
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.simulator.close()
        running.server.stop()


@pytest.fixture
def cw(start_cw: Callable[..., Running]) -> Running:
    """The demo seed, running."""
    return start_cw("demo")


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client_for(fake_time: FakeTime) -> Iterator[Callable[..., ConnectWiseClient]]:
    """``client_for(running, **options)``: a client from the running simulator's environment,
    on the fake clock (so the rate cap and the backoff never sleep for real)."""
    made: list[ConnectWiseClient] = []

    def make(running: Running, **options: Any) -> ConnectWiseClient:
        options.setdefault("clock", fake_time.clock)
        options.setdefault("sleep", fake_time.sleep)
        client = ConnectWiseClient.from_env(running.env, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(cw: Running, client_for: Callable[..., ConnectWiseClient]) -> ConnectWiseClient:
    return client_for(cw)


@dataclass
class Receiver:
    """A loopback endpoint recording every POST; :meth:`wait_for` waits on a condition."""

    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[bytes]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.bodies) >= count, timeout)
            return list(self.bodies)

    async def record(self, request: Request) -> Response:
        body = await request.body()
        with self._arrived:
            self.bodies.append(body)
            self._arrived.notify_all()
        return Response(status_code=200)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    server = serve_in_thread(
        Starlette(routes=[Route("/{path:path}", target.record, methods=["POST"])])
    )
    target.url = server.url + "/connectwise/callbacks"
    yield target
    server.stop()
