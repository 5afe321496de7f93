"""The Autotask simulator against the vendor's Swagger document.

* every route it serves exists in the document with that verb (exceptions: ``/query/next``,
  which every ``nextPageUrl`` names but the document does not list, and ``/_sandbox/*``), and
  every verb the document gives a served path is served;
* every route answers a real request with 2xx, and the body validates against the document's
  200 schema (``autotask_openapi.response_schema``).

Routes come from the simulator's own routing table, so a new route is covered automatically.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
from autotask_openapi import extract_subset, full_document_path, load_subset, response_schema

from reconciler.sandbox.autotask import AutotaskCredentials, AutotaskSimulator
from reconciler.sandbox.autotask.entities import EntityDef, load_data
from reconciler.sandbox.common import RunningServer, serve_in_thread

CREDENTIALS = AutotaskCredentials("conformance@acme-it.example", "conformance-secret", "CONF")
HEADERS = {
    "ApiIntegrationCode": "CONF",
    "UserName": CREDENTIALS.username,
    "Secret": "conformance-secret",
}
DOCUMENT = load_subset()
ROUTES = AutotaskSimulator(credentials=CREDENTIALS, seed="empty").routes()
# Documented paths of served entities the simulator deliberately does not serve.
NOT_SERVED = {
    "/V1.0/Companies/{id}/invoiceSettings",
    "/V1.0/Companies/{id}/invoiceSettings/contactRecipients",
    "/V1.0/Companies/{id}/invoiceSettings/contactRecipients/{contactId}",
    "/V1.0/Companies/{id}/invoiceSettings/resourceRecipients",
    "/V1.0/Companies/{id}/invoiceSettings/resourceRecipients/{resourceId}",
}
_unique = itertools.count(1)


def test_every_served_route_is_documented() -> None:
    paths = DOCUMENT["paths"]
    for method, template, documented in ROUTES:
        if documented:
            assert method.lower() in paths.get(template, {}), (
                f"{method} {template} is not documented"
            )
        else:
            assert template.endswith("/query/next"), template


def test_every_documented_verb_of_a_served_path_is_served() -> None:
    served: dict[str, set[str]] = {}
    for method, template, documented in ROUTES:
        if documented:
            served.setdefault(template, set()).add(method.lower())
    for template, operations in DOCUMENT["paths"].items():
        if template in NOT_SERVED:
            continue
        assert set(operations) == served.get(template, set()), template


def test_the_subset_matches_the_full_document() -> None:
    source = full_document_path()
    if source is None:
        pytest.skip("the full Swagger document is not on this machine")
    assert extract_subset(json.loads(source.read_text("utf-8"))) == DOCUMENT, (
        "regenerate tests/sandbox/autotask-openapi-subset.json (see autotask_openapi.py)"
    )


def test_model_data_file_matches_the_document() -> None:
    models = load_data("autotask-models.json")["entities"]
    for entity, spec in models.items():
        properties = DOCUMENT["definitions"][spec["model"]]["properties"]
        expected = [
            [
                name,
                p.get("type", "object") if name != "userDefinedFields" else "udfs",
                p.get("format"),
            ]
            for name, p in properties.items()
            if not (p.get("readOnly") and "Expression" in p.get("$ref", ""))
        ]
        assert spec["properties"] == expected, entity


@dataclass
class World:
    """A demo tenant with at least two rows of every entity, served over HTTP."""

    sim: AutotaskSimulator
    server: RunningServer
    client: httpx.Client

    def entity(self, name: str) -> EntityDef:
        found = self.sim.catalog.entity(name)
        assert found is not None, name
        return found

    def ids(self, entity: EntityDef) -> list[int]:
        return sorted(self.sim.store.table(entity).rows)

    def create(self, entity: EntityDef, parent_id: int | None = None) -> int:
        path = _collection_path(entity, parent_id)
        response = self.client.post(path, json=self.create_body(entity, parent_id))
        assert response.status_code == 200, response.text
        item_id: int = response.json()["itemId"]
        return item_id

    def create_body(self, entity: EntityDef, parent_id: int | None) -> dict[str, Any]:
        n = next(_unique)
        if entity.parent is not None and parent_id is not None:
            return self._child_body(entity, parent_id)
        if entity.webhook_kind is not None:
            url = "https://hooks.example.com/conformance"
            return {
                "name": f"conf-{n}",
                "webhookUrl": url,
                "deactivationUrl": url,
                "secretKey": "conformance-webhook-secret",
                "isActive": False,
            }
        bodies: dict[str, dict[str, Any]] = {
            "Companies": {
                "companyName": f"Conformance {n}",
                "companyType": 1,
                "phone": "555-0100",
                "ownerResourceID": 29682886,
            },
            "Opportunities": {
                "title": f"Conformance {n}",
                "companyID": 29684500,
                "ownerResourceID": 29682888,
                "status": 1,
                "probability": 50,
                "projectedCloseDate": "2025-12-31T00:00:00",
                "amount": 1000,
                "cost": 500,
                "useQuoteTotals": False,
            },
            "Products": {"name": f"Conformance {n}", "isActive": True, "isSerialized": False},
            "Roles": {
                "name": f"Conformance {n}",
                "hourlyRate": 100,
                "hourlyFactor": 1,
                "isActive": True,
            },
            "Services": {
                "name": f"Conformance {n}",
                "periodType": 2,
                "unitPrice": 10,
                "billingCodeID": 29683003,
            },
            "UserDefinedFieldDefinitions": {
                "name": f"Conformance {n}",
                "udfType": 1,
                "dataType": 1,
            },
            "InventoryLocations": {"locationName": f"Shelf {n}", "isActive": True},
            "Tickets": {
                "companyID": 29684500,
                "title": f"Conformance {n}",
                "status": 1,
                "priority": 2,
            },
        }
        return bodies[entity.name]

    def _child_body(self, entity: EntityDef, parent_id: int) -> dict[str, Any]:
        rows = [
            r for r in self.sim.store.table(entity).rows.values() if r["webhookID"] == parent_id
        ]
        if entity.child_path == "ExcludedResources":
            used = {r["resourceID"] for r in rows}
            resource = next(i for i in self.ids(self.entity("Resources")) if i not in used)
            return {"resourceID": resource}
        key = "fieldID" if entity.child_path == "Fields" else "udfFieldID"
        values = self.sim.store.picklist(
            next(f.picklist for f in entity.fields if f.name == key) or ""
        )
        used = {r[key] for r in rows}
        value = next(int(v.value) for v in values if v.is_active and int(v.value) not in used)
        return {key: value, "isSubscribedField": True, "isDisplayAlwaysField": False}


def _collection_path(entity: EntityDef, parent_id: int | None) -> str:
    if entity.parent is not None:
        return f"/V1.0/{entity.parent}/{parent_id}/{entity.child_path}"
    return f"/V1.0/{entity.name}"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    sim = AutotaskSimulator(credentials=CREDENTIALS, seed="demo")
    server = serve_in_thread(sim.app)
    client = httpx.Client(base_url=server.url, headers=HEADERS, timeout=30)
    world = World(sim, server, client)
    try:
        for entity in sim.catalog.entities.values():
            if entity.parent is not None or entity.webhook_kind is None:
                continue
            for _ in range(2):
                webhook = world.create(entity)
                for child in sim.catalog.entities.values():
                    if child.parent == entity.name:
                        for _ in range(2 if child.child_path != "UdfFields" else 1):
                            world.create(child, webhook)
        yield world
    finally:
        client.close()
        sim.close()
        server.stop()


def _call(world: World, method: str, template: str) -> httpx.Response:
    """One real request for a route, with ids and bodies that make it succeed."""
    client = world.client
    if template == "/V1.0/ZoneInformation":
        return client.get(template, params={"user": CREDENTIALS.username})
    parts = template.split("/")
    if len(parts) < 3 or world.sim.catalog.entity(parts[2]) is None:
        return client.request(method, template)  # ThresholdInformation, Version, …
    child = len(parts) > 4 and parts[3] == "{parentId}"
    entity = (
        next(
            e
            for e in world.sim.catalog.entities.values()
            if e.parent == parts[2] and e.child_path == parts[4]
        )
        if child
        else world.entity(parts[2])
    )
    rows = world.sim.store.table(entity).rows
    parent_id = next(iter(rows.values()))["webhookID"] if child else None
    path = template.replace("{parentId}", str(parent_id))
    search = {"filter": [{"op": "exist", "field": "id"}]}
    if template.endswith(("/query", "/query/count")):
        if method == "GET":
            return client.get(path, params={"search": json.dumps(search)})
        return client.post(path, json=search)
    if template.endswith("/query/next"):
        body = {"MaxRecords": 1, **search}
        first = client.post(path.removesuffix("/next"), json=body).json()
        next_url = first["pageDetails"]["nextPageUrl"]
        assert next_url, f"{entity.name} needs two rows for this test"
        return client.get(next_url) if method == "GET" else client.post(next_url, json=body)
    if "entityInformation" in template:
        return client.get(path)
    if template.endswith("/{id}"):
        if method == "DELETE":
            if child:
                parent_id = world.create(world.entity(parts[2]))
                path = template.replace("{parentId}", str(parent_id))
            row_id = world.create(entity, parent_id)
        else:
            row_id = next(i for i, r in rows.items() if not child or r["webhookID"] == parent_id)
        return client.request(method, path.replace("{id}", str(row_id)))
    if method == "GET":
        return client.get(path)
    if method == "POST":
        if child:
            parent = world.entity(parts[2])
            fresh_parent = world.create(parent)
            path = template.replace("{parentId}", str(fresh_parent))
            return client.post(path, json=world.create_body(entity, fresh_parent))
        return client.post(path, json=world.create_body(entity, None))
    row_id = next(i for i, r in rows.items() if not child or r["webhookID"] == parent_id)
    if method == "PATCH":
        return client.patch(path, json={"id": row_id})
    current = client.get(f"{path}/{row_id}").json()["item"]
    body = {k: v for k, v in current.items() if v is not None}
    if entity.webhook_kind and entity.parent is None:
        body["secretKey"] = "conformance-webhook-secret"
    return client.put(path, json=body)


@functools.cache
def _validator_for(method: str, template: str) -> jsonschema.Draft202012Validator:
    if template.endswith("/query/next"):
        template, method = template.removesuffix("/next"), "POST"
    operation = DOCUMENT["paths"][template][method.lower()]
    schema = response_schema(DOCUMENT, operation["responses"]["200"]["schema"])
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("method", "template"), [(m, t) for m, t, _ in ROUTES], ids=[f"{m} {t}" for m, t, _ in ROUTES]
)
def test_route_answers_as_documented(world: World, method: str, template: str) -> None:
    response = _call(world, method, template)
    assert 200 <= response.status_code < 300, f"{response.status_code}: {response.text[:300]}"
    _validator_for(method, template).validate(response.json())
