"""Two hostile answers the clients' own checks did not reach: a Salesbuildr reference listing of
a PSA's pages whose total is never reached (it must stop at the page guard, as every listing
does), and a HaloPSA refusal whose body is nested past the JSON parser (its message is the text,
not an internal error)."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from reconciler.errors import ReconcileError
from reconciler.psa.connectwise.documents import DOCUMENTS as CW_DOCUMENTS
from reconciler.psa.connectwise.kinds_tables import SB_OPPORTUNITY_STATUSES
from reconciler.psa.halopsa.errors import halo_messages
from reconciler.salesbuildr.client import SalesbuildrClient


def _endless(request: httpx.Request) -> httpx.Response:
    start = int(request.url.params.get("from", "0"))
    row = {"key": f"s{start}", "name": f"Status {start}"}
    return httpx.Response(200, json={"results": [row], "total": 10**9})


def test_a_reference_listing_that_never_ends_stops_at_the_page_guard() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return _endless(request)

    client = SalesbuildrClient.connect(
        "http://127.0.0.1:9/public-api",
        SecretStr("k"),
        transport=httpx.MockTransport(answer),
        integration="connectwise",
    )
    client.max_pages = 5
    with client, pytest.raises(ReconcileError) as caught:
        CW_DOCUMENTS.read_table(client, SB_OPPORTUNITY_STATUSES)
    assert "opportunity-statuses" in caught.value.message
    assert len(seen) <= 5 + client.page_concurrency  # stopped, not read a billion pages


def test_a_reference_listing_of_rows_that_are_not_objects_is_a_server_fault() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [1, "two"], "total": 2})

    client = SalesbuildrClient.connect(
        "http://127.0.0.1:9/public-api",
        SecretStr("k"),
        transport=httpx.MockTransport(answer),
        integration="connectwise",
    )
    with client, pytest.raises(ReconcileError) as caught:
        CW_DOCUMENTS.read_table(client, SB_OPPORTUNITY_STATUSES)
    assert "internal error" not in caught.value.message


def test_a_halo_refusal_nested_past_the_parser_is_shown_as_text() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = httpx.Response(400, content=deep.encode())
    messages = halo_messages(response)
    assert len(messages) == 1 and messages[0].startswith("[[[")
    assert len(messages[0]) <= 1_000
    plain = httpx.Response(400, content=json.dumps({"message": "bad id"}).encode())
    assert halo_messages(plain) == ["bad id"]
