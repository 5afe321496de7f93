"""The HaloPSA simulator on its own, over real HTTP: the token endpoint, envelopes and paging,
upserts, refusals, the rate cap (on in its own test), faults, webhook deliveries, seeds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from halo_support import CLIENT_ID, CLIENT_SECRET, FakeClock, Halo, Receiver
from polling import poll

from reconciler.sandbox.halopsa import (
    SEED_NAMES,
    HaloCredentials,
    RateCap,
    create_app,
    export_lines,
)
from reconciler.sandbox.halopsa.app import RATE_LIMIT_MESSAGE
from reconciler.sandbox.halopsa.webhooks import EVENT_NUMBERS, STATUS_DELIVERED, STATUS_FAILED

HaloFactory = Callable[..., Halo]


def _token(http: httpx.Client, **form: str) -> httpx.Response:
    fields = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "all",
        **form,
    }
    return http.post("/auth/token", data=fields)


@pytest.fixture
def api(halo: HaloFactory) -> Iterator[Callable[..., tuple[Halo, httpx.Client]]]:
    """``api(seed=..., **options)``: a simulator and an httpx client holding a valid token."""
    opened: list[httpx.Client] = []

    def start(seed: str = "demo", **options: Any) -> tuple[Halo, httpx.Client]:
        running = halo(seed=seed, **options)
        http = httpx.Client(base_url=running.url, trust_env=False)
        opened.append(http)
        token = _token(http).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        return running, http

    yield start
    for http in opened:
        http.close()


# --- the token endpoint ---------------------------------------------------------------------------


def test_tokens_have_a_lifetime_on_the_injected_clock(
    api: Callable[..., tuple[Halo, httpx.Client]], fake_clock: FakeClock
) -> None:
    _, http = api(token_lifetime_s=600)
    assert http.get("/api/Team").status_code == 200
    fake_clock.advance(599)
    assert http.get("/api/Team").status_code == 200
    fake_clock.advance(1)
    expired = http.get("/api/Team")
    assert expired.status_code == 401
    assert "invalid_token" in expired.headers["WWW-Authenticate"]


def test_the_token_endpoint_refuses_as_oauth_says(halo: HaloFactory) -> None:
    running = halo(credentials=HaloCredentials(CLIENT_ID, CLIENT_SECRET, tenant="acme"))
    with httpx.Client(base_url=running.url, trust_env=False) as http:
        assert _token(http, client_secret="nope").json()["error"] == "invalid_client"
        assert _token(http).json()["error"] == "invalid_request"  # no ?tenant=
        assert _token(http, grant_type="password").status_code == 400
        answer = http.post(
            "/auth/token?tenant=acme",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scope": "all:standard all:teams admin:webhooks",
            },
        ).json()
        assert answer["token_type"] == "Bearer"
        assert answer["expires_in"] == 3600
        assert http.get("/api/Team").status_code == 401  # no token sent


def test_a_token_without_the_resources_scope_is_403(halo: HaloFactory) -> None:
    running = halo()
    with httpx.Client(base_url=running.url, trust_env=False) as http:
        token = _token(http, scope="all:standard").json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get("/api/Item").status_code == 200
        refused = http.get("/api/Webhook")
        assert refused.status_code == 403
        assert "admin:webhooks" in refused.json()


# --- envelopes, paging, upserts -------------------------------------------------------------------


def test_paged_lists_come_in_record_count_envelopes(
    api: Callable[..., tuple[Halo, httpx.Client]],
) -> None:
    _, http = api(seed="large")
    page = http.get("/api/Item", params={"pageinate": "true", "page_no": 2, "page_size": 100})
    body = page.json()
    assert (body["page_no"], body["page_size"], len(body["items"])) == (2, 100, 100)
    assert body["record_count"] > 2000
    assert body["items"][0]["id"] == 101
    unpaged = http.get("/api/Client", params={"count": 5}).json()
    assert len(unpaged["clients"]) == 5
    assert isinstance(http.get("/api/ItemGroup").json(), list)  # a bare-array lookup
    assert http.get("/api/Item", params={"pageinate": "true", "page_no": 0}).status_code == 400


def test_paths_are_case_insensitive_and_ids_are_checked(
    api: Callable[..., tuple[Halo, httpx.Client]],
) -> None:
    _, http = api()
    assert http.get("/api/itemgroup/1").json()["name"] == "General"
    assert http.get("/api/ItemGroup/abc").status_code == 400
    missing = http.get("/api/ItemGroup/999")
    assert missing.status_code == 404
    assert isinstance(missing.json(), str)
    assert http.put("/api/ItemGroup").status_code == 405  # Halo has no PUT
    assert http.get("/api/NoSuchThing").status_code == 404


def test_post_is_an_upsert_and_an_array_sent_replaces_the_stored_one(
    api: Callable[..., tuple[Halo, httpx.Client]],
) -> None:
    _, http = api()
    fields = [
        {"id": 1, "name": "CFA", "type": 0, "value": "a"},
        {"id": 2, "name": "CFB", "type": 0, "value": "b"},
    ]
    made = http.post("/api/Item", json=[{"id": 0, "name": "Dock", "customfields": fields}])
    assert made.status_code == 201
    item_id = made.json()["id"]
    http.post("/api/Item", json=[{"id": item_id, "customfields": [fields[0]]}])
    stored = http.get(f"/api/Item/{item_id}").json()
    assert stored["name"] == "Dock"  # left out, left alone
    assert [f["name"] for f in stored["customfields"]] == ["CFA"]  # the array replaced whole
    several = http.post("/api/ItemGroup", json=[{"name": "A"}, {"name": "B"}]).json()
    assert [g["name"] for g in several] == ["A", "B"]
    assert http.post("/api/ItemGroup", json=[{"id": 4242, "name": "X"}]).status_code == 404
    assert http.post("/api/ItemGroup", json={"name": "not an array"}).status_code == 400


def test_inactive_records_are_listed_only_when_asked(
    api: Callable[..., tuple[Halo, httpx.Client]],
) -> None:
    _, http = api(seed="empty")
    made = http.post("/api/Client", json=[{"name": "Old", "inactive": True}, {"name": "Current"}])
    assert made.status_code == 201
    listed = http.get("/api/Client", params={"pageinate": "true"}).json()
    assert [c["name"] for c in listed["clients"]] == ["Current"]
    everything = http.get("/api/Client", params={"pageinate": "true", "includeinactive": "true"})
    assert everything.json()["record_count"] == 2


def test_webhook_ids_are_uuids(api: Callable[..., tuple[Halo, httpx.Client]]) -> None:
    _, http = api()
    made = http.post("/api/Webhook", json=[{"id": None, "name": "W", "url": "http://127.0.0.1:1/"}])
    webhook_id = made.json()["id"]
    assert len(webhook_id) == 36 and webhook_id.count("-") == 4
    assert http.get(f"/api/Webhook/{webhook_id}").json()["name"] == "W"
    assert http.delete(f"/api/Webhook/{webhook_id}").status_code == 200


# --- rate cap, faults -----------------------------------------------------------------------------


def test_the_rate_cap_is_off_by_default(halo: HaloFactory) -> None:
    assert halo().simulator.rate_cap is None


def test_the_rate_cap_allows_300_per_rolling_5_minutes(
    api: Callable[..., tuple[Halo, httpx.Client]], fake_clock: FakeClock
) -> None:
    _, http = api(seed="empty", rate_cap=RateCap(clock=fake_clock))  # the token took one
    answers = [http.get("/api/Team").status_code for _ in range(299)]
    assert set(answers) == {200}
    refused = http.get("/api/Team")
    assert refused.status_code == 429
    assert refused.text == RATE_LIMIT_MESSAGE
    assert int(refused.headers["Retry-After"]) == 300
    fake_clock.advance(300)
    assert http.get("/api/Team").status_code == 200


def test_faults_answer_in_halos_shapes(api: Callable[..., tuple[Halo, httpx.Client]]) -> None:
    running, http = api()
    running.simulator.set_faults({"500": 1.0})
    fault = http.get("/api/Team")
    assert fault.status_code == 500
    assert "Message" in fault.json()
    running.simulator.set_faults({"429": 1.0})
    assert http.get("/api/Team").text == RATE_LIMIT_MESSAGE
    running.simulator.set_faults(None)
    assert http.get("/api/Team").status_code == 200


# --- webhooks -------------------------------------------------------------------------------------


def test_a_client_change_is_delivered_to_a_loopback_receiver_and_logged(
    api: Callable[..., tuple[Halo, httpx.Client]], receiver: Receiver
) -> None:
    running, http = api()
    hook = http.post(
        "/api/Webhook",
        json=[
            {
                "name": "Salesbuildr companies",
                "url": receiver.url,
                "active": True,
                "authentication_type": 1,
                "basic_username": "sb",
                "basic_password": "hook-pass",
                "events": [{"id": 0, "eventno": EVENT_NUMBERS["client_updated"]}],
            }
        ],
    ).json()
    http.post("/api/Client", json=[{"id": 1, "website": "https://acme.example"}])
    assert receiver.arrived.wait(60), "no delivery reached the receiver"
    payload = json.loads(receiver.bodies[0])
    assert (payload["event"], payload["entity_id"], payload["webhook_id"]) == (
        "client_updated",
        1,
        hook["id"],
    )
    assert receiver.headers[0]["authorization"].startswith("Basic ")
    assert running.simulator.wait_deliveries()
    log = poll(
        lambda: http.get("/api/WebhookEvent", params={"webhook_id": hook["id"]}).json(),
        lambda body: body["record_count"] == 1 and body["webhookevents"][0]["status"] != 0,
        what="the delivery's outcome in /WebhookEvent",
    )
    event = log["webhookevents"][0]
    assert (event["status"], event["responsestatus"], event["error"]) == (
        STATUS_DELIVERED,
        200,
        False,
    )
    # The demo's own webhook (client_updated, a non-loopback URL) was never contacted.
    demo_hook = next(h for h in http.get("/api/Webhook").json() if h["name"] == "Accounting sync")
    demo_log = http.get("/api/WebhookEvent", params={"webhook_id": demo_hook["id"]}).json()
    assert demo_log["webhookevents"][0]["status"] == STATUS_FAILED


def test_an_inactive_or_unsubscribed_webhook_gets_nothing(
    api: Callable[..., tuple[Halo, httpx.Client]], receiver: Receiver
) -> None:
    running, http = api(seed="empty")
    http.post(
        "/api/Webhook",
        json=[
            {
                "name": "off",
                "url": receiver.url,
                "active": False,
                "events": [{"id": 0, "eventno": 2}],
            },
            {"name": "tickets", "url": receiver.url, "events": [{"id": 0, "eventno": 2}]},
        ],
    )
    http.post("/api/Client", json=[{"name": "New client"}])  # client_created: nobody subscribed
    assert running.simulator.wait_deliveries()
    assert receiver.bodies == []
    assert http.get("/api/WebhookEvent").json()["record_count"] == 0


# --- seeds and the launcher's lines ---------------------------------------------------------------


def test_seeds_and_reset(api: Callable[..., tuple[Halo, httpx.Client]]) -> None:
    assert SEED_NAMES == ("empty", "demo", "large")
    running, http = api(seed="empty")
    assert http.get("/api/Item", params={"pageinate": "true"}).json()["record_count"] == 0
    assert http.post("/_sandbox/reset", json={"seed": "demo"}).status_code == 200
    assert http.get("/api/Team").status_code == 401  # a reset forgets the tokens
    assert http.post("/_sandbox/reset", json={"seed": "nope"}).status_code == 400
    with pytest.raises(ValueError, match="unknown seed"):
        create_app("nope", credentials=running.credentials)


def test_export_lines_name_every_halopsa_variable() -> None:
    lines = export_lines("http://127.0.0.1:8765/", HaloCredentials("id", "s3cr'et", tenant="t"))
    assert lines == [
        "export HALOPSA_URL=http://127.0.0.1:8765",
        "export HALOPSA_AUTH_URL=http://127.0.0.1:8765/auth",
        "export HALOPSA_CLIENT_ID=id",
        "export HALOPSA_CLIENT_SECRET='s3cr'\"'\"'et'",
        "export HALOPSA_TENANT=t",
    ]
