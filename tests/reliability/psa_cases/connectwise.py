"""ConnectWise Manage in the per-PSA suites: its callbacks (``/system/callbacks``, keyed by
their description) are the objects a test lists, plants and removes as an admin would."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.connectwise.launch import SandboxCredentials
from reconciler.sandbox.connectwise.store import WriteError
from reconciler.sandbox.connectwise.wire import ConnectWiseCredentials, RateCap
from tests.reliability.psa_case import RECEIVER_SECRET, SALESBUILDR_KEY, Env, PsaCase
from tests.sandbox_clients import connectwise_api as api

PUBLIC_KEY = "RT-CW-PUBLIC-KEY-6d1f0c9e"
PRIVATE_KEY = "RT-CW-PRIVATE-KEY-6d1f0c9e"
CLIENT_ID = "RT-CW-CLIENT-ID-6d1f0c9e"


def credentials() -> SandboxCredentials:
    return SandboxCredentials(
        connectwise=ConnectWiseCredentials(
            company="rtacme", public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, client_id=CLIENT_ID
        ),
        salesbuildr_api_key=SALESBUILDR_KEY,
        salesbuildr_webhook_secret=RECEIVER_SECRET,
    )


def objects(env: Env) -> list[dict[str, Any]]:
    with api(env) as cw:
        rows: list[dict[str, Any]] = cw.get("system/callbacks", params={"pageSize": 1000}).json()
    return rows


def plant(env: Env, name: str) -> None:
    body = {"description": name, "url": "http://127.0.0.1:9/cb", "type": "Company",
            "level": "Owner", "objectId": 1}  # fmt: skip
    with api(env) as cw:
        planted = cw.post("system/callbacks", json=body)
    assert planted.status_code == 201, planted.text


def remove(env: Env, name: str) -> None:
    ids = [row["id"] for row in objects(env) if row["description"] == name]
    assert len(ids) == 1, (name, ids)
    with api(env) as cw:
        removed = cw.delete(f"system/callbacks/{ids[0]}")
    assert removed.status_code in (200, 204), removed.text


def refuse(simulator: Any) -> None:
    """ConnectWise's own refusal of an invalid object: 400 InvalidObject naming the field."""

    def create(*args: Any, **kwargs: Any) -> dict[str, Any]:
        problem = {"code": "InvalidField", "message": "url is not a valid callback URL",
                   "resource": "Callback", "field": "url"}  # fmt: skip
        raise WriteError(400, "InvalidObject", "Callback object is invalid", [problem])

    simulator.store.create = create


CASE = PsaCase(
    credentials=credentials,
    secrets=(PUBLIC_KEY, PRIVATE_KEY, CLIENT_ID, SALESBUILDR_KEY, RECEIVER_SECRET),
    section="callbacks",
    key="description",
    objects=objects,
    plant=plant,
    remove=remove,
    write=lambda method, path: method == "POST" and path.lower().endswith("/system/callbacks"),
    refuse=refuse,
    refused_field="url",
    url_variables=("CONNECTWISE_API_URL",),
    max_name=100,
    live_name=("board", "Professional Services"),
    fast={"CONNECTWISE_REQUESTS_PER_MINUTE": "1000000"},
    rate_cap=RateCap,
    client_cap_variable="CONNECTWISE_REQUESTS_PER_MINUTE",
    client_cap_window_s=60.0,
)
