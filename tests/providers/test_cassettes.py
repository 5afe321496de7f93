"""The providers' main reads replayed from vcrpy cassettes (``cassettes/``), with no server running.

By default (``--record-mode=none``) every test replays its cassette and fails on any request that
is not in it, or on any recorded request the client no longer makes. ``make cassettes``
(``--record-mode=all``) re-records them from a fresh sandbox, or from the real tenant with
``RECONCILE_RECORD_AGAINST=env`` (see ``cassette_support``). Checks that depend on the sandbox's
seed data run only on cassettes recorded from the sandbox (``cassettes/recorded-from.json``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cassette_support import (
    CASSETTES,
    HEADER_PLACEHOLDERS,
    ORIGINS,
    RECORDING_CREDENTIALS,
    REDACTED,
    Scrubber,
    Target,
    credential_findings,
    known_credential_values,
    note_source,
    read_sources,
    recorder,
    recording_target,
    replay_target,
)
from pydantic import SecretStr
from vcr.cassette import Cassette
from vcr.request import Request as VcrRequest

from reconciler.errors import NotFoundError
from reconciler.psa.autotask.client import AutotaskClient, AutotaskCredentials
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.read import read_table, read_webhooks
from reconciler.salesbuildr.client import SETTINGS_SECTIONS, SalesbuildrClient
from reconciler.transport.http import RetryPolicy, SlidingWindowBudget

pytestmark = pytest.mark.cassette

EXPECTED_CASSETTES = (
    "autotask/billing_codes",
    "autotask/webhooks_company",
    "autotask/tickets_fields",
    "autotask/threshold",
    "salesbuildr/categories",
    "salesbuildr/settings_sections",
    "salesbuildr/data_points",
)
NO_RETRY = RetryPolicy(attempts=1, initial_wait=0.0, max_wait=0.0)


@pytest.fixture(scope="module")
def target(record_mode: str) -> Iterator[Target]:
    chosen = replay_target() if record_mode == "none" else recording_target(os.environ)
    try:
        yield chosen
    finally:
        chosen.close()


class Tape:
    """Opens one cassette for the target and checks it was used exactly.

    Re-recording (``all``) writes into ``scratch`` and moves the cassette into ``cassettes/`` only
    when its test got that far, so a failed or skipped recording keeps the previous cassette.
    """

    def __init__(self, target: Target, record_mode: str, scratch: Path):
        self.target = target
        self.record_mode = record_mode
        self.scratch = scratch

    @contextmanager
    def use(self, system: str, name: str) -> Iterator[Cassette]:
        library = self.scratch if self.record_mode == "all" else CASSETTES
        vcr = recorder(system, self.target.scrubber(system), self.record_mode, library=library)
        with vcr.use_cassette(name) as cassette:
            try:
                yield cassette
            except NotFoundError as error:
                if self.target.source != "tenant":
                    raise
                pytest.skip(
                    f"{system}/{name}: the tenant answers 404 for {error.path} (the settings "
                    "contract is only a proposal so far); the cassette recorded before is kept"
                )
        if self.record_mode == "none":
            assert cassette.all_played, f"{system}/{name}: the client skipped recorded requests"
        elif cassette.play_count < len(cassette):  # something was recorded, not replayed
            if library != CASSETTES:
                final = CASSETTES / system / f"{name}.yaml"
                final.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(library / system / f"{name}.yaml", final)
            note_source(f"{system}/{name}", self.target, system)

    def from_sandbox(self, system: str, name: str) -> bool:
        """Whether the seed-specific checks apply to this cassette."""
        if self.target.recording:
            return self.target.source == "sandbox"
        entry = read_sources().get(f"{system}/{name}")
        assert entry is not None, f"{system}/{name} is missing from recorded-from.json"
        return entry.get("source") == "sandbox"

    def origin(self, system: str) -> str:
        """The origin the client sees: the placeholder on replay, the real one when recording."""
        real = [o for o, p in self.target.origins.items() if p == ORIGINS[system]]
        return real[0] if self.target.recording else ORIGINS[system]

    def autotask(self) -> AutotaskClient:
        return AutotaskClient.connect(
            self.target.autotask_credentials, url=self.target.autotask_url, retry=NO_RETRY
        )

    def salesbuildr(self) -> SalesbuildrClient:
        return SalesbuildrClient.connect(
            self.target.salesbuildr_url,
            self.target.salesbuildr_key,
            retry=NO_RETRY,
            budget=SlidingWindowBudget(1000, 600.0),
        )


@pytest.fixture
def tape(target: Target, record_mode: str, tmp_path: Path) -> Tape:
    return Tape(target, record_mode, tmp_path)


# --- Autotask -------------------------------------------------------------------------------------


def test_autotask_billing_codes(tape: Tape) -> None:
    with tape.autotask() as client, tape.use("autotask", "billing_codes") as cassette:
        table = read_table(client, t.AT_BILLING_CODES)
    assert table is not None and table.entries
    assert all(isinstance(e.id, int) and e.name for e in table.entries)
    assert len(cassette) == max(1, math.ceil(len(table.entries) / 500))
    if tape.from_sandbox("autotask", "billing_codes"):
        assert len(table.entries) == 8
        hardware = table.resolve("hardware sales")
        assert hardware.entry is not None and hardware.entry.id == 29683001
        legacy = table.resolve("Hardware Sales (legacy)")
        assert legacy.entry is None and "inactive" in (legacy.message or "")


def test_autotask_webhooks_and_children_by_root_queries(tape: Tape) -> None:
    with tape.autotask() as client, tape.use("autotask", "webhooks_company") as cassette:
        data = read_webhooks(client, "company")
        hooks = data["webhooks"]
        first = client.get("CompanyWebhooks", int(hooks[0]["id"])) if hooks else None
    queried = ["Webhooks", "WebhookFields", "WebhookUdfFields", "WebhookExcludedResources"]
    expected = [f"/atservicesrest/V1.0/Company{name}/query" for name in queried]
    paths = [request.path for request in cassette.requests]
    # The children are read concurrently: a recording holds them in the order they answered.
    assert sorted(paths[:4]) == sorted(expected[: 4 if hooks else 1]), "one root query each"
    hook_ids = {row["id"] for row in hooks}
    for child in ("fields", "udf_fields", "excluded"):
        assert {row["webhookID"] for row in data[child]} <= hook_ids
    if first is not None:
        assert first.get("secretKey") in (None, REDACTED), "scrubbed if a tenant echoes it"
    if tape.from_sandbox("autotask", "webhooks_company"):
        (hook,) = data["webhooks"]
        assert hook["name"] == "sb-companies" and hook["isActive"] is True
        assert hook["webhookUrl"] == tape.origin("salesbuildr") + "/webhooks/autotask"
        assert sorted(f["fieldID"] for f in data["fields"]) == [6, 7, 24]
        assert [u["udfFieldID"] for u in data["udf_fields"]] == [29684001]
        assert [x["resourceID"] for x in data["excluded"]] == [29682885]


def test_autotask_tickets_fields_metadata(tape: Tape) -> None:
    with tape.autotask() as client, tape.use("autotask", "tickets_fields") as cassette:
        queues = read_table(client, t.AT_TICKET_QUEUES)
        sub_issue_types = read_table(client, t.AT_TICKET_SUB_ISSUE_TYPES)
        issue_type = client.field("Tickets", "issueType")
    assert len(cassette) == 1, "one metadata call serves every Tickets picklist"
    assert queues is not None and sub_issue_types is not None
    assert issue_type.is_picklist and issue_type.picklist
    assert all(e.parent is not None for e in sub_issue_types.entries)
    if tape.from_sandbox("autotask", "tickets_fields"):
        post_sale = queues.resolve("post sale")
        assert post_sale.entry is not None and post_sale.entry.id == "6"


def test_autotask_threshold(tape: Tape) -> None:
    with tape.autotask() as client, tape.use("autotask", "threshold"):
        threshold = client.threshold()
    assert 0 < threshold.used <= threshold.limit
    assert threshold.remaining == threshold.limit - threshold.used
    if tape.from_sandbox("autotask", "threshold"):
        assert (threshold.limit, threshold.timeframe_minutes) == (10_000, 60)


# --- Salesbuildr ----------------------------------------------------------------------------------


def test_salesbuildr_categories_paging(tape: Tape) -> None:
    with tape.salesbuildr() as client, tape.use("salesbuildr", "categories") as cassette:
        categories = client.categories()
    pages = [dict(r.query) for r in cassette.requests]
    # Pages are read concurrently once the first told the total: in the order they answered.
    assert sorted(int(p["from"]) for p in pages) == [100 * n for n in range(len(pages))]
    assert len(pages) == max(1, math.ceil(len(categories) / 100))
    assert len({c.id for c in categories}) == len(categories)
    if tape.from_sandbox("salesbuildr", "categories"):
        assert len(categories) == 2013
        by_id = {c.id: c for c in categories}
        assert by_id["c-l-01-6-1"].path == ("Family 01", "Line 01.6", "Model 01.6.1")


def test_salesbuildr_settings_sections(tape: Tape) -> None:
    with tape.salesbuildr() as client, tape.use("salesbuildr", "settings_sections"):
        billing = client.read_section("billing-codes")
        receiver = client.read_section("webhook-receiver")
    assert "billing-codes" in SETTINGS_SECTIONS
    assert billing.etag and receiver.etag
    assert set(billing.body) >= {"defaultBillingCodeId", "categories"}
    assert receiver.body["url"].startswith(tape.origin("salesbuildr") + "/"), "origin normalised"
    assert "secret" not in receiver.body
    if tape.from_sandbox("salesbuildr", "settings_sections"):
        assert receiver.body["secretSet"] is True
        assert billing.body["defaultBillingCodeId"] == 29690002
        assert len(billing.body["categories"]) == 1000


def test_salesbuildr_data_points(tape: Tape) -> None:
    with tape.salesbuildr() as client, tape.use("salesbuildr", "data_points") as cassette:
        company = client.data_points("company")
        opportunity = client.data_points("opportunity")
    assert {d.entity for d in company} == {"company"}
    assert {d.entity for d in opportunity} == {"opportunity"}
    assert len(cassette) == sum(max(1, math.ceil(len(d) / 100)) for d in (company, opportunity))
    if tape.from_sandbox("salesbuildr", "data_points"):
        assert (len(company), len(opportunity)) == (105, 103)
        tier = next(d for d in company if d.id == "dp-c-tier")
        assert tier.path == ("Contract tier",) and not tier.multi_select


# --- scrubbing, and the credential scan -----------------------------------------------------------

LOOPBACK = "http://127.0.0.1:43210"
SECRET = "s3cret-webhook-key-for-the-scrub-test"


def _scrub_handler(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content) if request.content else {}
    if request.url.path.endswith("/query"):
        value = body["filter"][0]["value"]
        return httpx.Response(200, json={"items": [{"id": value}], "pageDetails": {}})
    if request.method == "GET":
        item = {"id": 7, "secretKey": SECRET, "webhookUrl": f"{LOOPBACK}/hook"}
        return httpx.Response(200, json={"item": item})
    return httpx.Response(200, json={"itemId": 7, "echo": body})


def _scrub_client(url: str) -> AutotaskClient:
    credentials = AutotaskCredentials(
        username=RECORDING_CREDENTIALS.autotask_username,
        secret=SecretStr(RECORDING_CREDENTIALS.autotask_secret),
        integration_code=SecretStr(RECORDING_CREDENTIALS.autotask_integration_code),
    )
    return AutotaskClient.connect(
        credentials, url=url, transport=httpx.MockTransport(_scrub_handler), retry=NO_RETRY
    )


def _scrub_calls(client: AutotaskClient) -> list[Any]:
    hook = {"id": 7, "name": "w", "secretKey": SECRET, "nested": [{"Secret": SECRET}]}
    return [
        client.query("CompanyWebhooks", {"op": "eq", "field": "id", "value": 1}),
        client.query("CompanyWebhooks", {"op": "eq", "field": "id", "value": 2}),
        client.get("CompanyWebhooks", 7),
        client.create("CompanyWebhooks", hook),
        client.update("CompanyWebhooks", hook),
        client.update_child("CompanyWebhooks", 7, "Fields", {"id": 1, "secretKey": SECRET}),
    ]


def test_scrubbing_covers_every_method_and_replay_ignores_the_port(tmp_path: Path) -> None:
    """Through the real vcrpy hooks (MockTransport, which vcrpy patches too): secrets leave no
    trace, and a replay on another port matches by body (two queries differ only in it)."""
    scrubber = Scrubber(
        "autotask",
        origins={LOOPBACK: ORIGINS["autotask"]},
        secrets=(SECRET, *known_credential_values({})),
    )
    with (
        _scrub_client(f"{LOOPBACK}/ATServicesRest") as client,
        recorder("autotask", scrubber, "all", library=tmp_path).use_cassette("scrub"),
    ):
        recorded = _scrub_calls(client)
    text = (tmp_path / "autotask" / "scrub.yaml").read_text()
    assert SECRET not in text and "127.0.0.1" not in text and "43210" not in text
    assert credential_findings(tmp_path, [SECRET, *known_credential_values({})]) == []
    assert text.count(REDACTED) >= 6
    replayer = recorder("autotask", Scrubber("autotask"), "none", library=tmp_path)
    with (
        _scrub_client("http://127.0.0.1:9/atservicesrest") as client,
        replayer.use_cassette("scrub") as cassette,
    ):
        replayed = _scrub_calls(client)
    assert cassette.all_played
    assert [replayed[0], replayed[1]] == [[{"id": 1}], [{"id": 2}]]
    assert replayed[2] == {
        "id": 7,
        "secretKey": REDACTED,
        "webhookUrl": ORIGINS["autotask"] + "/hook",
    }
    assert replayed[3:] == recorded[3:] == [7, 7, 7]


def test_scrubber_rewrites_origin_base_path_host_and_user() -> None:
    request = VcrRequest(
        "GET",
        "https://WebServices5.autotask.net/ATServicesRest/V1.0/ZoneInformation?user=a%40b.example",
        None,
        {"Host": "webservices5.autotask.net", "UserName": "a@b.example"},
    )
    scrubber = Scrubber("autotask", {"https://webservices5.autotask.net": ORIGINS["autotask"]})
    out = scrubber.request(request)
    assert (
        out.uri == ORIGINS["autotask"] + "/atservicesrest/V1.0/ZoneInformation?user=%3CREDACTED%3E"
    )
    assert out.headers["Host"] == "autotask.cassette.invalid"


def test_the_credential_scan_finds_each_kind_of_leak(tmp_path: Path) -> None:
    leaky = """\
