"""The ConnectWise simulator (and the client's paths) against the subset document.

* the document is the reference's (sha256 pinned);
* every served route and verb is in the document or in the one list of out-of-subset routes,
  and every documented verb is served;
* every route the client side calls (``endpoints.CALLED``) is documented and served, and a client
  run over all of them reaches only documented routes;
* every route answers a real request with its documented success status, and each body
  validates against the document's schema for it.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest
from connectwise_fixtures import CREDENTIALS, Running
from connectwise_schema import (
    DOCUMENT_SHA256,
    REFERENCE_COPY,
    document_bytes,
    document_sha256,
    load_document,
    response_schema,
)

from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import ConnectWiseClient, replace
from reconciler.psa.connectwise.credentials import ACCEPT
from reconciler.sandbox.common.server import serve_in_thread
from reconciler.sandbox.connectwise import API_BASE_PATH, OUT_OF_SUBSET_ROUTES, create_app

DOCUMENT = load_document()
SERVED = create_app("empty", credentials=CREDENTIALS).routes()
DOCUMENTED = {
    (method.upper(), path) for path, verbs in DOCUMENT["paths"].items() for method in verbs
}
_unique = itertools.count(1)


def test_the_document_is_the_reference() -> None:
    assert document_sha256() == DOCUMENT_SHA256
    if REFERENCE_COPY.is_file():
        assert REFERENCE_COPY.read_bytes() == document_bytes()


def test_every_served_route_is_documented_or_listed() -> None:
    listed = {(method, path) for method, path, _source in OUT_OF_SUBSET_ROUTES}
    for _method, _path, source in OUT_OF_SUBSET_ROUTES:
        assert source, "an out-of-subset route must name its source"
    assert set(SERVED) - DOCUMENTED <= listed
    assert listed.isdisjoint(DOCUMENTED), "a listed route is in the document after all"


def test_every_documented_verb_is_served() -> None:
    assert set(SERVED) >= DOCUMENTED


def test_every_route_the_client_calls_is_documented_and_served() -> None:
    for route in endpoints.CALLED:
        assert route in DOCUMENTED, route
        assert route in set(SERVED), route


def test_a_client_run_over_every_called_route_reaches_only_documented_ones(
    cw: Running, client: ConnectWiseClient
) -> None:
    board = client.list_all(endpoints.BOARDS)[0]["id"]
    company = client.list_all(endpoints.COMPANIES, fields=["name"])[0]["id"]
    for path in (
        endpoints.COMPANY_TYPES,
        endpoints.COMPANY_STATUSES,
        endpoints.COMPANY_TYPE_ASSOCIATIONS,
        endpoints.company_type_associations(company),
        endpoints.USER_DEFINED_FIELDS,
        endpoints.CATEGORIES,
        endpoints.SUBCATEGORIES,
        endpoints.PRODUCT_TYPES,
        endpoints.CATALOG,
        endpoints.WAREHOUSES,
        endpoints.WAREHOUSE_BINS,
        endpoints.OPPORTUNITY_STATUSES,
        endpoints.OPPORTUNITY_TYPES,
        endpoints.STAGES,
        endpoints.board_statuses(board),
        endpoints.board_types(board),
        endpoints.board_subtypes(board),
        endpoints.board_items(board),
        endpoints.board_associations(board),
        endpoints.PRIORITIES,
        endpoints.CALLBACKS,
    ):
        client.list_all(path)
    client.count(endpoints.COMPANIES)
    client.count(endpoints.CATALOG)
    client.system_info()
    made = client.create(
        endpoints.CALLBACKS,
        {"url": "http://127.0.0.1:9/cb", "objectId": 1, "type": "Company", "level": "Owner"},
    )
    client.patch(endpoints.CALLBACKS, made["id"], [replace("description", "Salesbuildr")])
    assert client.get(endpoints.CALLBACKS, made["id"]) is not None
    client.delete(endpoints.CALLBACKS, made["id"])
    reached = {tuple(key.split(" ", 1)) for key in cw.simulator.stats()["endpoints"]}
    assert reached <= DOCUMENTED
    assert reached == set(endpoints.CALLED)


# --- every route, for real -----------------------------------------------------------------------

SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "/company/companies/types": {"name": "Conformance type"},
    "/company/companies/statuses": {"name": "Conformance status"},
    "/company/companies/{parentId}/typeAssociations": {"type": {"id": 3}},
    "/company/companyTypeAssociations": {"type": {"id": 4}, "company": {"id": 2}},
    "/system/userDefinedFields": {
        "podId": 1,
        "caption": "Conformance",
        "sequenceNumber": 9,
        "fieldTypeIdentifier": "Text",
    },
    "/procurement/categories": {"name": "Conformance"},
    "/procurement/categories/{parentId}/subcategories/": {"name": "Conformance"},
    "/procurement/subcategories/": {"name": "Conformance", "category": {"id": 1}},
    "/procurement/types": {"name": "Conformance"},
    "/procurement/catalog": {
        "identifier": "CONF-1",
        "description": "Conformance item",
        "subcategory": {"id": 1},
        "type": {"id": 1},
        "customerDescription": "Conformance item",
    },
    "/procurement/warehouses": {
        "name": "Conformance",
        "location": {"id": 1},
        "department": {"id": 10},
    },
    "/procurement/warehouseBins": {"name": "Conformance", "warehouse": {"id": 1}},
    "/sales/opportunities/statuses": {"name": "Conformance"},
    "/sales/opportunities/types": {"description": "Conformance"},
    "/sales/stages": {"name": "Conformance"},
    "/service/boards": {"name": "Conformance", "location": {"id": 1}, "department": {"id": 10}},
    "/service/boards/{parentId}/statuses": {"name": "Conformance"},
    "/service/boards/{parentId}/types": {"name": "Conformance"},
    "/service/boards/{parentId}/subtypes": {"name": "Conformance"},
    "/service/boards/{parentId}/items": {"name": "Conformance"},
    "/service/priorities": {"name": "Conformance", "color": "blue"},
    "/finance/agreements/types": {
        "name": "Conformance",
        "employeeCompRate": "Actual",
        "employeeCompNotExceed": "Billing",
        "invoicingCycle": "CalendarYear",
        "billTime": "Billable",
        "billExpenses": "Billable",
        "billProducts": "Billable",
    },
    "/system/callbacks": {
        "url": "http://127.0.0.1:9/cb",
        "objectId": 1,
        "type": "Company",
        "level": "Owner",
        "description": "Conformance",
    },
}
"""A valid POST body per documented collection (parents: the demo seed's first rows)."""


def _base(template: str) -> str:
    for suffix in ("/count", "/{id}", "/info"):
        if template.rstrip("/").endswith(suffix):
            return template.rstrip("/").removesuffix(suffix)
    return template


def _collection_of(base: str) -> str:
    return next((key for key in SAMPLE_BODIES if key.rstrip("/") == base.rstrip("/")), base)


def _patch_for(body: dict[str, Any]) -> list[dict[str, Any]]:
    for name in ("name", "description", "caption"):
        if name in body:
            return [{"op": "replace", "path": name, "value": f"Patched {next(_unique)}"}]
    return [{"op": "replace", "path": "type", "value": {"id": 5}}]


def _concrete(template: str, item_id: int | None) -> str:
    path = template.replace("{parentId}", "1")
    return path.replace("{id}", str(item_id)) if item_id is not None else path


@pytest.fixture(scope="module")
def session() -> Any:
    simulator = create_app("demo", credentials=CREDENTIALS)
    server = serve_in_thread(simulator)
    headers = {
        "Authorization": basic_header(CREDENTIALS.username, CREDENTIALS.private_key),
        "clientId": CREDENTIALS.client_id,
        "Accept": ACCEPT,
    }
    with httpx.Client(base_url=server.url + API_BASE_PATH, headers=headers) as http:
        yield http
    simulator.close()
    server.stop()


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _existing_id(http: httpx.Client, base: str) -> int:
    rows = http.get(_concrete(base, None), params={"pageSize": 1}).json()
    assert rows, f"the demo seed has no row under {base}"
    return int(rows[0]["id"])


@pytest.mark.parametrize(
    ("method", "template"), sorted(DOCUMENTED, key=lambda r: (r[1], r[0])), ids=str
)
def test_every_route_answers_its_documented_status_and_schema(
    session: httpx.Client, method: str, template: str
) -> None:
    http = session
    status, schema = response_schema(DOCUMENT, method, template)
    base = _base(template)
    sample = SAMPLE_BODIES.get(_collection_of(base))
    item_id: int | None = None
    if "{id}" in template:
        if sample is not None and base.rstrip("/") + "/" != "/system/info/":
            item_id = int(
                http.post(_concrete(_collection_of(base), None), json=sample).json()["id"]
            )
        else:
            item_id = _existing_id(http, base)
    elif method == "GET" and sample is not None:
        assert http.post(_concrete(_collection_of(base), None), json=sample).is_success
    path = _concrete(template, item_id)
    send: Callable[..., httpx.Response] = getattr(http, method.lower())
    if method == "POST":
        assert sample is not None, template
        response = send(path, json=sample)
    elif method == "PUT":
        current = http.get(path).json()
        response = send(path, json={k: v for k, v in current.items() if k not in ("id", "_info")})
    elif method == "PATCH":
        response = send(path, json=_patch_for(sample or {"name": "a company's"}))
    else:
        response = send(path)
    assert response.status_code == status, (method, path, response.text)
    if schema is None:
        assert response.content == b""
        return
    body = response.json()
    if isinstance(body, list):
        assert body, f"{method} {template}: an empty list proves nothing about its schema"
    jsonschema.validate(body, schema)
    assert response.headers["content-type"].startswith("application/vnd.connectwise.com+json")
