"""HaloPSA in the per-PSA suites: its webhooks (``/Webhook``, keyed by name) are the objects a
test lists, plants and removes as an admin would, with a token from the tenant's ``/auth``."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.halopsa.app import RateCap
from reconciler.sandbox.halopsa.launch import HaloSandboxCredentials
from reconciler.sandbox.halopsa.store import WriteRefused
from tests.reliability.psa_case import RECEIVER_SECRET, SALESBUILDR_KEY, Env, PsaCase
from tests.sandbox_clients import halopsa_api as api

CLIENT_ID = "RT-HALO-CLIENT-ID-6d1f0c9e"
CLIENT_SECRET = "RT-HALO-CLIENT-SECRET-6d1f0c9e"


def credentials() -> HaloSandboxCredentials:
    return HaloSandboxCredentials(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        salesbuildr_api_key=SALESBUILDR_KEY,
        salesbuildr_webhook_secret=RECEIVER_SECRET,
    )


def objects(env: Env) -> list[dict[str, Any]]:
    with api(env) as halo:
        body = halo.get("/Webhook").json()
    rows = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
    return list(rows)


def plant(env: Env, name: str) -> None:
    with api(env) as halo:
        # One event, as an admin subscribes a webhook to (export states only those with one).
        hook = {"name": name, "url": "http://127.0.0.1:9/hook", "events": [{"eventno": 2}]}
        planted = halo.post("/Webhook", json=[hook])
    assert planted.status_code in (200, 201), planted.text


def remove(env: Env, name: str) -> None:
    ids = [row["id"] for row in objects(env) if row["name"] == name]
    assert len(ids) == 1, (name, ids)
    with api(env) as halo:
        removed = halo.delete(f"/Webhook/{ids[0]}")
    assert removed.status_code in (200, 204), removed.text


def refuse(simulator: Any) -> None:
    """Halo's refusal of a webhook: a 422 whose message names the field."""

    def upsert(*args: Any, **kwargs: Any) -> list[Any]:
        raise WriteRefused("url: Please enter a valid URL.", 422)

    simulator.store.upsert = upsert


CASE = PsaCase(
    credentials=credentials,
    secrets=(CLIENT_ID, CLIENT_SECRET, SALESBUILDR_KEY, RECEIVER_SECRET),
    section="webhooks",
    key="name",
    objects=objects,
    plant=plant,
    remove=remove,
    write=lambda method, path: method == "POST" and path.lower().endswith("/api/webhook"),
    refuse=refuse,
    refused_field="url",
    url_variables=("HALOPSA_URL", "HALOPSA_AUTH_URL"),
    max_name=255,
    live_name=("default_group", "General"),
    rate_cap=lambda limit, window_s: RateCap(limit=limit, window_s=window_s),
    # The token's host must be the tenant's (or allowed by RECONCILE_ALLOWED_HOSTS).
    steering=(("HALOPSA_AUTH_URL", "https://auth.attacker.example/auth"),),
)
