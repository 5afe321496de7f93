"""Injected faults and webhook callouts of the Autotask simulator, over real loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any

import httpx
import pytest
from autotask_fixtures import Running, running, webhook_body
from polling import wait_for

from reconciler.sandbox.autotask.seed import SANDBOX_API_RESOURCE

QUERY = {"filter": [{"op": "exist", "field": "id"}], "MaxRecords": 1}


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_error_faults(kind: str) -> None:
    with running(faults={kind: 1.0}) as at:
        response = at.query("Companies", QUERY)
        assert response.status_code == int(kind)
        if kind == "500":
            assert response.json()["errors"], "Autotask sends an errors array with its 500s"
        assert at.client.get("/_sandbox/stats").json()["requests"] == 1, "control routes: no faults"


def test_faults_are_deterministic_for_a_seed() -> None:
    def statuses(rng_seed: int) -> list[int]:
        with running(faults={"500": 0.3, "429": 0.2}, rng_seed=rng_seed) as at:
            return [at.client.get("/V1.0/Version").status_code for _ in range(30)]

    first = statuses(11)
    assert first == statuses(11) and {200, 429, 500} == set(first)
    assert first != statuses(12)


def test_timeout_fault_holds_the_request() -> None:
    """A held request outlasts a client that gives up; one that waits longer sees the
    connection dropped once the hold ends. The hold is far longer than the client's read
    timeout, and the waiting client's timeout far longer than the hold, so neither depends on
    how promptly a busy machine schedules either side."""
    with running(faults={"timeout": 1.0}, timeout_hold_s=600) as at:
        with pytest.raises(httpx.ReadTimeout):
            at.client.get("/V1.0/Version", timeout=httpx.Timeout(30, read=0.2))
        at.sim.middleware.timeout_hold_s = 0.5
        start = time.monotonic()
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            at.client.get("/V1.0/Version", timeout=120)
        assert time.monotonic() - start >= 0.5


def test_a_long_timeout_hold_does_not_block_shutdown() -> None:
    """Closing the simulator ends every held request at once (the server can then stop): two
    requests held for ten minutes are dropped, not timed out by their clients after two."""
    with running(faults={"timeout": 1.0}, timeout_hold_s=600) as at:
        outcomes: list[BaseException] = []

        def held(path: str, params: dict[str, str]) -> None:
            with httpx.Client(base_url=at.url, headers=at.client.headers, timeout=120) as client:
                try:
                    client.get(path, params=params)
                except httpx.HTTPError as error:
                    outcomes.append(error)

        threads = [
            threading.Thread(target=held, args=("/V1.0/Version", {})),
            threading.Thread(target=held, args=("/V1.0/ZoneInformation", {"user": "u"})),
        ]
        for thread in threads:
            thread.start()
        wait_for(lambda: at.sim.stats()["requests"] >= 2, what="the two requests to arrive")
        at.sim.close()
        for thread in threads:
            thread.join(180)
        assert [type(o) in (httpx.RemoteProtocolError, httpx.ReadError) for o in outcomes] == [
            True,
            True,
        ], outcomes


def test_reset_after_commit_commits_the_write_but_drops_the_response() -> None:
    with running(faults={"reset-after-commit": 1.0}) as at:
        body = {
            "companyName": "Reset Co",
            "companyType": 1,
            "phone": "1",
            "ownerResourceID": 29682886,
        }
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            at.client.post("/V1.0/Companies", json=body)
        found = at.items("Companies", {"op": "eq", "field": "companyName", "value": "Reset Co"})
        assert len(found) == 1, "the write was committed"
        assert at.query("Companies", QUERY).status_code == 200, "reads are never reset"
        assert at.client.get("/V1.0/Version").status_code == 200
        assert at.sim.stats()["writes"] == 1


def _signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return "sha1=" + base64.b64encode(digest).decode()


def _company_webhook(
    at: Running,
    url: str,
    *,
    fields: list[tuple[int, bool, bool]],
    name: str = "callouts",
    **extra: Any,
) -> int:
    hook = at.create("/V1.0/CompanyWebhooks", webhook_body(name, url, **extra))
    for field_id, subscribed, always in fields:
        at.create(
            f"/V1.0/CompanyWebhooks/{hook}/Fields",
            {"fieldID": field_id, "isSubscribedField": subscribed, "isDisplayAlwaysField": always},
        )
    return hook


def test_update_callout_is_signed_and_carries_the_documented_keys(receiver: Any) -> None:
    with running() as at:
        hook = _company_webhook(
            at, receiver.url + "/hook", fields=[(7, True, False), (14, False, True)]
        )
        at.create(
            f"/V1.0/CompanyWebhooks/{hook}/UdfFields",
            {"udfFieldID": 29684001, "isSubscribedField": True, "isDisplayAlwaysField": False},
        )
        patch = {"id": 29684500, "companyName": "Northwind Dental Group Inc"}
        assert at.client.patch("/V1.0/Companies", json=patch).status_code == 200
        got = receiver.wait_for(1)
        assert len(got) == 1 and got[0].path == "/hook"
        assert got[0].headers["x-hook-signature"] == _signature("callout-secret", got[0].body)
        payload = json.loads(got[0].body)
        guid = at.client.get(f"/V1.0/CompanyWebhooks/{hook}").json()["item"]["webhookGUID"]
        assert set(payload) == {
            "Action",
            "Guid",
            "EntityType",
            "Id",
            "Fields",
            "EventTime",
            "SequenceNumber",
            "PersonID",
        }
        assert (payload["Action"], payload["Guid"], payload["EntityType"], payload["Id"]) == (
            "Update",
            guid,
            "Company",
            29684500,
        )
        assert payload["Fields"] == {
            "CompanyName": "Northwind Dental Group Inc",
            "Phone": "(503) 555-1000",
        }
        assert payload["SequenceNumber"] == 1 and payload["PersonID"] == SANDBOX_API_RESOURCE
        udf = {"id": 29684500, "userDefinedFields": [{"name": "Contract Tier", "value": "Silver"}]}
        at.client.patch("/V1.0/Companies", json=udf)
        second = json.loads(receiver.wait_for(2)[1].body)
        assert second["SequenceNumber"] == 2 and second["Fields"]["Contract Tier"] == "Silver"
        assert at.sim.callouts.wait_idle(60)
        listed = at.client.get("/_sandbox/callouts").json()["callouts"]
        mine = [(c["delivered"], c["status"]) for c in listed if c["url"] == receiver.url + "/hook"]
        assert mine == [(True, 200), (True, 200)]
        demo = [c for c in listed if c["url"] != receiver.url + "/hook"]
        assert [sorted(c["payload"]["Fields"]) for c in demo] == [
            ["CompanyName", "CompanyNumber"],
            ["CompanyNumber", "Contract Tier"],
        ], "the demo webhook: subscribed changes plus its display-always CompanyNumber"


def test_no_callout_without_a_subscribed_change(receiver: Any) -> None:
    with running() as at:
        _company_webhook(at, receiver.url + "/hook", fields=[(7, True, False)])
        inactive = _company_webhook(
            at, receiver.url + "/inactive", fields=[(16, True, False)], name="off", isActive=False
        )
        _company_webhook(at, receiver.url + "/fieldless", fields=[], name="fieldless")
        at.client.patch("/V1.0/Companies", json={"id": 29684500, "fax": "555"})
        at.client.patch("/V1.0/Companies", json={"id": 29684500, "webAddress": "https://x.example"})
        assert inactive
        excluded = _company_webhook(
            at, receiver.url + "/excluded", fields=[(11, True, False)], name="excl"
        )
        at.create(
            f"/V1.0/CompanyWebhooks/{excluded}/ExcludedResources",
            {"resourceID": SANDBOX_API_RESOURCE},
        )
        at.client.patch("/V1.0/Companies", json={"id": 29684500, "city": "Gresham"})
        at.client.patch("/V1.0/Companies", json={"id": 29684500, "companyName": "Renamed"})
        got = receiver.wait_for(1)
        assert at.sim.callouts.wait_idle(60), "every callout was attempted"
        assert [r.path for r in receiver.received] == ["/hook"], [r.path for r in got]


def test_create_events_and_impersonation(receiver: Any) -> None:
    with running(seed="empty") as at:
        hook = at.create("/V1.0/TicketWebhooks", webhook_body("tickets", receiver.url + "/t"))
        at.create(
            f"/V1.0/TicketWebhooks/{hook}/Fields",
            {"fieldID": 2, "isSubscribedField": True, "isDisplayAlwaysField": False},
        )
        body = {"companyID": 29684500, "title": "New laptop", "status": 1, "priority": 2}
        created = at.client.post(
            "/V1.0/Tickets", json=body, headers={"ImpersonationResourceId": "29682887"}
        )
        payload = json.loads(receiver.wait_for(1)[0].body)
        assert payload["Action"] == "Create" and payload["Id"] == created.json()["itemId"]
        assert payload["Fields"] == {"Title": "New laptop"} and payload["PersonID"] == 29682887


def test_deactivation_notice_goes_to_the_deactivation_url(receiver: Any) -> None:
    with running() as at:
        hook = _company_webhook(
            at,
            receiver.url + "/hook",
            fields=[(7, True, False)],
            deactivationUrl=receiver.url + "/gone",
        )
        at.client.patch("/V1.0/CompanyWebhooks", json={"id": hook, "isActive": False})
        got = receiver.wait_for(1)
        assert got[0].path == "/gone" and json.loads(got[0].body)["Action"] == "Deactivated"


def test_non_loopback_urls_are_never_contacted() -> None:
    with running() as at:
        patch = {"id": 29684500, "companyName": "Changed"}
        assert at.client.patch("/V1.0/Companies", json=patch).status_code == 200
        with httpx.Client(base_url=at.url, headers=at.client.headers) as other:
            other.headers["ImpersonationResourceId"] = "29682886"
            other.patch("/V1.0/Companies", json={"id": 29684500, "companyName": "Changed again"})
        assert at.sim.callouts.wait_idle(60)
        records = at.client.get("/_sandbox/callouts").json()["callouts"]
        assert len(records) == 2, "the demo webhook fired twice"
        for record in records:
            assert record["url"] == "https://acme.salesbuildr.com/webhooks/autotask"
            assert record["delivered"] is False and record["status"] is None
            assert "never contacted" in record["error"]
