"""The real Autotask client against the real simulator over loopback HTTP: every operation, every
error class the simulator can produce, and the read budget of a large tenant (calls vs the lower
bound of limits-and-reliability.md A2)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from held_requests import held_until_in_flight
from pydantic import SecretStr

from reconciler.errors import (
    AuthError,
    NotFoundError,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    ValidationFailed,
)
from reconciler.psa.autotask.client import (
    ALL,
    MAX_IN_LIST,
    PAGE_SIZE,
    AutotaskClient,
    AutotaskCredentials,
    and_,
    begins_with,
    contains,
    discover_zone,
    eq,
    exist,
    gt,
    in_,
    noteq,
    or_,
)
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.psa.autotask.read import (
    WEBHOOK_ENTITY_PREFIX,
    find_webhook,
    read_inventory_locations,
)
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.session import Connections, read_live
from reconciler.state import Resource
from reconciler.transport.http import RetryPolicy

FAST = RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0)
DEMO_HOOK = 29689001
SALESBUILDR_API_RESOURCE = 29682885


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = start_sandbox(seed="demo")
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope="module")
def large() -> Iterator[Sandbox]:
    box = start_sandbox(seed="large")
    try:
        yield box
    finally:
        box.stop()


def credentials(box: Sandbox, **override: str) -> AutotaskCredentials:
    values = {
        "username": box.env["AUTOTASK_API_USERNAME"],
        "secret": box.env["AUTOTASK_API_SECRET"],
        "integration_code": box.env["AUTOTASK_API_INTEGRATION_CODE"],
    } | override
    return AutotaskCredentials(
        username=values["username"],
        secret=SecretStr(values["secret"]),
        integration_code=SecretStr(values["integration_code"]),
    )


def connect(
    box: Sandbox, *, retry: RetryPolicy = FAST, timeout: float = 10.0, **override: str
) -> AutotaskClient:
    return AutotaskClient.connect(
        credentials(box, **override), url=box.env["AUTOTASK_API_URL"], retry=retry, timeout=timeout
    )


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[AutotaskClient]:
    with connect(sandbox) as opened:
        yield opened


def stats(box: Sandbox) -> dict[str, Any]:
    """The simulator's ``GET /_sandbox/stats`` (never faulted, never counted)."""
    response = httpx.get(f"{box.autotask_server.url}/_sandbox/stats")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def served(box: Sandbox) -> int:
    """Requests the simulator has received."""
    requests: int = stats(box)["requests"]
    return requests


def endpoint_requests(box: Sandbox) -> dict[str, int]:
    return {k: v["requests"] for k, v in stats(box)["endpoints"].items()}


@contextmanager
def faults(
    box: Sandbox, spec: Mapping[str, float], *, hold_s: float | None = None
) -> Iterator[None]:
    """Inject ``spec`` into the Autotask simulator for the block (``hold_s``: timeout hold)."""
    middleware = box.autotask.middleware
    held = middleware.timeout_hold_s
    if hold_s is not None:
        middleware.timeout_hold_s = hold_s
    box.autotask.set_faults(spec)
    try:
        yield
    finally:
        box.autotask.set_faults(None)
        middleware.timeout_hold_s = held


def webhook_body(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "webhookUrl": "http://127.0.0.1:9/loopback-test",
        "deactivationUrl": "http://127.0.0.1:9/loopback-test",
        "secretKey": "loopback-test-secret-0001",
        "isActive": False,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": True,
        "sendThresholdExceededNotification": False,
    } | extra


# --- connection and zone --------------------------------------------------------------------------


