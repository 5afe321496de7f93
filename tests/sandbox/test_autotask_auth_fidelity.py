"""The simulator against the real API as its users report it: zone url, auth by cause, int64 ids."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from autotask_fixtures import CREDENTIALS, HEADERS, Running, running

from reconciler.psa.autotask.auth import auth_failure_hint
from reconciler.sandbox.autotask.auth import AUTH_FAILURES
from reconciler.sandbox.common import default_fault_response

#: The fact sheet's error envelope (§4): ``{"errors": [string, …]}``.
ERRORS_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
}


@pytest.fixture(scope="module")
def at() -> Iterator[Running]:
    with running() as started:
        yield started


def _anonymous(at: Running) -> httpx.Client:
    return httpx.Client(base_url=at.url, timeout=10)


# --- 1. ZoneInformation's url ends in a slash --------------------------------------------------


def test_zone_url_has_a_trailing_slash_and_v1_0_can_be_appended(at: Running) -> None:
    with _anonymous(at) as anonymous:
        zone = anonymous.get("/V1.0/ZoneInformation", params={"user": CREDENTIALS.username})
        assert zone.status_code == 200
        url = zone.json()["url"]
        assert url == f"{at.url}/ATServicesRest/"
        # django-autotask appends "v1.0/" to the url as returned: that must reach the API.
        version = anonymous.get(url + "v1.0/Version", headers=HEADERS)
    assert version.status_code == 200, version.text
    assert set(version.json()) == {"majorVersion", "minorVersion", "build", "customerType"}


# --- 2. an unknown or blank user has no zone -----------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"user": "nobody@elsewhere.example"}, {"user": ""}, {}],
    ids=["unknown", "blank", "missing"],
)
def test_zone_information_for_an_unknown_or_blank_user_is_a_500(
    at: Running, params: dict[str, str]
) -> None:
    with _anonymous(at) as anonymous:
        zone = anonymous.get("/atservicesrest/v1.0/zoneInformation", params=params)
    assert zone.status_code == 500
    assert zone.json() == {"errors": ["Zone information could not be determined"]}


# --- 3. authentication failures differ by cause --------------------------------------------------

CASES = {
    "no headers": ({}, "unknown_user"),
    "unknown user": (HEADERS | {"UserName": "nobody@elsewhere.example"}, "unknown_user"),
    "unknown user, wrong secret": (
        HEADERS | {"UserName": "nobody@elsewhere.example", "Secret": "x"},
        "unknown_user",
    ),
    "wrong secret": (HEADERS | {"Secret": "wrong"}, "bad_secret"),
    "wrong secret and code": (
        HEADERS | {"Secret": "wrong", "ApiIntegrationCode": "X"},
        "bad_secret",
    ),
    "wrong integration code": (HEADERS | {"ApiIntegrationCode": "WRONG"}, "bad_integration_code"),
    "no integration code": (
        {k: v for k, v in HEADERS.items() if k != "ApiIntegrationCode"},
        "bad_integration_code",
    ),
}


@pytest.mark.parametrize(("headers", "cause"), list(CASES.values()), ids=list(CASES))
@pytest.mark.parametrize("path", ["/V1.0/Companies/29684500", "/ATServicesRest/V1.0/Version"])
def test_auth_failures_by_cause(
    at: Running, headers: dict[str, str], cause: str, path: str
) -> None:
    with _anonymous(at) as anonymous:
        response = anonymous.get(path, headers=headers)
    failure = AUTH_FAILURES[cause]
    assert response.status_code == failure.status
    assert response.json() == {"errors": [failure.message]}


def test_statuses_by_cause_follow_the_reports() -> None:
    # apigrate/autotask-restapi#19: bad secret 401; unknown user and bad integration code 500.
    statuses = {cause: failure.status for cause, failure in AUTH_FAILURES.items()}
    assert statuses == {
        "unknown_zone_user": 500,
        "unknown_user": 500,
        "bad_secret": 401,
        "bad_integration_code": 500,
    }
    assert all(failure.source for failure in AUTH_FAILURES.values())


def test_every_auth_500_is_taken_by_the_client_matcher_with_the_right_credential() -> None:
    expected = {
        "unknown_zone_user": "AUTOTASK_API_USERNAME",
        "unknown_user": "AUTOTASK_API_USERNAME",
        "bad_secret": "AUTOTASK_API_SECRET",
        "bad_integration_code": "AUTOTASK_API_INTEGRATION_CODE",
    }
    for cause, failure in AUTH_FAILURES.items():
        hint = auth_failure_hint(failure.status, [failure.message])
        assert hint is not None, cause
        assert hint.startswith(f"check {expected[cause]}"), (cause, hint)


def test_the_injected_500_is_no_auth_failure() -> None:
    injected = default_fault_response("500")
    assert injected.status_code == 500
    messages = json.loads(bytes(injected.body))["errors"]
    assert messages and auth_failure_hint(500, messages) is None
    for failure in AUTH_FAILURES.values():
        assert failure.message not in messages


def test_the_served_fault_500_is_no_auth_failure() -> None:
    with running(faults={"500": 1.0}) as faulty:
        response = faulty.client.get("/V1.0/Companies/29684500")
    assert response.status_code == 500
    assert auth_failure_hint(500, response.json()["errors"]) is None


# --- 4. ids in paths are int64 -------------------------------------------------------------------

BAD_IDS = ["abc", "9223372036854775808", "-9223372036854775809", "1e3", "١٢", "12a"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_path_id_that_is_not_int64_is_a_400(at: Running, bad: str) -> None:
    for path in (f"/V1.0/Companies/{bad}", f"/V1.0/CompanyWebhooks/{bad}/Fields"):
        response = at.client.get(path)
        assert response.status_code == 400, (path, response.text)
        jsonschema.validate(response.json(), ERRORS_SHAPE)
    deleted = at.client.delete(f"/V1.0/CompanyWebhooks/{bad}")
    assert deleted.status_code == 400


@pytest.mark.parametrize("edge", ["9223372036854775807", "-9223372036854775808", "0"])
def test_int64_edges_are_ids_that_are_simply_missing(at: Running, edge: str) -> None:
    response = at.client.get(f"/V1.0/Companies/{edge}")
    assert response.status_code == 200 and response.json() == {"item": None}


def test_credentials_are_checked_before_the_id(at: Running) -> None:
    with _anonymous(at) as anonymous:
        response = anonymous.get("/V1.0/Companies/abc", headers=HEADERS | {"Secret": "wrong"})
    assert response.status_code == 401


def test_the_new_error_answers_fit_the_error_envelope(at: Running) -> None:
    with _anonymous(at) as anonymous:
        answers = [
            anonymous.get("/V1.0/ZoneInformation", params={"user": ""}),
            anonymous.get("/V1.0/Version"),
            anonymous.get("/V1.0/Version", headers=HEADERS | {"Secret": "wrong"}),
            anonymous.get("/V1.0/Version", headers=HEADERS | {"ApiIntegrationCode": "X"}),
            at.client.get("/V1.0/Companies/abc"),
        ]
    assert [a.status_code for a in answers] == [500, 500, 401, 500, 400]
    for answer in answers:
        jsonschema.validate(answer.json(), ERRORS_SHAPE)
