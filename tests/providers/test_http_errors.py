"""Every error path of the shared HTTP client, through httpx.MockTransport (no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    UsageError,
    ValidationFailed,
)
from reconciler.transport.http import (
    ApiClient,
    RetryPolicy,
    SlidingWindowBudget,
    api_messages,
    retry_after_seconds,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers from a script and remembers every request."""

    def __init__(self, *answers: httpx.Response | Exception):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_for(recorder: Recorder, *, sleeps: list[float] | None = None) -> ApiClient:
    waits = sleeps if sleeps is not None else []
    return ApiClient(
        system="autotask",
        base_url="https://example.test/atservicesrest/V1.0",
        headers={"Secret": "top-secret-value"},
        transport=httpx.MockTransport(recorder),
        retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=2.0),
        sleep=waits.append,
    )


def errors(*messages: str, status: int = 500) -> httpx.Response:
    return httpx.Response(status, json={"errors": list(messages)})


def test_success_returns_response_and_counts_calls() -> None:
    recorder = Recorder(httpx.Response(200, json={"items": []}))
    with client_for(recorder) as client:
        response = client.request("POST", "Companies/query", json={"filter": []}, read=True)
    assert response.json() == {"items": []}
    assert client.calls == 1
    assert recorder.requests[0].url.path == "/atservicesrest/V1.0/Companies/query"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_error_is_not_retried(status: int) -> None:
    recorder = Recorder(httpx.Response(status, json={"errors": ["bad credentials"]}))
    with client_for(recorder) as client, pytest.raises(AuthError) as caught:
        client.request("GET", "Companies/1")
    assert len(recorder.requests) == 1
    assert "AUTOTASK_API_USERNAME" in (caught.value.hint or "")
    assert caught.value.method == "GET"
    assert caught.value.path == "/atservicesrest/V1.0/Companies/1"
    assert "top-secret-value" not in str(caught.value)


def test_not_found() -> None:
    recorder = Recorder(httpx.Response(404, text="no route"))
    with client_for(recorder) as client, pytest.raises(NotFoundError):
        client.request("GET", "Nope/1")


def test_validation_500_with_errors_is_not_retried_and_keeps_messages() -> None:
    recorder = Recorder(errors("OwnerResourceID: value 7 does not exist", "Name is required"))
    with client_for(recorder) as client, pytest.raises(ValidationFailed) as caught:
        client.request("POST", "Companies", json={"companyName": ""}, read=False)
    assert len(recorder.requests) == 1
    assert caught.value.api_messages == [
        "OwnerResourceID: value 7 does not exist",
        "Name is required",
    ]
    assert "OwnerResourceID: value 7 does not exist" in caught.value.message


def test_validation_500_on_a_read_is_not_retried_either() -> None:
    recorder = Recorder(errors("MaxRecords must be 1..500"))
    with client_for(recorder) as client, pytest.raises(ValidationFailed):
        client.request("POST", "Companies/query", json={}, read=True)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [400, 422])
def test_400_and_422_are_validation_failures(status: int) -> None:
    body = {
        "message": "invalid",
        "errors": [{"path": "categories[0].billingCodeId", "message": "unknown"}],
    }
    recorder = Recorder(httpx.Response(status, json=body))
    with client_for(recorder) as client, pytest.raises(ValidationFailed) as caught:
        client.request("PUT", "settings/x", json={}, read=False)
    assert caught.value.api_messages == ["invalid", "categories[0].billingCodeId: unknown"]


@pytest.mark.parametrize("status", [409, 412, 428])
def test_conflicts(status: int) -> None:
    recorder = Recorder(httpx.Response(status, json={"message": "changed"}))
    with client_for(recorder) as client, pytest.raises(ConflictError):
        client.request("PUT", "settings/x", json={}, read=False)


def test_read_retries_429_then_succeeds_honouring_retry_after() -> None:
    sleeps: list[float] = []
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "1.5"}),
        httpx.Response(200, json={"ok": True}),
    )
    with client_for(recorder, sleeps=sleeps) as client:
        assert client.request("GET", "Companies/1").json() == {"ok": True}
    assert sleeps == [1.5]
    assert client.calls == 2


def test_retry_after_is_capped() -> None:
    sleeps: list[float] = []
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json={})
    )
    with client_for(recorder, sleeps=sleeps) as client:
        client.request("GET", "x")
    assert sleeps == [2.0]


def test_read_429_storm_gives_rate_limited_after_the_attempts() -> None:
    sleeps: list[float] = []
    recorder = Recorder(httpx.Response(429))
    with client_for(recorder, sleeps=sleeps) as client, pytest.raises(RateLimited):
        client.request("GET", "x")
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    assert all(0 < s <= 2.0 for s in sleeps)


