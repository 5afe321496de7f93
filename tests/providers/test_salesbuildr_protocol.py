"""The Salesbuildr client through MockTransport: paging, paths, ETags, jobs, the lock."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from reconciler.errors import ConflictError, ProviderError, UsageError
from reconciler.salesbuildr.client import (
    LockHeld,
    SalesbuildrClient,
    lock_owner,
    settings_from_env,
)
from reconciler.transport.http import RetryPolicy, SlidingWindowBudget

URL = "https://acme.salesbuildr.com/public-api"


def connect(handler: Any) -> SalesbuildrClient:
    return SalesbuildrClient.connect(
        URL,
        SecretStr("sb-key-value"),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0),
        budget=SlidingWindowBudget(1000, 600),
    )


def test_api_key_header_and_paging_over_results_total() -> None:
    categories = [{"id": f"c{i}", "name": f"Cat {i}", "parentId": None} for i in range(250)]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        start = int(request.url.params["from"])
        size = int(request.url.params["size"])
        return httpx.Response(
            200, json={"results": categories[start : start + size], "total": len(categories)}
        )

    with connect(handler) as client:
        got = client.categories()
    assert len(got) == 250
    assert len(seen) == 3
    assert seen[0].headers["api-key"] == "sb-key-value"
    assert seen[0].url.path == "/public-api/category"


def test_category_paths_are_built_from_parent_ids() -> None:
    rows = [
        {"id": "a", "name": "Software", "parentId": None},
        {"id": "b", "name": "Security/AV", "parentId": "a"},
        {"id": "c", "name": "Orphan", "parentId": "missing"},
    ]
    transport = lambda r: httpx.Response(200, json={"results": rows, "total": 3})  # noqa: E731
    with connect(transport) as client:
        paths = {c.id: c.path for c in client.categories()}
    assert paths == {"a": ("Software",), "b": ("Software", "Security/AV"), "c": ("Orphan",)}


def test_settings_read_and_write_with_etag() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json={"mappings": []}, headers={"ETag": '"v1"'})
        return httpx.Response(200, json=json.loads(request.content), headers={"ETag": '"v2"'})

    with connect(handler) as client:
        section = client.read_section("opportunity-udfs")
        written = client.write_section("opportunity-udfs", {"mappings": [1]}, section.etag)
    assert section.etag == '"v1"'
    assert written.etag == '"v2"'
    assert seen[1].headers["If-Match"] == '"v1"'
    assert seen[1].url.path == "/public-api/integration/autotask/settings/opportunity-udfs"


def test_412_names_the_section() -> None:
    handler = lambda r: httpx.Response(412, json={"message": "stale"})  # noqa: E731
    with connect(handler) as client, pytest.raises(ConflictError) as caught:
        client.write_section("billing-codes", {}, '"v1"')
    assert "billing-codes" in caught.value.message
    assert caught.value.status == 412


def test_jobs_are_polled_until_done() -> None:
    states = iter(["queued", "running", "succeeded"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            assert json.loads(request.content) == {"mode": "fields"}
            return httpx.Response(202, json={"jobId": "j1"})
        return httpx.Response(200, json={"status": next(states), "counts": {"x": 1}, "error": None})

    seen: list[str] = []
    with connect(handler) as client:
        job_id = client.start_sync("fields")
        job = client.wait_for_job(
            job_id, on_progress=lambda j: seen.append(j.status), sleep=lambda s: None
        )
    assert job.status == "succeeded"
    assert seen == ["queued", "running", "succeeded"]


def test_job_timeout() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    handler = lambda r: httpx.Response(200, json={"status": "running"})  # noqa: E731
    with connect(handler) as client, pytest.raises(ProviderError, match="did not finish"):
        client.wait_for_job("j", timeout_s=5, interval_s=1, sleep=sleep, clock=lambda: now[0])


def test_import_scope() -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(202, json={"jobId": "j"})

    with connect(handler) as client:
        client.start_import()
        client.start_import(["c1", "c2"])
    assert bodies == [{"scope": "mapped"}, {"scope": "categories", "categoryIds": ["c1", "c2"]}]


def holder_body(owner: str) -> dict[str, str]:
    return {
        "owner": owner,
        "acquiredAt": "2026-11-25T10:00:00Z",
        "expiresAt": "2026-11-25T10:15:00Z",
    }


def test_lock_held_names_the_holder() -> None:
    handler = lambda r: httpx.Response(409, json=holder_body("ci@runner-7:4242"))  # noqa: E731
    with connect(handler) as client, pytest.raises(LockHeld) as caught:
        client.acquire_lock("me@here:1")
    assert "ci@runner-7:4242" in caught.value.message
    assert caught.value.holder.pid == 4242
    assert caught.value.holder.host == "runner-7"


def test_lock_of_a_dead_local_process_is_taken_over() -> None:
    dead_owner = f"someone@{socket.gethostname()}:999999"
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.params.get('force', '')}")
        if request.method == "DELETE":
            return httpx.Response(204)
        if len(calls) == 1:
            return httpx.Response(409, json=holder_body(dead_owner))
        return httpx.Response(201, json=holder_body("me"))

    with connect(handler) as client:
        holder = client.acquire_lock_or_take_over("me", alive=lambda pid: False)
    assert holder.owner == "me"
    assert calls == ["PUT ", "DELETE true", "PUT "]


def test_lock_of_a_live_holder_waits_then_refuses() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(409, json=holder_body("other@elsewhere:1"))

    with connect(handler) as client, pytest.raises(LockHeld):
        client.acquire_lock_or_take_over(
            "me", wait_s=6, interval_s=2, sleep=sleep, clock=lambda: now[0]
        )
    assert len(attempts) == 4


def test_release_sends_owner_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with connect(handler) as client:
        client.release_lock("me@h:1")
        client.release_lock("me@h:1", force=True)
    assert seen[0].headers["X-Lock-Owner"] == "me@h:1"
    assert "force" not in seen[0].url.params
    assert seen[1].url.params["force"] == "true"


def test_lock_holder_none_when_free() -> None:
    with connect(lambda r: httpx.Response(404, json={"message": "no lock"})) as client:
        assert client.lock_holder() is None


def test_lock_owner_shape() -> None:
    owner = lock_owner()
    assert "@" in owner and owner.rsplit(":", 1)[1].isdigit()


def test_settings_from_env() -> None:
    url, key = settings_from_env({"SALESBUILDR_API_KEY": "k"}, "https://x.example/public-api")
    assert url == "https://x.example/public-api"
    assert key.get_secret_value() == "k"
    url, _ = settings_from_env(
        {"SALESBUILDR_API_KEY": "k", "SALESBUILDR_API_URL": "http://127.0.0.1:1/public-api"},
        "https://x.example/public-api",
    )
    assert url.startswith("http://127.0.0.1")
    with pytest.raises(UsageError) as caught:
        settings_from_env({}, None)
    assert "SALESBUILDR_API_URL" in caught.value.message
    assert "SALESBUILDR_API_KEY" in caught.value.message


@pytest.mark.parametrize(("level", "shown"), [("DEBUG", True), ("INFO", False)])
def test_rate_limit_remaining_is_logged_at_debug_only(
    caplog: pytest.LogCaptureFixture, level: str, shown: bool
) -> None:
    """-vv shows the remainders; -v (INFO) is one line per request and nothing else."""
    caplog.set_level(level, logger="reconciler")
    handler = lambda r: httpx.Response(  # noqa: E731
        200, json={"results": [], "total": 0}, headers={"X-RateLimit-Remaining": "417"}
    )
    with connect(handler) as client:
        client.company_types()
    assert ("417 requests left" in caplog.text) is shown
    assert "-> 200" in caplog.text
