"""The ConnectWise client's main reads replayed from vcrpy cassettes (``cassettes/connectwise``).

The reads a plan makes, section by section: the flat reference tables (with the connectivity
check), product categories with their subcategories (more than one page in the ``large`` seed),
a board and its children (ticket settings), and the callbacks. Replayed with no server by default;
``make cassettes`` re-records from a fresh simulator, ``RECONCILE_RECORD_AGAINST=env make
cassettes`` from the tenant of the ``CONNECTWISE_*`` variables (see ``psa_cassette_support``).
Checks of the seed's data run only on cassettes recorded from the sandbox.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cassette_support import (
    CASSETTES,
    HEADER_PLACEHOLDERS,
    ORIGINS,
    credential_findings,
    read_sources,
    recorder,
)
from psa_cassette_support import (
    CW_BASE,
    CW_BASE_PATH,
    CW_RECORDING,
    REPLAY_ENVIRON,
    PsaScrubber,
    PsaTape,
    Site,
    cw_rewrites,
    site_for,
    suite_secrets,
)
from pydantic import SecretStr

from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.client import PAGE_SIZE, ConnectWiseClient
from reconciler.psa.connectwise.credentials import ConnectWiseCredentials
from reconciler.psa.connectwise.kinds_callbacks import TYPES, live_callbacks
from reconciler.psa.connectwise.kinds_catalog import (
    BOARD_CHILDREN,
    FIELDS,
    associations_table,
    board_children_table,
    categories_table,
    named_table,
)

pytestmark = pytest.mark.cassette

SYSTEM = "connectwise"
EXPECTED_CASSETTES = (
    "connectwise/reference_tables",
    "connectwise/categories",
    "connectwise/board",
    "connectwise/callbacks",
)
FLAT_TABLES = {
    t.CW_PRODUCT_TYPES: endpoints.PRODUCT_TYPES,
    t.CW_COMPANY_TYPES: endpoints.COMPANY_TYPES,
    t.CW_COMPANY_STATUSES: endpoints.COMPANY_STATUSES,
    t.CW_COMPANY_UDFS: endpoints.USER_DEFINED_FIELDS,
    t.CW_OPPORTUNITY_STATUSES: endpoints.OPPORTUNITY_STATUSES,
    t.CW_WAREHOUSES: endpoints.WAREHOUSES,
    t.CW_PRIORITIES: endpoints.PRIORITIES,
}
BOARD_PATHS = {
    t.CW_BOARD_STATUSES: endpoints.board_statuses,
    t.CW_BOARD_TYPES: endpoints.board_types,
    t.CW_BOARD_SUBTYPES: endpoints.board_subtypes,
    t.CW_BOARD_ITEMS: endpoints.board_items,
}
SUBCATEGORY_FIELDS = ["id", "name", "inactiveFlag", "category"]
SANDBOX_BOARD = "Help Desk"
CALLBACK_TYPES = sorted(TYPES.values())
CALLBACK_FIELDS = (
    "id",
    "description",
    "url",
    "type",
    "level",
    "objectId",
    "inactiveFlag",
    "payloadVersion",
    "isSelfSuppressedFlag",
)
"""What the callback kind reads of each callback (``kinds_callbacks.WIRE_ATTRIBUTES``)."""


def _fields(table: str) -> list[str]:
    return FIELDS[table].split(",")


def _pages(rows: int) -> int:
    return max(1, math.ceil(rows / PAGE_SIZE))


@pytest.fixture(scope="module")
def site(record_mode: str) -> Iterator[Site]:
    chosen = site_for(SYSTEM, record_mode)
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture
def tape(site: Site, record_mode: str, tmp_path: Path) -> PsaTape:
    return PsaTape(site, record_mode, tmp_path)


def _queries(cassette: Any) -> list[dict[str, str]]:
    return [dict(request.query) for request in cassette.requests]


def test_connectwise_reference_tables(tape: PsaTape) -> None:
    with tape.connectwise() as client, tape.use("reference_tables") as cassette:
        info = client.system_info()
        rows = {
            table: client.list_all(path, fields=_fields(table))
            for table, path in FLAT_TABLES.items()
        }
    assert info, "system/info answered"
    assert len(cassette) == 1 + len(FLAT_TABLES), "one request per table (each under 1,000 rows)"
    for query in _queries(cassette)[1:]:
        assert query["pageSize"] == str(PAGE_SIZE) and query["page"] == "1"
        assert query["fields"].split(",")[0] == "id", "only the properties the tables use"
    tables = {
        table: named_table(table, found, name="caption" if table == t.CW_COMPANY_UDFS else "name")
        for table, found in rows.items()
    }
    assert all(table.entries for table in tables.values())
    assert all(isinstance(entry.id, int) for tb in tables.values() for entry in tb.entries)
    if tape.from_sandbox("reference_tables"):
        assert tables[t.CW_COMPANY_UDFS].resolve("contract tier").entry is not None
        stalled = tables[t.CW_OPPORTUNITY_STATUSES].resolve("Stalled")
        assert stalled.entry is None and "inactive" in (stalled.message or "")
        assert [e.name for e in tables[t.CW_WAREHOUSES].entries] == [
            "Main Warehouse",
            "Remote Warehouse",
        ]


def test_connectwise_categories_page_past_1000(tape: PsaTape) -> None:
    with tape.connectwise() as client, tape.use("categories") as cassette:
        categories = client.list_all(endpoints.CATEGORIES, fields=_fields(t.CW_CATEGORIES))
        subcategories = client.list_all(endpoints.SUBCATEGORIES, fields=SUBCATEGORY_FIELDS)
    table = categories_table(categories, subcategories)
    paths = [request.path for request in cassette.requests]
    sub_path = f"{CW_BASE_PATH}/{endpoints.SUBCATEGORIES}"
    assert paths.count(f"{CW_BASE_PATH}/{endpoints.CATEGORIES}") == _pages(len(categories))
    assert paths.count(sub_path) == _pages(len(subcategories)), "at the paging floor"
    pages = [dict(r.query)["page"] for r in cassette.requests if r.path == sub_path]
    assert pages == [str(n) for n in range(1, len(pages) + 1)], "Link rel=next, page by page"
    assert len({row["id"] for row in subcategories}) == len(subcategories)
    assert len(table.entries) <= len(categories) + len(subcategories)
    if tape.from_sandbox("categories"):
        assert len(pages) == 2, "the large seed's subcategories take two pages"
        laptops = table.resolve("Hardware/Laptops")
        assert laptops.entry is not None and laptops.entry.path == ("Hardware", "Laptops")


def test_connectwise_board_and_its_children(tape: PsaTape) -> None:
    with tape.connectwise() as client, tape.use("board") as cassette:
        boards = named_table(
            t.CW_BOARDS, client.list_all(endpoints.BOARDS, fields=_fields(t.CW_BOARDS))
        )
        wanted = boards.resolve(SANDBOX_BOARD).entry if tape.from_sandbox("board") else None
        board = wanted or next(e for e in boards.entries if e.active)
        children = {
            table: {board.id: client.list_all(path(int(board.id)), fields=_fields(table))}
            for table, path in BOARD_PATHS.items()
        }
        association_rows = client.list_all(
            endpoints.board_associations(int(board.id)), fields=_fields(t.CW_BOARD_ASSOCIATIONS)
        )
    assert set(children) == set(BOARD_CHILDREN)
    assert len(cassette) == 2 + len(BOARD_PATHS), "the board list, then one request per child"
    tables = {table: board_children_table(table, rows) for table, rows in children.items()}
    associations = associations_table({board.id: association_rows})
    assert all(entry.parent == board.id for tb in tables.values() for entry in tb.entries)
    type_ids = {entry.id for entry in tables[t.CW_BOARD_TYPES].entries}
    assert {e.extra[t.TYPE_ID] for e in associations.entries} <= type_ids
    if tape.from_sandbox("board"):
        statuses = tables[t.CW_BOARD_STATUSES]
        assert [e.name for e in statuses.entries] == ["New", "Assigned", "Resolved", ">Closed"]
        assert {e.name for e in tables[t.CW_BOARD_TYPES].entries} == {"Incident", "Request"}
        assert associations.entries


def _install_callbacks(client: ConnectWiseClient) -> None:
    """What the engine's apply would have created, and one callback of a type it never reads."""
    receiver = ORIGINS["salesbuildr"] + "/integration/connectwise/callbacks"
    for type_ in [*CALLBACK_TYPES, "Ticket"]:
        body = {"url": receiver, "objectId": 1, "type": type_, "level": "Owner"}
        client.create(endpoints.CALLBACKS, {**body, "description": f"Salesbuildr {type_}"})


