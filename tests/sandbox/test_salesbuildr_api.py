"""The Salesbuildr simulator's API beyond the settings: auth, paging, reference data, rate limit,
the apply lock, jobs, faults, latency and the ``/_sandbox/`` control surface (real loopback HTTP).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from reconciler.sandbox.common import serve_in_thread
from reconciler.sandbox.salesbuildr import SalesbuildrSimulator

API_KEY = "test-key"
AT = "/integration/autotask"


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def serving(**options: Any) -> Iterator[tuple[SalesbuildrSimulator, httpx.Client, str]]:
    """A simulator on loopback and a client of its API (with the key unless told otherwise)."""
    options.setdefault("api_key", API_KEY)
    sim = SalesbuildrSimulator(**options)
    server = serve_in_thread(sim.app)
    try:
        with httpx.Client(
            base_url=server.url + "/public-api", headers={"api-key": API_KEY}, timeout=30
        ) as client:
            yield sim, client, server.url
    finally:
        sim.close()
        server.stop()


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesbuildrSimulator, httpx.Client, str]]:
    with serving(seed="demo", webhook_secret="s") as served:
        yield served


@pytest.fixture
def client(shared: tuple[SalesbuildrSimulator, httpx.Client, str]) -> httpx.Client:
    sim = shared[0]
    sim.reset("demo")
    sim.set_faults({}, latency_ms=0.0)
    return shared[1]


# --- auth, paging, reference data -----------------------------------------------------------------


def test_missing_or_wrong_api_key_is_401(client: httpx.Client) -> None:
    missing = client.get("/category", headers={"api-key": ""})
    assert missing.status_code == 401
    assert missing.json() == {"message": "No API key provided"}
    wrong = client.get("/category", headers={"api-key": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Invalid API key"
    assert "X-RateLimit-Remaining" in wrong.headers


def test_categories_have_the_published_shape(client: httpx.Client) -> None:
    body = client.get("/category", params={"size": 100}).json()
    assert body["total"] == len(body["results"]) == 13
    by_id = {c["id"]: c for c in body["results"]}
    assert by_id["c-hw-laptops"] == {"id": "c-hw-laptops", "name": "Laptops", "parentId": "c-hw"}
    assert by_id["c-sw-av"]["name"] == "Security/AV"


def test_paging_with_from_and_size(client: httpx.Client) -> None:
    first = client.get("/category", params={"from": 0, "size": 5}).json()
    second = client.get("/category", params={"from": 5, "size": 5}).json()
    last = client.get("/category", params={"from": 10, "size": 5}).json()
    default = client.get("/category").json()
    assert [len(p["results"]) for p in (first, second, last)] == [5, 5, 3]
    ids = [c["id"] for p in (first, second, last) for c in p["results"]]
    assert len(set(ids)) == 13
    assert len(default["results"]) == 13 and default["total"] == 13
    beyond = client.get("/category", params={"from": 50}).json()
    assert beyond == {"results": [], "total": 13}


def test_page_size_is_clamped_to_100(
    client: httpx.Client, shared: tuple[SalesbuildrSimulator, httpx.Client, str]
) -> None:
    shared[0].reset("large")
    body = client.get("/category", params={"size": 500}).json()
    assert len(body["results"]) == 100 and body["total"] > 2000
    assert len(client.get("/category").json()["results"]) == 20


@pytest.mark.parametrize("params", [{"size": "-1"}, {"from": "x"}, {"size": "1.5"}])
def test_bad_paging_parameters_are_422(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/category", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] in params


def test_company_types(client: httpx.Client) -> None:
    body = client.get(f"{AT}/company-types").json()
    assert {"key": "customer", "name": "Customer"} in body["results"]
    assert body["total"] == 4


def test_data_points_per_entity(client: httpx.Client) -> None:
    company = client.get(f"{AT}/data-points", params={"entity": "company"}).json()["results"]
    opportunity = client.get(f"{AT}/data-points", params={"entity": "opportunity"}).json()
    tier = next(d for d in company if d["id"] == "dp-c-tier")
    assert tier == {
        "id": "dp-c-tier",
        "name": "Contract tier",
        "group": None,
        "type": "select",
        "multiSelect": False,
        "companyTypes": ["customer"],
    }
    assert {d["id"] for d in opportunity["results"]} == {"dp-o-margin", "dp-o-ref", "dp-o-quarter"}
    assert client.get(f"{AT}/data-points").status_code == 422
    assert client.get(f"{AT}/data-points", params={"entity": "ticket"}).status_code == 422


def test_category_usage(client: httpx.Client) -> None:
    body = client.get(f"{AT}/category-usage").json()
    assert {"categoryId": "c-ms", "productCount": 0, "serviceCount": 7} in body["results"]


def test_unknown_route_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    assert client.get("/nothing-here").status_code == 404
    assert client.delete("/category").status_code == 405


# --- rate limit -----------------------------------------------------------------------------------


def test_rate_limit_then_429_with_retry_after() -> None:
    clock = FakeClock()
    with serving(seed="empty", rate_limit=3, rate_window_s=60, clock=clock) as (_, client, url):
        remaining = [
            int(client.get("/category").headers["X-RateLimit-Remaining"]) for _ in range(3)
        ]
        assert remaining == [2, 1, 0]
        clock.advance(10)
        refused = client.get("/category")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "50"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert "message" in refused.json()
        # The receiver and the control surface are exempt.
        assert httpx.post(url + "/webhooks/autotask", content=b"{}").status_code == 401
        assert httpx.get(url + "/_sandbox/stats").status_code == 200
        clock.advance(50)
        again = client.get("/category")
        assert again.status_code == 200
        assert again.headers["X-RateLimit-Remaining"] == "2"


# --- the apply lock -------------------------------------------------------------------------------


def test_lock_acquire_refresh_conflict_release() -> None:
    clock = FakeClock()
    with serving(seed="empty", clock=clock) as (_, client, _url):
        assert client.get(f"{AT}/lock").status_code == 404
        first = client.put(f"{AT}/lock", json={"owner": "ann@host:1", "ttlSeconds": 900})
        assert first.status_code == 201
        assert set(first.json()) == {"owner", "acquiredAt", "expiresAt"}
        assert first.json()["owner"] == "ann@host:1"
        clock.advance(100)
        refreshed = client.put(f"{AT}/lock", json={"owner": "ann@host:1", "ttlSeconds": 900})
        assert refreshed.status_code == 201
        assert refreshed.json()["acquiredAt"] == first.json()["acquiredAt"]
        assert refreshed.json()["expiresAt"] > first.json()["expiresAt"]
        other = client.put(f"{AT}/lock", json={"owner": "bob@ci:2", "ttlSeconds": 60})
        assert other.status_code == 409
        assert other.json() == refreshed.json()
        assert client.get(f"{AT}/lock").json() == refreshed.json()
        denied = client.delete(f"{AT}/lock", headers={"X-Lock-Owner": "bob@ci:2"})
        assert denied.status_code == 409
        assert denied.json()["owner"] == "ann@host:1"
        released = client.delete(f"{AT}/lock", headers={"X-Lock-Owner": "ann@host:1"})
        assert released.status_code == 204
        assert client.get(f"{AT}/lock").status_code == 404
        again = client.delete(f"{AT}/lock", headers={"X-Lock-Owner": "ann@host:1"})
        assert again.status_code == 204


def test_lock_force_release_and_expiry() -> None:
    clock = FakeClock()
    with serving(seed="empty", clock=clock) as (_, client, _url):
        client.put(f"{AT}/lock", json={"owner": "ann@host:1", "ttlSeconds": 60})
        forced = client.delete(
            f"{AT}/lock", params={"force": "true"}, headers={"X-Lock-Owner": "bob"}
        )
        assert forced.status_code == 204
        assert client.put(f"{AT}/lock", json={"owner": "bob", "ttlSeconds": 60}).status_code == 201
        clock.advance(59)
        assert client.put(f"{AT}/lock", json={"owner": "ann", "ttlSeconds": 60}).status_code == 409
        clock.advance(1)
        assert client.get(f"{AT}/lock").status_code == 404
        assert client.put(f"{AT}/lock", json={"owner": "ann", "ttlSeconds": 60}).status_code == 201


def test_the_control_surface_expires_a_long_lock_at_once() -> None:
    """``POST /_sandbox/expire-lock`` ends the TTL now, as if the clock had run out: the lock
    is gone, another owner acquires it, and nothing else about the lock's rules changes."""
    clock = FakeClock()
    with serving(seed="empty", clock=clock) as (_, client, url):
        assert httpx.post(url + "/_sandbox/expire-lock", timeout=30).status_code == 404
        held = client.put(f"{AT}/lock", json={"owner": "ann@host:1", "ttlSeconds": 86_400})
        assert held.status_code == 201
        assert client.put(f"{AT}/lock", json={"owner": "bob", "ttlSeconds": 60}).status_code == 409

        expired = httpx.post(url + "/_sandbox/expire-lock", timeout=30)

        assert expired.status_code == 200
        assert expired.json() == {"expired": held.json()}
        assert client.get(f"{AT}/lock").status_code == 404
        assert client.put(f"{AT}/lock", json={"owner": "bob", "ttlSeconds": 60}).status_code == 201
        assert client.get(f"{AT}/lock").json()["owner"] == "bob"
        assert httpx.get(url + "/_sandbox/stats", timeout=30).json()["requests"] == 5, (
            "the control surface is not counted"
        )


