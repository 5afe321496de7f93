"""The Autotask client on refused credentials, zone urls in both forms, and ids in paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from reconciler.errors import EXIT_ERROR, AuthError, ProviderError, ValidationFailed
from reconciler.psa.autotask.auth import auth_failure_hint
from reconciler.psa.autotask.client import (
    AutotaskClient,
    AutotaskCredentials,
    discover_zone,
)
from reconciler.sandbox.autotask import AutotaskCredentials as SimulatorCredentials
from reconciler.sandbox.autotask import AutotaskSimulator
from reconciler.sandbox.autotask.auth import bad_path_id
from reconciler.sandbox.common import RunningServer, serve_in_thread
from reconciler.transport.http import RetryPolicy

ZONE = "https://webservices5.autotask.net/atservicesrest"
CREDENTIALS = AutotaskCredentials(
    username="api@acme.example",
    secret=SecretStr("s3cret-value"),
    integration_code=SecretStr("TRACKING-CODE"),
)
FAST = RetryPolicy(attempts=3, initial_wait=0.0, max_wait=0.0)
ZONE_500 = {"errors": ["Zone information could not be determined"]}


class Recorder:
    """A MockTransport handler that answers every request with one response and counts them."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def connect(handler: Any) -> AutotaskClient:
    transport = httpx.MockTransport(handler)
    return AutotaskClient.connect(CREDENTIALS, url=ZONE, transport=transport, retry=FAST)


# --- 1. both forms of the zone url ---------------------------------------------------------------