def test_connectwise_callbacks_of_the_listed_types(tape: PsaTape) -> None:
    with tape.connectwise() as client:
        if tape.setting_up:
            _install_callbacks(client)  # before the tape: only the read is recorded
        with tape.use("callbacks") as cassette:
            rows = client.list_all(endpoints.CALLBACKS, fields=CALLBACK_FIELDS)
    assert len(cassette) == 1
    (query,) = _queries(cassette)
    assert query["fields"] == ",".join(CALLBACK_FIELDS), "only what the kind compares"
    resources = live_callbacks(rows)
    listed = [row for row in rows if str(row.get("type")) in CALLBACK_TYPES]
    assert len(resources) == len(listed), "callbacks of other types are left alone"
    if tape.from_sandbox("callbacks"):
        assert len(rows) == 4, "the Ticket callback is read, then dropped"
        assert sorted(r.key for r in resources) == [f"Salesbuildr {n}" for n in CALLBACK_TYPES]
        assert {r.attributes["url"] for r in resources} == {
            ORIGINS["salesbuildr"] + "/integration/connectwise/callbacks"
        }


# --- scrubbing, and the credential scan -----------------------------------------------------------

TENANT_BASE = "https://api-eu.myconnectwise.net/v2025_1/apis/3.0"
LOOPBACK_BASE = "http://127.0.0.1:43219/v4_6_release/apis/3.0"


