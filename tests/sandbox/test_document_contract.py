"""The Salesbuildr settings documents: the client's copy and the simulator's agree, and hold.

Each side of the wire keeps its own copy of a PSA's documents (one JSON Schema per admin page):
the client's in its PSA package (``reconciler/psa/<psa>/salesbuildr_documents.json``), the
simulator's in ``reconciler/sandbox/salesbuildr/documents/<psa>.json``, which adds only ``x-``
keywords for its own checks. Here: both are valid JSON Schemas and the same without those
keywords; every page's defaults are valid PUT bodies; and what the client really writes in an
apply of each PSA's example (``examples/mappings.yaml``, ``examples/connectwise/mappings.yaml``)
validates against the client's copy, page by page, with a standard validator (``jsonschema``),
not the simulator's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from click.testing import CliRunner
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.cli import cli
from reconciler.psa import registry
from reconciler.sandbox.common import Sandbox, register_simulator, serve_in_thread, start_sandbox
from reconciler.sandbox.salesbuildr import SalesbuildrSimulator, documents
from reconciler.sandbox.salesbuildr.documents import default_document, psa_documents
from reconciler.sandbox.salesbuildr.seed_settings import default_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
SIMULATOR_DOCUMENTS = REPO / "reconciler" / "sandbox" / "salesbuildr" / "documents"
PSAS = sorted(path.stem for path in SIMULATOR_DOCUMENTS.glob("*.json"))

# The Autotask pages' stored defaults before they became data (the old salesbuildr_seed.py):
# the schema's defaults must give exactly these.
AUTOTASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "billing-codes": {"defaultBillingCodeId": None, "categories": []},
    "company-types": {"toSalesbuildr": [], "toAutotask": []},
    "company-udfs": {"mappings": []},
    "product-import": {
        "synchronizeToAutotask": False,
        "prependInternalProductId": False,
        "prependMpnToServiceName": False,
        "mpnEnrichment": "none",
        "manufacturerCompanyType": None,
        "roles": [],
        "productCategories": [],
        "services": [],
    },
    "inventory": {"locations": []},
    "opportunity-udfs": {"mappings": []},
    "webhook-receiver": {"secret": None},
    "purchase-order": {
        "createTicket": False,
        "billingCodeId": None,
        "queueId": None,
        "issueType": None,
        "subIssueType": None,
        "ticketCategory": None,
        "priority": None,
        "source": None,
        "dueDateOffsetDays": 0,
    },
}


def simulator_copy(psa: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SIMULATOR_DOCUMENTS / f"{psa}.json").read_text())
    return loaded


def client_copy(psa: str) -> dict[str, Any]:
    path = REPO / "reconciler" / "psa" / psa / "salesbuildr_documents.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def without_extensions(node: Any) -> Any:
    """``node`` without the simulator's own keywords (``x-...``) at any depth."""
    if isinstance(node, dict):
        return {k: without_extensions(v) for k, v in node.items() if not k.startswith("x-")}
    if isinstance(node, list):
        return [without_extensions(v) for v in node]
    return node


def page_validator(copy: dict[str, Any], page: str) -> jsonschema.Draft202012Validator:
    """A standard validator of one page's schema (``$defs/<page>`` of the file)."""
    schema = {"$schema": copy["$schema"], "$defs": copy["$defs"], "$ref": f"#/$defs/{page}"}
    return jsonschema.Draft202012Validator(schema)


def test_every_psa_of_the_simulator_has_documents() -> None:
    assert "autotask" in PSAS
    assert set(psa_documents()) == set(PSAS)


@pytest.mark.parametrize("psa", PSAS)
def test_both_copies_are_json_schemas(psa: str) -> None:
    for copy in (simulator_copy(psa), client_copy(psa)):
        jsonschema.Draft202012Validator.check_schema(copy)
        assert copy["$defs"], "no page"


@pytest.mark.parametrize("psa", PSAS)
def test_the_client_and_the_simulator_agree(psa: str) -> None:
    assert client_copy(psa) == without_extensions(simulator_copy(psa))
    assert not json.dumps(client_copy(psa)).count('"x-'), "the client's copy has x- keywords"


@pytest.mark.parametrize("psa", PSAS)
def test_a_fresh_page_is_a_valid_put_body(psa: str) -> None:
    """A fresh tenant's documents are valid as they are, but for write-only secrets (unset)."""
    client = client_copy(psa)
    for page, schema in psa_documents()[psa].items():
        write_only = {k for k, p in schema["properties"].items() if p.get("writeOnly")}
        body = {k: v for k, v in default_document(schema).items() if k not in write_only}
        errors = [
            e.message
            for e in page_validator(client, page).iter_errors(body)
            if not (e.validator == "required" and any(repr(k) in e.message for k in write_only))
        ]
        assert errors == [], (page, errors)


def test_the_autotask_defaults_are_those_of_before() -> None:
    assert default_settings("autotask") == AUTOTASK_DEFAULTS
    assert list(psa_documents()["autotask"]) == list(AUTOTASK_DEFAULTS)


# --- what the client writes -------------------------------------------------------------------