def test_write_retries_429_because_it_was_rejected_before_processing() -> None:
    recorder = Recorder(httpx.Response(429), httpx.Response(200, json={"itemId": 5}))
    with client_for(recorder) as client:
        assert client.request("POST", "Companies", json={}, read=False).json() == {"itemId": 5}
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_read_retries_5xx(status: int) -> None:
    recorder = Recorder(httpx.Response(status, text="oops"), httpx.Response(200, json={}))
    with client_for(recorder) as client:
        client.request("GET", "x")
    assert len(recorder.requests) == 2


def test_read_5xx_forever_is_unavailable() -> None:
    recorder = Recorder(httpx.Response(503))
    with client_for(recorder) as client, pytest.raises(Unavailable):
        client.request("GET", "x")
    assert len(recorder.requests) == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_write_5xx_without_errors_is_an_unknown_outcome_and_not_retried(status: int) -> None:
    recorder = Recorder(httpx.Response(status, text="upstream"))
    with client_for(recorder) as client, pytest.raises(UnknownOutcome) as caught:
        client.request("POST", "CompanyWebhooks", json={"name": "x"}, read=False)
    assert len(recorder.requests) == 1
    assert caught.value.status == status


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset"),
    ],
)
def test_write_lost_in_flight_is_an_unknown_outcome(exception: Exception) -> None:
    recorder = Recorder(exception)
    with client_for(recorder) as client, pytest.raises(UnknownOutcome):
        client.request("PATCH", "Companies", json={"id": 1}, read=False)
    assert len(recorder.requests) == 1


def test_read_lost_in_flight_is_retried() -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json={"items": []}))
    with client_for(recorder) as client:
        client.request("POST", "Companies/query", json={}, read=True)
    assert len(recorder.requests) == 2


def test_connect_error_is_retried_even_for_writes_since_nothing_was_sent() -> None:
    recorder = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json={"itemId": 1}))
    with client_for(recorder) as client:
        client.request("POST", "Companies", json={}, read=False)
    assert len(recorder.requests) == 2


def test_connect_error_forever_is_unavailable_with_a_hint() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    with client_for(recorder) as client, pytest.raises(Unavailable) as caught:
        client.request("GET", "x")
    assert "sandbox" in (caught.value.hint or "")


def test_ok_statuses_are_returned_not_raised() -> None:
    recorder = Recorder(httpx.Response(405))
    with client_for(recorder) as client:
        assert client.request("GET", "x", ok=(405,)).status_code == 405


def test_logs_never_contain_headers_or_query(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="reconciler")
    recorder = Recorder(httpx.Response(200, json={}))
    with client_for(recorder) as client:
        client.request("GET", "ZoneInformation", params={"user": "api@acme.example"})
    text = caplog.text
    assert "GET /atservicesrest/V1.0/ZoneInformation -> 200" in text
    assert "top-secret-value" not in text
    assert "api@acme.example" not in text


def test_api_messages_shapes() -> None:
    assert api_messages(httpx.Response(500, json={"errors": ["a", "b"]})) == ["a", "b"]
    assert api_messages(
        httpx.Response(422, json={"message": "m", "errors": [{"field": "f", "message": "x"}]})
    ) == ["m", "f: x"]
    assert api_messages(httpx.Response(500, text="plain")) == ["plain"]
    assert api_messages(httpx.Response(500, json=[1])) == []


def test_retry_after_parsing() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(httpx.Response(429)) is None
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": past})) == 0.0


def test_sliding_window_budget_waits_for_the_oldest_request_to_expire() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    budget = SlidingWindowBudget(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        budget.acquire()
    assert sleeps == []
    now[0] = 4.0
    budget.acquire()
    assert sleeps == [6.0]


def test_in_flight_limit_per_endpoint() -> None:
    """Each request is held until three are in flight together (or 60 s pass), so the client's
    limit, not how fast a busy machine starts nine threads, decides how many overlap."""
    active = {"now": 0, "max": 0}
    lock = threading.Condition()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
            lock.notify_all()
            lock.wait_for(lambda: active["max"] >= 3, timeout=60)
            active["now"] -= 1
        return httpx.Response(200, content=json.dumps({}).encode())

    client = ApiClient(
        system="autotask",
        base_url="https://example.test/V1.0",
        headers={},
        transport=httpx.MockTransport(handler),
        max_in_flight=3,
    )
    threads = [
        threading.Thread(target=client.request, args=("GET", "Companies/1")) for _ in range(9)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert active["max"] == 3
    assert client.calls == 9


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://webservices5.autotask.net/atservicesrest/V1.0", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://127.8.9.10/x", True),
        ("http://localhost:1/x", True),
        ("http://[::1]:9/x", True),
        ("http://acme.salesbuildr.com/public-api", False),
        ("http://10.0.0.5/x", False),
        ("ftp://example.test/x", False),
    ],
)
def test_only_https_or_loopback(url: str, ok: bool) -> None:
    if ok:
        ApiClient(system="autotask", base_url=url, headers={}).close()
    else:
        with pytest.raises(UsageError, match="https://"):
            ApiClient(system="autotask", base_url=url, headers={})