def _paging_handler(base: str) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        headers = {}
        if page == 1:
            next_url = f"{base}/{endpoints.BOARDS}?pageSize=1000&page=2"
            headers["Link"] = f'<{next_url}>; rel="next", <{next_url}>; rel="last"'
        return httpx.Response(200, json=[{"id": page, "name": f"Board {page}"}], headers=headers)

    return answer


def _client(base: str, handler: Any, company: str, public: str, private: str) -> ConnectWiseClient:
    credentials = ConnectWiseCredentials(
        api_url=base,
        company=company,
        public_key=SecretStr(public),
        private_key=SecretStr(private),
        client_id=CW_RECORDING.client_id,
    )
    return ConnectWiseClient.connect(
        credentials, transport=httpx.MockTransport(handler), requests_per_minute=10**6
    )


@pytest.mark.parametrize("base", [TENANT_BASE, LOOPBACK_BASE], ids=["tenant", "sandbox"])
def test_scrubbing_hides_the_keys_and_normalises_the_api_base(tmp_path: Path, base: str) -> None:
    """Through the real vcrpy hooks: the Basic pair and clientId become placeholders, the API
    base (host and codebase path) becomes the placeholder's in the URL and the Link header, and
    the cassette replays against the placeholder base, following the rewritten next page."""
    secrets = suite_secrets({})
    scrubber = PsaScrubber(SYSTEM, cw_rewrites(base), tuple(secrets))
    recording = recorder(SYSTEM, scrubber, "all", library=tmp_path)
    keys = ("cassetterecorder", CW_RECORDING.public_key, CW_RECORDING.private_key)
    with _client(base, _paging_handler(base), *keys) as client, recording.use_cassette("scrub"):
        recorded = client.list_all(endpoints.BOARDS)
    text = (tmp_path / SYSTEM / "scrub.yaml").read_text()
    assert "myconnectwise" not in text and "127.0.0.1" not in text and "v2025_1" not in text
    basic = base64.b64encode(f"{keys[0]}+{keys[1]}:{keys[2]}".encode()).decode()
    assert basic not in text and CW_RECORDING.client_id not in text
    assert text.count(HEADER_PLACEHOLDERS["clientId"]) == 2
    assert text.count(HEADER_PLACEHOLDERS["Authorization"]) == 2
    assert f"<{CW_BASE}/{endpoints.BOARDS}?pageSize=1000&page=2>" in text
    assert credential_findings(tmp_path, secrets) == []
    replaying = recorder(SYSTEM, PsaScrubber(SYSTEM), "none", library=tmp_path)
    other = _client(CW_BASE, _paging_handler("http://unused"), "other", "pub-2", "priv-2")
    with other as client, replaying.use_cassette("scrub") as cassette:
        replayed = client.list_all(endpoints.BOARDS)
    assert cassette.all_played and replayed == recorded == [
        {"id": 1, "name": "Board 1"},
        {"id": 2, "name": "Board 2"},
    ]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_tenant_refusal_keeps_the_cassette(tmp_path: Path, status: int) -> None:
    """Re-recording from a tenant that refuses a read skips that test and writes nothing."""
    environ = {
        **{name: "tenant-value-1" for name in REPLAY_ENVIRON[SYSTEM]},
        "CONNECTWISE_API_URL": TENANT_BASE,
    }
    refused = httpx.MockTransport(lambda request: httpx.Response(status, json={"code": "x"}))
    site = Site(SYSTEM, "tenant", environ, cw_rewrites(TENANT_BASE), transport=refused)
    tape = PsaTape(site, "all", tmp_path)
    sources_before = read_sources()
    kept = pytest.raises(pytest.skip.Exception, match="the cassette recorded before is kept")
    with kept, tape.connectwise() as client, tape.use("reference_tables"):
        client.list_all(endpoints.PRODUCT_TYPES)
    assert list(tmp_path.rglob("*.yaml")) == []
    assert read_sources() == sources_before, "recorded-from.json untouched"


def test_no_cassette_contains_a_connectwise_credential() -> None:
    present = {str(p.relative_to(CASSETTES).with_suffix("")) for p in CASSETTES.rglob("*.yaml")}
    assert set(EXPECTED_CASSETTES) <= present, "run `make cassettes` to record them"
    assert set(EXPECTED_CASSETTES) <= set(read_sources())
    assert credential_findings(CASSETTES, suite_secrets()) == []
    for name in EXPECTED_CASSETTES:
        text = (CASSETTES / f"{name}.yaml").read_text()
        for placeholder in (HEADER_PLACEHOLDERS["Authorization"], HEADER_PLACEHOLDERS["clientId"]):
            assert placeholder in text, f"{name}: {placeholder} missing"
        assert f"uri: {CW_BASE}/" in text, f"{name}: requests not at the placeholder base"