def recording(app: ASGIApp, bodies: list[tuple[str, bytes]]) -> ASGIApp:
    """``app`` that also keeps the raw body of every ``PUT .../settings/<page>``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT" or "/settings/" not in scope["path"]:
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    bodies.append((scope["path"], b"".join(chunks)))
            return message

        await app(scope, keep, send)

    return wrapped


APPLIED = {
    # psa -> (its example, the seed it names, extra environment, pages it must write at least)
    "autotask": (EXAMPLE, "empty", {}, 6),
    "connectwise": (
        REPO / "examples" / "connectwise" / "mappings.yaml",
        "demo",
        {"CONNECTWISE_REQUESTS_PER_MINUTE": "1000000"},  # the rate cap has its own tests
        5,
    ),
}


@pytest.fixture(params=sorted(APPLIED))
def written(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """The settings documents a real apply of a PSA's example writes to its sandbox."""
    psa = str(request.param)
    example, seed, extra, _ = APPLIED[psa]
    monkeypatch.chdir(tmp_path)
    if psa != "autotask":
        register_simulator(psa, registry.get(psa).simulator.launcher)  # type: ignore[union-attr]
    sandbox: Sandbox = start_sandbox(seed=seed, psa=psa)
    bodies: list[tuple[str, bytes]] = []
    middleware = sandbox.salesbuildr.middleware
    api: Callable[[Scope, Receive, Send], Awaitable[None]] = middleware.app
    middleware.app = recording(api, bodies)
    try:
        env = {**sandbox.env, **extra}
        result = CliRunner().invoke(cli, ["apply", str(example), "--auto-approve"], env=env)
        assert result.exit_code == 0, result.output
        yield psa, bodies
    finally:
        sandbox.stop()


def test_what_an_apply_writes_validates_against_the_clients_copy(
    written: tuple[str, list[tuple[str, bytes]]],
) -> None:
    psa, written_bodies = written
    client = client_copy(psa)
    prefix = f"/public-api/integration/{psa}/settings/"
    pages = set()
    for path, raw in written_bodies:
        assert path.startswith(prefix), path
        page = path.removeprefix(prefix)
        assert page in client["$defs"], f"the client wrote a page the contract lacks: {page}"
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in page_validator(client, page).iter_errors(json.loads(raw))
        ]
        assert errors == [], (page, errors)
        pages.add(page)
    # The example configures most pages: the check is not vacuous.
    assert len(pages) >= APPLIED[psa][3], sorted(pages)


# --- a PSA is a data file ---------------------------------------------------------------------

ANOTHER_PSA = {
    "opportunity-status": {
        "type": "object",
        "properties": {
            "mappings": {
                "type": "array",
                "default": [],
                "items": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "minLength": 1, "maxLength": 50},
                        "stage": {"type": "string", "x-known": {"table": "nope", "what": "x"}},
                    },
                    "required": ["status", "stage"],
                    "additionalProperties": False,
                },
                "x-unique": [{"keys": ["status"], "what": "status"}],
            }
        },
        "required": ["mappings"],
        "additionalProperties": False,
    }
}


def test_a_documents_file_alone_serves_a_new_psa(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a documents/<psa>.json adds: its pages, lock and jobs under /integration/<psa>/."""
    every = {**psa_documents(), "examplepsa": ANOTHER_PSA}
    monkeypatch.setattr(documents, "psa_documents", lambda: every)
    for module in ("app", "seed_settings"):
        monkeypatch.setattr(f"reconciler.sandbox.salesbuildr.{module}.psa_documents", lambda: every)
    sim = SalesbuildrSimulator(api_key="k", seed="demo")
    server = serve_in_thread(sim.app)
    base = f"{server.url}/public-api/integration/examplepsa"
    try:
        with httpx.Client(headers={"api-key": "k"}) as client:
            read = client.get(f"{base}/settings/opportunity-status")
            assert read.status_code == 200
            assert read.json() == {"mappings": []}
            row = {"status": "Won", "stage": "anything: no cache of this PSA"}
            bad = client.put(
                f"{base}/settings/opportunity-status",
                json={"mappings": [row, {**row}], "extra": 1},
                headers={"If-Match": read.headers["ETag"]},
            )
            assert bad.status_code == 422
            paths = {e["path"] for e in bad.json()["errors"]}
            assert paths == {"extra"}, bad.json()
            twice = client.put(
                f"{base}/settings/opportunity-status",
                json={"mappings": [row, {**row}]},
                headers={"If-Match": read.headers["ETag"]},
            )
            assert twice.status_code == 422
            assert [e["path"] for e in twice.json()["errors"]] == ["mappings[1].status"]
            good = client.put(
                f"{base}/settings/opportunity-status",
                json={"mappings": [row]},
                headers={"If-Match": read.headers["ETag"]},
            )
            assert good.status_code == 200, good.text
            assert good.json() == {"mappings": [row]}
            assert client.get(f"{base}/lock").status_code == 404
            autotask = client.get(
                f"{server.url}/public-api/integration/autotask/settings/inventory"
            )
            assert autotask.status_code == 200
        assert sim.settings("opportunity-status", "examplepsa") == {"mappings": [row]}
    finally:
        sim.close()
        server.stop()