class ToSimulator(httpx.BaseTransport):
    """Delivers what the client sends to the production discovery host to the simulator."""

    def __init__(self, url: str):
        self.target = httpx.URL(url)
        self.inner = httpx.HTTPTransport()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.url.host}{request.url.path}")
        request.url = request.url.copy_with(
            scheme=self.target.scheme, host=self.target.host, port=self.target.port
        )
        request.headers["Host"] = self.target.netloc.decode()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_connect_discovers_the_zone_through_zone_information(sandbox: Sandbox) -> None:
    root = sandbox.autotask_server.url
    before = endpoint_requests(sandbox).get("GET /V1.0/ZoneInformation", 0)
    discovery = ToSimulator(root)
    with AutotaskClient.connect(
        credentials(sandbox), discovery_transport=discovery, retry=FAST
    ) as discovered:
        assert discovered.http.base_url == f"{root}/ATServicesRest/V1.0/"
        assert discovered.get("Companies", 29684500) is not None
    assert discovery.seen == ["webservices.autotask.net/atservicesrest/V1.0/ZoneInformation"]
    assert endpoint_requests(sandbox)["GET /V1.0/ZoneInformation"] == before + 1
    username = sandbox.env["AUTOTASK_API_USERNAME"]
    assert discover_zone(username, discovery_url=f"{root}/atservicesrest") == (
        f"{root}/ATServicesRest"
    )


# --- reads ----------------------------------------------------------------------------------------


ACTIVE_CODES = {
    "Labor",
    "After Hours Labor",
    "Hardware Sales",
    "Software Licensing",
    "Managed Services",
    "Cloud Subscriptions",
    "Shipping & Handling",
}
EVERY_CODE = ACTIVE_CODES | {"Hardware Sales (legacy)"}


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (ALL, EVERY_CODE),
        (eq("name", "Labor"), {"Labor"}),
        (noteq("isActive", True), {"Hardware Sales (legacy)"}),
        (in_("id", [29682801, 29683001]), {"Labor", "Hardware Sales"}),
        (contains("name", "hours"), {"After Hours Labor"}),
        (begins_with("name", "Hardware"), {"Hardware Sales", "Hardware Sales (legacy)"}),
        (and_(begins_with("name", "Hardware"), eq("isActive", True)), {"Hardware Sales"}),
        (or_(eq("name", "Labor"), eq("name", "Managed Services")), {"Labor", "Managed Services"}),
        (exist("name"), EVERY_CODE),
        ([gt("id", 29683000), eq("isActive", True)], ACTIVE_CODES - {"Labor", "After Hours Labor"}),
    ],
)
def test_query_filters_and_count_agree(
    client: AutotaskClient, filter_: Any, expected: set[str]
) -> None:
    rows = client.query("BillingCodes", filter_, include_fields=["name"])
    assert {row["name"] for row in rows} == expected
    assert all(set(row) == {"id", "name"} for row in rows), "IncludeFields, always with id"
    assert client.count("BillingCodes", filter_) == len(rows)


def test_iter_query_follows_next_page_urls_lazily(large: Sandbox) -> None:
    before = endpoint_requests(large)
    with connect(large) as reader:
        first = list(
            zip(range(10), reader.iter_query("Companies", include_fields=["id"]), strict=False)
        )
        assert reader.calls == 1, "a page is fetched only when it is needed"
        rows = reader.query("Companies", include_fields=["companyName"])
        assert reader.calls == 1 + math.ceil(2000 / PAGE_SIZE)
    ids = [row["id"] for row in rows]
    assert len(ids) == 2000 == len(set(ids)) and ids == sorted(ids)
    assert [row for _, row in first] == [{"id": i} for i in ids[:10]]
    after = endpoint_requests(large)
    assert (
        after["GET /V1.0/Companies/query/next"] - before.get("GET /V1.0/Companies/query/next", 0)
        == 3
    )


def test_query_children_uses_one_root_query_per_500_parents(large: Sandbox) -> None:
    with connect(large) as reader:
        hooks = [int(h["id"]) for h in reader.query("CompanyWebhooks", include_fields=["id"])]
        total = reader.count("CompanyWebhookFields", in_("webhookID", hooks))
        calls = reader.calls
        rows = reader.query_children("CompanyWebhookFields", "webhookID", hooks)
        assert reader.calls - calls == math.ceil(total / PAGE_SIZE)
        many = hooks + list(range(1, MAX_IN_LIST + 100))
        calls = reader.calls
        chunked = reader.query_children("CompanyWebhookFields", "webhookID", many)
        assert reader.calls - calls == 2 + (math.ceil(total / PAGE_SIZE) - 1)
    assert len(rows) == total > PAGE_SIZE
    assert {r["webhookID"] for r in rows} == set(hooks)
    assert sorted(r["id"] for r in chunked) == sorted(r["id"] for r in rows)


