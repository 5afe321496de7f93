"""The Autotask simulator's documented behaviour: queries, paging, writes, errors, limits, seeds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from autotask_fixtures import CREDENTIALS, HEADERS, Running, concurrently, running, webhook_body
from held_requests import held_until
from polling import wait_for

from reconciler.sandbox.autotask import AutotaskSimulator
from reconciler.sandbox.autotask.entities import load_data
from reconciler.sandbox.autotask.seed import build_store
from reconciler.sandbox.common import serve_in_thread, tenant


@pytest.fixture(scope="module")
def demo() -> Iterator[Running]:
    """A demo tenant shared by the tests that only read."""
    with running() as at:
        yield at


@pytest.fixture
def fresh() -> Iterator[Running]:
    """A demo tenant of its own, for tests that write."""
    with running() as at:
        yield at


# --- queries -------------------------------------------------------------------------------------


def test_paging_walks_every_row_through_next_page_urls() -> None:
    with running(seed="large") as at:
        first = at.query("Companies", {"filter": [{"op": "gte", "field": "id", "value": 0}]}).json()
        assert len(first["items"]) == 500
        assert first["pageDetails"]["count"] == 500 and first["pageDetails"]["requestCount"] == 500
        ids = [item["id"] for item in first["items"]]
        url = first["pageDetails"]["nextPageUrl"]
        assert url.startswith(at.url + "/V1.0/Companies/query/next?paging=")
        pages = 1
        while url:
            page = (at.client.get(url) if pages % 2 else at.client.post(url)).json()
            ids += [item["id"] for item in page["items"]]
            url = page["pageDetails"]["nextPageUrl"]
            pages += 1
        assert pages == 4 and len(ids) == 2000 and ids == sorted(set(ids))


def test_paging_keeps_the_base_path_and_max_records(demo: Running) -> None:
    body = {"maxRecords": 7, "filter": [{"op": "exist", "field": "id"}]}
    page = demo.client.post("/ATServicesRest/v1.0/companies/QUERY", json=body).json()
    assert len(page["items"]) == 7
    assert page["pageDetails"]["nextPageUrl"].startswith(
        demo.url + "/ATServicesRest/V1.0/Companies/"
    )
    assert demo.client.get(page["pageDetails"]["nextPageUrl"]).json()["pageDetails"]["count"] == 7


def test_get_query_and_count_take_a_search_parameter(demo: Running) -> None:
    search = json.dumps({"Filter": [{"op": "eq", "field": "companyType", "value": 6}]})
    items = demo.client.get("/V1.0/Companies/query", params={"search": search}).json()["items"]
    count = demo.client.get("/V1.0/Companies/query/count", params={"search": search}).json()
    assert count == {"queryCount": len(items)} and len(items) == 5
    assert demo.client.get("/V1.0/Companies/query").status_code == 400, "search is required"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"op": "eq", "field": "companyName", "value": "CONTOSO legal llp"}], 1),
        ([{"op": "noteq", "field": "companyType", "value": 1}], 19),
        ([{"op": "beginsWith", "field": "companyName", "value": "north"}], 2),
        ([{"op": "endsWith", "field": "companyName", "value": "GROUP"}], 2),
        ([{"op": "contains", "field": "companyName", "value": "dental"}], 2),
        ([{"op": "in", "field": "companyType", "value": [6, "7"]}], 9),
        ([{"op": "notIn", "field": "companyType", "value": [1, 2, 3, 4, 5, 6]}], 4),
        ([{"op": "gt", "field": "id", "value": 29684535}], 4),
        ([{"op": "gte", "field": "id", "value": "29684535"}], 5),
        ([{"op": "lt", "field": "id", "value": 29684502}], 2),
        ([{"op": "lte", "field": "id", "value": 29684502}], 3),
        ([{"op": "notExist", "field": "classification"}], 17),
        ([{"op": "exist", "field": "classification"}], 23),
        ([{"op": "eq", "field": "isActive", "value": False}], 2),
        ([{"op": "gt", "field": "lastActivityDate", "value": "2024-01-01T00:00:00Z"}], 40),
        (
            [
                {
                    "op": "or",
                    "items": [
                        {"op": "eq", "field": "companyType", "value": 6},
                        {"op": "eq", "field": "companyType", "value": 7},
                    ],
                }
            ],
            9,
        ),
        (
            [
                {
                    "op": "and",
                    "items": [
                        {"op": "eq", "field": "companyType", "value": 1},
                        {"op": "eq", "field": "city", "value": "portland"},
                    ],
                }
            ],
            3,
        ),
        ([{"op": "eq", "field": "Contract Tier", "value": "gold", "udf": True}], 9),
        ([{"op": "gt", "field": "Employee Count", "value": 200, "udf": True}], 3),
    ],
)
def test_filters(demo: Running, filters: list[dict[str, Any]], expected: int) -> None:
    response = demo.query("Companies", {"Filter": filters})
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == expected


ALL = [{"op": "exist", "field": "id"}]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "At least one filter"),
        ({"filter": []}, "At least one filter"),
        ({"MaxRecords": 501, "filter": ALL}, "between 1 and 500"),
        ({"maxRecords": 0, "filter": ALL}, "between 1 and 500"),
        ({"MaxRecords": "lots", "filter": ALL}, "MaxRecords"),
        ({"filter": [{"op": "like", "field": "id", "value": 1}]}, "operator"),
        ({"filter": [{"op": "eq", "field": "nope", "value": 1}]}, "nope"),
        ({"filter": [{"op": "eq", "field": "isActive", "value": "true"}]}, "true or false"),
        ({"filter": [{"op": "eq", "field": "isActive", "value": None}]}, "true or false"),
        ({"filter": [{"op": "in", "field": "id", "value": 3}]}, "array"),
        ({"filter": [{"op": "or", "items": []}]}, "items"),
        (
            {
                "filter": [
                    {"op": "eq", "field": "Contract Tier", "value": "Gold", "udf": True},
                    {"op": "eq", "field": "Employee Count", "value": "8", "udf": True},
                ]
            },
            "one UDF",
        ),
        ({"IncludeFields": ["companyName", "noSuchField"], "filter": ALL}, "noSuchField"),
        ({"filter": {"op": "eq"}}, "array"),
    ],
)
def test_malformed_queries_are_400_with_errors(
    demo: Running, body: dict[str, Any], fragment: str
) -> None:
    response = demo.query("Companies", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert isinstance(errors, list) and fragment in errors[0], errors


def test_include_fields_returns_only_those_plus_id(demo: Running) -> None:
    body = {"IncludeFields": ["CompanyName", "Contract Tier"], "MaxRecords": 1, "filter": ALL}
    item = demo.query("Companies", body).json()["items"][0]
    assert item == {
        "id": 29684500,
        "companyName": "Northwind Dental Group",
        "userDefinedFields": [{"name": "Contract Tier", "value": "Gold"}],
    }
    body = {"IncludeFields": ["name"], "MaxRecords": 2, "filter": [{"op": "exist", "field": "id"}]}
    plain = demo.query("Roles", body).json()["items"]
    assert [set(i) for i in plain] == [{"id", "name"}] * 2


def test_records_have_null_for_empty_fields_and_udfs_by_name(demo: Running) -> None:
    item = demo.client.get("/V1.0/Companies/29684530").json()["item"]
    assert item["fax"] is None and item["companyName"] == "Dell Technologies"
    assert {u["name"] for u in item["userDefinedFields"]} == {
        "Contract Tier",
        "Onboarding Date",
        "Account Manager Notes",
        "Industry Tags",
        "Employee Count",
    }, "active company UDFs only"


def test_missing_id_is_item_null(demo: Running) -> None:
    response = demo.client.get("/V1.0/Companies/12345")
    assert response.status_code == 200 and response.json() == {"item": None}
    assert demo.client.get("/V1.0/CompanyWebhooks/1/Fields/31100001").json() == {"item": None}


# --- protocol errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/V1.0/Companies/1"),
        ("DELETE", "/V1.0/InventoryLocations/1"),
        ("POST", "/V1.0/BillingCodes"),
        ("PATCH", "/V1.0/BillingCodes"),
        ("POST", "/V1.0/Resources"),
        ("PUT", "/V1.0/CompanyWebhooks/29689001/ExcludedResources"),
        ("POST", "/V1.0/CompanyWebhookFields"),
        ("DELETE", "/V1.0/Companies/query"),
        ("PUT", "/V1.0/ThresholdInformation"),
    ],
)
def test_verbs_the_document_does_not_allow_are_405(demo: Running, method: str, path: str) -> None:
    response = demo.client.request(method, path, json={})
    assert response.status_code == 405, response.text


def test_unknown_routes_are_404(demo: Running) -> None:
    assert demo.client.get("/V1.0/Contacts/query").status_code == 404
    assert demo.client.get("/V1.0/TicketNoteWebhooks/1/UdfFields").status_code == 404


def test_auth_headers_are_required(demo: Running) -> None:
    with httpx.Client(base_url=demo.url) as anonymous:
        assert anonymous.get("/V1.0/Companies/29684500").status_code == 500  # no user name
        wrong = HEADERS | {"Secret": "wrong"}
        assert anonymous.get("/V1.0/Version", headers=wrong).status_code == 401
        lower = {k.lower(): v for k, v in HEADERS.items()}
        assert anonymous.get("/V1.0/Version", headers=lower).status_code == 200
        user = {"user": CREDENTIALS.username}
        zone = anonymous.get("/atservicesrest/v1.0/zoneInformation", params=user)
        assert zone.status_code == 200 and zone.json()["url"] == demo.url + "/ATServicesRest/"


# --- writes --------------------------------------------------------------------------------------


def test_create_then_read_back(fresh: Running) -> None:
    body = {
        "CompanyName": "New Client BV",
        "companyType": "1",
        "phone": "555",
        "ownerResourceID": "29682886",
    }
    body["userDefinedFields"] = [{"Name": "Contract Tier", "Value": "Silver"}]
    new_id = fresh.create("/V1.0/Companies", body)
    item = fresh.client.get(f"/V1.0/Companies/{new_id}").json()["item"]
    assert item["companyName"] == "New Client BV" and item["companyType"] == 1
    assert item["isActive"] is True and item["createDate"] and "Z" not in item["createDate"]
    assert {"name": "Contract Tier", "value": "Silver"} in item["userDefinedFields"]


def test_patch_changes_only_what_is_sent_and_put_nulls_the_rest(fresh: Running) -> None:
    path = "/V1.0/Companies"
    assert fresh.client.patch(path, json={"id": 29684500, "fax": "555-1"}).json() == {
        "itemId": 29684500
    }
    patch = {"id": "29684500", "userDefinedFields": [{"name": "Contract Tier", "value": "Bronze"}]}
    assert fresh.client.patch(path, json=patch).status_code == 200
    item = fresh.client.get(f"{path}/29684500").json()["item"]
    assert item["fax"] == "555-1" and item["phone"] == "(503) 555-1000"
    udfs = {u["name"]: u["value"] for u in item["userDefinedFields"]}
    assert udfs["Contract Tier"] == "Bronze" and udfs["Employee Count"] == "8"
    put = {k: item[k] for k in ("id", "companyName", "companyType", "phone", "ownerResourceID")}
    assert fresh.client.put(path, json=put).status_code == 200
    after = fresh.client.get(f"{path}/29684500").json()["item"]
    assert (
        after["fax"] is None
        and after["city"] is None
        and after["companyName"] == "Northwind Dental Group"
    )
    assert all(u["value"] is None for u in after["userDefinedFields"]), "PUT nulls omitted UDFs too"
    assert after["createDate"] == item["createDate"], "read-only fields are kept"
    missing = fresh.client.put(path, json={"id": 29684500, "companyName": "X", "companyType": 1})
    assert missing.status_code == 500 and len(missing.json()["errors"]) == 2


def _company(**changes: Any) -> dict[str, Any]:
    body = {"companyName": "X", "companyType": 1, "phone": "1", "ownerResourceID": 29682886}
    return {k: v for k, v in (body | changes).items() if v is not None}


def _hook(name: str = "w", url: str = "http://127.0.0.1/x", **extra: Any) -> dict[str, Any]:
    return webhook_body(name, url, **extra)


def _field(field_id: int) -> dict[str, Any]:
    return {"fieldID": field_id, "isSubscribedField": True, "isDisplayAlwaysField": False}


COMPANIES, HOOKS = "/V1.0/Companies", "/V1.0/CompanyWebhooks"
DEMO_HOOK = "/V1.0/CompanyWebhooks/29689001"
UDFS = "/V1.0/UserDefinedFieldDefinitions"
TICKET = {"companyID": 29684500, "title": "t", "status": 1, "priority": 2}


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        (COMPANIES, _company(companyType=None), "companyType"),
        (COMPANIES, _company(companyType=99), "picklist"),
        (COMPANIES, _company(companyType=8), "inactive"),
        (COMPANIES, _company(companyName="X" * 101), "maximum is 100"),
        (COMPANIES, _company(ownerResourceID=4), "Resource 4"),
        (COMPANIES, _company(companyType="one"), "integer"),
        (COMPANIES, _company(userDefinedFields=[{"name": "Nope", "value": "1"}]), "Nope"),
        (
            COMPANIES,
            _company(userDefinedFields=[{"name": "Contract Tier", "value": "Platinum"}]),
            "Platinum",
        ),
        (COMPANIES, [1, 2], "JSON object"),
        (HOOKS, _hook(name="n" * 51), "maximum is 50"),
        (HOOKS, _hook(url="http://127.0.0.1/" + "x" * 490), "maximum is 500"),
        (HOOKS, _hook(secretKey="s" * 65), "maximum is 64"),
        (HOOKS, _hook(notificationEmailAddress="e" * 151), "maximum is 150"),
        (HOOKS, _hook(name="SB-Companies"), "already exists"),
        (HOOKS, {"name": "w"}, "Missing required field: webhookUrl"),
        (f"{DEMO_HOOK}/Fields", _field(7), "already"),
        (f"{DEMO_HOOK}/Fields", _field(999), "picklist"),
        ("/V1.0/CompanyWebhooks/1/Fields", _field(14), "parent"),
        (f"{DEMO_HOOK}/ExcludedResources", {"resourceID": 29682885}, "already"),
        ("/V1.0/Tickets", TICKET | {"issueType": 41, "subIssueType": 401}, "does not belong"),
        (UDFS, {"name": "Tags", "udfType": 1, "dataType": 6}, "Multi-select"),
        (UDFS, {"name": "contract tier", "udfType": 1, "dataType": 1}, "already exists"),
        (
            "/V1.0/InventoryLocations",
            {"locationName": "main warehouse", "isActive": True},
            "exists",
        ),
    ],
)
def test_invalid_writes_are_500_with_errors(
    demo: Running, path: str, body: Any, fragment: str
) -> None:
    response = demo.client.post(path, json=body)
    assert response.status_code == 500, response.text
    errors = response.json()["errors"]
    assert isinstance(errors, list) and any(fragment in e for e in errors), errors


def test_updates_need_an_existing_id(demo: Running) -> None:
    for body in ({"companyName": "X"}, {"id": 1, "companyName": "X"}, {"id": "x"}):
        response = demo.client.patch("/V1.0/Companies", json=body)
        assert response.status_code == 500 and response.json()["errors"]
    change = demo.client.patch(
        "/V1.0/UserDefinedFieldDefinitions", json={"id": 29684001, "dataType": 1}
    )
    assert change.status_code == 500 and "cannot be changed" in change.json()["errors"][0]
    bad_json = demo.client.post("/V1.0/Companies", content=b"{nope")
    assert bad_json.status_code == 500 and bad_json.json()["errors"]


def test_webhook_secret_is_never_returned_and_ready_needs_a_field(fresh: Running) -> None:
    hook = fresh.create("/V1.0/TicketWebhooks", webhook_body("tickets", "http://127.0.0.1:9/t"))
    item = fresh.client.get(f"/V1.0/TicketWebhooks/{hook}").json()["item"]
    assert item["secretKey"] is None and item["isReady"] is False and item["webhookGUID"]
    assert item["ownerResourceID"] == fresh.sim.store.table("Resources").rows[29682895]["id"]
    body = {"fieldID": 14, "isSubscribedField": "True", "isDisplayAlwaysField": "false"}
    field = fresh.create(f"/V1.0/TicketWebhooks/{hook}/Fields", body)
    assert fresh.client.get(f"/V1.0/TicketWebhooks/{hook}").json()["item"]["isReady"] is True
    row = fresh.client.get(f"/V1.0/TicketWebhookFields/{field}").json()["item"]
    assert row == {
        "id": field,
        "fieldID": 14,
        "isDisplayAlwaysField": False,
        "isSubscribedField": True,
        "webhookID": hook,
    }
    patch = fresh.client.patch(
        f"/V1.0/TicketWebhooks/{hook}/Fields", json={"id": field, "isDisplayAlwaysField": True}
    )
    assert patch.status_code == 200
    assert fresh.client.get(f"/V1.0/TicketWebhooks/{hook}/Fields/{field}").json()["item"][
        "isDisplayAlwaysField"
    ]
    other = fresh.create("/V1.0/ContactWebhooks", webhook_body("tickets", "http://127.0.0.1:9/c"))
    assert other, "webhook names are unique per entity only"


def test_deleting_a_webhook_deletes_its_children(fresh: Running) -> None:
    hook = 29689001
    assert fresh.client.delete(f"/V1.0/CompanyWebhooks/{hook}").json() == {"itemId": hook}
    assert fresh.client.get(f"/V1.0/CompanyWebhooks/{hook}").json() == {"item": None}
    for child in (
        "CompanyWebhookFields",
        "CompanyWebhookUdfFields",
        "CompanyWebhookExcludedResources",
    ):
        count = fresh.client.post(
            f"/V1.0/{child}/query/count",
            json={"filter": [{"op": "eq", "field": "webhookID", "value": hook}]},
        )
        assert count.json() == {"queryCount": 0}, child
    assert fresh.client.delete(f"/V1.0/CompanyWebhooks/{hook}").status_code == 500


def test_child_rows_can_be_deleted_only_through_their_parent(fresh: Running) -> None:
    wrong = fresh.client.delete("/V1.0/CompanyWebhooks/1/Fields/31100001")
    assert wrong.status_code == 500
    right = fresh.client.delete("/V1.0/CompanyWebhooks/29689001/Fields/31100001")
    assert right.json() == {"itemId": 31100001}
    assert len(fresh.client.get("/V1.0/CompanyWebhooks/29689001/Fields").json()["items"]) == 2


def test_inventory_locations_have_one_default_and_no_delete(fresh: Running) -> None:
    new = fresh.create(
        "/V1.0/InventoryLocations", {"locationName": "Van 1", "isActive": True, "isDefault": True}
    )
    defaults = fresh.items("InventoryLocations", {"op": "eq", "field": "isDefault", "value": True})
    assert [d["id"] for d in defaults] == [new]
    assert (
        fresh.client.patch(
            "/V1.0/InventoryLocations", json={"id": 29688002, "isActive": False}
        ).status_code
        == 200
    )
    assert fresh.client.get("/V1.0/InventoryLocations/29688002").json()["item"]["isActive"] is False


def test_new_udfs_appear_in_metadata_and_webhook_picklists(fresh: Running) -> None:
    udf = fresh.create(
        "/V1.0/UserDefinedFieldDefinitions", {"name": "Region", "udfType": 1, "dataType": 1}
    )
    udfs = fresh.client.get("/V1.0/Companies/entityInformation/userDefinedFields").json()["fields"]
    assert "Region" in [u["name"] for u in udfs] and all("dataType" not in u for u in udfs)
    fields = fresh.client.get("/V1.0/CompanyWebhookUdfFields/entityInformation/fields").json()[
        "fields"
    ]
    picklist = next(f for f in fields if f["name"] == "udfFieldID")["picklistValues"]
    assert {"value": str(udf), "label": "Region"}.items() <= next(
        p for p in picklist if p["label"] == "Region"
    ).items()


# --- metadata ------------------------------------------------------------------------------------


def _picklist(at: Running, entity: str, field: str) -> list[dict[str, Any]]:
    fields = at.client.get(f"/V1.0/{entity}/entityInformation/fields").json()["fields"]
    values: list[dict[str, Any]] = next(f for f in fields if f["name"] == field)["picklistValues"]
    return values


def test_picklists_come_from_the_tenant_and_the_recorded_samples(demo: Running) -> None:
    types = _picklist(demo, "Companies", "companyType")
    assert [(int(v["value"]), v["label"], v["isActive"]) for v in types] == list(
        tenant.COMPANY_TYPES
    )
    assert set(types[0]) == {
        "value",
        "label",
        "isDefaultValue",
        "sortOrder",
        "parentValue",
        "isActive",
        "isSystem",
    }
    categories = _picklist(demo, "Products", "productCategory")
    assert [v["label"] for v in categories] == [c[1] for c in tenant.PRODUCT_CATEGORIES]
    issue = {v["value"]: v for v in _picklist(demo, "Tickets", "issueType")}
    assert (
        issue["40"]["label"] == "Procurement" and issue["22"]["label"] == "Technical Documentation"
    )
    subs = {v["value"]: v for v in _picklist(demo, "Tickets", "subIssueType")}
    assert (subs["411"]["label"], subs["411"]["parentValue"]) == ("Order hardware", "41")
    sources = {v["label"]: v["value"] for v in _picklist(demo, "Tickets", "source")}
    assert sources["Salesbuildr"] == "20" and sources["Email"] == "4"
    queues = {v["label"]: v for v in _picklist(demo, "Tickets", "queueID")}
    assert queues["Post Sale"]["value"] == "6" and queues["Post Sale"]["isSystem"] is True
    data_types = _picklist(demo, "UserDefinedFieldDefinitions", "dataType")
    assert [(int(v["value"]), v["label"]) for v in data_types] == list(tenant.UDF_DATA_TYPES)
    assert [
        (int(v["value"]), v["label"])
        for v in _picklist(demo, "UserDefinedFieldDefinitions", "udfType")
    ] == list(tenant.UDF_TYPES)


def test_multi_select_udfs_are_recognisable_by_their_data_type_label(demo: Running) -> None:
    labels = {
        v["value"]: v["label"] for v in _picklist(demo, "UserDefinedFieldDefinitions", "dataType")
    }
    udfs = demo.items("UserDefinedFieldDefinitions", {"op": "eq", "field": "udfType", "value": 1})
    multi = [u["name"] for u in udfs if labels[str(u["dataType"])] == tenant.MULTI_SELECT_LABEL]
    assert multi == ["Industry Tags"]


def test_tickets_fields_are_the_recorded_sample(demo: Running) -> None:
    recorded = load_data("Tickets.entityInformation.fields.json")["fields"]
    served = demo.client.get("/V1.0/Tickets/entityInformation/fields").json()["fields"]
    assert [f["name"] for f in served] == [f["name"] for f in recorded]
    strip = {"picklistValues"}
    assert [{k: v for k, v in f.items() if k not in strip} for f in served] == [
        {k: v for k, v in f.items() if k not in strip} for f in recorded
    ]
    webhooks = demo.client.get("/V1.0/CompanyWebhooks/entityInformation/fields").json()
    assert webhooks == load_data("CompanyWebhooks.entityInformation.fields.json")


def test_webhook_field_picklists(demo: Running) -> None:
    recorded = load_data("CompanyWebhookFields.fieldID-picklist.derived.json")["fieldID_picklist"]
    served = _picklist(demo, "CompanyWebhookFields", "fieldID")
    assert [(v["value"], v["label"]) for v in served] == [
        (r["value"], r["label"]) for r in recorded
    ]
    contact = _picklist(demo, "ContactWebhookFields", "fieldID")
    assert {"FirstName", "LastName", "EmailAddress"} <= {v["label"] for v in contact}
    udf_fields = _picklist(demo, "ContactWebhooks/29689001/UdfFields", "udfFieldID")
    assert [(v["value"], v["label"]) for v in udf_fields] == [
        ("29684301", "Preferred Contact Method")
    ]
    info = demo.client.get("/V1.0/Companies/entityInformation").json()["info"]
    assert (
        info["name"] == "Company" and info["canDelete"] is False and info["supportsWebhookCallouts"]
    )
    assert demo.client.get("/V1.0/BillingCodes/entityInformation/userDefinedFields").json() == {
        "fields": []
    }


# --- limits and counters -------------------------------------------------------------------------


def test_thread_limit_is_three_per_object_endpoint() -> None:
    """The first three requests hold their slots (inside the simulator) until the other three
    were refused, so all six overlap however slowly a busy machine starts the threads."""
    with running() as at:
        body = {"filter": [{"op": "exist", "field": "id"}], "MaxRecords": 1}
        answered: list[int] = []

        def call(i: int) -> int:
            if i % 2:
                status = at.client.post("/V1.0/Companies/query", json=body).status_code
            else:
                status = at.client.get(f"/V1.0/Companies/{29684500 + i}").status_code
            answered.append(status)
            return status

        with held_until(at.sim.middleware, threading.Event()) as release:
            statuses: list[int] = []
            waiting = threading.Thread(target=lambda: statuses.extend(concurrently(6, call)))
            waiting.start()
            wait_for(lambda: len(answered) >= 3, what=f"three answers (have {answered})")
            assert answered == [429, 429, 429]
            release.set()
            waiting.join(120)
        assert statuses.count(200) == 3 and statuses.count(429) == 3, statuses
        stats = at.sim.stats()["endpoints"]
        assert all(e["max_in_flight"] <= 3 for e in stats.values())
        user = {"user": CREDENTIALS.username}
        zone = concurrently(
            6, lambda i: at.client.get("/V1.0/ZoneInformation", params=user).status_code
        )
        assert zone == [200] * 6, "ZoneInformation is exempt"


def test_threshold_information_counts_requests_and_usage_slows_calls() -> None:
    with running(usage_delays_s=(0.15, 0.3)) as at:
        for _ in range(4):
            at.client.get("/V1.0/Version")
        counted = at.client.get("/V1.0/ThresholdInformation").json()
        assert counted == {
            "externalRequestThreshold": 10000,
            "requestThresholdTimeframe": 60,
            "currentTimeframeRequestCount": 5,
        }

        def timed() -> float:
            start = time.perf_counter()
            assert at.client.get("/V1.0/Version").status_code == 200
            return time.perf_counter() - start

        # The delay each call gets is read from the middleware's hook (a busy machine makes
        # any call slower, so an upper bound on wall time would prove nothing); that it is
        # really spent is a lower bound, which no machine can miss.
        delay = at.sim.middleware.extra_delay
        assert delay is not None and delay() == 0.0
        at.client.post("/_sandbox/usage", json={"count": 5000})
        assert delay() == 0.15
        assert timed() >= 0.15
        at.client.post("/_sandbox/usage", json={"count": 7500})
        assert delay() == 0.3
        assert timed() >= 0.3
        at.client.post("/_sandbox/usage", json={"count": 10000})
        assert at.client.get("/V1.0/Version").status_code == 429
        threshold = at.client.get("/V1.0/ThresholdInformation")
        assert threshold.status_code == 200
        assert threshold.json()["currentTimeframeRequestCount"] == 10002


def test_stats_and_reset() -> None:
    with running() as at:
        at.client.post(
            "/V1.0/CompanyWebhooks/query", json={"filter": [{"op": "exist", "field": "id"}]}
        )
        at.client.get("/V1.0/CompanyWebhooks/29689001/Fields")
        at.client.patch("/V1.0/Companies", json={"id": 29684500, "fax": "1"})
        at.client.delete("/V1.0/Companies/29684500")
        stats = at.client.get("/_sandbox/stats").json()
        assert stats == {
            "requests": 4,
            "writes": 2,
            "endpoints": {
                "GET /V1.0/CompanyWebhooks/{parentId}/Fields": {"requests": 1, "max_in_flight": 1},
                "PATCH /V1.0/Companies": {"requests": 1, "max_in_flight": 1},
                "POST /V1.0/CompanyWebhooks/query": {"requests": 1, "max_in_flight": 1},
            },
        }
        assert at.client.post("/_sandbox/reset", json={"seed": "empty"}).status_code == 200
        assert at.client.get("/_sandbox/stats").json() == {
            "requests": 0,
            "writes": 0,
            "endpoints": {},
        }
        assert at.items("CompanyWebhooks") == [] and at.items("InventoryLocations") == []
        assert (
            at.client.get("/V1.0/ThresholdInformation").json()["currentTimeframeRequestCount"] == 3
        )
        assert at.client.post("/_sandbox/reset", json={"seed": "huge"}).status_code == 400
        assert at.client.post("/_sandbox/usage", json={"count": -1}).status_code == 400


# --- seeds and startup ---------------------------------------------------------------------------


def _counts(seed: str) -> dict[str, int]:
    store = build_store(
        AutotaskSimulator(credentials=CREDENTIALS, seed="empty").catalog,
        seed,
        receiver_url=None,
        webhook_secret=None,
        api_username=CREDENTIALS.username,
    )
    return {table.entity.name: len(table.rows) for table in store.tables.values()}


def test_seed_counts() -> None:
    empty, demo_counts, large = _counts("empty"), _counts("demo"), _counts("large")
    assert empty["Companies"] == 40 and empty["BillingCodes"] == len(tenant.BILLING_CODES)
    assert (
        empty["Roles"] == 6
        and empty["Services"] == 6
        and empty["UserDefinedFieldDefinitions"] == 13
    )
    assert (
        empty["InventoryLocations"] == 0 and sum(v for k, v in empty.items() if "Webhook" in k) == 0
    )
    assert empty["Resources"] == len(tenant.RESOURCES) + 1, "plus the sandbox API user"
    assert demo_counts["InventoryLocations"] == 2 and demo_counts["CompanyWebhooks"] == 1
    assert demo_counts["CompanyWebhookFields"] == 3 and demo_counts["CompanyWebhookUdfFields"] == 1
    assert demo_counts["CompanyWebhookExcludedResources"] == 1
    assert (large["BillingCodes"], large["Companies"], large["UserDefinedFieldDefinitions"]) == (
        300,
        2000,
        100,
    )
    assert (large["Roles"], large["Services"]) == (200, 200)
    webhooks = sum(v for k, v in large.items() if k.endswith("Webhooks"))
    assert webhooks == 51, "50 generated plus the demo's sb-companies"
    assert _counts("large") == large, "deterministic"


def test_demo_webhook_matches_the_brief() -> None:
    with running(receiver_url="http://127.0.0.1:9/hook", webhook_secret="shh") as at:
        hook = at.items("CompanyWebhooks")[0]
        assert (hook["name"], hook["webhookUrl"], hook["isActive"]) == (
            "sb-companies",
            "http://127.0.0.1:9/hook",
            True,
        )
        assert hook["isSubscribedToCreateEvents"] and hook["isSubscribedToUpdateEvents"]
        assert at.sim.store.table("CompanyWebhooks").rows[hook["id"]]["secretKey"] == "shh"
        fields = at.client.get(f"/V1.0/CompanyWebhooks/{hook['id']}/Fields").json()["items"]
        shape = {(f["fieldID"], f["isSubscribedField"], f["isDisplayAlwaysField"]) for f in fields}
        assert shape == {(7, True, False), (24, True, False), (6, False, True)}, (
            "Phone (14) missing"
        )
        udf = at.client.get(f"/V1.0/CompanyWebhooks/{hook['id']}/UdfFields").json()["items"]
        assert [u["udfFieldID"] for u in udf] == [29684001]
        excluded = at.client.get(f"/V1.0/CompanyWebhooks/{hook['id']}/ExcludedResources").json()[
            "items"
        ]
        assert [e["resourceID"] for e in excluded] == [29682885]
        locations = {
            (i["locationName"], i["isActive"], i["isDefault"])
            for i in at.items("InventoryLocations")
        }
        assert locations == {("Main Warehouse", True, True), ("Old Stockroom", True, False)}
    with running() as at:
        assert (
            at.items("CompanyWebhooks")[0]["webhookUrl"]
            == "https://acme.salesbuildr.com/webhooks/autotask"
        )


@pytest.mark.parametrize("seed", ["demo", "large"])
def test_starts_and_answers_with_each_seed(seed: str) -> None:
    # How fast it starts is a speed target, measured in bench/ (W6), not asserted here.
    sim = AutotaskSimulator(credentials=CREDENTIALS, seed=seed)
    server = serve_in_thread(sim.app)
    try:
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as client:
            assert client.get("/V1.0/Version").status_code == 200
            assert client.get("/V1.0/Companies/29684500").status_code == 200
    finally:
        sim.close()
        server.stop()
