"""Autotask in the per-PSA suites: its webhooks (``CompanyWebhooks``, ``TicketWebhooks`` ...,
keyed by name across the collections) are the objects a test lists, plants and removes as an
admin would. Autotask's own limits (the hourly budget, three threads per endpoint) and its
other scenarios are in the Autotask suites of tests/reliability and tests/security."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.sandbox.autotask import SandboxCredentials
from reconciler.sandbox.autotask.rules import WriteError
from tests.reliability.psa_case import RECEIVER_SECRET, SALESBUILDR_KEY, Env, PsaCase
from tests.sandbox_clients import autotask_api as api

REPO = Path(__file__).resolve().parents[3]
USERNAME = "rt-api-user-q7w3@acme-it.example"
SECRET = "RT-AUTOTASK-SECRET-6d1f0c9e"
INTEGRATION_CODE = "RTAUTOTASKINTEGRATIONCODE6D1F0C9E"
COLLECTIONS = (
    "CompanyWebhooks",
    "ContactWebhooks",
    "ConfigurationItemWebhooks",
    "TicketWebhooks",
    "TicketNoteWebhooks",
)
_CREATE = re.compile(r".*/(?:" + "|".join(COLLECTIONS) + ")", re.IGNORECASE)


def credentials() -> SandboxCredentials:
    return SandboxCredentials(
        autotask_username=USERNAME,
        autotask_secret=SECRET,
        autotask_integration_code=INTEGRATION_CODE,
        salesbuildr_api_key=SALESBUILDR_KEY,
        salesbuildr_webhook_secret=RECEIVER_SECRET,
    )


def _rows(at: httpx.Client, collection: str) -> list[dict[str, Any]]:
    found = at.post(f"/{collection}/query", json={"filter": [{"op": "exist", "field": "id"}]})
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return [{**row, "collection": collection} for row in items]


def objects(env: Env) -> list[dict[str, Any]]:
    with api(env) as at:
        return [row for collection in COLLECTIONS for row in _rows(at, collection)]


def _entity(name: str) -> str:
    """The entity of the example's webhook of that name (company for any other name)."""
    example = yaml.safe_load((REPO / "examples" / "mappings.yaml").read_text(encoding="utf-8"))
    entity = str(example["webhooks"].get(name, {}).get("entity", "company"))
    return "".join(part.capitalize() for part in entity.split("_"))


def plant(env: Env, name: str) -> None:
    """A webhook named ``name`` with one subscribed field, as an admin makes one: of the entity
    the example gives that name (so it is the object the plan creates), else a company one."""
    collection = f"{_entity(name)}Webhooks"
    with api(env) as at:
        body = {"name": name, "webhookUrl": "https://hooks.example/at",
                "deactivationUrl": "https://hooks.example/at", "secretKey": "planted-hook-key-1",
                "isActive": True, "isSubscribedToCreateEvents": True,
                "sendThresholdExceededNotification": False}  # fmt: skip
        created = at.post(f"/{collection}", json=body)
        assert created.status_code == 200, created.text
        ident = int(created.json()["itemId"])
        fields = at.get(f"/{collection[:-1]}Fields/entityInformation/fields")
        assert fields.status_code == 200, fields.text
        (info,) = [f for f in fields.json()["fields"] if f["name"] == "fieldID"]
        child = {"webhookID": ident, "fieldID": info["picklistValues"][0]["value"],
                 "isSubscribedField": True, "isDisplayAlwaysField": False}  # fmt: skip
        added = at.post(f"/{collection}/{ident}/Fields", json=child)
        assert added.status_code == 200, added.text


def remove(env: Env, name: str) -> None:
    rows = [row for row in objects(env) if row["name"] == name]
    assert len(rows) == 1, (name, rows)
    with api(env) as at:
        removed = at.delete(f"/{rows[0]['collection']}/{rows[0]['id']}")
    assert removed.status_code == 200, removed.text


def refuse(simulator: Any) -> None:
    """Autotask's refusal of a webhook: a 500 whose ``errors`` name the field."""
    create = simulator.store.create

    def refusing(entity: Any, *args: Any, **kwargs: Any) -> Any:
        if entity.webhook_kind and entity.parent is None:
            raise WriteError("Value for webhookUrl is not a valid URL.")
        return create(entity, *args, **kwargs)

    simulator.store.create = refusing


CASE = PsaCase(
    credentials=credentials,
    secrets=(USERNAME, SECRET, INTEGRATION_CODE, SALESBUILDR_KEY, RECEIVER_SECRET),
    section="webhooks",
    key="name",
    objects=objects,
    plant=plant,
    remove=remove,
    write=lambda method, path: method == "POST" and _CREATE.fullmatch(path) is not None,
    refuse=refuse,
    refused_field="webhookUrl",
    url_variables=("AUTOTASK_API_URL",),
    max_name=50,
    live_name=("queue", "Post Sale"),
    plan_key=lambda name: f"company/{name}",  # planted as company webhooks
    # The webhook's own POST, not its field rows' (``POST CompanyWebhooks/ID/Fields ...``).
    journal_create=lambda request: (
        re.fullmatch(r"POST \w+Webhooks( \(inactive\))?", request) is not None
    ),
)