@pytest.mark.parametrize(
    "returned", [ZONE + "/", ZONE, "https://webservices5.autotask.net/ATServicesRest/"]
)
def test_zone_url_with_or_without_the_trailing_slash(returned: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("ZoneInformation"):
            return httpx.Response(
                200, json={"zoneName": "Z", "url": returned, "webUrl": "", "ci": 5}
            )
        return httpx.Response(200, json={"item": None})

    transport = httpx.MockTransport(handler)
    with AutotaskClient.connect(CREDENTIALS, transport=transport, retry=FAST) as client:
        assert client.get("Companies", 7) is None
    assert seen[1] == returned.rstrip("/") + "/V1.0/Companies/7"
    assert "//V1.0" not in seen[1]


# --- 2. ZoneInformation's 500 for an unknown user ------------------------------------------------


def test_zone_500_is_the_authentication_error_naming_the_user_name() -> None:
    recorder = Recorder(500, ZONE_500)
    with pytest.raises(AuthError) as caught:
        discover_zone("nobody@acme.example", transport=httpx.MockTransport(recorder), retry=FAST)
    error = caught.value
    assert error.exit_code == EXIT_ERROR
    assert error.hint is not None and error.hint.startswith("check AUTOTASK_API_USERNAME")
    assert error.status == 500 and error.api_messages == ZONE_500["errors"]
    assert len(recorder.requests) == 1, "an auth failure is never retried"


def test_zone_500_without_the_message_is_not_an_auth_error() -> None:
    recorder = Recorder(500, {"errors": ["Something else broke"]})
    with pytest.raises(ProviderError) as caught:
        discover_zone("api@acme.example", transport=httpx.MockTransport(recorder), retry=FAST)
    assert not isinstance(caught.value, AuthError)


# --- 3. auth failures by cause -------------------------------------------------------------------

BY_CAUSE = {
    "bad secret": (401, {"errors": ["Unable to authenticate."]}, "AUTOTASK_API_SECRET"),
    "bad integration code": (
        500,
        {"errors": ["IntegrationCode is invalid."]},
        "AUTOTASK_API_INTEGRATION_CODE",
    ),
    "bad integration code, no period": (
        500,
        {"errors": ["IntegrationCode is invalid"]},
        "AUTOTASK_API_INTEGRATION_CODE",
    ),
    "unknown user": (
        500,
        {"errors": ["Authentication failed: the user name is not known."]},
        "AUTOTASK_API_USERNAME",
    ),
}


@pytest.mark.parametrize(
    ("status", "body", "credential"), list(BY_CAUSE.values()), ids=list(BY_CAUSE)
)
@pytest.mark.parametrize("call", ["read", "query", "write"])
def test_refused_credentials_are_the_auth_error_never_retried_never_validation(
    status: int, body: dict[str, Any], credential: str, call: str
) -> None:
    recorder = Recorder(status, body)
    with connect(recorder) as client, pytest.raises(AuthError) as caught:
        if call == "read":
            client.get("Companies", 1)
        elif call == "query":
            client.count("Companies")
        else:
            client.create("Companies", {"companyName": "X"})
    error = caught.value
    assert not isinstance(error, ValidationFailed)
    assert error.exit_code == EXIT_ERROR
    assert error.hint is not None and error.hint.startswith(f"check {credential}")
    assert len(recorder.requests) == 1


def test_an_ordinary_refused_write_stays_validation_failed() -> None:
    recorder = Recorder(500, {"errors": ["companyName: Value is required."]})
    with connect(recorder) as client, pytest.raises(ValidationFailed):
        client.create("Companies", {"companyName": ""})
    assert len(recorder.requests) == 1


def test_the_matcher_ignores_other_statuses_and_lookalikes() -> None:
    assert auth_failure_hint(400, ["IntegrationCode is invalid."]) is None
    assert auth_failure_hint(403, ["Zone information could not be determined"]) is None
    assert auth_failure_hint(500, ["The field authenticationMode is read-only."]) is None
    assert auth_failure_hint(500, []) is None


# --- against the simulator -----------------------------------------------------------------------

SIM_CREDENTIALS = SimulatorCredentials(
    username="api@acme.example", secret="s3cret-value", integration_code="TRACKING-CODE"
)


@pytest.fixture(scope="module")
def simulator() -> Iterator[tuple[AutotaskSimulator, RunningServer]]:
    sim = AutotaskSimulator(credentials=SIM_CREDENTIALS, seed="demo")
    server = serve_in_thread(sim.app)
    try:
        yield sim, server
    finally:
        sim.close()
        server.stop()


def _wrong(**changes: str) -> AutotaskCredentials:
    values = {
        "username": "api@acme.example",
        "secret": "s3cret-value",
        "integration_code": "TRACKING-CODE",
    }
    values |= changes
    return AutotaskCredentials(
        username=values["username"],
        secret=SecretStr(values["secret"]),
        integration_code=SecretStr(values["integration_code"]),
    )


@pytest.mark.parametrize(
    ("credentials", "credential"),
    [
        (_wrong(username="nobody@acme.example"), "AUTOTASK_API_USERNAME"),
        (_wrong(secret="wrong"), "AUTOTASK_API_SECRET"),
        (_wrong(integration_code="WRONG"), "AUTOTASK_API_INTEGRATION_CODE"),
    ],
    ids=["unknown user", "bad secret", "bad integration code"],
)
def test_the_simulator_refusals_become_the_auth_error(
    simulator: tuple[AutotaskSimulator, RunningServer],
    credentials: AutotaskCredentials,
    credential: str,
) -> None:
    _, server = simulator
    url = f"{server.url}/ATServicesRest"
    with AutotaskClient.connect(credentials, url=url, retry=FAST) as client:
        with pytest.raises(AuthError) as caught:
            client.get("Companies", 29684500)
        assert caught.value.hint is not None
        assert caught.value.hint.startswith(f"check {credential}")
        assert client.calls == 1


def test_discovery_against_the_simulator_in_both_directions(
    simulator: tuple[AutotaskSimulator, RunningServer],
) -> None:
    _, server = simulator
    discovery = f"{server.url}/atservicesrest"
    assert (
        discover_zone("api@acme.example", discovery_url=discovery) == f"{server.url}/ATServicesRest"
    )
    with pytest.raises(AuthError, match="refused the credentials") as caught:
        discover_zone("nobody@acme.example", discovery_url=discovery, retry=FAST)
    assert caught.value.hint is not None and "AUTOTASK_API_USERNAME" in caught.value.hint


def test_a_fault_500_is_no_auth_failure(simulator: tuple[AutotaskSimulator, RunningServer]) -> None:
    sim, server = simulator
    sim.set_faults({"500": 1.0})
    try:
        url = f"{server.url}/ATServicesRest"
        with AutotaskClient.connect(CREDENTIALS, url=url, retry=FAST) as client:
            for call in (
                lambda: client.get("Companies", 1),
                lambda: client.create("Companies", {}),
            ):
                with pytest.raises(ProviderError) as caught:
                    call()
                assert not isinstance(caught.value, AuthError), caught.value
                assert caught.value.hint is None or "AUTOTASK_API" not in caught.value.hint
    finally:
        sim.set_faults(None)


# --- 4. ids the client puts in paths are int64 ---------------------------------------------------


@settings(deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_every_id_the_client_puts_in_a_path_is_an_int64_the_simulator_accepts(item_id: int) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"item": None, "itemId": item_id})

    with connect(handler) as client:
        client.get("Companies", item_id)
        client.delete("CompanyWebhooks", item_id)
        client.delete_child("CompanyWebhooks", item_id, "Fields", item_id)
        client.create_child("CompanyWebhooks", item_id, "Fields", {"fieldID": 1})
    for path in paths:
        segments = path.split("/")
        ids = [s for s in segments if s.lstrip("-").isdigit()]
        assert ids and all(bad_path_id({"id": s}) is None for s in ids), path


def test_a_400_for_a_path_id_is_validation_failed_and_not_retried() -> None:
    recorder = Recorder(
        400, {"errors": ["The value 'abc' is not valid for id: expected an int64."]}
    )
    with connect(recorder) as client, pytest.raises(ValidationFailed) as caught:
        client.get("Companies", 1)
    assert caught.value.api_messages == ["The value 'abc' is not valid for id: expected an int64."]
    assert len(recorder.requests) == 1
