"""The HaloPSA client's main reads replayed from vcrpy cassettes (``cassettes/halopsa``).

Every cassette starts with the OAuth2 token request (client credentials), then the reads a plan
makes: the reference tables (bare arrays, one request each), the items (an envelope paged at its
floor: page 1, then exactly the pages ``record_count`` leaves) and the webhooks. Replayed with no
server by default; ``make cassettes`` re-records from a fresh simulator,
``RECONCILE_RECORD_AGAINST=env make cassettes`` from the tenant of the ``HALOPSA_*`` variables
(see ``psa_cassette_support``). Checks of the seed's data run only on sandbox cassettes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from cassette_support import (
    CASSETTES,
    HEADER_PLACEHOLDERS,
    ORIGINS,
    REDACTED,
    credential_findings,
    read_sources,
    recorder,
)
from psa_cassette_support import (
    HALO_RECORDING,
    HALO_TOKEN_URL,
    HALO_URL,
    PsaScrubber,
    PsaTape,
    Site,
    halo_rewrites,
    site_for,
    suite_secrets,
)

from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.client import DEFAULT_PAGE_SIZE, HaloClient
from reconciler.psa.halopsa.connection import HaloConnection
from reconciler.psa.halopsa.kinds_webhooks import event_label
from reconciler.sandbox.halopsa.webhooks import BASIC_AUTHENTICATION

pytestmark = pytest.mark.cassette

SYSTEM = "halopsa"
EXPECTED_CASSETTES = ("halopsa/reference_tables", "halopsa/items", "halopsa/webhooks")
UNPAGED_TABLES = {name: s for name, s in t.HALO_SOURCES.items() if not s.resource.paged}
WEBHOOK_PASSWORD = "RECORDING-ONLY-halo-webhook-password-7c41e9"
SB_RECEIVER = ORIGINS["salesbuildr"] + "/integration/halopsa/webhooks"


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


def _api(cassette: Any) -> list[Any]:
    """The API requests of a cassette (the token request left out), each checked for its
    bearer placeholder."""
    assert cassette.requests[0].uri == HALO_TOKEN_URL, "the token comes first"
    api = cassette.requests[1:]
    assert all(request.uri.startswith(HALO_URL + "/api/") for request in api)
    return api


def _token_request_is_scrubbed(cassette: Any) -> None:
    token = cassette.requests[0]
    assert token.method == "POST"
    form = dict(parse_qsl(token.body.decode()))
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == form["client_secret"] == REDACTED
    assert set(form["scope"].split()) == {"all:standard", "all:teams", "admin:webhooks"}
    answer = json.loads(cassette.responses[0]["body"]["string"])
    assert answer["access_token"] == REDACTED and answer.get("refresh_token") in (None, REDACTED)


def test_halopsa_reference_tables(tape: PsaTape) -> None:
    with tape.halopsa() as client, tape.use("reference_tables") as cassette:
        records = {
            table: client.list_all(source.resource, source.query)
            for table, source in UNPAGED_TABLES.items()
        }
        fetched = client.tokens.fetched
    _token_request_is_scrubbed(cassette)
    assert fetched == 1, "one token serves the whole read"
    api = _api(cassette)
    assert len(api) == len(UNPAGED_TABLES), "one request per table: these lists are not paged"
    lookups = [dict(q.query) for q in api if q.path == "/api/Lookup"]
    assert sorted(int(q["lookupid"]) for q in lookups) == sorted(r.LOOKUP_LISTS.values())
    tables = {table: t.table_from_records(table, rows) for table, rows in records.items()}
    assert all(tables[name].entries for name in (t.HALO_ASSET_GROUPS, t.HALO_TICKET_TYPES))
    if tape.from_sandbox("reference_tables"):
        client_types = [e.name for e in tables[t.HALO_CLIENT_TYPES].entries]
        assert client_types == ["Customer", "Prospect", "Supplier"]
        assert len(tables[t.HALO_QUOTE_STATUSES].entries) == 5
        assert tables[t.HALO_CATEGORIES].resolve("renewals").entry is not None
        assert len(tables[t.HALO_ASSET_TYPES].entries) == 65, "one request, no paging"


def test_halopsa_items_page_at_the_floor(tape: PsaTape) -> None:
    source = t.HALO_SOURCES[t.HALO_ITEMS]
    with tape.halopsa() as client, tape.use("items") as cassette:
        items = client.list_all(source.resource, source.query)
    api = _api(cassette)
    first = json.loads(cassette.responses[1]["body"]["string"])
    count = first["record_count"]
    assert len(api) == max(1, math.ceil(count / DEFAULT_PAGE_SIZE)), "ceil(record_count / size)"
    queries = [dict(request.query) for request in api]
    assert [int(q["page_no"]) for q in queries] == list(range(1, len(api) + 1))
    assert {(q["pageinate"], q["page_size"], q["includeinactive"]) for q in queries} == {
        ("true", str(DEFAULT_PAGE_SIZE), "true")
    }
    assert len(items) == count == len({item["id"] for item in items})
    table = t.table_from_records(t.HALO_ITEMS, items)
    if tape.from_sandbox("items"):
        assert count == 2502 and len(api) == 26
        assert table.resolve("Shipping").entry is not None


def _install_webhook(client: HaloClient) -> None:
    """Salesbuildr's webhook with Basic auth, as an operator might have set it up by hand."""
    hook = {
        "name": "Salesbuildr",
        "url": SB_RECEIVER,
        "active": True,
        "events": [{"eventno": 21}, {"eventno": 22}],
        "authentication_type": BASIC_AUTHENTICATION,
        "basic_username": "salesbuildr",
        "basic_password": WEBHOOK_PASSWORD,
    }
    client.upsert(r.WEBHOOK, [hook])


