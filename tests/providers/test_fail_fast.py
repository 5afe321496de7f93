"""Item 6 of issue 16: what no retry can fix fails in a few attempts; timeouts back off."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import Unavailable
from reconciler.transport.http import ApiClient


class CountingTransport(httpx.BaseTransport):
    """The real transport, counting the attempts that reach it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return self.inner.handle_request(request)


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port held bound but not listening: connecting is refused, nobody else gets it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def client(base_url: str, transport: httpx.BaseTransport, sleeps: list[float]) -> ApiClient:
    return ApiClient(
        system="autotask",
        base_url=base_url,
        headers={},
        transport=transport,
        sleep=sleeps.append,
    )


def test_refused_connection_fails_after_two_retries_and_the_host_stays_down(
    dead_port: int,
) -> None:
    transport = CountingTransport(httpx.HTTPTransport())
    sleeps: list[float] = []
    api = client(f"http://127.0.0.1:{dead_port}/v1.0", transport, sleeps)

    with pytest.raises(Unavailable) as first:
        api.request("GET", "Companies/query")

    assert first.value.message.startswith(
        f"cannot connect to 127.0.0.1:{dead_port} (connection refused)"
    )
    assert transport.attempts == 3
    assert len(sleeps) == 2
    assert sum(sleeps) <= 3.0

    with pytest.raises(Unavailable) as second:
        api.request("GET", "Contacts/query")

    assert second.value.message == first.value.message
    assert transport.attempts == 3  # known unreachable: no new attempt, no new wait
    assert len(sleeps) == 2
    api.close()


def test_unresolvable_name_is_said_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from cause

    sleeps: list[float] = []
    api = client("http://localhost:9/v1.0", httpx.MockTransport(refuse), sleeps)

    with pytest.raises(Unavailable) as caught:
        api.request("GET", "Companies/query")

    assert caught.value.message.startswith("cannot connect to localhost:9 (name not resolved)")
    assert len(sleeps) == 2


def test_connect_timeout_keeps_the_full_backoff() -> None:
    attempts: list[str] = []

    def slow(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        raise httpx.ConnectTimeout("timed out", request=request)

    sleeps: list[float] = []
    api = client("http://127.0.0.1:9/v1.0", httpx.MockTransport(slow), sleeps)

    with pytest.raises(Unavailable):
        api.request("GET", "Companies/query")
    with pytest.raises(Unavailable):
        api.request("GET", "Companies/query")

    assert len(attempts) == 2 * api.retry.attempts  # no fail-fast memory for timeouts
    assert len(sleeps) == 2 * (api.retry.attempts - 1)


def test_plan_against_a_dead_port_exits_1_with_the_reason(
    dead_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    created: list[ApiClient] = []
    original = ApiClient.__init__

    def with_recorded_sleep(self: ApiClient, **options: Any) -> None:
        original(self, **{**options, "sleep": sleeps.append})
        created.append(self)

    monkeypatch.setattr(ApiClient, "__init__", with_recorded_sleep)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mappings.yaml").write_text(
        "version: 1\ncompany_types:\n  to_salesbuildr: {Customer: Customer}\n"
    )
    dead = f"http://127.0.0.1:{dead_port}"
    env = {
        "AUTOTASK_API_URL": f"{dead}/atservicesrest",
        "AUTOTASK_API_USERNAME": "user@example.test",
        "AUTOTASK_API_SECRET": "secret",
        "AUTOTASK_API_INTEGRATION_CODE": "code",
        "SALESBUILDR_API_URL": f"{dead}/public-api",
        "SALESBUILDR_API_KEY": "key",
    }

    result = CliRunner().invoke(cli, ["plan", "mappings.yaml"], env=env)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"cannot connect to 127.0.0.1:{dead_port} (connection refused)" in result.stderr
    attempts = sum(api.calls for api in created)
    # Per client: 3 refusals mark the host down; reads already in flight (at most 3 per
    # endpoint, a few endpoints) may each have been sent once more before they saw it.
    assert 1 <= attempts <= 3 * len(created) + 3, attempts
    # Each wait follows a refused attempt. (Not fewer waits than attempts: a reader that waited
    # may find the host marked down by another reader meanwhile and stop without a retry.)
    assert len(sleeps) <= attempts