@pytest.mark.parametrize(
    "body",
    [
        {"owner": "", "ttlSeconds": 60},
        {"owner": "a", "ttlSeconds": 0},
        {"owner": "a", "ttlSeconds": True},
        {"owner": "a"},
        {"owner": "a", "ttlSeconds": 60, "extra": 1},
        ["owner"],
    ],
)
def test_lock_body_is_validated(client: httpx.Client, body: Any) -> None:
    assert client.put(f"{AT}/lock", json=body).status_code == 422


def test_lock_delete_needs_an_owner_or_force(client: httpx.Client) -> None:
    assert client.delete(f"{AT}/lock").status_code == 422
    assert client.delete(f"{AT}/lock", params={"force": "true"}).status_code == 204


# --- jobs -----------------------------------------------------------------------------------------


def poll_statuses(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    return [client.get(f"{AT}/jobs/{job_id}").json() for _ in range(4)]


@pytest.mark.parametrize(
    ("mode", "keys"),
    [
        ("full", {"companies", "contacts", "products", "services", "fieldValues"}),
        ("fields", {"fieldValues"}),
        ("inventory", {"locations"}),
    ],
)
def test_sync_job_advances_on_polls(client: httpx.Client, mode: str, keys: set[str]) -> None:
    started = client.post(f"{AT}/sync", json={"mode": mode})
    assert started.status_code == 202
    job_id = started.json()["jobId"]
    views = poll_statuses(client, job_id)
    assert [v["status"] for v in views] == ["queued", "running", "succeeded", "succeeded"]
    assert views[0]["counts"] == {} and views[0]["error"] is None
    assert set(views[2]["counts"]) == keys
    assert all(isinstance(n, int) for n in views[2]["counts"].values())


def test_job_advances_with_time_when_nobody_polls() -> None:
    clock = FakeClock()
    with serving(seed="demo", clock=clock) as (_, client, _url):
        job_id = client.post(f"{AT}/sync", json={"mode": "fields"}).json()["jobId"]
        clock.advance(0.45)
        assert client.get(f"{AT}/jobs/{job_id}").json()["status"] == "succeeded"


def test_import_mapped_counts_per_role_category_and_service(client: httpx.Client) -> None:
    section = client.get(f"{AT}/settings/product-import")
    body = section.json()
    body["productCategories"] = [{"productCategory": 1, "categoryId": "c-hw"}]
    body["services"] = [{"serviceId": 12, "categoryId": "c-ms"}]
    put = client.put(
        f"{AT}/settings/product-import", json=body, headers={"If-Match": section.headers["ETag"]}
    )
    assert put.status_code == 200
    job_id = client.post(f"{AT}/import", json={"scope": "mapped"}).json()["jobId"]
    done = poll_statuses(client, job_id)[-1]
    assert done["status"] == "succeeded"
    counts = done["counts"]
    assert set(counts) == {"roles", "productCategories", "services", "total"}
    assert set(counts["roles"]) == {"29683301"}
    assert set(counts["productCategories"]) == {"1"}
    assert set(counts["services"]) == {"12"}
    assert counts["total"] == sum(
        sum(counts[t].values()) for t in ("roles", "productCategories", "services")
    )
    after = client.get(f"{AT}/settings/product-import")
    assert after.headers["ETag"] == put.headers["ETag"], "importedCount does not version"
    assert after.json()["services"][0]["importedCount"] == counts["services"]["12"]
    assert after.json()["productCategories"][0]["importedCount"] == counts["productCategories"]["1"]


def test_import_of_categories_covers_their_subtree(client: httpx.Client) -> None:
    job = client.post(f"{AT}/import", json={"scope": "categories", "categoryIds": ["c-labor"]})
    assert job.status_code == 202
    counts = poll_statuses(client, job.json()["jobId"])[-1]["counts"]
    assert set(counts["roles"]) == {"29683301"}
    other = client.post(f"{AT}/import", json={"scope": "categories", "categoryIds": ["c-hw"]})
    assert poll_statuses(client, other.json()["jobId"])[-1]["counts"]["total"] == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sync", {"mode": "everything"}),
        ("/sync", {}),
        ("/sync", {"mode": "full", "extra": True}),
        ("/import", {"scope": "all"}),
        ("/import", {"scope": "categories"}),
        ("/import", {"scope": "categories", "categoryIds": []}),
        ("/import", {"scope": "categories", "categoryIds": ["c-nope"]}),
        ("/import", {"scope": "mapped", "categoryIds": ["c-hw"]}),
    ],
)
def test_action_bodies_are_validated(client: httpx.Client, path: str, body: Any) -> None:
    response = client.post(AT + path, json=body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_fail_next_job_fails_exactly_one_job(
    client: httpx.Client, shared: tuple[SalesbuildrSimulator, httpx.Client, str]
) -> None:
    armed = httpx.post(shared[2] + "/_sandbox/fail-next-job", json={"error": "Autotask said no"})
    assert armed.status_code == 200
    failing = client.post(f"{AT}/sync", json={"mode": "full"}).json()["jobId"]
    passing = client.post(f"{AT}/sync", json={"mode": "full"}).json()["jobId"]
    views = poll_statuses(client, failing)
    assert [v["status"] for v in views[:3]] == ["queued", "running", "failed"]
    assert views[2] == {"status": "failed", "counts": {}, "error": "Autotask said no"}
    assert poll_statuses(client, passing)[-1]["status"] == "succeeded"


def test_failed_import_leaves_imported_counts_alone(
    client: httpx.Client, shared: tuple[SalesbuildrSimulator, httpx.Client, str]
) -> None:
    before = client.get(f"{AT}/settings/product-import").json()
    assert httpx.post(shared[2] + "/_sandbox/fail-next-job", json={}).status_code == 200
    job_id = client.post(f"{AT}/import", json={"scope": "mapped"}).json()["jobId"]
    assert poll_statuses(client, job_id)[-1]["error"]
    assert client.get(f"{AT}/settings/product-import").json() == before


def test_unknown_job_is_404(client: httpx.Client) -> None:
    assert client.get(f"{AT}/jobs/job-999999").status_code == 404


# --- faults, latency, stats, control --------------------------------------------------------------


def test_injected_429_500_503(client: httpx.Client, shared: tuple[Any, Any, str]) -> None:
    sim: SalesbuildrSimulator = shared[0]
    sim.set_faults({"429": 1.0})
    throttled = client.get("/category")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert "X-RateLimit-Remaining" in throttled.headers
    assert "message" in throttled.json()
    sim.set_faults({"500": 1.0})
    failed = client.put(f"{AT}/lock", json={"owner": "a", "ttlSeconds": 5})
    assert failed.status_code == 500
    assert failed.json()["errors"]
    sim.set_faults({"503": 1.0})
    assert client.get(f"{AT}/lock").status_code == 503
    # The control surface never gets faults.
    assert httpx.get(shared[2] + "/_sandbox/stats").status_code == 200
    sim.set_faults({})
    assert client.get(f"{AT}/lock").status_code == 404, "the faulted PUT never ran"


def test_injected_timeout_holds_the_request() -> None:
    # Held for ten minutes: the client's 0.3 s read timeout is what ends it, on any machine.
    with serving(seed="empty", faults={"timeout": 1.0}, timeout_hold_s=600) as (sim, client, _):
        with pytest.raises(httpx.ReadTimeout):
            client.get("/category", timeout=httpx.Timeout(30, read=0.3))
        sim.set_faults({})
        assert client.get("/category").status_code == 200


def test_injected_reset_after_commit_commits_writes_only(client: httpx.Client, shared: Any) -> None:
    sim: SalesbuildrSimulator = shared[0]
    etag = client.get(f"{AT}/settings/inventory").headers["ETag"]
    sim.set_faults({"reset-after-commit": 1.0})
    assert client.get(f"{AT}/settings/inventory").status_code == 200, "reads are never reset"
    body = {"locations": [{"inventoryLocationId": 7, "trackStock": True}]}
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.put(f"{AT}/settings/inventory", json=body, headers={"If-Match": etag})
    sim.set_faults({})
    after = client.get(f"{AT}/settings/inventory")
    assert after.json() == body, "the write was committed before the connection dropped"
    assert after.headers["ETag"] != etag


def test_latency_is_added_to_api_requests_only(client: httpx.Client, shared: Any) -> None:
    """An API request takes at least the latency (a lower bound no machine can miss); with a
    latency of ten minutes the control surface still answers, and goes uncounted: it never
    passes the middleware that spends the latency."""
    sim: SalesbuildrSimulator = shared[0]
    try:
        sim.set_faults({}, latency_ms=150)
        started = time.monotonic()
        assert client.get(f"{AT}/lock").status_code == 404
        assert time.monotonic() - started >= 0.15
        sim.set_faults({}, latency_ms=600_000)
        requests = sim.stats()["requests"]
        assert httpx.get(shared[2] + "/_sandbox/stats", timeout=120).status_code == 200
        assert sim.stats()["requests"] == requests
    finally:
        sim.set_faults({}, latency_ms=0)


def test_stats_count_requests_writes_and_endpoints(client: httpx.Client, shared: Any) -> None:
    """Endpoint keys are the method and the path template; the receiver is not counted."""
    url = shared[2]
    assert httpx.post(url + "/_sandbox/reset", json={"seed": "demo"}).status_code == 200
    etag = client.get(f"{AT}/settings/inventory").headers["ETag"]
    client.put(f"{AT}/settings/inventory", json={"locations": []}, headers={"If-Match": etag})
    client.get(f"{AT}/settings/billing-codes")
    client.get("/category")
    httpx.post(url + "/webhooks/autotask", content=b"{}")
    stats = httpx.get(url + "/_sandbox/stats").json()
    assert stats == shared[0].stats()
    assert stats["requests"] == 4
    assert stats["writes"] == 1
    endpoints = stats["endpoints"]
    assert endpoints[f"GET /public-api{AT}/settings/{{section}}"] == {
        "requests": 2,
        "max_in_flight": 1,
    }
    assert endpoints[f"PUT /public-api{AT}/settings/{{section}}"]["requests"] == 1
    assert endpoints["GET /public-api/category"]["requests"] == 1


def test_reset_through_the_control_surface(client: httpx.Client, shared: Any) -> None:
    url = shared[2]
    client.put(f"{AT}/lock", json={"owner": "a", "ttlSeconds": 60})
    assert httpx.post(url + "/_sandbox/reset", json={"seed": "empty"}).status_code == 200
    assert client.get(f"{AT}/settings/billing-codes").json()["categories"] == []
    assert client.get(f"{AT}/lock").status_code == 404
    assert httpx.post(url + "/_sandbox/reset", json={"seed": "huge"}).status_code == 400
    assert httpx.post(url + "/_sandbox/reset", json={}).status_code == 400


def test_etags_never_repeat_across_resets(client: httpx.Client, shared: Any) -> None:
    before = client.get(f"{AT}/settings/inventory").headers["ETag"]
    shared[0].reset("demo")
    assert client.get(f"{AT}/settings/inventory").headers["ETag"] != before


def test_constructor_rejects_bad_options() -> None:
    with pytest.raises(ValueError):
        SalesbuildrSimulator(api_key="k", seed="nope")
    with pytest.raises(ValueError):
        SalesbuildrSimulator(api_key="k", faults={"418": 0.5})
    with pytest.raises(ValueError):
        SalesbuildrSimulator(api_key="")
