"""The Autotask client's protocol through MockTransport: zones, paging, children, metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from reconciler.errors import ProviderError, UsageError
from reconciler.psa.autotask.client import (
    AutotaskClient,
    AutotaskCredentials,
    UdfDefinition,
    credentials_from_env,
    discover_zone,
    normalise_zone_url,
    parse_fields,
)
from reconciler.transport.http import RetryPolicy

FIXTURES = Path(__file__).parent.parent / "fixtures" / "autotask"
CREDENTIALS = AutotaskCredentials(
    username="api@acme.example",
    secret=SecretStr("s3cret-value"),
    integration_code=SecretStr("TRACKING-CODE"),
)
ZONE = "https://webservices5.autotask.net/atservicesrest"


def connect(handler: Any) -> AutotaskClient:
    return AutotaskClient.connect(
        CREDENTIALS,
        url=ZONE,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0),
    )


def test_auth_headers_on_every_call() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"item": {"id": 1}})

    with connect(handler) as client:
        client.get("Companies", 1)
    headers = seen[0].headers
    assert headers["ApiIntegrationCode"] == "TRACKING-CODE"
    assert headers["UserName"] == "api@acme.example"
    assert headers["Secret"] == "s3cret-value"
    assert seen[0].url == httpx.URL(f"{ZONE}/V1.0/Companies/1")


def test_zone_discovery_is_unauthenticated_and_returns_the_zone_base() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={"zoneName": "America East 5", "url": ZONE + "/", "webUrl": "x", "ci": 5},
        )

    assert discover_zone("api@acme.example", transport=httpx.MockTransport(handler)) == ZONE
    request = seen[0]
    assert request.url.path == "/atservicesrest/V1.0/ZoneInformation"
    assert parse_qs(request.url.query.decode())["user"] == ["api@acme.example"]
    assert "Secret" not in request.headers


def test_zone_discovery_without_url_is_an_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"url": None}))
    with pytest.raises(ProviderError, match="ZoneInformation"):
        discover_zone("x@y.z", transport=transport)


def test_connect_discovers_when_no_url() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(f"{request.url.host}{request.url.path}")
        if request.url.path.endswith("ZoneInformation"):
            return httpx.Response(200, json={"url": ZONE})
        return httpx.Response(200, json={"item": None})

    with AutotaskClient.connect(CREDENTIALS, transport=httpx.MockTransport(handler)) as client:
        assert client.get("Companies", 9) is None
    assert paths == [
        "webservices.autotask.net/atservicesrest/V1.0/ZoneInformation",
        "webservices5.autotask.net/atservicesrest/V1.0/Companies/9",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (ZONE, ZONE),
        (ZONE + "/", ZONE),
        (ZONE + "/V1.0/", ZONE),
        ("http://127.0.0.1:9000/atservicesrest", "http://127.0.0.1:9000/atservicesrest"),
    ],
)
def test_normalise_zone_url(url: str, expected: str) -> None:
    assert normalise_zone_url(url) == expected


def test_zone_url_must_end_in_atservicesrest() -> None:
    with pytest.raises(UsageError, match="/atservicesrest"):
        normalise_zone_url("https://webservices5.autotask.net/")


def test_credentials_from_env_names_every_missing_variable() -> None:
    with pytest.raises(UsageError) as caught:
        credentials_from_env({"AUTOTASK_API_USERNAME": "u"})
    assert "AUTOTASK_API_SECRET" in caught.value.message
    assert "AUTOTASK_API_INTEGRATION_CODE" in caught.value.message
    assert "AUTOTASK_API_USERNAME" not in caught.value.message


def paged_handler(rows: list[dict[str, Any]], seen: list[httpx.Request]) -> Any:
    """Serve rows in pages of 500 like Autotask: nextPageUrl absolute, GET /query/next."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/query"):
            start = 0
        else:
            start = int(parse_qs(urlsplit(str(request.url)).query)["paging"][0])
        page = rows[start : start + 500]
        next_url = (
            f"{ZONE}/V1.0/Companies/query/next?paging={start + 500}"
            if start + 500 < len(rows)
            else None
        )
        return httpx.Response(
            200,
            json={
                "items": page,
                "pageDetails": {
                    "count": len(page),
                    "requestCount": 500,
                    "prevPageUrl": None,
                    "nextPageUrl": next_url,
                },
            },
        )

    return handler


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (499, 1), (500, 1), (501, 2), (1250, 3)])
def test_query_follows_next_page_url_to_the_end(total: int, pages: int) -> None:
    rows = [{"id": i + 1} for i in range(total)]
    seen: list[httpx.Request] = []
    with connect(paged_handler(rows, seen)) as client:
        got = client.query("Companies", include_fields=["companyName"])
    assert [r["id"] for r in got] == [r["id"] for r in rows]
    assert len(seen) == pages
    first = json.loads(seen[0].content)
    assert first["MaxRecords"] == 500
    assert first["IncludeFields"] == ["id", "companyName"]
    assert first["filter"] == [{"op": "gt", "field": "id", "value": 0}]


