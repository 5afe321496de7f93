"""The client-side rate cap (60 a minute by default) and the backoff on 429 / 503 with
Retry-After, all on a fake clock: the tests never sleep, so their speed says nothing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from connectwise_fixtures import FakeTime, Running, mocked_client

from reconciler.errors import RateLimited, Unavailable
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import (
    DEFAULT_REQUESTS_PER_MINUTE,
    ConnectWiseClient,
    rate_cap,
)
from reconciler.sandbox.connectwise import RateCap

READS = (
    endpoints.BOARDS,
    endpoints.PRIORITIES,
    endpoints.COMPANY_TYPES,
    endpoints.COMPANY_STATUSES,
    endpoints.CATEGORIES,
    endpoints.PRODUCT_TYPES,
)


def test_the_default_cap_is_sixty_a_minute() -> None:
    assert DEFAULT_REQUESTS_PER_MINUTE == 60
    with pytest.raises(ValueError, match="at least 1"):
        rate_cap(0)


def test_the_cap_waits_out_the_window_before_going_over(
    cw: Running, client_for: Callable[..., ConnectWiseClient], fake_time: FakeTime
) -> None:
    client = client_for(cw, requests_per_minute=5)
    for path in READS * 2:
        client.list_all(path)
    assert client.calls == 12
    assert fake_time.sleeps == [60.0, 60.0]  # after the 5th and the 10th request
    assert cw.simulator.stats()["requests"] == 12


def test_the_default_cap_lets_sixty_through_without_waiting(
    cw: Running, client_for: Callable[..., ConnectWiseClient], fake_time: FakeTime
) -> None:
    client = client_for(cw)
    for _ in range(10):
        for path in READS:
            client.list_all(path)
    assert fake_time.sleeps == []
    client.list_all(endpoints.BOARDS)
    assert fake_time.sleeps == [60.0]


def test_a_429_from_the_server_is_waited_out_as_retry_after_says(
    start_cw: Callable[..., Running],
    client_for: Callable[..., ConnectWiseClient],
    fake_time: FakeTime,
) -> None:
    # The simulator's cap runs on the same fake clock the client's sleeps advance.
    running = start_cw("demo", rate_cap=RateCap(3, 60.0, clock=fake_time.clock))
    client = client_for(running)
    for path in READS[:4]:
        client.list_all(path)
    assert fake_time.sleeps == [60.0]
    assert client.calls == 5  # the refused request was sent again once
    assert running.simulator.stats()["requests"] == 5


def _mocked(
    answers: list[httpx.Response], fake_time: FakeTime
) -> tuple[ConnectWiseClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answers.pop(0) if answers else httpx.Response(200, json=[])

    client = mocked_client(answer, fake_time=fake_time)
    return client, sent


def _refusal(status: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    body = {"code": "TooManyRequests", "message": "slow down", "errors": []}
    return httpx.Response(status, json=body, headers=headers)


def test_503_on_a_read_is_retried_after_retry_after(fake_time: FakeTime) -> None:
    client, sent = _mocked([_refusal(503, "7"), _refusal(503, "7")], fake_time)
    with client:
        assert client.list_all(endpoints.BOARDS) == []
    assert len(sent) == 3
    assert fake_time.sleeps == [7.0, 7.0]


def test_429_on_a_write_is_retried_it_was_never_processed(fake_time: FakeTime) -> None:
    created = httpx.Response(201, json={"id": 4, "url": "http://127.0.0.1:9/"})
    client, sent = _mocked([_refusal(429, "3"), created], fake_time)
    with client:
        assert client.create(endpoints.CALLBACKS, {"url": "http://127.0.0.1:9/"})["id"] == 4
    assert [r.method for r in sent] == ["POST", "POST"]
    assert fake_time.sleeps == [3.0]


def test_without_retry_after_the_backoff_is_salesbuildr_s_schedule(fake_time: FakeTime) -> None:
    client, sent = _mocked([_refusal(429) for _ in range(5)], fake_time)
    with client, pytest.raises(RateLimited):
        client.list_all(endpoints.BOARDS)
    assert len(sent) == 5  # the first attempt and 4 retries
    for waited, nominal in zip(fake_time.sleeps, (5.0, 10.0, 20.0, 40.0), strict=True):
        assert nominal / 2 <= waited <= nominal  # jittered down, never above the schedule
    assert max(fake_time.sleeps) <= 60.0


def test_a_long_retry_after_is_capped_at_a_minute(fake_time: FakeTime) -> None:
    client, _ = _mocked([_refusal(503, "3600")], fake_time)
    with client:
        client.list_all(endpoints.BOARDS)
    assert fake_time.sleeps == [60.0]


def test_a_server_that_never_recovers_ends_as_unavailable(fake_time: FakeTime) -> None:
    client, sent = _mocked([_refusal(503, "1") for _ in range(5)], fake_time)
    with client, pytest.raises(Unavailable):
        client.list_all(endpoints.BOARDS)
    assert len(sent) == 5