def test_halopsa_webhooks(tape: PsaTape) -> None:
    if tape.setting_up:
        with tape.halopsa() as setup:  # its own client: the recorded one fetches its own token
            _install_webhook(setup)
    with tape.halopsa() as client, tape.use("webhooks") as cassette:
        hooks = client.list_all(r.WEBHOOK)
        detail = client.get(r.WEBHOOK, hooks[0]["id"]) if hooks else None
    api = _api(cassette)
    assert [request.path for request in api][:1] == ["/api/Webhook"]
    stored = [json.loads(answer["body"]["string"]) for answer in cassette.responses[1:]]
    for hook in [*stored[0], *stored[1:]]:  # as the cassette keeps them (the client saw more)
        assert hook.get("basic_password") in (None, REDACTED), "scrubbed if a tenant echoes it"
    assert all(event_label(e.get("eventno")) for h in hooks for e in h.get("events") or [])
    if tape.from_sandbox("webhooks"):
        by_name = {hook["name"]: hook for hook in hooks}
        assert set(by_name) == {"Accounting sync", "Salesbuildr"}
        ours = by_name["Salesbuildr"]
        assert ours["url"] == SB_RECEIVER
        assert sorted(event_label(e["eventno"]) for e in ours["events"]) == [
            "client_created",
            "client_updated",
        ]
        assert detail is not None and detail["id"] == hooks[0]["id"]
        assert [h.get("basic_password") for h in stored[0]] == [None, REDACTED]


# --- scrubbing, and the credential scan -----------------------------------------------------------

TENANT = "https://acme.halopsa.com"
AUTH = "https://acme.halopsa.com/auth"
LEAKED = "tenant-token-that-no-one-told-the-scrubber-about"
REFRESH = "a-refresh-token-also-unknown-beforehand"
SECRET = "a-client-secret-not-in-any-list"


def _oauth_handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/token"):
        body = {"access_token": LEAKED, "refresh_token": REFRESH, "expires_in": 3600}
        return httpx.Response(200, json={**body, "token_type": "Bearer"})
    echoed = request.headers["authorization"]  # a hostile or chatty tenant echoes the header
    return httpx.Response(200, json=[{"id": 1, "name": "Sales", "note": echoed}])


