"""The webhook receiver (``POST /webhooks/autotask``) and the delivery report, over loopback HTTP.

Signatures are computed here from the documented formula (autotask-api.md §7), not with the
simulator's own helper, so a wrong implementation cannot agree with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.common import serve_in_thread
from reconciler.sandbox.salesbuildr import SalesbuildrSimulator
from reconciler.sandbox.salesbuildr.receiver import entity_name

API_KEY = "test-key"
SECRET = "receiver-secret"
REPORT = "/public-api/integration/autotask/webhook-deliveries"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0  # 2026-09-21T14:13:20Z

    def __call__(self) -> float:
        return self.now


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return "sha1=" + base64.b64encode(digest).decode()


def payload(**overrides: Any) -> bytes:
    body = {
        "Action": "Update",
        "Guid": "6f1c2a4e-0000-4000-8000-000000000001",
        "EntityType": "Account",
        "Id": 29684511,
        "Fields": {"CompanyName": "Contoso Ltd"},
        "EventTime": "2026-11-25T12:00:00.000Z",
        "SequenceNumber": 7,
        "PersonID": 29682886,
    }
    body.update(overrides)
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SalesbuildrSimulator, str, FakeClock]]:
    clock = FakeClock()
    sim = SalesbuildrSimulator(api_key=API_KEY, seed="demo", webhook_secret=SECRET, clock=clock)
    server = serve_in_thread(sim.app)
    yield sim, server.url, clock
    sim.close()
    server.stop()


@pytest.fixture
def http(served: tuple[SalesbuildrSimulator, str, FakeClock]) -> Iterator[httpx.Client]:
    served[0].reset("demo")
    with httpx.Client(base_url=served[1], headers={"api-key": API_KEY}, timeout=30) as client:
        yield client


def deliver(http: httpx.Client, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hook-Signature"] = signature
    return http.post("/webhooks/autotask", content=body, headers=headers)


def report(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get(REPORT, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_signed_callout_is_delivered(http: httpx.Client) -> None:
    body = payload()
    response = deliver(http, body, sign(SECRET, body))
    assert response.status_code == 200
    (record,) = report(http)["results"]
    assert record == {
        "webhookGuid": "6f1c2a4e-0000-4000-8000-000000000001",
        "entity": "company",
        "action": "update",
        "receivedAt": "2026-09-21T14:13:20.000Z",
        "status": "delivered",
        "error": None,
    }


def test_bad_signature_is_401_and_recorded(http: httpx.Client) -> None:
    body = payload(Action="Create", EntityType="Contact")
    assert deliver(http, body, sign("other-secret", body)).status_code == 401
    assert deliver(http, body, None).status_code == 401
    assert deliver(http, body, sign(SECRET, body + b" ")).status_code == 401
    records = report(http)["results"]
    assert [r["status"] for r in records] == ["bad_signature"] * 3
    assert records[0]["entity"] == "contact" and records[0]["action"] == "create"
    assert "missing" in records[1]["error"]


def test_receiver_without_a_secret_refuses_everything(
    http: httpx.Client, served: tuple[SalesbuildrSimulator, str, FakeClock]
) -> None:
    served[0].reset("empty")
    body = payload()
    assert deliver(http, body, sign(SECRET, body)).status_code == 401
    (record,) = report(http)["results"]
    assert record["status"] == "bad_signature"
    assert "no secret" in record["error"]


def test_secret_set_through_the_api_is_used(http: httpx.Client) -> None:
    section = "/public-api/integration/autotask/settings/webhook-receiver"
    etag = http.get(section).headers["ETag"]
    put = http.put(section, json={"secret": "rotated"}, headers={"If-Match": etag})
    assert put.status_code == 200
    body = payload()
    assert deliver(http, body, sign(SECRET, body)).status_code == 401
    assert deliver(http, body, sign("rotated", body)).status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json at all", "not JSON"),
        (b"\xff\xfe\x00garbage", "not valid UTF-8"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b"", "not JSON"),
    ],
)
def test_garbage_bodies_are_recorded_as_failed(
    http: httpx.Client, body: bytes, fragment: str
) -> None:
    response = deliver(http, body, sign(SECRET, body))
    assert response.status_code == 400
    (record,) = report(http)["results"]
    assert record["status"] == "failed"
    assert fragment in record["error"]
    assert record["webhookGuid"] is None


def test_unusual_payload_values_do_not_break_the_receiver(http: httpx.Client) -> None:
    body = payload(Action=None, Guid=42, EntityType=["x"], Fields="??")
    assert deliver(http, body, sign(SECRET, body)).status_code == 200
    (record,) = report(http)["results"]
    assert record["status"] == "delivered"
    assert (record["webhookGuid"], record["entity"], record["action"]) == (None, None, None)


def test_oversized_body_is_413_and_recorded(http: httpx.Client) -> None:
    body = b"{" + b" " * 1_000_001 + b"}"
    assert deliver(http, body, sign(SECRET, body)).status_code == 413
    (record,) = report(http)["results"]
    assert record["status"] == "failed" and "exceeds" in record["error"]


def test_receiver_accepts_only_post(http: httpx.Client) -> None:
    assert http.get("/webhooks/autotask").status_code == 405


def test_delivery_report_pages_and_filters_by_since(
    http: httpx.Client, served: tuple[SalesbuildrSimulator, str, FakeClock]
) -> None:
    clock = served[2]
    start = clock.now
    try:
        for n in range(5):
            clock.now = start + 60 * n
            body = payload(SequenceNumber=n)
            assert deliver(http, body, sign(SECRET, body)).status_code == 200
    finally:
        clock.now = start
    everything = report(http)
    assert everything["total"] == 5
    times = [r["receivedAt"] for r in everything["results"]]
    assert times == sorted(times), "oldest first"
    page = report(http, **{"from": 1, "size": 2})
    assert page["total"] == 5
    assert [r["receivedAt"] for r in page["results"]] == times[1:3]
    since = report(http, since=times[2])
    assert since["total"] == 3
    assert since["results"][0]["receivedAt"] == times[2]
    offset = report(http, since="2026-09-21T16:14:40+02:00")  # = times[1] + 20 s
    assert offset["total"] == 3
    assert report(http, since="2030-01-01T00:00:00Z") == {"results": [], "total": 0}


def test_delivery_report_rejects_a_bad_since(http: httpx.Client) -> None:
    response = http.get(REPORT, params={"since": "yesterday"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "since"


def test_delivery_report_needs_the_api_key(http: httpx.Client) -> None:
    assert http.get(REPORT, headers={"api-key": "wrong"}).status_code == 401


@pytest.mark.parametrize(
    ("entity_type", "expected"),
    [
        ("Account", "company"),
        ("Company", "company"),
        ("Contact", "contact"),
        ("Ticket", "ticket"),
        ("TicketNote", "ticket_note"),
        ("ConfigurationItem", "configuration_item"),
        ("InstalledProduct", "configuration_item"),
        ("ServiceCall", "service_call"),
        ("", None),
        (None, None),
    ],
)
def test_entity_names(entity_type: object, expected: str | None) -> None:
    assert entity_name(entity_type) == expected