def test_next_page_falls_back_to_post_on_405() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method + " " + request.url.path)
        if request.url.path.endswith("/query"):
            return httpx.Response(
                200,
                json={
                    "items": [{"id": 1}],
                    "pageDetails": {"nextPageUrl": f"{ZONE}/V1.0/Companies/query/next?paging=x"},
                },
            )
        if request.method == "GET":
            return httpx.Response(405)
        return httpx.Response(200, json={"items": [{"id": 2}], "pageDetails": {}})

    with connect(handler) as client:
        assert [r["id"] for r in client.query("Companies")] == [1, 2]
    assert seen == [
        "POST /atservicesrest/V1.0/Companies/query",
        "GET /atservicesrest/V1.0/Companies/query/next",
        "POST /atservicesrest/V1.0/Companies/query/next",
    ]


def test_children_use_one_root_query_per_500_parents() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        assert request.url.path.endswith("/CompanyWebhookFields/query")
        return httpx.Response(200, json={"items": [], "pageDetails": {"nextPageUrl": None}})

    with connect(handler) as client:
        client.query_children("CompanyWebhookFields", "webhookID", range(1, 1201))
    assert len(bodies) == 3
    assert bodies[0]["filter"][0]["op"] == "in"
    assert bodies[0]["filter"][0]["field"] == "webhookID"
    assert len(bodies[0]["filter"][0]["value"]) == 500
    assert len(bodies[2]["filter"][0]["value"]) == 200


