"""``start_sandbox``: both simulators on loopback, wired together, with an environment that works.

Includes the "done when" loop of the sandbox: a receiver secret set through the Salesbuildr API,
a company webhook created through the Autotask API, a company changed through the Autotask API,
and the signed callout visible in Salesbuildr's delivery report.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from polling import poll
from sandbox_clients import autotask_api, salesbuildr_api

from reconciler.sandbox.autotask import ENV_NAMES, SandboxCredentials
from reconciler.sandbox.common import (
    PSA_SIMULATORS,
    Sandbox,
    free_port,
    psa_hook,
    register_simulator,
    salesbuildr_hook,
    start_sandbox,
)
from reconciler.sandbox.salesbuildr.seed import tenant_data

SETTINGS = "/integration/autotask/settings"
COMPANY_NAME_FIELD = 7  # CompanyWebhookFields.fieldID picklist: CompanyName


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    started = start_sandbox(seed="empty")
    yield started
    started.stop()


def autotask(sandbox: Sandbox) -> httpx.Client:
    return autotask_api(sandbox.env)


def salesbuildr(sandbox: Sandbox) -> httpx.Client:
    return salesbuildr_api(sandbox.env)


def query_all(client: httpx.Client, entity: str) -> list[dict[str, Any]]:
    search = {"filter": [{"op": "exist", "field": "id"}]}
    response = client.post(f"/{entity}/query", json=search)
    assert response.status_code == 200, response.text
    body = response.json()
    items: list[dict[str, Any]] = body["items"]
    while body["pageDetails"]["nextPageUrl"]:
        body = client.get(body["pageDetails"]["nextPageUrl"]).json()
        items += body["items"]
    return items


def wait_for_deliveries(sb: httpx.Client, count: int) -> list[dict[str, Any]]:
    """The delivery report once it lists ``count`` (a busy machine is slow, never wrong)."""
    results: list[dict[str, Any]] = poll(
        lambda: sb.get("/integration/autotask/webhook-deliveries").json()["results"],
        lambda found: len(found) >= count,
        what=f"{count} webhook deliveries",
    )
    return results


def test_start_gives_a_working_environment() -> None:
    # How fast it starts is a speed target, measured in bench/ (W6), not asserted here.
    sandbox = start_sandbox(seed="demo")
    try:
        env = sandbox.env
        assert tuple(env) == ENV_NAMES
        assert env["AUTOTASK_API_URL"].endswith("/atservicesrest")
        assert env["SALESBUILDR_API_URL"].endswith("/public-api")
        with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
            assert at.post(
                "/Companies/query", json={"filter": [{"op": "exist", "field": "id"}]}
            ).json()["items"]
            refused = at.get("/Version", headers={"Secret": "wrong"})
            assert refused.status_code == 401
            assert sb.get("/category").status_code == 200
            assert sb.get("/category", headers={"api-key": "wrong"}).status_code == 401
            receiver = sb.get(f"{SETTINGS}/webhook-receiver").json()
            assert receiver == {
                "url": sandbox.salesbuildr_server.url + "/webhooks/autotask",
                "secretSet": True,
            }
    finally:
        sandbox.stop()


def test_credentials_are_random_per_start_unless_given() -> None:
    first, second = start_sandbox(seed="empty"), start_sandbox(seed="empty")
    try:
        for name in ENV_NAMES:
            if not name.endswith("_URL"):
                assert first.env[name] != second.env[name], name
    finally:
        first.stop()
        second.stop()
    given = SandboxCredentials("u@x", "s", "C", "k", "w")
    third = start_sandbox(seed="empty", credentials=given)
    try:
        assert third.env["AUTOTASK_API_USERNAME"] == "u@x"
        assert third.env["SALESBUILDR_API_KEY"] == "k"
        assert third.env["SALESBUILDR_WEBHOOK_SECRET"] == "w"
    finally:
        third.stop()


def test_export_lines_survive_a_shell() -> None:
    tricky = SandboxCredentials(
        autotask_username="o'brien@acme.example",
        autotask_secret='a b $HOME `x` "q" \\ \'',
        autotask_integration_code="CODE",
        salesbuildr_api_key="key'with'quotes",
        salesbuildr_webhook_secret="!#;&|",
    )
    sandbox = start_sandbox(seed="empty", credentials=tricky)
    try:
        lines = sandbox.export_lines()
        assert [line.split("=", 1)[0] for line in lines] == [f"export {n}" for n in ENV_NAMES]
        assert all(line.split("=", 1)[1].startswith("'") for line in lines)
        for line, name in zip(lines, ENV_NAMES, strict=True):
            assert shlex.split(line) == ["export", f"{name}={sandbox.env[name]}"]
        script = "\n".join([*lines, 'printf "%s" "$AUTOTASK_API_SECRET"'])
        echoed = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, check=True
        ).stdout
        assert echoed == tricky.autotask_secret
    finally:
        sandbox.stop()


def test_given_ports_are_used_and_freed_on_stop() -> None:
    port_at, port_sb = free_port(), free_port()
    sandbox = start_sandbox(seed="empty", port_autotask=port_at, port_salesbuildr=port_sb)
    try:
        assert sandbox.env["AUTOTASK_API_URL"] == f"http://127.0.0.1:{port_at}/atservicesrest"
        assert sandbox.env["SALESBUILDR_API_URL"] == f"http://127.0.0.1:{port_sb}/public-api"
    finally:
        sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port_sb}/_sandbox/stats")
    again = start_sandbox(seed="empty", port_autotask=port_at, port_salesbuildr=port_sb)
    again.stop()


def test_faults_and_latency_reach_both_simulators() -> None:
    sandbox = start_sandbox(seed="empty", faults={"503": 1.0}, latency_ms=20)
    try:
        with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
            assert at.get("/Version").status_code == 503
            assert sb.get("/category").status_code == 503
    finally:
        sandbox.stop()


def test_signed_callout_reaches_the_delivery_report(sandbox: Sandbox) -> None:
    secret = sandbox.env["SALESBUILDR_WEBHOOK_SECRET"]
    with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
        receiver = sb.get(f"{SETTINGS}/webhook-receiver")
        assert receiver.json()["secretSet"] is False
        put = sb.put(
            f"{SETTINGS}/webhook-receiver",
            json={"secret": secret},
            headers={"If-Match": receiver.headers["ETag"]},
        )
        assert put.status_code == 200
        url = put.json()["url"]
        created = at.post(
            "/CompanyWebhooks",
            json={
                "name": "sb-companies",
                "webhookUrl": url,
                "deactivationUrl": url,
                "secretKey": secret,
                "isActive": True,
                "isSubscribedToCreateEvents": False,
                "isSubscribedToUpdateEvents": True,
                "isSubscribedToDeleteEvents": False,
                "sendThresholdExceededNotification": False,
            },
        )
        assert created.status_code == 200, created.text
        webhook_id = created.json()["itemId"]
        field = at.post(
            f"/CompanyWebhooks/{webhook_id}/Fields",
            json={
                "webhookID": webhook_id,
                "fieldID": COMPANY_NAME_FIELD,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
        )
        assert field.status_code == 200, field.text
        guid = at.get(f"/CompanyWebhooks/{webhook_id}").json()["item"]["webhookGUID"]
        company = query_all(at, "Companies")[0]
        patched = at.patch("/Companies", json={"id": company["id"], "companyName": "Renamed Ltd"})
        assert patched.status_code == 200, patched.text
        (delivery,) = wait_for_deliveries(sb, 1)
        assert delivery["status"] == "delivered", delivery
        assert delivery["webhookGuid"] == guid
        assert (delivery["entity"], delivery["action"]) == ("company", "update")
        assert delivery["error"] is None
        # A webhook signing with another secret is refused and reported as such.
        at.patch(
            "/CompanyWebhooks", json={"id": webhook_id, "secretKey": "not-the-receiver-secret"}
        )
        at.patch("/Companies", json={"id": company["id"], "companyName": "Renamed Again Ltd"})
        deliveries = wait_for_deliveries(sb, 2)
        assert [d["status"] for d in deliveries] == ["delivered", "bad_signature"]
        assert sandbox.autotask.callouts.wait_idle(60)


def test_demo_webhook_delivers_out_of_the_box() -> None:
    sandbox = start_sandbox(seed="demo")
    try:
        with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
            company = query_all(at, "Companies")[0]
            at.patch("/Companies", json={"id": company["id"], "companyName": "Demo Rename"})
            (delivery,) = wait_for_deliveries(sb, 1)
            assert delivery["status"] == "delivered", delivery
            assert delivery["entity"] == "company"
    finally:
        sandbox.stop()


def test_large_seeds_agree_on_autotask_ids() -> None:
    """Salesbuildr's cache of Autotask ids (mirrored in salesbuildr_seed) matches the Autotask
    simulator's ``large`` seed, and every seeded setting validates against both sides."""
    sandbox = start_sandbox(seed="large")
    try:
        cache = tenant_data("large").autotask
        with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
            assert {b["id"] for b in query_all(at, "BillingCodes")} == cache.billing_codes
            assert {r["id"] for r in query_all(at, "Roles")} == cache.roles
            assert {s["id"] for s in query_all(at, "Services")} == cache.services
            udfs = query_all(at, "UserDefinedFieldDefinitions")
            assert {u["name"] for u in udfs if u["udfType"] == 1} == set(cache.company_udfs)
            assert {u["name"] for u in udfs if u["udfType"] == 3} == set(cache.opportunity_udfs)
            billing = sb.get(f"{SETTINGS}/billing-codes").json()
            active = {b["id"] for b in query_all(at, "BillingCodes") if b["isActive"]}
            assert {m["billingCodeId"] for m in billing["categories"]} <= active
            assert len(billing["categories"]) == 1000
    finally:
        sandbox.stop()