def test_get_returns_the_item_or_none(client: AutotaskClient) -> None:
    company = client.get("Companies", 29684500)
    assert company is not None and company["companyName"] == "Northwind Dental Group"
    assert client.get("Companies", 1) is None, "{'item': null}"
    assert client.get("NoSuchEntity", 1) is None, "404 means absent"


def test_threshold_reads_the_hourly_counter(sandbox: Sandbox, client: AutotaskClient) -> None:
    control = httpx.post(f"{sandbox.autotask_server.url}/_sandbox/usage", json={"count": 1234})
    assert control.status_code == 200
    threshold = client.threshold()
    assert (threshold.limit, threshold.timeframe_minutes) == (10_000, 60)
    assert threshold.used == 1235, "the probe counts itself"
    assert threshold.remaining == 10_000 - 1235
    assert client.threshold().used == 1236


def test_metadata_is_parsed_and_read_once_per_client(sandbox: Sandbox) -> None:
    before = endpoint_requests(sandbox)
    with connect(sandbox) as reader:
        tickets = reader.fields("Tickets")
        queue = reader.field("Tickets", "QUEUEID")
        assert reader.fields("tickets") is tickets
        assert reader.picklist("Tickets", "queueID") == queue.picklist
        udfs = reader.udfs("Companies")
        assert reader.udfs("Companies") is udfs
        assert reader.calls == 2
        with pytest.raises(ProviderError, match="no field 'nope'"):
            reader.field("Tickets", "nope")
        assert reader.calls == 2
    post_sale = next(v for v in queue.picklist if v.label == "Post Sale")
    assert post_sale.is_active and queue.is_picklist and queue.data_type == "integer"
    sub_issue = next(f for f in tickets if f.name == "subIssueType")
    assert (sub_issue.parent_field or "").lower() == "issuetype", "the recorded sample: IssueType"
    assert all(v.parent_value for v in sub_issue.picklist)
    assert "Contract Tier" in {u.name for u in udfs}
    after = endpoint_requests(sandbox)
    for key in (
        "GET /V1.0/Tickets/entityInformation/fields",
        "GET /V1.0/Companies/entityInformation/userDefinedFields",
    ):
        assert after[key] - before.get(key, 0) == 1


def test_udf_definitions_resolve_types_and_multi_select(client: AutotaskClient) -> None:
    company = {d.name: d for d in client.udf_definitions("Company")}
    assert {"Contract Tier", "Industry Tags", "Legacy Customer Code"} <= set(company)
    assert company["Industry Tags"].is_multi_select and not company["Contract Tier"].is_multi_select
    assert company["Legacy Customer Code"].is_active is False
    assert company["Contract Tier"].id == 29684001 and company["Contract Tier"].entity == "Company"
    opportunity = {d.name for d in client.udf_definitions("opportunity")}
    assert {"Quote Margin", "Competitors"} <= opportunity and not opportunity & set(company)
    assert client.udf_definitions("No Such Entity") == []


