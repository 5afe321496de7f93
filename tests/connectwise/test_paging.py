"""Reads at their lower bound: ceil(N / 1000) requests for N rows (at least one), counted on both
sides of the wire; ``Link`` followed only on our own API base, and a server that pages for ever
is stopped."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable

import httpx
import pytest
from connectwise_fixtures import MOCK_BASE, Running, mocked_client

from reconciler.errors import ServerMisbehaved
from reconciler.psa.connectwise import conditions as c
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import PAGE_SIZE, ConnectWiseClient
from reconciler.sandbox.connectwise.seed import (
    LARGE_CATEGORIES,
    LARGE_COMPANIES,
    LARGE_SUBCATEGORIES_EACH,
)
from reconciler.sandbox.connectwise.seed_data import CATEGORIES, DEMO_COMPANIES

ALL_COMPANIES = len(DEMO_COMPANIES) + LARGE_COMPANIES
ALL_SUBCATEGORIES = sum(len(s) for s in CATEGORIES.values()) + (
    LARGE_CATEGORIES * LARGE_SUBCATEGORIES_EACH
)


def lower_bound(rows: int) -> int:
    return max(1, math.ceil(rows / PAGE_SIZE))


@pytest.fixture
def large(start_cw: Callable[..., Running]) -> Running:
    return start_cw("large")


@pytest.mark.parametrize("forward_only", [False, True], ids=["page", "forward-only"])
def test_a_large_collection_costs_its_lower_bound(
    large: Running, client_for: Callable[..., ConnectWiseClient], forward_only: bool
) -> None:
    client = client_for(large)
    rows = client.list_all(endpoints.COMPANIES, fields=["name"], forward_only=forward_only)
    assert len(rows) == ALL_COMPANIES
    assert len({row["id"] for row in rows}) == ALL_COMPANIES
    assert client.calls == lower_bound(ALL_COMPANIES) == 6
    served = large.simulator.stats()["endpoints"]["GET /company/companies"]["requests"]
    assert served == client.calls


def test_every_kind_of_read_is_at_its_bound(
    large: Running, client_for: Callable[..., ConnectWiseClient]
) -> None:
    client = client_for(large)
    assert len(client.list_all(endpoints.SUBCATEGORIES)) == ALL_SUBCATEGORIES
    assert client.calls == lower_bound(ALL_SUBCATEGORIES)
    before = client.calls
    # exactly one full page: the Link header has no next page, so no second request
    exact = client.list_all(endpoints.COMPANIES, conditions=c.like("name", "Company 01%"))
    assert len(exact) == PAGE_SIZE
    assert client.calls - before == 1


def test_an_empty_collection_costs_one_request(
    start_cw: Callable[..., Running], client_for: Callable[..., ConnectWiseClient]
) -> None:
    client = client_for(start_cw("empty"))
    assert client.list_all(endpoints.CALLBACKS) == []
    assert client.calls == 1


def test_fields_and_conditions_read_only_what_is_asked(
    cw: Running, client: ConnectWiseClient
) -> None:
    rows = client.list_all(
        endpoints.COMPANIES, conditions=c.eq("status/name", "Active"), fields=["name"]
    )
    assert rows and all(set(row) == {"id", "name"} for row in rows)
    active = [name for _, name, _, status in DEMO_COMPANIES if status == "Active"]
    assert sorted(row["name"] for row in rows) == sorted(active)


def test_the_page_ceiling_stops_a_read(
    large: Running, client_for: Callable[..., ConnectWiseClient]
) -> None:
    client = client_for(large, max_pages=2)
    with pytest.raises(ServerMisbehaved, match="without reaching the end"):
        client.list_all(endpoints.COMPANIES)
    assert client.calls == 3


# --- a hostile server -----------------------------------------------------------------------------


def _hostile(next_url: str) -> tuple[ConnectWiseClient, list[httpx.URL]]:
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        row = {"id": len(seen), "name": f"row {len(seen)}"}
        return httpx.Response(200, json=[row], headers={"Link": f'<{next_url}>; rel="next"'})

    return mocked_client(answer), seen


@pytest.mark.parametrize(
    "next_url",
    [
        "https://attacker.example/v4_6_release/apis/3.0/company/companies?page=2",
        "http://api-na.myconnectwise.net/v4_6_release/apis/3.0/company/companies?page=2",
        "https://api-na.myconnectwise.net:8443/v4_6_release/apis/3.0/company/companies?page=2",
        "https://api-na.myconnectwise.net/other/company/companies?page=2",
    ],
    ids=["other-host", "plain-http", "other-port", "outside-the-api-base"],
)
def test_a_next_page_off_our_api_base_is_never_followed(next_url: str) -> None:
    client, seen = _hostile(next_url)
    with client, pytest.raises(ServerMisbehaved, match="not followed"):
        client.list_all(endpoints.COMPANIES)
    assert [url.host for url in seen] == ["api-na.myconnectwise.net"]
    assert len(seen) == 1


def test_a_next_page_that_repeats_is_stopped() -> None:
    client, seen = _hostile(MOCK_BASE + "/company/companies?page=2&pageSize=1000")
    with client, pytest.raises(ServerMisbehaved, match="same next page again"):
        client.list_all(endpoints.COMPANIES)
    assert len(seen) == 2


def test_every_request_carries_the_auth_the_client_id_and_the_pinned_version() -> None:
    captured: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json=[])

    with mocked_client(answer) as cw:
        cw.list_all(endpoints.BOARDS)
    (request,) = captured
    expected = base64.b64encode(b"acme+pub-key-1:priv-key-1").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["clientId"] == "client-1"
    assert request.headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert request.url.params["pageSize"] == "1000"