def test_bad_options_and_busy_ports_leave_nothing_running() -> None:
    with pytest.raises(ValueError):
        start_sandbox(seed="nope")
    with pytest.raises(ValueError):
        start_sandbox(seed="empty", faults={"bogus": 1.0})
    with pytest.raises(ValueError):
        same = free_port()
        start_sandbox(seed="empty", port_autotask=same, port_salesbuildr=same)
    port_sb = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(RuntimeError):
            start_sandbox(
                seed="empty", port_autotask=busy.getsockname()[1], port_salesbuildr=port_sb
            )
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port_sb}/_sandbox/stats")


def test_stats_of_both_sides_are_separate(sandbox: Sandbox) -> None:
    with autotask(sandbox) as at, salesbuildr(sandbox) as sb:
        at.get("/Version")
        sb.get("/category")
        sb.get("/category")
    at_stats = httpx.get(sandbox.autotask_server.url + "/_sandbox/stats").json()
    sb_stats = httpx.get(sandbox.salesbuildr_server.url + "/_sandbox/stats").json()
    assert sb_stats["requests"] == 2
    assert at_stats["requests"] == 1
    assert json.dumps(sb_stats).count("/public-api/category") == 1


# --- the registry of PSA simulators -------------------------------------------------------------


def test_the_registry_names_simulators_by_module_and_factory() -> None:
    assert PSA_SIMULATORS["autotask"] == "reconciler.sandbox.autotask:sandbox_hook"
    hook = psa_hook("autotask")
    assert hook.name == "autotask"
    assert hook.seeds == ("empty", "demo", "large")
    assert (*hook.env_names, *salesbuildr_hook().env_names) == ENV_NAMES
    with pytest.raises(ValueError, match="no simulator of the PSA 'nope'; simulators: autotask"):
        psa_hook("nope")
    with pytest.raises(ValueError, match="no simulator"):
        start_sandbox(psa="nope", seed="empty")
    with pytest.raises(ValueError, match="module:factory"):
        register_simulator("x", "no-colon")
    with pytest.raises(ValueError, match="registered already"):
        register_simulator("autotask", "elsewhere:hook")
    register_simulator("autotask", PSA_SIMULATORS["autotask"])  # the same again: fine


def test_the_sandbox_names_the_psa_simulator_by_the_psa(sandbox: Sandbox) -> None:
    assert sandbox.psa == "autotask"
    assert sandbox.autotask is sandbox.psa_simulator
    assert sandbox.autotask_server is sandbox.psa_server
    with pytest.raises(AttributeError):
        _ = sandbox.connectwise
    assert sandbox.env_names == ENV_NAMES


def test_a_psa_port_by_the_psas_name_or_generic() -> None:
    port = free_port()
    started = start_sandbox(seed="empty", port_psa=port)
    try:
        assert started.psa_server.port == port
    finally:
        started.stop()
    with pytest.raises(TypeError, match="port_connectwise"):
        start_sandbox(seed="empty", port_connectwise=1)