def test_concurrent_reads_never_exceed_three_in_flight(sandbox: Sandbox) -> None:
    with (
        held_until_in_flight(sandbox.autotask.middleware, 3),
        connect(sandbox) as reader,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        results = list(pool.map(lambda _: reader.query("Services"), range(8)))
        assert reader.calls == 8, "no 429 from the thread limit, so no retry"
    assert all(len(r) == len(results[0]) for r in results)
    services = stats(sandbox)["endpoints"]["POST /V1.0/Services/query"]
    assert services["max_in_flight"] == 3


def test_state_lookups_by_natural_key(client: AutotaskClient) -> None:
    (hook,) = find_webhook(client, "company", "SB-COMPANIES")
    assert (hook["id"], hook["name"]) == (DEMO_HOOK, "sb-companies")
    assert find_webhook(client, "ticket", "sb-companies") == []
    locations = {row["locationName"]: row for row in read_inventory_locations(client)}
    assert locations["Main Warehouse"]["isDefault"] is True
    assert {"id", "locationName", "isActive", "isDefault", "resourceID"} == set(
        locations["Old Stockroom"]
    )


# --- writes ---------------------------------------------------------------------------------------


def test_create_and_update_a_row(client: AutotaskClient) -> None:
    new = client.create("InventoryLocations", {"locationName": "Loopback Van", "isActive": True})
    row = client.get("InventoryLocations", new)
    assert row is not None and row["locationName"] == "Loopback Van" and row["isActive"] is True
    assert client.update("InventoryLocations", {"id": new, "isActive": False}) == new
    row = client.get("InventoryLocations", new)
    assert row is not None and row["isActive"] is False
    assert row["locationName"] == "Loopback Van", "PATCH changes only what is sent"
    with pytest.raises(ValueError, match="id"):
        client.update("InventoryLocations", {"isActive": True})


def test_webhook_children_and_delete(client: AutotaskClient) -> None:
    hook = client.create("CompanyWebhooks", webhook_body("loopback-children"))
    row = client.get("CompanyWebhooks", hook)
    assert row is not None and row["secretKey"] is None, "never read back"
    assert row["isActive"] is False and row["isReady"] is False
    field = client.create_child(
        "CompanyWebhooks",
        hook,
        "Fields",
        {"fieldID": 7, "isSubscribedField": True, "isDisplayAlwaysField": False},
    )
    udf = client.create_child(
        "CompanyWebhooks",
        hook,
        "UdfFields",
        {"udfFieldID": 29684001, "isSubscribedField": True, "isDisplayAlwaysField": False},
    )
    excluded = client.create_child(
        "CompanyWebhooks", hook, "ExcludedResources", {"resourceID": SALESBUILDR_API_RESOURCE}
    )
    assert (
        client.update_child(
            "CompanyWebhooks", hook, "Fields", {"id": field, "isDisplayAlwaysField": True}
        )
        == field
    )
    fields = client.query_children("CompanyWebhookFields", "webhookID", [hook])
    assert [(f["id"], f["fieldID"], f["isDisplayAlwaysField"]) for f in fields] == [
        (field, 7, True)
    ]
    ready = client.get("CompanyWebhooks", hook)
    assert ready is not None and ready["isReady"] is True
    client.delete_child("CompanyWebhooks", hook, "Fields", field)
    assert client.query_children("CompanyWebhookFields", "webhookID", [hook]) == []
    assert client.get("CompanyWebhookUdfFields", udf) is not None
    assert client.get("CompanyWebhookExcludedResources", excluded) is not None
    client.delete("CompanyWebhooks", hook)
    assert client.get("CompanyWebhooks", hook) is None
    assert client.count("CompanyWebhookUdfFields", eq("webhookID", hook)) == 0
    assert client.count("CompanyWebhookExcludedResources", eq("webhookID", hook)) == 0


# --- errors ---------------------------------------------------------------------------------------


def test_wrong_credentials_are_an_auth_error_and_not_retried(sandbox: Sandbox) -> None:
    before = served(sandbox)
    with connect(sandbox, secret="not-the-secret") as wrong, pytest.raises(AuthError) as caught:
        wrong.query("Companies")
    assert caught.value.status == 401 and "AUTOTASK_API_SECRET" in (caught.value.hint or "")
    assert caught.value.api_messages and "not-the-secret" not in str(caught.value)
    assert served(sandbox) - before == 1


def test_a_refused_write_is_validation_failed_with_the_api_message(
    sandbox: Sandbox, client: AutotaskClient
) -> None:
    before = served(sandbox)
    with pytest.raises(ValidationFailed) as caught:
        client.create("CompanyWebhooks", webhook_body("SB-Companies"))
    error = caught.value
    assert error.status == 500 and any("already exists" in m for m in error.api_messages)
    assert (error.method, error.path) == ("POST", "/atservicesrest/V1.0/CompanyWebhooks")
    assert served(sandbox) - before == 1, "a 500 with an errors list is never retried"


def test_a_malformed_query_is_validation_failed(client: AutotaskClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        client.query("Companies", include_fields=["noSuchField"])
    assert caught.value.status == 400 and "noSuchField" in caught.value.api_messages[0]


def test_unknown_entity_is_not_found(client: AutotaskClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.query("NoSuchEntity")
    assert caught.value.status == 404


def test_a_verb_the_entity_does_not_allow_is_a_provider_error(client: AutotaskClient) -> None:
    with pytest.raises(ProviderError) as caught:
        client.create("BillingCodes", {"name": "Not allowed"})
    assert caught.value.status == 405 and type(caught.value) is ProviderError


def test_429_storm_is_rate_limited_after_the_attempts(sandbox: Sandbox) -> None:
    retry = RetryPolicy(attempts=3, initial_wait=0.0, max_wait=0.0)
    with connect(sandbox, retry=retry) as reader, faults(sandbox, {"429": 1.0}):
        before = served(sandbox)
        with pytest.raises(RateLimited) as caught:
            reader.query("Roles")
        assert served(sandbox) - before == 3
        before = served(sandbox)
        with pytest.raises(RateLimited):
            reader.create("InventoryLocations", {"locationName": "Never", "isActive": True})
        assert served(sandbox) - before == 3, "a 429 was refused before processing: retried"
    assert caught.value.status == 429


def test_503_on_reads_is_unavailable_after_retries(sandbox: Sandbox) -> None:
    with connect(sandbox) as reader, faults(sandbox, {"503": 1.0}):
        before = served(sandbox)
        with pytest.raises(Unavailable) as caught:
            reader.get("Companies", 29684500)
        assert served(sandbox) - before == FAST.attempts
    assert caught.value.status == 503


def test_transient_faults_on_reads_are_retried_to_success(sandbox: Sandbox) -> None:
    patient = RetryPolicy(attempts=20, initial_wait=0.0, max_wait=0.0)
    with connect(sandbox, retry=patient) as reader, faults(sandbox, {"429": 0.3, "503": 0.3}):
        rows = reader.query("BillingCodes")
    assert len(rows) == 8


def test_an_injected_500_is_an_autotask_validation_error(sandbox: Sandbox) -> None:
    """Autotask reports refused input as a 500 with ``errors``; the client cannot tell an
    injected one apart, so it is not retried either (limits-and-reliability.md B2)."""
    with connect(sandbox) as reader, faults(sandbox, {"500": 1.0}):
        before = served(sandbox)
        with pytest.raises(ValidationFailed):
            reader.query("Roles")
        assert served(sandbox) - before == 1


def test_503_on_a_write_is_an_unknown_outcome_not_retried(sandbox: Sandbox) -> None:
    with connect(sandbox) as writer, faults(sandbox, {"503": 1.0}):
        before = served(sandbox)
        with pytest.raises(UnknownOutcome) as caught:
            writer.update("InventoryLocations", {"id": 29688002, "isActive": True})
        assert served(sandbox) - before == 1
    assert caught.value.status == 503


def test_reset_after_commit_is_an_unknown_outcome_and_the_write_happened(
    sandbox: Sandbox, client: AutotaskClient
) -> None:
    name = "Reset After Commit Depot"
    with connect(sandbox) as writer, faults(sandbox, {"reset-after-commit": 1.0}):
        with pytest.raises(UnknownOutcome, match="cut off"):
            writer.create("InventoryLocations", {"locationName": name, "isActive": True})
        assert writer.query("InventoryLocations", eq("locationName", name)), "reads pass"
    found = client.query("InventoryLocations", eq("locationName", name))
    assert len(found) == 1, "committed once: the natural-key lookup finds it"


def test_timeout_on_a_write_is_an_unknown_outcome(sandbox: Sandbox, client: AutotaskClient) -> None:
    name = "Timed Out Depot"
    # Held for ten minutes: "timed out" (not "cut off") says the client gave up, not the
    # simulator, on any machine.
    with connect(sandbox, timeout=0.3) as writer, faults(sandbox, {"timeout": 1.0}, hold_s=600):
        with pytest.raises(UnknownOutcome, match="timed out"):
            writer.create("InventoryLocations", {"locationName": name, "isActive": True})
        with pytest.raises(Unavailable, match="timed out"):
            writer.get("InventoryLocations", 29688001)
    assert client.query("InventoryLocations", eq("locationName", name)) == []


# --- the read budget of a large tenant ------------------------------------------------------------

SECTIONS = ["billing_codes", "product_import", "company_udfs", "opportunity", "webhooks"]


def _stand_ins() -> list[Resource]:
    """One desired webhook per entity, so that the webhook tables of all five are needed."""
    return [
        Resource(
            address=f"webhooks[{entity}]",
            kind=WEBHOOK.name,
            section="webhooks",
            key=entity,
            attributes={"entity": entity},
            owner="autotask",
        )
        for entity in WEBHOOK_ENTITY_PREFIX
    ]


def _collections(counter: AutotaskClient) -> dict[str, int]:
    """Rows of every collection the read needs, counted on a separate client."""
    rows = {
        "BillingCodes": counter.count("BillingCodes"),
        "Roles": counter.count("Roles"),
        "Services": counter.count("Services"),
        "Resources": counter.count("Resources"),
        # Company (1) and Opportunity (3) definitions: one collection, one filter.
        "UserDefinedFieldDefinitions": counter.count(
            "UserDefinedFieldDefinitions", in_("udfType", [1, 3])
        ),
    }
    for entity, prefix in WEBHOOK_ENTITY_PREFIX.items():
        hooks = rows[f"{prefix}Webhooks"] = counter.count(f"{prefix}Webhooks")
        if not hooks:
            continue  # no parent: nothing to learn about children
        children = ["Fields", "ExcludedResources"]
        children += [] if entity == "ticket_note" else ["UdfFields"]
        for child in children:
            rows[f"{prefix}Webhook{child}"] = counter.count(f"{prefix}Webhook{child}")
    return rows


def _metadata_endpoints() -> set[str]:
    """The metadata the sections need: product categories, UDF types, webhook field picklists."""
    needed = {"Products", "UserDefinedFieldDefinitions"}
    for entity, prefix in WEBHOOK_ENTITY_PREFIX.items():
        needed |= {f"{prefix}WebhookFields"} | (
            set() if entity == "ticket_note" else {f"{prefix}WebhookUdfFields"}
        )
    return {f"GET /V1.0/{name}/entityInformation/fields" for name in needed}


def test_large_tenant_read_is_within_5_percent_of_the_lower_bound(large: Sandbox) -> None:
    with connect(large) as counter:
        rows = _collections(counter)
    pages = {name: max(1, math.ceil(n / PAGE_SIZE)) for name, n in rows.items()}
    before = endpoint_requests(large)
    served_before = served(large)
    large.autotask.set_faults(None, latency_ms=10)  # so the concurrent reads really overlap
    try:
        with connect(large) as reader:
            live = read_live(Connections(psa_client=reader), SECTIONS, _stand_ins())
            calls = reader.calls
    finally:
        large.autotask.set_faults(None, latency_ms=0)
    wire = served(large) - served_before
    after = endpoint_requests(large)
    delta = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    metadata = _metadata_endpoints()
    lower = sum(pages.values()) + len(metadata)
    print(
        f"\nlarge seed read: {calls} client calls, {wire} requests served; lower bound {lower} "
        f"= {sum(pages.values())} collection pages ({len(pages)} collections) + "
        f"{len(metadata)} metadata endpoints"
    )
    assert calls == wire
    assert {k: n for k, n in delta.items() if "/entityInformation" in k} == dict.fromkeys(
        metadata, 1
    ), "each needed metadata endpoint, once"
    assert {k for k in delta if "/query" in k} <= {
        f"{verb} /V1.0/{name}/query{suffix}"
        for name in rows
        for verb, suffix in (("POST", ""), ("GET", "/next"))
    }, "no collection beyond those the sections need"
    in_flight = stats(large)["endpoints"]
    assert max(v["max_in_flight"] for v in in_flight.values()) <= 3
    assert calls <= 1.05 * lower, delta
    hooks = [r for r in live.state if r.kind == WEBHOOK.name]
    assert len(hooks) == sum(n for name, n in rows.items() if name.endswith("Webhooks"))
    assert {"autotask.billing_codes", "autotask.roles", "autotask.services"} <= set(
        live.catalog.tables
    )
    assert len(live.catalog.tables["autotask.billing_codes"].entries) == rows["BillingCodes"]
