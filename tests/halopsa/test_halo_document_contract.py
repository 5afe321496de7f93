"""The HaloPSA Salesbuildr documents: the client's copy (``reconciler/psa/halopsa/
salesbuildr_documents.json``) and the simulator's (``reconciler/sandbox/salesbuildr/documents/
halopsa.json``, which adds only ``x-`` keywords) agree; every page the client's adapter names is
in the contract; and what a real apply of ``examples/halopsa/mappings.yaml`` PUTs validates
against the client's copy with a standard validator (``jsonschema``), not the simulator's."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.psa.halopsa.documents import DOCUMENTS, RECEIVER_DOCUMENT
from reconciler.psa.halopsa.kinds_documents import PAGES
from reconciler.sandbox.common import Sandbox
from reconciler.sandbox.salesbuildr.documents import psa_documents, psa_lists
from tests.halopsa.engine_support import start_halo
from tests.sandbox.test_document_contract import (
    client_copy,
    page_validator,
    recording,
    simulator_copy,
    without_extensions,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "halopsa" / "mappings.yaml"


def test_both_copies_agree_and_are_schemas() -> None:
    client, simulator = client_copy("halopsa"), simulator_copy("halopsa")
    for copy in (client, simulator):
        jsonschema.Draft202012Validator.check_schema(copy)
    assert client == without_extensions(simulator)
    assert '"x-' not in json.dumps(client)


def test_every_page_the_adapter_reads_is_in_the_contract() -> None:
    pages = set(client_copy("halopsa")["$defs"])
    assert set(DOCUMENTS.documents_for([*PAGES, "webhooks"])) == pages
    assert set(psa_documents()["halopsa"]) == pages
    assert RECEIVER_DOCUMENT in pages


def test_the_reference_lists_the_kinds_name_are_served() -> None:
    lists = psa_lists()["halopsa"]
    assert set(lists) == {"product-types", "opportunity-statuses"}
    for rows in lists.values():
        assert rows and all(set(row) == {"key", "name"} for row in rows)


@pytest.fixture
def written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bytes]]]:
    """The settings documents a real apply of the HaloPSA example writes to a demo sandbox."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLE, tmp_path / "mappings.yaml")
    sandbox: Sandbox = start_halo("demo")
    bodies: list[tuple[str, bytes]] = []
    middleware = sandbox.salesbuildr.middleware
    api: Callable[[Any, Any, Any], Awaitable[None]] = middleware.app
    middleware.app = recording(api, bodies)
    try:
        args = ["apply", "mappings.yaml", "--auto-approve"]
        result = CliRunner().invoke(cli, args, env=sandbox.env)
        assert result.exit_code == 0, result.output
        yield bodies
    finally:
        sandbox.stop()


def test_what_an_apply_writes_validates_against_the_clients_copy(
    written: list[tuple[str, bytes]],
) -> None:
    client = client_copy("halopsa")
    prefix = "/public-api/integration/halopsa/settings/"
    pages = set()
    for path, raw in written:
        assert path.startswith(prefix), path
        page = path.removeprefix(prefix)
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in page_validator(client, page).iter_errors(json.loads(raw))
        ]
        assert errors == [], (page, errors)
        pages.add(page)
    assert pages == set(PAGES.values()), sorted(pages)  # every page of the example: not vacuous
