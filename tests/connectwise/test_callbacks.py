"""Callbacks: entries created through ``/system/callbacks`` are called on company changes (a
documented PATCH) and, through the ``/_sandbox/`` trigger, on contact and opportunity changes;
to loopback receivers only. Waits are on the receiver's condition, never on a sleep."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from connectwise_fixtures import Receiver, Running
from polling import wait_for

from reconciler.psa.connectwise import conditions as c
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import ConnectWiseClient, replace


def _install(client: ConnectWiseClient, url: str, type_: str, **extra: Any) -> dict[str, Any]:
    body = {"url": url, "objectId": 1, "type": type_, "level": "Owner", **extra}
    body.setdefault("description", f"Salesbuildr {type_.lower()}s")
    return client.create(endpoints.CALLBACKS, body)


def _trigger(running: Running, **body: Any) -> dict[str, Any]:
    response = httpx.post(running.server.url + "/_sandbox/callbacks/trigger", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_company_patch_calls_the_company_callback(
    cw: Running, client: ConnectWiseClient, receiver: Receiver
) -> None:
    _install(client, receiver.url, "Company")
    _install(client, receiver.url, "Opportunity")
    company = client.list_all(endpoints.COMPANIES, conditions=c.eq("identifier", "ACME"))[0]
    client.patch(endpoints.COMPANIES, company["id"], [replace("name", "Acme IT Services Ltd")])
    (body,) = receiver.wait_for(1)
    delivery = json.loads(body)
    assert delivery["Action"] == "updated"
    assert delivery["Type"] == "company"
    assert delivery["ID"] == company["id"]
    assert delivery["CompanyId"] == cw.simulator.credentials.company
    assert json.loads(delivery["Entity"])["name"] == "Acme IT Services Ltd"
    assert cw.simulator.callouts.wait_idle(60.0)
    assert [r["delivered"] for r in cw.simulator.callouts.records()] == [True]


def test_contacts_and_opportunities_call_back_through_the_trigger(
    cw: Running, client: ConnectWiseClient, receiver: Receiver
) -> None:
    _install(client, receiver.url, "Contact")
    _install(client, receiver.url, "Opportunity")
    contact = _trigger(cw, type="contact", action="added", id=41, entity={"firstName": "Ann"})
    opportunity = _trigger(cw, type="Opportunity", action="deleted", id=2)
    assert contact["queued"] == opportunity["queued"] == 1
    bodies = [json.loads(b) for b in receiver.wait_for(2)]
    by_type = {b["Type"]: b for b in bodies}
    assert by_type["contact"]["Action"] == "added"
    assert json.loads(by_type["contact"]["Entity"]) == {"firstName": "Ann", "id": 41}
    assert json.loads(by_type["opportunity"]["Entity"])["name"] == "Firewall upgrade"


def test_inactive_self_suppressed_and_other_level_entries_are_not_called(
    cw: Running, client: ConnectWiseClient, receiver: Receiver
) -> None:
    _install(client, receiver.url + "/inactive", "Company", inactiveFlag=True)
    _install(client, receiver.url + "/self", "Company", isSelfSuppressedFlag=True)
    _install(client, receiver.url + "/other", "Company", level="Company", objectId=999)
    _install(client, receiver.url + "/mine", "Company", level="Company", objectId=2)
    client.patch(endpoints.COMPANIES, 2, [replace("name", "Globex Corp")])
    (only,) = receiver.wait_for(1)
    assert json.loads(only)["ID"] == 2
    assert cw.simulator.callouts.wait_idle(60.0)
    assert [r["url"] for r in cw.simulator.callouts.records()] == [receiver.url + "/mine"]
    # a person's change is not suppressed (only the API member's own are)
    assert _trigger(cw, type="Company", action="updated", id=2)["queued"] == 2


def test_a_callback_to_a_non_loopback_url_is_never_contacted(
    cw: Running, client: ConnectWiseClient
) -> None:
    _install(client, "https://salesbuildr.example/hooks/cw", "Company")
    client.patch(endpoints.COMPANIES, 1, [replace("name", "Acme")])
    wait_for(lambda: bool(cw.simulator.callouts.records()), what="the refused callout")
    (record,) = cw.simulator.callouts.records()
    assert record["delivered"] is False
    assert "never contacted" in record["error"]


@pytest.mark.parametrize(
    "body",
    [{"type": "Ticket", "action": "added", "id": 1}, {"type": "Company", "action": "x", "id": 1}],
)
def test_the_trigger_refuses_what_it_cannot_deliver(cw: Running, body: dict[str, Any]) -> None:
    response = httpx.post(cw.server.url + "/_sandbox/callbacks/trigger", json=body)
    assert response.status_code == 400


def test_reset_clears_callbacks_and_deliveries(
    cw: Running,
    client_for: Callable[..., ConnectWiseClient],
    receiver: Receiver,
) -> None:
    client = client_for(cw)
    _install(client, receiver.url, "Company")
    _trigger(cw, type="Company", action="updated", id=1)
    receiver.wait_for(1)
    assert cw.simulator.callouts.wait_idle(60.0)
    reset = httpx.post(cw.server.url + "/_sandbox/reset", json={"seed": "demo"})
    assert reset.status_code == 200
    assert client.list_all(endpoints.CALLBACKS) == []
    assert httpx.get(cw.server.url + "/_sandbox/callouts").json() == {"callouts": []}
