"""Shared by the `${env:}` and credential-host tests (issue 15, items 1 and 2): the reliability
suite's runner and secret scan on a sandbox with recognisable credentials, an attacker's hand on
the simulated Autotask API, and a recorder that stands in for hosts no test may contact."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for helper_dir in ("reliability", "scenarios", "cli", "providers"):
    if str(TESTS / helper_dir) not in sys.path:
        sys.path.insert(0, str(TESTS / helper_dir))

import httpx  # noqa: E402
from reliability_support import SECRETS, Rig, Run, secret_values, secrets_in  # noqa: E402

__all__ = ["SECRETS", "Rig", "Run", "secret_values", "secrets_in"]

_LIVE_REFERENCE = re.compile(r"(?<!\$)\$\{env:([A-Za-z_][A-Za-z0-9_]*)")


def references_in(text: str) -> list[str]:
    """Every live ``${env:NAME}`` (not ``$${``) the text names."""
    return sorted(set(_LIVE_REFERENCE.findall(text)))


def no_secret_in(*outputs: str) -> None:
    for text in outputs:
        leaked = secrets_in(text)
        assert not leaked, f"secret values in output: {leaked}\n{text[:2000]}"


def plant_webhook(rig: Rig, name: str, url: str) -> int:
    """What anyone with an Autotask admin login can do: a company webhook named ``name`` that
    posts to ``url``, a copy of the tenant's first one with one subscribed field."""
    api = rig.world.autotask
    rows = api.post("/CompanyWebhooks/query", json={"filter": [{"op": "exist", "field": "id"}]})
    assert rows.status_code == 200, rows.text
    template = rows.json()["items"][0]
    body = {k: v for k, v in template.items() if k not in ("id", "webhookGUID")}
    body.update(name=name, webhookUrl=url, deactivationUrl=url, secretKey="planted-hook-key-1")
    created = api.post("/CompanyWebhooks", json=body)
    assert created.status_code == 200, created.text
    ident = int(created.json()["itemId"])
    fields = api.get("/CompanyWebhookFields/entityInformation/fields")
    assert fields.status_code == 200, fields.text
    (field_info,) = [f for f in fields.json()["fields"] if f["name"] == "fieldID"]
    child = api.post(
        f"/CompanyWebhooks/{ident}/Fields",
        json={
            "webhookID": ident,
            "fieldID": field_info["picklistValues"][0]["value"],
            "isSubscribedField": True,
            "isDisplayAlwaysField": False,
        },
    )
    assert child.status_code == 200, child.text
    return ident


def api_requests(rig: Rig) -> tuple[int, int]:
    """Requests each simulator has answered (its ``/_sandbox/stats``, which are not counted)."""
    return int(rig.stats("autotask")["requests"]), int(rig.stats("salesbuildr")["requests"])


@dataclass
class Recorder:
    """An httpx transport standing in for every host: records each request, answers with
    ``answer`` (ZoneInformation's body by default), never leaves the process."""

    answer: Callable[[httpx.Request], httpx.Response] | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            if self.answer is not None:
                return self.answer(request)
            return httpx.Response(200, json={"items": [], "pageDetails": {"count": 0}})

        return httpx.MockTransport(handle)

    def hosts(self) -> list[str]:
        return [request.url.host for request in self.requests]

    def credentials_sent(self) -> list[str]:
        """Hosts that received a credential header."""
        names = ("secret", "apiintegrationcode", "api-key")
        return [r.url.host for r in self.requests if any(h.lower() in names for h in r.headers)]


def zone_answer(url: str) -> Callable[[httpx.Request], httpx.Response]:
    """ZoneInformation naming ``url``; any other request a 200 with no rows."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/ZoneInformation"):
            return httpx.Response(200, json={"zoneName": "Z", "url": url, "webUrl": url, "ci": 1})
        return httpx.Response(200, json={"items": [], "pageDetails": {"count": 0}})

    return answer
