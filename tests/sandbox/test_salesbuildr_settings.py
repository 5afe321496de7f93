"""Contract tests of the settings sections of the Salesbuildr simulator, over real loopback HTTP.

SALESBUILDR-SETTINGS-API.md: every section exists with defaults, GET gives an ETag, PUT needs a
matching If-Match (428 without, 412 stale), replaces the whole document, ignores read-only fields
and answers 422 with ``{"message", "errors": [{"path", "message"}]}`` for what it cannot store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.common import RunningServer, serve_in_thread
from reconciler.sandbox.salesbuildr import SalesbuildrSimulator

API_KEY = "test-key"
SECRET = "demo-secret"
BASE = "/integration/autotask/settings"

DEFAULTS: dict[str, dict[str, Any]] = {
    "billing-codes": {"defaultBillingCodeId": None, "categories": []},
    "company-types": {"toSalesbuildr": [], "toAutotask": []},
    "company-udfs": {"mappings": []},
    "product-import": {
        "synchronizeToAutotask": False,
        "prependInternalProductId": False,
        "prependMpnToServiceName": False,
        "mpnEnrichment": "none",
        "manufacturerCompanyType": None,
        "roles": [],
        "productCategories": [],
        "services": [],
    },
    "inventory": {"locations": []},
    "opportunity-udfs": {"mappings": []},
    "purchase-order": {
        "createTicket": False,
        "billingCodeId": None,
        "queueId": None,
        "issueType": None,
        "subIssueType": None,
        "ticketCategory": None,
        "priority": None,
        "source": None,
        "dueDateOffsetDays": 0,
    },
}

VALID: dict[str, dict[str, Any]] = {
    "billing-codes": {
        "defaultBillingCodeId": 29683001,
        "categories": [
            {"categoryId": "c-hw", "billingCodeId": 29683001},
            {"categoryId": "c-hw-laptops", "billingCodeId": 29683001},
            {"categoryId": "c-sw", "billingCodeId": 29683002},
        ],
    },
    "company-types": {
        "toSalesbuildr": [
            {"autotaskCompanyType": 1, "companyType": "customer"},
            {"autotaskCompanyType": 3, "companyType": "lead"},
        ],
        "toAutotask": [{"companyType": "customer", "autotaskCompanyType": 1}],
    },
    "company-udfs": {
        "mappings": [
            {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"},
            {"companyType": "customer", "udfName": "Onboarding Date", "dataPointId": "dp-c-start"},
        ]
    },
    "product-import": {
        "synchronizeToAutotask": True,
        "prependInternalProductId": False,
        "prependMpnToServiceName": True,
        "mpnEnrichment": "icecat",
        "manufacturerCompanyType": "supplier",
        "roles": [{"roleId": 29683301, "categoryId": "c-labor-eng"}],
        "productCategories": [{"productCategory": 1, "categoryId": "c-hw"}],
        "services": [{"serviceId": 12, "categoryId": "c-ms"}],
    },
    "inventory": {
        "locations": [
            {"inventoryLocationId": 5, "trackStock": True},
            {"inventoryLocationId": 29683501, "trackStock": False},
        ]
    },
    "opportunity-udfs": {"mappings": [{"dataPointId": "dp-o-margin", "udfName": "Quote Margin"}]},
    "purchase-order": {
        "createTicket": True,
        "billingCodeId": 29683001,
        "queueId": 6,
        "issueType": 40,
        "subIssueType": 401,
        "ticketCategory": 3,
        "priority": 2,
        "source": 20,
        "dueDateOffsetDays": 5,
    },
}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SalesbuildrSimulator, RunningServer]]:
    sim = SalesbuildrSimulator(api_key=API_KEY, seed="empty", webhook_secret=SECRET)
    server = serve_in_thread(sim.app)
    yield sim, server
    sim.close()
    server.stop()


@pytest.fixture
def sim(served: tuple[SalesbuildrSimulator, RunningServer]) -> SalesbuildrSimulator:
    served[0].reset("empty")
    return served[0]


@pytest.fixture
def client(
    sim: SalesbuildrSimulator, served: tuple[SalesbuildrSimulator, RunningServer]
) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=served[1].url + "/public-api", headers={"api-key": API_KEY}, timeout=30
    ) as http:
        yield http


def put(client: httpx.Client, section: str, body: Any, etag: str | None = None) -> httpx.Response:
    if etag is None:
        etag = client.get(f"{BASE}/{section}").headers["ETag"]
    return client.put(f"{BASE}/{section}", json=body, headers={"If-Match": etag})


def errors_of(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["message"], str)
    return [(e["path"], e["message"]) for e in body["errors"]]


@pytest.mark.parametrize("section", sorted(DEFAULTS))
def test_fresh_tenant_holds_defaults_with_an_etag(client: httpx.Client, section: str) -> None:
    response = client.get(f"{BASE}/{section}")
    assert response.status_code == 200
    assert response.json() == DEFAULTS[section]
    assert re.fullmatch(r'"v\d+"', response.headers["ETag"])


def test_receiver_defaults_to_no_secret_and_names_its_url(
    client: httpx.Client, served: tuple[SalesbuildrSimulator, RunningServer]
) -> None:
    response = client.get(f"{BASE}/webhook-receiver")
    assert response.json() == {"url": served[1].url + "/webhooks/autotask", "secretSet": False}


@pytest.mark.parametrize("section", sorted(VALID))
def test_put_round_trips_and_changes_the_etag(client: httpx.Client, section: str) -> None:
    before = client.get(f"{BASE}/{section}").headers["ETag"]
    response = put(client, section, VALID[section], before)
    assert response.status_code == 200, response.text
    after = response.headers["ETag"]
    assert after != before
    read = client.get(f"{BASE}/{section}")
    assert read.headers["ETag"] == after
    expected = VALID[section]
    if section == "product-import":
        expected = {
            **expected,
            **{
                table: [{**row, "importedCount": 0} for row in expected[table]]
                for table in ("roles", "productCategories", "services")
            },
        }
    assert read.json() == response.json() == expected
    again = put(client, section, VALID[section], after)
    assert again.status_code == 200 and again.headers["ETag"] not in (before, after)


def test_receiver_secret_is_write_only(client: httpx.Client) -> None:
    response = put(client, "webhook-receiver", {"secret": "x" * 64})
    assert response.status_code == 200
    assert response.json()["secretSet"] is True
    assert "secret" not in client.get(f"{BASE}/webhook-receiver").json()


def test_read_only_fields_are_ignored(client: httpx.Client, sim: SalesbuildrSimulator) -> None:
    body = {**VALID["product-import"]}
    body["roles"] = [{"roleId": 29683301, "categoryId": "c-labor-eng", "importedCount": 999}]
    assert put(client, "product-import", body).json()["roles"][0]["importedCount"] == 0
    receiver = {"secret": "abc", "url": "https://elsewhere.example/hook", "secretSet": False}
    response = put(client, "webhook-receiver", receiver)
    assert response.status_code == 200
    assert response.json()["secretSet"] is True
    assert response.json()["url"].startswith("http://127.0.0.1:")
    assert sim.settings("webhook-receiver") == {"secret": "abc"}


def test_imported_count_survives_a_put_that_keeps_the_mapping(
    client: httpx.Client, sim: SalesbuildrSimulator
) -> None:
    sim.reset("demo")
    current = client.get(f"{BASE}/product-import").json()
    seeded = current["roles"][0]["importedCount"]
    assert seeded > 0
    current["prependMpnToServiceName"] = True
    current["roles"][0]["importedCount"] = 0
    current["roles"].append({"roleId": 29683302, "categoryId": "c-labor-eng"})
    response = put(client, "product-import", current)
    assert [r["importedCount"] for r in response.json()["roles"]] == [seeded, 0]
    current["roles"] = [{"roleId": 29683301, "categoryId": "c-labor-pm"}]
    moved = put(client, "product-import", current).json()
    assert moved["roles"][0]["importedCount"] == 0


def test_put_without_if_match_is_428(client: httpx.Client) -> None:
    response = client.put(f"{BASE}/inventory", json=VALID["inventory"])
    assert response.status_code == 428
    assert "If-Match" in response.json()["message"]


def test_stale_if_match_is_412_and_changes_nothing(client: httpx.Client) -> None:
    stale = client.get(f"{BASE}/inventory").headers["ETag"]
    assert put(client, "inventory", VALID["inventory"], stale).status_code == 200
    response = put(client, "inventory", {"locations": []}, stale)
    assert response.status_code == 412
    assert "message" in response.json()
    assert client.get(f"{BASE}/inventory").json() == VALID["inventory"]


def test_weak_etag_never_matches_and_star_always_does(client: httpx.Client) -> None:
    etag = client.get(f"{BASE}/inventory").headers["ETag"]
    assert put(client, "inventory", VALID["inventory"], "W/" + etag).status_code == 412
    assert put(client, "inventory", VALID["inventory"], "*").status_code == 200
    listed = client.get(f"{BASE}/inventory").headers["ETag"]
    assert put(client, "inventory", {"locations": []}, f'"v0", {listed}').status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_unknown_section_is_404(client: httpx.Client, method: str) -> None:
    response = client.request(method, f"{BASE}/webhooks", json={}, headers={"If-Match": '"v1"'})
    assert response.status_code == 404
    assert "webhooks" in response.json()["message"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    etag = client.get(f"{BASE}/inventory").headers["ETag"]
    response = client.put(
        f"{BASE}/inventory",
        content=b"{not json",
        headers={"If-Match": etag, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"]


def _with(section: str, **changes: Any) -> dict[str, Any]:
    return {**VALID[section], **changes}


BAD: list[tuple[str, Any, str, str]] = [
    # (section, body, error path, message fragment)
    ("billing-codes", [], "", "must be an object"),
    (
        "billing-codes",
        _with("billing-codes", defaultBillingCodeId=123),
        "defaultBillingCodeId",
        "unknown Autotask billing code 123",
    ),
    (
        "billing-codes",
        _with("billing-codes", categories=[{"categoryId": "c-nope", "billingCodeId": 29683001}]),
        "categories[0].categoryId",
        "unknown Salesbuildr category",
    ),
    (
        "billing-codes",
        _with(
            "billing-codes",
            categories=[
                {"categoryId": "c-hw", "billingCodeId": 29683001},
                {"categoryId": "c-sw", "billingCodeId": 29683001},
                {"categoryId": "c-hw-net", "billingCodeId": 29683001},
                {"categoryId": "c-cloud", "billingCodeId": 1},
            ],
        ),
        "categories[3].billingCodeId",
        "unknown Autotask billing code 1",
    ),
    (
        "billing-codes",
        _with(
            "billing-codes",
            categories=[
                {"categoryId": "c-hw", "billingCodeId": 29683001},
                {"categoryId": "c-hw", "billingCodeId": 29683002},
            ],
        ),
        "categories[1].categoryId",
        "mapped twice",
    ),
    (
        "billing-codes",
        _with("billing-codes", categories=[{"categoryId": "c-hw", "billingCodeId": "29683001"}]),
        "categories[0].billingCodeId",
        "must be an integer",
    ),
    (
        "billing-codes",
        _with("billing-codes", defaultBillingCodeId=True),
        "defaultBillingCodeId",
        "must be an integer or null",
    ),
    ("billing-codes", {"categories": []}, "defaultBillingCodeId", "is required"),
    ("billing-codes", _with("billing-codes", extra=1), "extra", "unknown field"),
    (
        "company-types",
        _with("company-types", toSalesbuildr=[{"autotaskCompanyType": 99, "companyType": "lead"}]),
        "toSalesbuildr[0].autotaskCompanyType",
        "unknown Autotask company type 99",
    ),
    (
        "company-types",
        _with("company-types", toAutotask=[{"companyType": "vip", "autotaskCompanyType": 1}]),
        "toAutotask[0].companyType",
        "unknown company type 'vip'",
    ),
    (
        "company-types",
        _with(
            "company-types",
            toAutotask=[
                {"companyType": "lead", "autotaskCompanyType": 2},
                {"companyType": "lead", "autotaskCompanyType": 3},
            ],
        ),
        "toAutotask[1].companyType",
        "mapped twice",
    ),
    (
        "company-udfs",
        {
            "mappings": [
                {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"},
                {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-size"},
            ]
        },
        "mappings[1].udfName",
        "UDF 'customer', 'Contract Tier' is mapped twice",
    ),
    (
        "company-udfs",
        {
            "mappings": [
                {"companyType": "customer", "udfName": "Industry Tags", "dataPointId": "dp-c-notes"}
            ]
        },
        "mappings[0].udfName",
        "multi-select",
    ),
    (
        "company-udfs",
        {"mappings": [{"companyType": "customer", "udfName": "Nope", "dataPointId": "dp-c-notes"}]},
        "mappings[0].udfName",
        "unknown Autotask company UDF 'Nope'",
    ),
    (
        "company-udfs",
        {
            "mappings": [
                {"companyType": "lead", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"}
            ]
        },
        "mappings[0].dataPointId",
        "not used by company type 'lead'",
    ),
    (
        "company-udfs",
        {
            "mappings": [
                {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-o-ref"}
            ]
        },
        "mappings[0].dataPointId",
        "unknown company data point",
    ),
    (
        "company-udfs",
        {
            "mappings": [
                {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tags"}
            ]
        },
        "mappings[0].dataPointId",
        "multi-select",
    ),
    (
        "product-import",
        _with("product-import", mpnEnrichment="google"),
        "mpnEnrichment",
        "must be one of",
    ),
    (
        "product-import",
        _with("product-import", manufacturerCompanyType="vendor"),
        "manufacturerCompanyType",
        "unknown company type",
    ),
    (
        "product-import",
        _with("product-import", roles=[{"roleId": 1, "categoryId": "c-labor"}]),
        "roles[0].roleId",
        "unknown Autotask role 1",
    ),
    (
        "product-import",
        _with("product-import", services=[{"serviceId": 99, "categoryId": "c-ms"}]),
        "services[0].serviceId",
        "unknown Autotask service 99",
    ),
    (
        "product-import",
        _with(
            "product-import",
            productCategories=[
                {"productCategory": 1, "categoryId": "c-hw"},
                {"productCategory": 1, "categoryId": "c-hw-net"},
            ],
        ),
        "productCategories[1].productCategory",
        "mapped twice",
    ),
    (
        "product-import",
        _with("product-import", synchronizeToAutotask=1),
        "synchronizeToAutotask",
        "must be a boolean",
    ),
    (
        "inventory",
        {"locations": [{"inventoryLocationId": 0, "trackStock": True}]},
        "locations[0].inventoryLocationId",
        "positive",
    ),
    (
        "inventory",
        {
            "locations": [
                {"inventoryLocationId": 5, "trackStock": True},
                {"inventoryLocationId": 5, "trackStock": False},
            ]
        },
        "locations[1].inventoryLocationId",
        "mapped twice",
    ),
    ("inventory", {"locations": {}}, "locations", "must be an array"),
    (
        "opportunity-udfs",
        {
            "mappings": [
                {"dataPointId": "dp-o-margin", "udfName": "Quote Margin"},
                {"dataPointId": "dp-o-ref", "udfName": "Quote Margin"},
            ]
        },
        "mappings[1].udfName",
        "mapped twice",
    ),
    (
        "opportunity-udfs",
        {"mappings": [{"dataPointId": "dp-o-ref", "udfName": "Competitors"}]},
        "mappings[0].udfName",
        "multi-select",
    ),
    (
        "opportunity-udfs",
        {"mappings": [{"dataPointId": "dp-c-tier", "udfName": "Quote Margin"}]},
        "mappings[0].dataPointId",
        "unknown opportunity data point",
    ),
    ("webhook-receiver", {"secret": ""}, "secret", "1..64"),
    ("webhook-receiver", {"secret": "x" * 65}, "secret", "1..64"),
    ("webhook-receiver", {"url": "http://x", "secretSet": True}, "secret", "is required"),
    (
        "purchase-order",
        _with("purchase-order", queueId=7),
        "queueId",
        "unknown Autotask queue 7",
    ),
    (
        "purchase-order",
        _with("purchase-order", subIssueType=412),
        "subIssueType",
        "belongs to issue type 41",
    ),
    (
        "purchase-order",
        _with("purchase-order", billingCodeId=5),
        "billingCodeId",
        "unknown Autotask billing code",
    ),
    (
        "purchase-order",
        _with("purchase-order", dueDateOffsetDays=366),
        "dueDateOffsetDays",
        "0..365",
    ),
    (
        "purchase-order",
        _with("purchase-order", priority="2"),
        "priority",
        "must be an integer",
    ),
]


@pytest.mark.parametrize(("section", "body", "path", "fragment"), BAD)
def test_invalid_documents_are_422_with_paths(
    client: httpx.Client, section: str, body: Any, path: str, fragment: str
) -> None:
    before = client.get(f"{BASE}/{section}")
    errors = errors_of(put(client, section, body, before.headers["ETag"]))
    assert any(p == path and fragment in m for p, m in errors), errors
    after = client.get(f"{BASE}/{section}")
    assert after.headers["ETag"] == before.headers["ETag"]
    assert after.json() == before.json()


def test_every_error_of_a_document_is_reported_at_once(client: httpx.Client) -> None:
    body = {
        "defaultBillingCodeId": 1,
        "categories": [
            {"categoryId": "c-x", "billingCodeId": 29683001},
            {"categoryId": "c-hw", "billingCodeId": 2},
            {"categoryId": "c-hw", "billingCodeId": 29683001},
            "not an object",
        ],
    }
    paths = {p for p, _ in errors_of(put(client, "billing-codes", body))}
    assert paths == {
        "defaultBillingCodeId",
        "categories[0].categoryId",
        "categories[1].billingCodeId",
        "categories[2].categoryId",
        "categories[3]",
    }


def test_inactive_autotask_ids_are_storable(client: httpx.Client) -> None:
    """Only ids Autotask never had are refused: activeness is the client's live rule."""
    body = {"defaultBillingCodeId": 29683099, "categories": []}
    assert put(client, "billing-codes", body).status_code == 200


