"""JSON-Patch writes, POST / PUT / DELETE, and ConnectWise's refusals mapped onto the error tree."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from connectwise_fixtures import CREDENTIALS, Running, mocked_client
from pydantic import SecretStr

from reconciler import redact
from reconciler.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderError,
    Unavailable,
    UnknownOutcome,
    ValidationFailed,
)
from reconciler.psa.connectwise import conditions as c
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import (
    DEFAULT_MAX_IN_FLIGHT,
    ConnectWiseClient,
    PatchOperation,
    add,
    remove,
    replace,
)
from reconciler.psa.connectwise.credentials import ConnectWiseCredentials


def _callback(client: ConnectWiseClient, **extra: object) -> dict[str, Any]:
    body = {"url": "http://127.0.0.1:9/cb", "objectId": 1, "type": "Company", "level": "Owner"}
    return client.create(endpoints.CALLBACKS, {**body, **extra})


def test_patch_replaces_adds_and_removes(client: ConnectWiseClient) -> None:
    made = _callback(client, description="Salesbuildr companies", inactiveFlag=False)
    patched = client.patch(
        endpoints.CALLBACKS,
        made["id"],
        [
            replace("description", "Salesbuildr contacts"),
            add("isSelfSuppressedFlag", True),
            remove("inactiveFlag"),
        ],
    )
    assert patched["description"] == "Salesbuildr contacts"
    assert patched["isSelfSuppressedFlag"] is True
    assert "inactiveFlag" not in patched
    assert client.get(endpoints.CALLBACKS, int(patched["id"])) == patched


def test_patch_of_a_reference_takes_its_new_name(client: ConnectWiseClient) -> None:
    company = client.list_all(endpoints.COMPANIES, conditions=c.eq("identifier", "ACME"))[0]
    inactive = client.list_all(endpoints.COMPANY_STATUSES, conditions=c.eq("name", "Inactive"))[0]
    patched = client.patch(
        endpoints.COMPANIES, company["id"], [replace("status", {"id": inactive["id"]})]
    )
    assert patched["status"] == {"id": inactive["id"], "name": "Inactive"}
    by_path = client.patch(endpoints.COMPANIES, company["id"], [replace("/status/id", 1)])
    assert by_path["status"] == {"id": 1, "name": "Active"}


def test_a_company_s_types_change_only_through_its_type_associations(
    client: ConnectWiseClient,
) -> None:
    company = client.list_all(endpoints.COMPANIES, conditions=c.eq("identifier", "INITECH"))[0]
    with pytest.raises(ValidationFailed, match="typeAssociations"):
        client.patch(endpoints.COMPANIES, company["id"], [replace("types", [{"id": 1}])])
    path = endpoints.company_type_associations(company["id"])
    made = client.create(path, {"type": {"id": 3}})
    types = client.get(endpoints.COMPANIES, company["id"], fields=["types"])
    assert types is not None and {"id": 3, "name": "Vendor"} in types["types"]
    client.delete(path, made["id"])
    after = client.get(endpoints.COMPANIES, company["id"])
    assert after is not None and {"id": 3, "name": "Vendor"} not in after["types"]


def test_put_replaces_and_delete_removes(client: ConnectWiseClient) -> None:
    made = client.create(endpoints.OPPORTUNITY_STATUSES, {"name": "Parked", "wonFlag": False})
    put = client.put(endpoints.OPPORTUNITY_STATUSES, made["id"], {"name": "Parked for later"})
    assert put["name"] == "Parked for later" and "wonFlag" not in put
    client.delete(endpoints.OPPORTUNITY_STATUSES, made["id"])
    assert client.get(endpoints.OPPORTUNITY_STATUSES, made["id"]) is None
    with pytest.raises(NotFoundError):
        client.delete(endpoints.OPPORTUNITY_STATUSES, made["id"])


def test_refused_input_is_a_validation_failure_with_the_api_s_messages(
    client: ConnectWiseClient,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        client.create(endpoints.CALLBACKS, {"description": "x" * 101, "type": "Company"})
    messages = refused.value.api_messages
    assert "description: description may be at most 100 characters long" in messages
    assert "url: url is required" in messages
    assert refused.value.status == 400
    unknown_subcategory = {
        "identifier": "X",
        "description": "x",
        "customerDescription": "x",
        "subcategory": {"id": 999},
        "type": {"id": 1},
    }
    with pytest.raises(ValidationFailed, match="subcategory: no ProductSubCategory with id 999"):
        client.create(endpoints.CATALOG, unknown_subcategory)
    with pytest.raises(ValidationFailed, match="not supported"):
        client.patch(endpoints.PRIORITIES, 1, [PatchOperation("move", "name", "x")])


def test_not_found_routes_and_objects(client: ConnectWiseClient) -> None:
    assert client.get(endpoints.BOARDS, 999) is None
    with pytest.raises(NotFoundError):
        client.list_all(endpoints.board_statuses(999))
    with pytest.raises(NotFoundError):
        client.patch(endpoints.PRIORITIES, 999, [replace("name", "x")])


def test_wrong_keys_are_an_auth_error_naming_the_variables_never_the_secrets(
    start_cw: Callable[..., Running],
    client_for: Callable[..., ConnectWiseClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    running = start_cw("demo")
    env = {**running.env, "CONNECTWISE_PRIVATE_KEY": "wrong-private-key-123"}
    caplog.set_level(logging.DEBUG)
    client = ConnectWiseClient.from_env(env, sleep=lambda s: None)
    with client, pytest.raises(AuthError) as refused:
        client.system_info()
    assert refused.value.status == 401
    assert "CONNECTWISE_PRIVATE_KEY" in (refused.value.hint or "")
    shown = f"{refused.value} {refused.value.hint} {caplog.text}"
    for secret in ("wrong-private-key-123", CREDENTIALS.public_key, "d3JvbmctcHJpdmF0ZS"):
        assert secret not in shown
    assert client.calls == 1  # a refusal of the credentials is never retried
    header = ConnectWiseCredentials(
        api_url=env["CONNECTWISE_API_URL"],
        company=env["CONNECTWISE_COMPANY"],
        public_key=SecretStr(env["CONNECTWISE_PUBLIC_KEY"]),
        private_key=SecretStr(env["CONNECTWISE_PRIVATE_KEY"]),
        client_id=env["CONNECTWISE_CLIENT_ID"],
    ).headers()["Authorization"]
    assert redact.redact(header) == "Basic <redacted>"


def test_a_missing_client_id_is_refused(start_cw: Callable[..., Running]) -> None:
    running = start_cw("demo")
    env = {**running.env, "CONNECTWISE_CLIENT_ID": "not-the-registered-one"}
    with ConnectWiseClient.from_env(env) as client, pytest.raises(AuthError, match="refused"):
        client.list_all(endpoints.BOARDS)


def test_a_role_without_permission_is_an_auth_error_with_the_role_hint() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"code": "Forbidden", "message": "You do not have access to System", "errors": []}
        return httpx.Response(403, json=body)

    with mocked_client(answer) as client, pytest.raises(AuthError) as refused:
        client.list_all(endpoints.CALLBACKS)
    assert "security role" in (refused.value.hint or "")
    assert refused.value.api_messages == ["You do not have access to System"]


def test_a_conflict_is_a_conflict() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"code": "Conflict", "message": "duplicate", "errors": []})

    with mocked_client(answer) as client, pytest.raises(ConflictError):
        client.create(endpoints.COMPANY_TYPES, {"name": "Client"})


def test_a_5xx_read_is_retried_then_unavailable_and_a_5xx_write_is_an_unknown_outcome() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        body = {"code": "ConnectWiseApi", "message": "An error occurred", "errors": []}
        return httpx.Response(500, json=body)

    with mocked_client(answer) as client:
        with pytest.raises(Unavailable):
            client.list_all(endpoints.BOARDS)
        assert sent == ["GET"] * 5
        sent.clear()
        with pytest.raises(UnknownOutcome):
            client.create(endpoints.CALLBACKS, {"url": "http://127.0.0.1:9/"})
        assert sent == ["POST"]


def test_an_answer_that_is_not_an_array_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": []})

    with mocked_client(answer) as client, pytest.raises(ProviderError, match="not a JSON array"):
        client.list_all(endpoints.BOARDS)


def test_a_write_whose_answer_is_lost_is_an_unknown_outcome_found_by_its_key(
    start_cw: Callable[..., Running], client_for: Callable[..., ConnectWiseClient]
) -> None:
    running = start_cw("demo", faults={"reset-after-commit": 1.0})
    client = client_for(running)
    with pytest.raises(UnknownOutcome):
        _callback(client, description="Salesbuildr companies")
    running.simulator.set_faults(None)
    found = client.list_all(
        endpoints.CALLBACKS, conditions=c.eq("description", "Salesbuildr companies")
    )
    assert len(found) == 1  # committed: the engine resolves it by its natural key


def test_requests_in_flight_stay_within_the_limit(
    start_cw: Callable[..., Running], client_for: Callable[..., ConnectWiseClient]
) -> None:
    running = start_cw("demo", latency_ms=20)
    client = client_for(running)
    paths = [endpoints.board_statuses(1)] * 12
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        assert all(rows for rows in pool.map(client.list_all, paths))
    (counters,) = running.simulator.stats()["endpoints"].values()
    assert counters["requests"] == 12
    assert 1 <= counters["max_in_flight"] <= DEFAULT_MAX_IN_FLIGHT