def _connection(url: str, auth: str, secret: str) -> HaloConnection:
    environ = {
        "HALOPSA_URL": url,
        "HALOPSA_AUTH_URL": auth,
        "HALOPSA_CLIENT_ID": HALO_RECORDING.client_id,
        "HALOPSA_CLIENT_SECRET": secret,
        "HALOPSA_TENANT": "acme-tenant",
    }
    return HaloConnection.from_environment(environ)


def _halo(url: str, auth: str, secret: str) -> HaloClient:
    return HaloClient(
        _connection(url, auth, secret), transport=httpx.MockTransport(_oauth_handler), rate_cap=None
    )


def test_scrubbing_hides_unknown_secrets_and_tokens(tmp_path: Path) -> None:
    """Through the real vcrpy hooks, with values no list names: the form's client id and secret,
    the tenant, both tokens (answered, and echoed back later) and the Bearer header leave no
    trace; the cassette replays against the placeholder tenant."""
    scrubber = PsaScrubber(SYSTEM, halo_rewrites(_connection(TENANT, AUTH, SECRET)), ())
    with (
        _halo(TENANT, AUTH, SECRET) as client,
        recorder(SYSTEM, scrubber, "all", library=tmp_path).use_cassette("scrub"),
    ):
        recorded = client.list_all(r.TEAM)
    text = (tmp_path / SYSTEM / "scrub.yaml").read_text()
    for value in (LEAKED, REFRESH, SECRET, HALO_RECORDING.client_id, "acme"):
        assert value not in text, value
    assert text.count(HEADER_PLACEHOLDERS["Authorization"]) == 1, "the API request's header"
    assert f"uri: {HALO_TOKEN_URL}\n" in text and f"uri: {HALO_URL}/api/Team" in text
    assert credential_findings(tmp_path, [LEAKED, REFRESH, SECRET]) == []
    with (
        _halo(HALO_URL, HALO_URL + "/auth", "another-secret") as client,
        recorder(SYSTEM, PsaScrubber(SYSTEM), "none", library=tmp_path).use_cassette("scrub") as c,
    ):
        replayed = client.list_all(r.TEAM)
    assert c.all_played
    assert replayed == [{"id": 1, "name": "Sales", "note": f"Bearer {REDACTED}"}] != recorded


def test_a_tenant_refusal_keeps_the_cassette(tmp_path: Path) -> None:
    """A permission the API application lacks (403) skips that recording and writes nothing."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": LEAKED, "expires_in": 3600})
        return httpx.Response(403, json="You do not have permission")

    connection = _connection(TENANT, AUTH, SECRET)
    environ = {"HALOPSA_URL": TENANT, "HALOPSA_CLIENT_ID": "id-1", "HALOPSA_CLIENT_SECRET": SECRET}
    site = Site(
        SYSTEM, "tenant", environ, halo_rewrites(connection), transport=httpx.MockTransport(answer)
    )
    tape = PsaTape(site, "all", tmp_path)
    sources_before = read_sources()
    kept = pytest.raises(pytest.skip.Exception, match="the cassette recorded before is kept")
    with kept, tape.halopsa() as client, tape.use("webhooks"):
        client.list_all(r.WEBHOOK)
    assert list(tmp_path.rglob("*.yaml")) == []
    assert read_sources() == sources_before, "recorded-from.json untouched"


def test_no_cassette_contains_a_halopsa_credential() -> None:
    present = {str(p.relative_to(CASSETTES).with_suffix("")) for p in CASSETTES.rglob("*.yaml")}
    assert set(EXPECTED_CASSETTES) <= present, "run `make cassettes` to record them"
    assert set(EXPECTED_CASSETTES) <= set(read_sources())
    secrets = [*suite_secrets(), WEBHOOK_PASSWORD]
    assert credential_findings(CASSETTES, secrets) == []
    for name in EXPECTED_CASSETTES:
        text = (CASSETTES / f"{name}.yaml").read_text()
        assert "client_secret=%3CREDACTED%3E" in text, f"{name}: token request not scrubbed"
        assert HEADER_PLACEHOLDERS["Authorization"] in text, f"{name}: bearer not a placeholder"
        assert "tenant=" not in text, f"{name}: the tenant is named"