def test_writes_use_documented_shapes() -> None:
    seen: list[tuple[str, str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        return httpx.Response(200, json={"itemId": 77})

    with connect(handler) as client:
        assert client.create("CompanyWebhooks", {"name": "x"}) == 77
        assert client.update("CompanyWebhooks", {"id": 77, "isActive": True}) == 77
        assert client.create_child("CompanyWebhooks", 77, "Fields", {"fieldID": 7}) == 77
        client.delete_child("CompanyWebhooks", 77, "ExcludedResources", 3)
        client.delete("CompanyWebhooks", 77)
    base = "/atservicesrest/V1.0"
    assert seen == [
        ("POST", f"{base}/CompanyWebhooks", {"name": "x"}),
        ("PATCH", f"{base}/CompanyWebhooks", {"id": 77, "isActive": True}),
        ("POST", f"{base}/CompanyWebhooks/77/Fields", {"fieldID": 7}),
        ("DELETE", f"{base}/CompanyWebhooks/77/ExcludedResources/3", None),
        ("DELETE", f"{base}/CompanyWebhooks/77", None),
    ]


def test_update_requires_the_id() -> None:
    with connect(lambda r: httpx.Response(200)) as client, pytest.raises(ValueError):
        client.update("Companies", {"companyName": "x"})


def test_write_without_item_id_is_an_error() -> None:
    with (
        connect(lambda r: httpx.Response(200, json={})) as client,
        pytest.raises(ProviderError, match="itemId"),
    ):
        client.create("Companies", {"companyName": "x"})


def test_count_and_threshold() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("query/count"):
            assert "MaxRecords" not in json.loads(request.content)
            return httpx.Response(200, json={"queryCount": 2001})
        return httpx.Response(
            200,
            json={
                "externalRequestThreshold": 10000,
                "requestThresholdTimeframe": 60,
                "currentTimeframeRequestCount": 9500,
            },
        )

    with connect(handler) as client:
        assert client.count("Companies") == 2001
        threshold = client.threshold()
    assert threshold.remaining == 500
    assert threshold.timeframe_minutes == 60


def test_metadata_is_read_once_and_parses_real_recorded_responses() -> None:
    calls: list[str] = []
    tickets = json.loads((FIXTURES / "Tickets.entityInformation.fields.trimmed.json").read_text())
    udfs = json.loads((FIXTURES / "Contacts.entityInformation.userDefinedFields.json").read_text())

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("Tickets/entityInformation/fields"):
            return httpx.Response(200, json=tickets)
        return httpx.Response(200, json=udfs)

    with connect(handler) as client:
        queue = client.field("Tickets", "queueID")
        client.fields("tickets")
        sub_issue = client.field("Tickets", "subIssueType")
        contact_udfs = client.udfs("Contacts")
        client.udfs("Contacts")
    assert len(calls) == 2
    post_sale = next(v for v in queue.picklist if v.label == "Post Sale")
    assert (post_sale.value, post_sale.is_active, post_sale.is_system) == ("6", True, True)
    assert sub_issue.parent_field == "IssueType"  # as the real tenant spells it
    assert all(v.parent_value for v in sub_issue.picklist)
    assert contact_udfs[0].name == "Contact overview"
    assert contact_udfs[0].data_type == "string"  # UDFs carry `type`, not `dataType`


def test_parse_real_webhook_fields_metadata() -> None:
    fields = parse_fields(
        json.loads((FIXTURES / "CompanyWebhooks.entityInformation.fields.json").read_text())
    )
    by_name = {f.name: f for f in fields}
    assert by_name["name"].is_required
    assert by_name["ownerResourceID"].is_read_only
    assert not by_name["isActive"].is_picklist


def test_unknown_field_is_an_error() -> None:
    with (
        connect(lambda r: httpx.Response(200, json={"fields": []})) as client,
        pytest.raises(ProviderError, match="no field"),
    ):
        client.field("Companies", "nope")


def test_udf_definitions_recognise_multi_select_by_label() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("entityInformation/fields"):
            return httpx.Response(
                200,
                json={
                    "fields": [
                        {
                            "name": "udfType",
                            "dataType": "integer",
                            "isPickList": True,
                            "picklistValues": [
                                {"value": "1", "label": "Company", "isActive": True},
                                {"value": "3", "label": "Opportunity", "isActive": True},
                            ],
                        },
                        {
                            "name": "dataType",
                            "dataType": "integer",
                            "isPickList": True,
                            "picklistValues": [
                                {"value": "1", "label": "String", "isActive": True},
                                {"value": "6", "label": "Multi-select List", "isActive": True},
                            ],
                        },
                    ]
                },
            )
        body = json.loads(request.content)
        assert body["filter"] == [{"op": "eq", "field": "udfType", "value": 3}]
        return httpx.Response(
            200,
            json={
                "items": [
                    {
                        "id": 10,
                        "name": "Quote Margin",
                        "udfType": 3,
                        "dataType": 1,
                        "isActive": True,
                    },
                    {
                        "id": 11,
                        "name": "Competitors",
                        "udfType": 3,
                        "dataType": 6,
                        "isActive": True,
                    },
                ],
                "pageDetails": {},
            },
        )

    with connect(handler) as client:
        defs = client.udf_definitions("Opportunity")
        assert client.udf_definitions("Nothing") == []
    assert [(d.name, d.is_multi_select) for d in defs] == [
        ("Quote Margin", False),
        ("Competitors", True),
    ]


def test_multi_select_label_variants() -> None:
    def udf(label: str) -> UdfDefinition:
        return UdfDefinition(id=1, name="x", entity="Company", data_type=label, is_active=True)

    assert udf("Multi-Select List").is_multi_select
    assert udf("multi select").is_multi_select
    assert not udf("List").is_multi_select


def test_next_page_on_another_origin_is_not_followed_with_credentials() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url.host))
        return httpx.Response(
            200,
            json={
                "items": [{"id": 1}],
                "pageDetails": {"nextPageUrl": "https://evil.example/V1.0/Companies/query/next"},
            },
        )

    with connect(handler) as client, pytest.raises(ProviderError, match="another origin"):
        client.query("Companies")
    assert seen == ["webservices5.autotask.net"]


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/atservicesrest/V1.0/CompanyWebhooks/query", "companywebhooks"),
        ("/atservicesrest/V1.0/CompanyWebhooks/77/Fields", "companywebhookfields"),
        ("/atservicesrest/V1.0/CompanyWebhooks/77/Fields/5", "companywebhookfields"),
        ("/atservicesrest/V1.0/CompanyWebhookFields/query", "companywebhookfields"),
        ("/atservicesrest/V1.0/Companies/12", "companies"),
    ],
)
def test_thread_limit_endpoint_of_child_paths(path: str, endpoint: str) -> None:
    from reconciler.psa.autotask.client import _entity_endpoint  # noqa: PLC0415

    assert _entity_endpoint("GET", path) == endpoint