def test_demo_seed_is_partly_configured_and_drifting(
    client: httpx.Client, sim: SalesbuildrSimulator
) -> None:
    sim.reset("demo")
    billing = client.get(f"{BASE}/billing-codes").json()
    assert billing == {
        "defaultBillingCodeId": 29683001,
        "categories": [
            {"categoryId": "c-hw", "billingCodeId": 29683001},
            {"categoryId": "c-sw", "billingCodeId": 29682801},
        ],
    }
    types = client.get(f"{BASE}/company-types").json()
    assert types["toSalesbuildr"] == [{"autotaskCompanyType": 1, "companyType": "customer"}]
    assert types["toAutotask"] == [{"companyType": "customer", "autotaskCompanyType": 1}]
    udfs = client.get(f"{BASE}/company-udfs").json()["mappings"]
    assert udfs == [
        {"companyType": "customer", "udfName": "Contract Tier", "dataPointId": "dp-c-tier"}
    ]
    products = client.get(f"{BASE}/product-import").json()
    assert products["synchronizeToAutotask"] is True
    assert [(r["roleId"], r["categoryId"]) for r in products["roles"]] == [
        (29683301, "c-labor-eng")
    ]
    assert products["roles"][0]["importedCount"] > 0
    assert client.get(f"{BASE}/inventory").json() == {"locations": []}
    assert client.get(f"{BASE}/opportunity-udfs").json() == {"mappings": []}
    assert client.get(f"{BASE}/purchase-order").json()["createTicket"] is False
    assert client.get(f"{BASE}/webhook-receiver").json()["secretSet"] is True


def test_demo_documents_round_trip_unchanged(
    client: httpx.Client, sim: SalesbuildrSimulator
) -> None:
    """What GET returns is always a valid PUT body (read-only fields included)."""
    sim.reset("demo")
    for section in sorted(DEFAULTS):
        read = client.get(f"{BASE}/{section}")
        response = put(client, section, read.json(), read.headers["ETag"])
        assert response.status_code == 200, (section, response.text)
        assert response.json() == read.json()


def test_large_seed_is_the_same_shape_at_scale(
    client: httpx.Client, sim: SalesbuildrSimulator
) -> None:
    sim.reset("large")
    assert client.get("/category", params={"size": 1}).json()["total"] >= 2000
    read = client.get(f"{BASE}/billing-codes")
    assert len(read.json()["categories"]) == 1000
    response = put(client, "billing-codes", read.json(), read.headers["ETag"])
    assert response.status_code == 200
    for section in sorted(DEFAULTS):
        doc = client.get(f"{BASE}/{section}")
        assert put(client, section, doc.json(), doc.headers["ETag"]).status_code == 200, section
