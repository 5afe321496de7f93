"""The real Salesbuildr client against the real simulator over loopback HTTP: reference data,
settings sections with ETags, jobs, deliveries, the apply lock, and every error class the
simulator can produce."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from held_requests import held_until_in_flight
from pydantic import SecretStr

from reconciler.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    ValidationFailed,
)
from reconciler.kinds import tables as t
from reconciler.psa.autotask.client import AutotaskClient, AutotaskCredentials
from reconciler.salesbuildr.client import (
    SETTINGS_SECTIONS,
    Job,
    LockHeld,
    SalesbuildrClient,
)
from reconciler.salesbuildr.state import read_table
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.transport.http import ApiClient, RetryPolicy, SlidingWindowBudget

FAST = RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0)
HOST = socket.gethostname()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = start_sandbox(seed="demo")
    try:
        yield box
    finally:
        box.stop()


def connect(
    box: Sandbox,
    *,
    key: str | None = None,
    retry: RetryPolicy = FAST,
    timeout: float = 10.0,
) -> SalesbuildrClient:
    return SalesbuildrClient.connect(
        box.env["SALESBUILDR_API_URL"],
        SecretStr(key or box.env["SALESBUILDR_API_KEY"]),
        retry=retry,
        timeout=timeout,
        budget=SlidingWindowBudget(10_000, 600.0),
    )


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[SalesbuildrClient]:
    with connect(sandbox) as opened:
        yield opened


def served(box: Sandbox) -> int:
    requests: int = box.salesbuildr.stats()["requests"]
    return requests


@contextmanager
def faults(
    box: Sandbox, spec: Mapping[str, float], *, hold_s: float | None = None
) -> Iterator[None]:
    middleware = box.salesbuildr.middleware
    held = middleware.timeout_hold_s
    if hold_s is not None:
        middleware.timeout_hold_s = hold_s
    box.salesbuildr.set_faults(spec)
    try:
        yield
    finally:
        box.salesbuildr.set_faults(None)
        middleware.timeout_hold_s = held


# --- reference data -------------------------------------------------------------------------------


def test_categories_with_paths(client: SalesbuildrClient) -> None:
    categories = {c.id: c for c in client.categories()}
    assert len(categories) == 13
    laptops = next(c for c in categories.values() if c.name == "Laptops")
    assert laptops.path == ("Hardware", "Laptops") and laptops.parent_id == "c-hw"
    assert categories["c-hw"].parent_id is None and categories["c-hw"].path == ("Hardware",)


def test_categories_page_by_total(sandbox: Sandbox) -> None:
    sandbox.salesbuildr.reset("large")
    try:
        with connect(sandbox) as reader:
            categories = reader.categories()
            assert reader.calls == 21, "2,013 categories in pages of 100"
    finally:
        sandbox.salesbuildr.reset("demo")
    assert len(categories) == len({c.id for c in categories}) == 2013
    deep = next(c for c in categories if c.id == "c-l-01-6-1")
    assert deep.path == ("Family 01", "Line 01.6", "Model 01.6.1")


def test_pages_after_the_first_are_fetched_together_in_order(sandbox: Sandbox) -> None:
    """Page 1 gives the total; the other 20 pages then overlap (held at the simulator until 4
    are in flight, so the overlap is certain), never more than 4, with no extra call."""
    sandbox.salesbuildr.reset("large")
    try:
        with connect(sandbox) as sequential:
            sequential.page_concurrency = 1
            expected = [row["id"] for row in sequential._pages("category")]
        before = sandbox.salesbuildr.stats()["endpoints"].get("GET /public-api/category", {})
        with connect(sandbox) as reader:
            listing = reader._pages("category")
            rows = [next(listing)["id"]]  # page 1 read alone: it brings the total
            with held_until_in_flight(sandbox.salesbuildr.middleware, 4):
                rows += [row["id"] for row in listing]
            assert reader.calls == 21, "2,013 categories in pages of 100: the lower bound"
        after = sandbox.salesbuildr.stats()["endpoints"]["GET /public-api/category"]
    finally:
        sandbox.salesbuildr.reset("demo")
    assert rows == expected, "rows keep the API's order"
    assert len(rows) == len(set(rows)) == 2013
    assert 1 < after["max_in_flight"] <= 4, (before, after)


def test_company_types_data_points_and_usage(client: SalesbuildrClient) -> None:
    types = {t.key: t.name for t in client.company_types()}
    assert types["customer"] == "Customer" and "supplier" in types
    company = {d.id: d for d in client.data_points("company")}
    assert company["dp-c-tier"].entity == "company" and company["dp-c-tier"].type
    assert any(d.multi_select for d in company.values())
    opportunity = client.data_points("opportunity")
    assert opportunity and {d.entity for d in opportunity} == {"opportunity"}
    assert not set(company) & {d.id for d in opportunity}
    usage = client.category_usage()
    assert usage and all(u.product_count >= 0 and u.service_count >= 0 for u in usage)


def test_reference_tables_of_the_state_reader(client: SalesbuildrClient) -> None:
    categories = read_table(client, t.SB_CATEGORIES)
    assert categories is not None and categories.paths
    laptops = categories.resolve("Hardware/Laptops")
    assert laptops.entry is not None and laptops.entry.id == "c-hw-laptops"
    assert any(e.extra[t.PRODUCT_COUNT] for e in categories.entries)
    data_points = read_table(client, t.SB_COMPANY_DATA_POINTS)
    assert data_points is not None and data_points.by_id("dp-c-tier") is not None
    assert read_table(client, "autotask.roles") is None


def test_unknown_data_point_entity_is_validation_failed(client: SalesbuildrClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        client.data_points("ticket")
    assert caught.value.status == 422 and caught.value.api_messages


# --- settings sections ----------------------------------------------------------------------------


def test_every_section_reads_with_an_etag(client: SalesbuildrClient) -> None:
    sections = {name: client.read_section(name) for name in SETTINGS_SECTIONS}
    etags = [s.etag for s in sections.values()]
    assert all(e.startswith('"') and e.endswith('"') for e in etags)
    assert len(set(etags)) == len(etags)
    receiver = sections["webhook-receiver"].body
    assert receiver["secretSet"] is True and "secret" not in receiver
    assert receiver["url"].endswith("/webhooks/autotask")
    assert sections["billing-codes"].body["defaultBillingCodeId"] == 29683001


def test_write_section_with_the_etag_then_a_stale_one_is_a_typed_412(
    client: SalesbuildrClient,
) -> None:
    read = client.read_section("billing-codes")
    body = dict(read.body) | {"defaultBillingCodeId": 29682801}
    written = client.write_section("billing-codes", body, read.etag)
    assert written.etag != read.etag and written.body["defaultBillingCodeId"] == 29682801
    again = client.read_section("billing-codes")
    assert (again.etag, again.body) == (written.etag, written.body)
    with pytest.raises(ConflictError) as caught:
        client.write_section("billing-codes", read.body, read.etag)
    error = caught.value
    assert error.status == 412 and "'billing-codes' changed since it was read" in error.message
    assert "reconcile plan" in (error.hint or "")
    assert client.read_section("billing-codes").etag == written.etag, "nothing written"
    restored = client.write_section("billing-codes", read.body, written.etag)
    assert restored.body["defaultBillingCodeId"] == read.body["defaultBillingCodeId"]


def test_write_section_without_an_etag_is_a_conflict_428(client: SalesbuildrClient) -> None:
    body = client.read_section("purchase-order").body
    with pytest.raises(ConflictError) as caught:
        client.write_section("purchase-order", body, "")
    assert caught.value.status == 428


def test_an_invalid_section_is_validation_failed_with_paths(client: SalesbuildrClient) -> None:
    read = client.read_section("billing-codes")
    bad = dict(read.body) | {"categories": [{"categoryId": "c-hw", "billingCodeId": 1}]}
    with pytest.raises(ValidationFailed) as caught:
        client.write_section("billing-codes", bad, read.etag)
    assert caught.value.status == 422
    assert any(m.startswith("categories[0].billingCodeId") for m in caught.value.api_messages)


def test_unknown_section_is_not_found(client: SalesbuildrClient) -> None:
    with pytest.raises(NotFoundError):
        client.read_section("no-such-section")
    with pytest.raises(NotFoundError):
        client.write_section("no-such-section", {}, "*")


# --- jobs and deliveries --------------------------------------------------------------------------


@pytest.fixture
def jobs_step_per_poll(sandbox: Sandbox) -> Iterator[None]:
    """Jobs advance one status per poll only, not also with time (``job_step_s``), so what a
    test sees does not depend on how long a busy machine takes between two requests."""
    jobs = sandbox.salesbuildr.jobs
    step_s = jobs.step_s
    jobs.step_s = 86_400.0
    try:
        yield
    finally:
        jobs.step_s = step_s


def test_sync_job_is_polled_until_it_succeeds(
    client: SalesbuildrClient, jobs_step_per_poll: None
) -> None:
    seen: list[Job] = []
    job_id = client.start_sync("full")
    first = client.job(job_id)
    assert first.id == job_id and first.status in ("queued", "running") and not first.done
    done = client.wait_for_job(job_id, interval_s=0.01, on_progress=seen.append)
    assert done.status == "succeeded" and done.done and done.counts and done.error is None
    assert [j.status for j in seen][-1] == "succeeded"


def test_import_jobs_mapped_and_by_category(client: SalesbuildrClient) -> None:
    mapped = client.wait_for_job(client.start_import(), interval_s=0.01)
    scoped = client.wait_for_job(client.start_import(["c-hw"]), interval_s=0.01)
    assert mapped.status == scoped.status == "succeeded"


def test_invalid_actions_are_validation_failed(client: SalesbuildrClient) -> None:
    with pytest.raises(ValidationFailed):
        client.start_sync("everything")
    with pytest.raises(ValidationFailed) as caught:
        client.start_import(["no-such-category"])
    assert any("no-such-category" in m for m in caught.value.api_messages)


def test_a_failed_job_carries_its_error(sandbox: Sandbox, client: SalesbuildrClient) -> None:
    control = httpx.post(
        f"{sandbox.salesbuildr_server.url}/_sandbox/fail-next-job", json={"error": "disk full"}
    )
    assert control.status_code == 200
    failed = client.wait_for_job(client.start_sync("fields"), interval_s=0.01)
    assert (failed.status, failed.error, failed.done) == ("failed", "disk full", True)


def test_job_timeout_and_unknown_job(client: SalesbuildrClient, jobs_step_per_poll: None) -> None:
    job_id = client.start_sync("inventory")
    with pytest.raises(ProviderError, match="did not finish"):
        client.wait_for_job(job_id, timeout_s=0.0)
    with pytest.raises(NotFoundError):
        client.job("no-such-job")


def test_deliveries_of_a_real_callout(sandbox: Sandbox, client: SalesbuildrClient) -> None:
    env = sandbox.env
    credentials = AutotaskCredentials(
        username=env["AUTOTASK_API_USERNAME"],
        secret=SecretStr(env["AUTOTASK_API_SECRET"]),
        integration_code=SecretStr(env["AUTOTASK_API_INTEGRATION_CODE"]),
    )
    start = datetime.now(UTC) - timedelta(seconds=1)
    with AutotaskClient.connect(credentials, url=env["AUTOTASK_API_URL"], retry=FAST) as at:
        at.update("Companies", {"id": 29684501, "companyName": "Contoso Legal LLP (renamed)"})
    assert sandbox.autotask.callouts.wait_idle(60)
    deliveries = client.deliveries(since=start)
    assert [(d["entity"], d["action"], d["status"]) for d in deliveries] == [
        ("company", "update", "delivered")
    ]
    assert deliveries[0]["webhookGuid"]
    assert client.deliveries(since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(client.deliveries()) >= 1


# --- the apply lock -------------------------------------------------------------------------------


def test_lock_acquire_hold_release(client: SalesbuildrClient) -> None:
    owner, other = f"alice@{HOST}:{1}", "bob@elsewhere.example:42"
    assert client.lock_holder() is None
    holder = client.acquire_lock(owner, ttl_seconds=60)
    assert holder.owner == owner and holder.host == HOST and holder.pid == 1
    assert client.acquire_lock(owner, ttl_seconds=60).acquired_at == holder.acquired_at
    current = client.lock_holder()
    assert current is not None and current.owner == owner
    with pytest.raises(LockHeld) as held:
        client.acquire_lock(other)
    assert held.value.holder.owner == owner and held.value.status == 409
    with pytest.raises(ConflictError) as refused:
        client.release_lock(other)
    assert refused.value.status == 409
    client.release_lock(owner)
    assert client.lock_holder() is None


def test_forced_release(client: SalesbuildrClient) -> None:
    client.acquire_lock("carol@elsewhere.example:7", ttl_seconds=60)
    client.release_lock("admin@here:1", force=True)
    assert client.lock_holder() is None


def test_lock_of_a_dead_process_on_this_host_is_taken_over(client: SalesbuildrClient) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    client.acquire_lock(f"crashed@{HOST}:{gone.pid}", ttl_seconds=60)
    me = f"me@{HOST}:{12345}"
    holder = client.acquire_lock_or_take_over(me, ttl_seconds=60)
    assert holder.owner == me
    client.release_lock(me)


def test_a_live_holder_is_waited_for_then_named(client: SalesbuildrClient) -> None:
    live = "dave@elsewhere.example:99"
    client.acquire_lock(live, ttl_seconds=60)
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld) as held:
            client.acquire_lock_or_take_over(f"me@{HOST}:1", wait_s=0.2, interval_s=0.05)
        # It waited (a lower bound, safe on any machine) and gave up long before the lock's
        # 60 s TTL ran out; the wait loop itself is pinned with a fake clock in
        # test_salesbuildr_protocol.
        assert 0.2 <= time.monotonic() - started < 30
        assert held.value.holder.owner == live and "force-unlock" in (held.value.hint or "")
    finally:
        client.release_lock(live)


# --- errors ---------------------------------------------------------------------------------------


def test_wrong_key_is_an_auth_error_and_not_retried(sandbox: Sandbox) -> None:
    before = served(sandbox)
    with connect(sandbox, key="not-the-key") as wrong, pytest.raises(AuthError) as caught:
        wrong.company_types()
    assert caught.value.status == 401 and "SALESBUILDR_API_KEY" in (caught.value.hint or "")
    assert served(sandbox) - before == 1


def test_429_storm_is_rate_limited(sandbox: Sandbox) -> None:
    """The waits are recorded, not slept (a wall-clock bound would measure the machine)."""
    waits: list[float] = []
    http = ApiClient(
        system="salesbuildr",
        base_url=sandbox.env["SALESBUILDR_API_URL"],
        headers={"api-key": sandbox.env["SALESBUILDR_API_KEY"]},
        retry=RetryPolicy(attempts=3, initial_wait=0.0, max_wait=0.25),
        sleep=waits.append,
        validation_500=False,
    )
    with SalesbuildrClient(http) as reader, faults(sandbox, {"429": 1.0}):
        before = served(sandbox)
        with pytest.raises(RateLimited) as caught:
            reader.company_types()
        assert served(sandbox) - before == 3
    assert waits == [0.25, 0.25], "Retry-After: 1, capped by max_wait"
    assert caught.value.status == 429


def test_503_on_reads_is_unavailable(sandbox: Sandbox) -> None:
    with connect(sandbox) as reader, faults(sandbox, {"503": 1.0}):
        before = served(sandbox)
        with pytest.raises(Unavailable) as caught:
            reader.read_section("inventory")
        assert served(sandbox) - before == FAST.attempts
    assert caught.value.status == 503


def test_500_on_a_read_is_retried_like_any_server_error(sandbox: Sandbox) -> None:
    """Salesbuildr refuses input with 422; its 500 (which has an ``errors`` list too, as every
    Salesbuildr error does) is a server fault, never a validation error."""
    with connect(sandbox) as reader, faults(sandbox, {"500": 1.0}):
        before = served(sandbox)
        with pytest.raises(Unavailable) as caught:
            reader.read_section("inventory")
        assert served(sandbox) - before == FAST.attempts
    assert caught.value.status == 500


def test_500_on_a_write_is_an_unknown_outcome(sandbox: Sandbox, client: SalesbuildrClient) -> None:
    read = client.read_section("inventory")
    with connect(sandbox) as writer, faults(sandbox, {"500": 1.0}):
        before = served(sandbox)
        with pytest.raises(UnknownOutcome) as caught:
            writer.write_section("inventory", read.body, read.etag)
        assert served(sandbox) - before == 1
    assert caught.value.status == 500


def test_reset_after_commit_on_a_put_is_an_unknown_outcome_and_committed(
    sandbox: Sandbox, client: SalesbuildrClient
) -> None:
    read = client.read_section("purchase-order")
    body = dict(read.body) | {"dueDateOffsetDays": read.body["dueDateOffsetDays"] + 1}
    with (
        connect(sandbox) as writer,
        faults(sandbox, {"reset-after-commit": 1.0}),
        pytest.raises(UnknownOutcome, match="cut off"),
    ):
        writer.write_section("purchase-order", body, read.etag)
    after = client.read_section("purchase-order")
    assert after.etag != read.etag and after.body == body, "re-reading shows it was applied"


def test_timeout_on_a_write_is_an_unknown_outcome(
    sandbox: Sandbox, client: SalesbuildrClient
) -> None:
    read = client.read_section("company-types")
    with (
        connect(sandbox, timeout=0.3) as writer,
        faults(sandbox, {"timeout": 1.0}, hold_s=600),  # the client's 0.3 s ends it
        pytest.raises(UnknownOutcome, match="timed out"),
    ):
        writer.acquire_lock(f"timeout@{HOST}:1", ttl_seconds=60)
    assert client.lock_holder() is None, "the held request never reached the handler"
    assert client.read_section("company-types").etag == read.etag
