"""Halo's webhook deliveries reach Salesbuildr's receiver (``/webhooks/halopsa``), over real HTTP
between the two simulators as ``reconcile sandbox --psa halopsa`` starts them: a client or ticket
changed in Halo is POSTed to Salesbuildr, recorded there, and logged delivered in Halo's own
``/WebhookEvent``; Basic credentials, when sent, must carry the tenant's webhook secret."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox
from reconciler.sandbox.halopsa.webhooks import EVENT_NUMBERS, STATUS_DELIVERED, STATUS_FAILED
from reconciler.sandbox.salesbuildr.receivers import basic_password
from tests.halopsa.engine_support import halo_api, halo_list, halo_post
from tests.polling import poll
from tests.sandbox_clients import TIMEOUT_S, isolated_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "halopsa" / "mappings.yaml"


def _receiver_url(sandbox: Sandbox) -> str:
    """The URL Salesbuildr reports for its HaloPSA receiver (its ``webhook-receiver`` page)."""
    response = httpx.get(
        sandbox.env["SALESBUILDR_API_URL"] + "/integration/halopsa/settings/webhook-receiver",
        headers={"api-key": sandbox.env["SALESBUILDR_API_KEY"]},
        timeout=TIMEOUT_S,
        trust_env=False,
    )
    response.raise_for_status()
    url: str = response.json()["url"]
    return url


def _install(sandbox: Sandbox, event: str, **auth: Any) -> dict[str, Any]:
    hook: dict[str, Any] = halo_post(
        sandbox.env,
        "Webhook",
        {
            "name": f"Salesbuildr {event}",
            "url": _receiver_url(sandbox),
            "active": True,
            "events": [{"eventno": EVENT_NUMBERS[event]}],
            **auth,
        },
    )
    return hook


def _settled_log(sandbox: Sandbox, hook_id: str, count: int) -> list[dict[str, Any]]:
    """The hook's WebhookEvents once ``count`` of them have an outcome (generous timeout)."""
    with halo_api(sandbox.env) as api:
        body = poll(
            lambda: api.get("/WebhookEvent", params={"webhook_id": hook_id}).json(),
            lambda b: b["record_count"] == count and all(e["status"] for e in b["webhookevents"]),
            what=f"{count} settled delivery(ies) of webhook {hook_id} in /WebhookEvent",
        )
    events: list[dict[str, Any]] = body["webhookevents"]
    return events


def _received(sandbox: Sandbox) -> list[dict[str, Any]]:
    with sandbox.salesbuildr.guard:
        return [d.to_json() for d in sandbox.salesbuildr.deliveries.select(None)]


def test_a_client_change_with_basic_credentials_is_delivered(halo_sandbox: Sandbox) -> None:
    secret = halo_sandbox.credentials.salesbuildr_webhook_secret
    hook = _install(
        halo_sandbox,
        "client_updated",
        authentication_type=1,
        basic_username="halo",
        basic_password=secret,
    )
    client = halo_list(halo_sandbox.env, "Client")[0]
    halo_post(halo_sandbox.env, "Client", {"id": client["id"], "website": "https://acme.example"})

    [event] = _settled_log(halo_sandbox, hook["id"], 1)
    assert (event["status"], event["responsestatus"], event["error"]) == (
        STATUS_DELIVERED,
        200,
        False,
    )
    assert json.loads(event["requestbody"])["entity_id"] == client["id"]
    [received] = _received(halo_sandbox)
    assert received["status"] == "delivered", received
    assert (received["webhookGuid"], received["entity"], received["action"]) == (
        hook["id"],
        "client",
        "updated",
    )


def test_a_ticket_change_without_credentials_is_delivered(halo_sandbox: Sandbox) -> None:
    hook = _install(halo_sandbox, "ticket_updated")
    ticket = halo_list(halo_sandbox.env, "Opportunities")[0]
    halo_post(halo_sandbox.env, "Opportunities", {"id": ticket["id"], "summary": "Renamed"})
    [event] = _settled_log(halo_sandbox, hook["id"], 1)
    assert event["status"] == STATUS_DELIVERED, event
    [received] = _received(halo_sandbox)
    assert (received["status"], received["entity"], received["action"]) == (
        "delivered",
        "ticket",
        "updated",
    )


def test_a_wrong_password_is_refused_and_logged_failed_on_both_sides(
    halo_sandbox: Sandbox,
) -> None:
    hook = _install(
        halo_sandbox,
        "client_updated",
        authentication_type=1,
        basic_username="halo",
        basic_password="not-the-secret",
    )
    halo_post(halo_sandbox.env, "Client", {"id": 1, "website": "https://acme.example"})
    [event] = _settled_log(halo_sandbox, hook["id"], 1)
    assert (event["status"], event["responsestatus"], event["error"]) == (
        STATUS_FAILED,
        401,
        True,
    )
    [received] = _received(halo_sandbox)
    assert received["status"] == "bad_signature"
    assert received["error"] == "the Basic credentials do not match"
    assert "not-the-secret" not in json.dumps(received)


def test_garbage_at_the_receiver_is_recorded_failed(halo_sandbox: Sandbox) -> None:
    answer = httpx.post(_receiver_url(halo_sandbox), content=b"\xff{", trust_env=False)
    assert answer.status_code == 400
    [received] = _received(halo_sandbox)
    assert (received["status"], received["error"]) == ("failed", "the body is not valid UTF-8")
    assert httpx.get(_receiver_url(halo_sandbox), trust_env=False).status_code == 405


@pytest.mark.parametrize(
    ("header", "password"),
    [
        (None, None),
        ("Basic " + base64.b64encode(b"user:pa:ss").decode(), "pa:ss"),
        ("Bearer abc", ""),
        ("Basic !!!", ""),
    ],
)
def test_basic_password(header: str | None, password: str | None) -> None:
    assert basic_password(header) == password


def test_webhooks_report_shows_the_delivery_of_an_applied_webhook(
    halo_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLE, tmp_path / "mappings.yaml")
    env = {**halo_sandbox.env, "NO_COLOR": "1"}
    with isolated_cli(halo_sandbox.env, tmp_path, monkeypatch):
        runner = CliRunner()
        applied = runner.invoke(cli, ["apply", "mappings.yaml", "--auto-approve"], env=env)
        assert applied.exit_code == 0, applied.output
        hook = next(
            h for h in halo_list(halo_sandbox.env, "Webhook") if h["name"] == "Salesbuildr tickets"
        )
        assert hook["url"] == _receiver_url(halo_sandbox)
        ticket = halo_list(halo_sandbox.env, "Opportunities")[0]
        halo_post(halo_sandbox.env, "Opportunities", {"id": ticket["id"], "summary": "Renamed"})
        _settled_log(halo_sandbox, hook["id"], 1)
        report = runner.invoke(
            cli, ["webhooks", "report", "--file", "mappings.yaml", "--format", "json"], env=env
        )
    assert report.exit_code == 0, report.output
    [row] = [r for r in json.loads(report.output)["webhooks"] if r["name"] == hook["name"]]
    assert (row["delivered"], row["failed"], row["pending"]) == (1, 0, 0)
    assert [d["status"] for d in _received(halo_sandbox)] == ["delivered"]
