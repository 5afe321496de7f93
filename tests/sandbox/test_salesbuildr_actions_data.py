"""A PSA's sync modes, product import and delivery report are data (``x-actions`` of its
documents file): a new PSA's file alone gets its ``sync``/``import`` routes and jobs, with the
counts its rules derive; a file without them offers none (404, no route)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.common import serve_in_thread
from reconciler.sandbox.salesbuildr import SalesbuildrSimulator, documents
from reconciler.sandbox.salesbuildr.documents import psa_actions, psa_documents
from reconciler.sandbox.salesbuildr.seed import imported_count

PAGES = {
    "categories": {
        "type": "object",
        "properties": {
            "mappings": {
                "type": "array",
                "default": [],
                "items": {
                    "type": "object",
                    "properties": {
                        "psaCategoryId": {"type": "integer"},
                        "categoryId": {"type": "string"},
                        "importedCount": {"type": "integer", "readOnly": True, "default": 0},
                    },
                    "required": ["psaCategoryId", "categoryId"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["mappings"],
        "additionalProperties": False,
    }
}
ACTIONS = {
    "sync": {
        "full": {
            "companies": {"nominal": {"empty": 3, "demo": 7, "large": 9}},
            "mapped": {
                "rows": {"document": "categories", "list": "mappings", "where": "categoryId"}
            },
        }
    },
    "import": {"document": "categories", "tables": {"mappings": "psaCategoryId"}},
}


@pytest.fixture
def base(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[httpx.Client, str]]:
    every = {**psa_documents(), "withactions": PAGES, "bare": PAGES}
    actions = {**psa_actions(), "withactions": ACTIONS, "bare": {}}
    monkeypatch.setattr(documents, "psa_documents", lambda: every)
    for module in ("app", "seed_settings"):
        monkeypatch.setattr(f"reconciler.sandbox.salesbuildr.{module}.psa_documents", lambda: every)
    monkeypatch.setattr("reconciler.sandbox.salesbuildr.app.psa_actions", lambda: actions)
    sim = SalesbuildrSimulator(api_key="k", seed="demo")
    server = serve_in_thread(sim.app)
    try:
        with httpx.Client(headers={"api-key": "k"}) as client:
            yield client, f"{server.url}/public-api/integration"
    finally:
        server.stop()


def finished(client: httpx.Client, location: str) -> dict[str, Any]:
    for _ in range(10):  # one step per poll: queued, running, succeeded
        view: dict[str, Any] = client.get(location).json()
        if view["status"] in ("succeeded", "failed"):
            return view
    raise AssertionError(f"{location} did not finish in 10 polls")


def test_the_sync_modes_and_counts_of_a_new_psa_are_its_data(
    base: tuple[httpx.Client, str],
) -> None:
    client, root = base
    url = f"{root}/withactions"
    page = client.get(f"{url}/settings/categories")
    rows = [{"psaCategoryId": 5, "categoryId": "c-hw"}, {"psaCategoryId": 6, "categoryId": "c-ms"}]
    put = client.put(
        f"{url}/settings/categories",
        json={"mappings": rows},
        headers={"If-Match": page.headers["ETag"]},
    )
    assert put.status_code == 200, put.text
    refused = client.post(f"{url}/sync", json={"mode": "fields"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"path": "mode", "message": "must be one of full"}]
    started = client.post(f"{url}/sync", json={"mode": "full"})
    assert started.status_code == 202
    assert started.headers["Location"].startswith("/public-api/integration/withactions/jobs/")
    view = finished(client, f"{url}/jobs/{started.json()['jobId']}")
    assert view["counts"] == {"companies": 7, "mapped": 2}

    imported = client.post(f"{url}/import", json={"scope": "mapped"})
    assert imported.status_code == 202
    view = finished(client, f"{url}/jobs/{imported.json()['jobId']}")
    expected = {str(r["psaCategoryId"]): imported_count("mappings", 5, "c-hw") for r in rows[:1]}
    expected["6"] = imported_count("mappings", 6, "c-ms")
    assert view["counts"] == {"mappings": expected, "total": sum(expected.values())}
    after = client.get(f"{url}/settings/categories").json()["mappings"]
    assert [r["importedCount"] for r in after] == [expected["5"], expected["6"]]
    assert client.get(f"{url}/webhook-deliveries").status_code == 404  # not offered


def test_a_psa_without_actions_has_no_sync_or_import(base: tuple[httpx.Client, str]) -> None:
    client, root = base
    assert client.get(f"{root}/bare/settings/categories").status_code == 200
    assert client.post(f"{root}/bare/sync", json={"mode": "full"}).status_code == 404
    assert client.post(f"{root}/bare/import", json={"scope": "mapped"}).status_code == 404
