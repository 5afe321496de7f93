"""The simulator's own rules: auth, the Accept version, paging headers, the base path, faults in
ConnectWise's shape, the seeds and the export lines."""

from __future__ import annotations

import base64
import shlex
from collections.abc import Callable

import httpx
import pytest
from connectwise_fixtures import CREDENTIALS, Running

from reconciler.sandbox.connectwise import (
    API_BASE_PATH,
    EXPORT_NAMES,
    SEEDS,
    ConnectWiseCredentials,
    create_app,
    export_lines,
)
from reconciler.sandbox.connectwise.seed import LARGE_CATEGORIES, LARGE_COMPANIES

VERSION = "application/vnd.connectwise.com+json; version=2025.1"


def _headers(credentials: ConnectWiseCredentials = CREDENTIALS) -> dict[str, str]:
    pair = f"{credentials.username}:{credentials.private_key}".encode()
    return {
        "Authorization": "Basic " + base64.b64encode(pair).decode(),
        "clientId": credentials.client_id,
        "Accept": VERSION,
    }


def _get(
    running: Running,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str | int] | None = None,
) -> httpx.Response:
    sent = {**_headers(), **(headers or {})}
    return httpx.get(running.server.url + API_BASE_PATH + path, headers=sent, params=params)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Authorization": "Basic " + base64.b64encode(b"acmetest+pub:wrong").decode()}, 401),
        ({"Authorization": "Bearer token"}, 401),
        ({"clientId": ""}, 401),
        ({"Accept": "application/vnd.connectwise.com+json; version=2019.1"}, 406),
        ({"Accept": "application/json"}, 200),
    ],
)
def test_auth_and_version(cw: Running, change: dict[str, str], status: int) -> None:
    response = _get(cw, "/service/boards", headers=change)
    assert response.status_code == status
    if status != 200:
        assert set(response.json()) == {"code", "message", "errors"}


def test_the_client_id_check_can_be_turned_off(start_cw: Callable[..., Running]) -> None:
    running = start_cw("demo", require_client_id=False)
    assert _get(running, "/service/boards", headers={"clientId": ""}).status_code == 200


def test_paths_match_in_any_case_and_only_under_the_api_base(cw: Running) -> None:
    assert _get(cw, "/Service/Boards").status_code == 200
    outside = httpx.get(cw.server.url + "/service/boards", headers=_headers())
    assert outside.status_code == 404
    assert _get(cw, "/service/nothing").json()["code"] == "NotFound"
    not_allowed = httpx.post(
        cw.server.url + API_BASE_PATH + "/sales/opportunities", headers=_headers(), json={}
    )
    assert not_allowed.status_code == 405


def test_page_links_and_their_limits(start_cw: Callable[..., Running]) -> None:
    running = start_cw("large")
    first = _get(running, "/company/companies", params={"pageSize": 2000, "fields": "id"})
    assert len(first.json()) == 1000
    assert first.links["next"]["url"].endswith("page=2")
    assert first.links["last"]["url"].endswith(f"page={-(-(LARGE_COMPANIES + 12) // 1000)}")
    middle = _get(running, "/company/companies", params={"page": 3, "pageSize": 1000})
    assert {"first", "prev", "next", "last"} <= set(middle.links)
    default = _get(running, "/procurement/categories")
    assert len(default.json()) == 25
    forward = _get(
        running,
        "/company/companies",
        params={"pageSize": 3, "pageId": 10},
        headers={"pagination-type": "forward-only"},
    )
    assert [row["id"] for row in forward.json()] == [11, 12, 13]
    assert set(forward.links) == {"next"}
    assert "pageId=13" in forward.links["next"]["url"]
    assert _get(running, "/company/companies", params={"page": "x"}).status_code == 400
    bad = _get(running, "/company/companies", params={"conditions": 'name = "unterminated'})
    assert bad.status_code == 400


def test_injected_faults_answer_in_connectwise_s_shape(start_cw: Callable[..., Running]) -> None:
    running = start_cw("demo", faults={"429": 1.0})
    refused = _get(running, "/service/boards")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "TooManyRequests"
    running.simulator.set_faults({"500": 1.0})
    assert _get(running, "/service/boards").json()["code"] == "ConnectWiseApi"
    running.simulator.set_faults(None)
    assert _get(running, "/service/boards").status_code == 200


def test_the_seeds() -> None:
    assert SEEDS == ("empty", "demo", "large")
    empty = create_app("empty", credentials=CREDENTIALS).store
    assert empty.everything("companies") == []
    large = create_app("large", credentials=CREDENTIALS).store
    assert len(large.everything("categories")) >= LARGE_CATEGORIES
    assert len(large.everything("companies")) >= LARGE_COMPANIES
    demo = create_app("demo", credentials=CREDENTIALS).store
    board = demo.everything("boards")[0]["id"]
    for collection in ("board_statuses", "board_types", "board_subtypes", "board_items"):
        assert any(row["board"]["id"] == board for row in demo.everything(collection))
    with pytest.raises(ValueError, match="unknown seed"):
        create_app("huge")


def test_export_lines_name_every_variable_shell_quoted() -> None:
    credentials = ConnectWiseCredentials("acme", "pub'key", "priv key", "client")
    lines = export_lines("http://127.0.0.1:8123/", credentials)
    assert [line.split("=", 1)[0] for line in lines] == [f"export {n}" for n in EXPORT_NAMES]
    values = [shlex.split(line.split("=", 1)[1])[0] for line in lines]
    assert values == [
        "http://127.0.0.1:8123/v4_6_release/apis/3.0",
        "acme",
        "pub'key",
        "priv key",
        "client",
    ]


def test_random_credentials_differ() -> None:
    assert ConnectWiseCredentials.random() != ConnectWiseCredentials.random()