interactions:
- request:
    body: '{"id": 7, "secretKey": "abc-123-leaked"}'
    headers:
      Secret:
      - the-real-secret
      api-key:
      - <SALESBUILDR_API_KEY>
    method: PATCH
    uri: http://127.0.0.1:5000/atservicesrest/V1.0/CompanyWebhooks
  response:
    body:
      string: '{"item": {"nested": [{"SecretKey": "zzz-leaked"}]}}'
    headers:
      set-cookie:
      - session=1
    status:
      code: 200
      message: OK
version: 1
"""
    (tmp_path / "leaky.yaml").write_text(leaky)
    (tmp_path / "notes.txt").write_text(f"key: {RECORDING_CREDENTIALS.salesbuildr_api_key}\n")
    findings = credential_findings(tmp_path, known_credential_values({}))
    assert findings == [
        "leaky.yaml #0 request: header Secret is not the placeholder <AUTOTASK_API_SECRET>",
        "leaky.yaml #0 response: header set-cookie recorded",
        "leaky.yaml #0 request body: secretKey has a value",
        "leaky.yaml #0 response body: SecretKey has a value",
        "leaky.yaml #0: request to http://127.0.0.1:5000/atservicesrest/V1.0/CompanyWebhooks "
        "is not at a placeholder origin",
        "notes.txt: contains a known credential value",
    ]


def test_no_cassette_contains_a_credential() -> None:
    present = {str(p.relative_to(CASSETTES).with_suffix("")) for p in CASSETTES.rglob("*.yaml")}
    assert set(EXPECTED_CASSETTES) <= present, "run `make cassettes` to record them"
    sources = read_sources()
    assert set(EXPECTED_CASSETTES) <= set(sources)
    assert credential_findings(CASSETTES, known_credential_values()) == []
    placeholders = set(HEADER_PLACEHOLDERS.values())
    for name in EXPECTED_CASSETTES:
        text = (CASSETTES / f"{name}.yaml").read_text()
        recorded_headers = [p for p in placeholders if p in text]
        expected = (
            {"<AUTOTASK_API_USERNAME>", "<AUTOTASK_API_SECRET>", "<AUTOTASK_API_INTEGRATION_CODE>"}
            if name.startswith("autotask/")
            else {"<SALESBUILDR_API_KEY>"}
        )
        assert set(recorded_headers) == expected, f"{name}: auth headers not as placeholders"
