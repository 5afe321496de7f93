"""Hostile server answers end as server faults, never as "internal error" (ConnectWise, HaloPSA,
Salesbuildr), and an answer cannot take the process's memory.

Every run goes through the CLI against the simulators, with a raw loopback proxy
(:mod:`hostile_answers_support`) answering one route the way a broken or hostile server would:

* a body that never ends, or declares gigabytes: the read stops at the size cap, naming the
  system, method, path and cap, exit 1; the proxy could send only about the cap;
* malformed bodies (ids that are not numbers, rows that are not objects, JSON nested 100,000
  deep, settings documents that are not objects, a ``Link`` header holding an escape, a token
  holding CRLF): a ``ServerMisbehaved`` message, exit 1, no traceback, no secret shown;
* a write that succeeded but answered oddly (``{"id": "abc"}``, ``[{}]``, an endless body):
  its outcome is unknown, resolved by natural key: adopted, journalled so, nothing created twice.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_answers_support import (
    Forward,
    Raw,
    RawProxy,
    deep_json,
    endless,
    json_answer,
    raw_proxy,
)

from reconciler.cli import cli
from reconciler.envvars import DEFAULT_MAX_RESPONSE_BYTES, MAX_RESPONSE_BYTES
from reconciler.sandbox.common import Sandbox, register_simulator, start_sandbox
from reconciler.transport.body import MiB
from tests.connectwise.engine_support import EXAMPLE as CW_EXAMPLE
from tests.connectwise.engine_support import FAST, cw_api
from tests.halopsa.engine_support import EXAMPLE as HALO_EXAMPLE
from tests.halopsa.engine_support import HOOK as HALO_HOOK
from tests.halopsa.engine_support import halo_list
from tests.sandbox_clients import isolated_cli

CW_BASE = "/v4_6_release/apis/3.0"
CALLBACKS = r"/system/callbacks$"
BOARDS = r"/service/boards$"
SERVER_FAULT = "this is a server fault"


@dataclass
class Rig:
    """One sandbox, its PSA and Salesbuildr behind raw proxies, and the CLI run in ``workdir``."""

    sandbox: Sandbox
    workdir: Path
    psa: RawProxy
    salesbuildr: RawProxy
    env: dict[str, str]

    def cli(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env=self.env, prog_name="reconcile")
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    def journal(self) -> list[dict[str, Any]]:
        files = sorted((self.workdir / ".reconcile").glob("journal-*.jsonl"))
        return [json.loads(line) for f in files for line in f.read_text().splitlines()]

    def secrets(self) -> list[str]:
        return [v for k, v in self.sandbox.env.items() if k.endswith(("KEY", "SECRET"))]


def _rig(
    psa: str, url_vars: tuple[str, ...], example: Path, tmp_path: Path, monkeypatch: Any
) -> Iterator[Rig]:
    running = start_sandbox(psa=psa, seed="demo")
    shutil.copy(example, tmp_path / "mappings.yaml")
    try:
        first = running.env[url_vars[0]]
        with (
            raw_proxy(first) as psa_proxy,
            raw_proxy(running.env["SALESBUILDR_API_URL"]) as sb_proxy,
        ):
            env = {**running.env, **FAST}
            for name in url_vars:
                env[name] = psa_proxy.via(running.env[name])
            env["SALESBUILDR_API_URL"] = sb_proxy.via(running.env["SALESBUILDR_API_URL"])
            with isolated_cli(env, tmp_path, monkeypatch):
                yield Rig(running, tmp_path, psa_proxy, sb_proxy, env)
    finally:
        running.stop()


@pytest.fixture
def cw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    register_simulator("connectwise", "reconciler.sandbox.connectwise:sandbox_hook")
    yield from _rig("connectwise", ("CONNECTWISE_API_URL",), CW_EXAMPLE, tmp_path, monkeypatch)


@pytest.fixture
def halo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    register_simulator("halopsa", HALO_HOOK)
    names = ("HALOPSA_URL", "HALOPSA_AUTH_URL")
    yield from _rig("halopsa", names, HALO_EXAMPLE, tmp_path, monkeypatch)


def _server_fault(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert SERVER_FAULT in result.output, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def _answer(raw: Raw) -> Any:
    return lambda forward: raw


# --- the size cap ---------------------------------------------------------------------------


def test_an_endless_answer_stops_at_the_default_cap(cw: Rig) -> None:
    rule = cw.psa.rule("GET", CALLBACKS, _answer(Raw(200, endless())))
    planned = cw.cli("plan", "mappings.yaml")
    _server_fault(
        planned,
        "larger than the 64 MiB cap",
        f"connectwise: GET {CW_BASE}/system/callbacks",
    )
    assert rule.hits == 1  # a server fault: not retried
    # It could send the cap and what the sockets buffer, never the rest of a 3 GB answer.
    assert DEFAULT_MAX_RESPONSE_BYTES <= rule.sent < DEFAULT_MAX_RESPONSE_BYTES + 32 * MiB


def test_a_declared_length_over_the_cap_is_refused_before_reading(cw: Rig) -> None:
    rule = cw.psa.rule("GET", BOARDS, _answer(Raw(200, length=3 * 1024 * MiB)))
    planned = cw.cli("plan", "mappings.yaml")
    _server_fault(planned, "3,221,225,472 bytes declared", f"GET {CW_BASE}/service/boards")
    assert rule.hits == 1


def test_the_cap_is_set_on_the_command_line_or_in_the_real_environment(cw: Rig) -> None:
    big = json.dumps([{"id": 1, "name": "x" * (2 * MiB)}]).encode()
    cw.psa.rule("GET", BOARDS, _answer(Raw(200, big, {"content-type": "application/json"})))
    lowered = cw.cli("--max-response-size", str(MiB), "plan", "mappings.yaml")
    _server_fault(lowered, "larger than the 1 MiB cap")
    cw.env["RECONCILE_MAX_RESPONSE_SIZE"] = str(MiB)
    _server_fault(cw.cli("plan", "mappings.yaml"), "larger than the 1 MiB cap")
    raised = cw.cli("--max-response-size", str(4 * MiB), "plan", "mappings.yaml")
    assert "cap" not in raised.output, raised.output
    assert MAX_RESPONSE_BYTES.get() == DEFAULT_MAX_RESPONSE_BYTES  # for that command only


# --- malformed ConnectWise answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "raw", "said"),
    [
        (CALLBACKS, json_answer([{"id": "abc", "description": "x"}]), "has no numeric id"),
        (BOARDS, json_answer([{}]), "has no numeric id"),
        (BOARDS, json_answer([1]), "not a JSON array of objects"),
        (BOARDS, json_answer({"id": 1}), "not a JSON array of objects"),
        (BOARDS, Raw(200, b"<html>oops</html>"), "the answer was not JSON"),
        (BOARDS, Raw(200, deep_json()), "nests too deeply"),
    ],
    ids=["id-not-a-number", "row-without-id", "row-not-object", "not-a-list", "html", "deep"],
)
def test_malformed_connectwise_lists_are_server_faults(
    cw: Rig, route: str, raw: Raw, said: str
) -> None:
    cw.psa.rule("GET", route, _answer(raw))
    _server_fault(cw.cli("plan", "mappings.yaml"), "ConnectWise: ", said)


def test_a_link_header_holding_an_escape_is_not_followed(cw: Rig) -> None:
    def with_link(forward: Forward) -> Raw:
        upstream = forward()
        link = f'<{cw.psa.url}{CW_BASE}/service/boards?page=2\x1b[2J>; rel="next"'
        return Raw(200, upstream.content, {"content-type": "application/json", "Link": link})

    followed = cw.psa.rule("GET", BOARDS, with_link)  # the demo has boards: page 1 has rows
    planned = cw.cli("plan", "mappings.yaml")
    _server_fault(planned, "the next page link is not a valid URL; not followed")
    assert "\x1b" not in planned.output
    assert followed.hits == 1


# --- malformed Salesbuildr answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "raw", "said"),
    [
        ("/integration/connectwise/settings/categories$", json_answer([]), "not a JSON object"),
        ("/integration/connectwise/settings/categories$", json_answer("x"), "not a JSON object"),
        (
            "/integration/connectwise/settings/categories$",
            json_answer({"mappings": 5, "dataSources": []}),
            "its 'mappings' was not a JSON array of objects",
        ),
        ("/integration/connectwise/settings/companies$", Raw(200, deep_json()), "nests too"),
        ("/category$", json_answer({"results": [{"name": "x"}], "total": 1}), "no usable 'id'"),
        ("/category$", json_answer([1, 2]), "not a JSON object"),
        ("/category$", json_answer({"results": 7}), "'results' was not a JSON array"),
    ],
    ids=["doc-list", "doc-string", "doc-rows", "doc-deep", "ref-no-id", "ref-list", "ref-rows"],
)
def test_malformed_salesbuildr_answers_are_server_faults(
    cw: Rig, route: str, raw: Raw, said: str
) -> None:
    cw.salesbuildr.rule("GET", route, _answer(raw))
    _server_fault(cw.cli("plan", "mappings.yaml"), "Salesbuildr: ", said)


# --- odd answers to accepted writes -----------------------------------------------------------


def _committed_then(raw: Raw) -> Any:
    def answer(forward: Forward) -> Raw:
        assert forward().is_success  # the simulator did the write
        return raw

    return answer


@pytest.mark.parametrize(
    "raw",
    [
        json_answer({"id": "abc"}, status=201),
        json_answer([], status=201),
        Raw(201, b"created"),
        Raw(201, endless()),
    ],
    ids=["id-abc", "not-an-object", "not-json", "endless"],
)
def test_a_connectwise_create_answered_oddly_is_adopted(cw: Rig, raw: Raw) -> None:
    posts = cw.psa.rule("POST", CALLBACKS, _committed_then(raw))
    # (a lower cap: the endless answer stops sooner)
    applied = cw.cli("--max-response-size", str(MiB), "apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert posts.hits == 3

    creates = [r for r in cw.journal() if r["request"] == "POST system/callbacks"]
    assert {r["outcome"] for r in creates} == {"adopted"}, creates
    with cw_api(cw.sandbox.env) as api:
        rows = api.get("system/callbacks").json()
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in creates)  # none twice
    assert cw.cli("plan", "mappings.yaml", "--detailed-exitcode").exit_code == 0


# --- HaloPSA --------------------------------------------------------------------------------


def test_a_halo_list_of_numbers_is_a_server_fault(halo: Rig) -> None:
    halo.psa.rule("GET", r"/api/Webhook$", _answer(json_answer([1])))
    _server_fault(halo.cli("plan", "mappings.yaml"), "the Webhook list was not a JSON array")


def test_a_deep_halo_answer_is_a_server_fault(halo: Rig) -> None:
    halo.psa.rule("GET", r"/api/Webhook$", _answer(Raw(200, deep_json())))
    _server_fault(halo.cli("plan", "mappings.yaml"), "HaloPSA: the answer nests too deeply")


def test_a_halo_token_holding_crlf_is_never_sent(halo: Rig) -> None:
    token = "zq9v\r\nX-Injected: yes"
    issued = json_answer({"access_token": token, "expires_in": 3600})
    halo.psa.rule("POST", r"/auth/token$", _answer(issued))
    api = halo.psa.rule("GET", r"/api/", _answer(json_answer([])))  # must never be asked
    planned = halo.cli("plan", "mappings.yaml")
    _server_fault(planned, "the access token holds characters a bearer token may not")
    assert "X-Injected" not in planned.output and "zq9v" not in planned.output
    assert api.hits == 0


def test_an_endless_halo_token_answer_stops_at_the_cap(halo: Rig) -> None:
    rule = halo.psa.rule("POST", r"/auth/token$", _answer(Raw(200, endless())))
    planned = halo.cli("--max-response-size", str(MiB), "plan", "mappings.yaml")
    _server_fault(planned, "larger than the 1 MiB cap", "POST /auth/token")
    # Each reader thread asks once (none retries a server fault); each answer stopped early.
    assert 1 <= rule.hits <= 16 and rule.sent < rule.hits * 16 * MiB


def test_a_halo_document_with_rows_that_are_not_objects_is_a_server_fault(halo: Rig) -> None:
    page = r"/integration/halopsa/settings/products$"

    def rows_of_numbers(forward: Forward) -> Raw:
        body = forward().json()
        return json_answer({**body, "categories": [1, 2]})

    halo.salesbuildr.rule("GET", page, rows_of_numbers)
    _server_fault(
        halo.cli("plan", "mappings.yaml"),
        "Salesbuildr: its 'categories' was not a JSON array of objects",
        "salesbuildr: GET /integration/halopsa/settings/products",
    )


@pytest.mark.parametrize(
    "raw",
    [json_answer([{}]), json_answer([{"id": None}]), Raw(200, b"ok")],
    ids=["empty-object", "null-id", "not-json"],
)
def test_a_halo_webhook_create_answered_oddly_is_adopted(halo: Rig, raw: Raw) -> None:
    halo.psa.rule("POST", r"/api/Webhook$", _committed_then(raw))
    applied = halo.cli("apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    [create] = [r for r in halo.journal() if r["request"] == "POST /Webhook"]
    assert create["outcome"] == "adopted", create
    [hook] = [
        w for w in halo_list(halo.sandbox.env, "Webhook") if w["name"] == "Salesbuildr tickets"
    ]
    assert create["id"] == hook["id"]
    assert halo.cli("plan", "mappings.yaml", "--detailed-exitcode").exit_code == 0


# --- Autotask -------------------------------------------------------------------------------

AUTOTASK_YAML = """\
version: 1
inventory:
  locations:
    Main Warehouse: {active: true, default: true, track_stock: true}
    Overflow Warehouse: {active: true, track_stock: true}
"""


@pytest.fixture
def autotask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    (tmp_path / "example.yaml").write_text(AUTOTASK_YAML)
    yield from _rig(
        "autotask", ("AUTOTASK_API_URL",), tmp_path / "example.yaml", tmp_path, monkeypatch
    )


@pytest.mark.parametrize(
    "raw",
    [json_answer({"itemId": "abc"}), json_answer({}), Raw(200, b"<ok/>")],
    ids=["id-abc", "no-id", "not-json"],
)
def test_an_autotask_create_answered_oddly_is_adopted(autotask: Rig, raw: Raw) -> None:
    posts = autotask.psa.rule("POST", r"/V1.0/InventoryLocations$", _committed_then(raw))
    applied = autotask.cli("apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert posts.hits == 1

    [create] = [r for r in autotask.journal() if r["request"] == "POST InventoryLocations"]
    assert create["outcome"] == "adopted", create
    assert isinstance(create["id"], int)
    assert autotask.cli("plan", "mappings.yaml", "--detailed-exitcode").exit_code == 0
