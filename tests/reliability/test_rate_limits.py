"""5. 429 storms: Autotask's thread limit and Salesbuildr's request budget. Retries back off with a
cap (Retry-After honoured, and capped too), never more than 3 requests are in flight per Autotask
endpoint (the simulator counts them), and the plan is the plan a calm run makes. A write answered
429 was refused before it was processed, so it is simply sent again: no duplicates."""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

import pytest
from held_requests import held_until_in_flight
from pydantic import SecretStr
from reliability_support import (
    SECRETS,
    Rig,
    live_object_ids,
    natural_key_duplicates,
    plan_shape,
)

from reconciler.errors import RateLimited
from reconciler.psa.autotask.client import AutotaskClient, AutotaskCredentials
from reconciler.sandbox.salesbuildr.state import RollingRateLimit
from reconciler.transport.http import ApiClient, RetryPolicy

STORM_REFUSALS = 3
"""Each Autotask endpoint refuses its first three requests with 429 (a storm counted in requests,
not seconds, so a busy machine meets the same storm): a request that meets it gets through by
its 4th attempt of 5."""


class SpentBudget(RollingRateLimit):
    """Salesbuildr's rolling budget on a clock of its own that moves only when a request is
    refused, by the ``Retry-After`` it announced: the budget is spent however slowly a busy
    machine sends the requests, and it refills once the client has been told to wait."""

    def __init__(self, limit: int, window_s: float) -> None:
        super().__init__(limit, window_s)
        self.now = 0.0

    def remaining(self, now: float) -> int:
        return super().remaining(self.now)

    def admit(self, now: float) -> int | None:
        wait = super().admit(self.now)
        if wait is not None:
            self.now += wait
        return wait


def baseline(rig: Rig) -> list[dict[str, Any]]:
    calm = rig.reconcile("plan", str(rig.example()), "--format", "json")
    assert calm.returncode == 0, calm.output
    for simulator in (rig.autotask, rig.salesbuildr):
        simulator.reset("empty")  # zero the counters
    return plan_shape(json.loads(calm.stdout))


def autotask_in_flight(rig: Rig) -> dict[str, int]:
    return {
        key: int(counters["max_in_flight"])
        for key, counters in rig.stats("autotask")["endpoints"].items()
    }


@pytest.mark.slow
def test_autotask_429_storm_gives_the_calm_plan(rig: Rig) -> None:
    expected = baseline(rig)
    storm = rig.targeted("autotask").arm("429", lambda key, n: n <= STORM_REFUSALS)
    run = rig.reconcile("-v", "plan", "mappings.yaml", "--format", "json")
    storm.disarm()

    assert run.returncode == 0, run.output
    assert plan_shape(json.loads(run.stdout)) == expected
    assert run.stderr.count(" -> 429 ") == len(storm.hits) >= 10, run.stderr  # a real storm
    assert max(autotask_in_flight(rig).values()) <= 3


@pytest.mark.slow
def test_salesbuildr_budget_spent_gives_the_calm_plan(rig: Rig) -> None:
    expected = baseline(rig)
    rig.salesbuildr.rate_limit = budget = SpentBudget(3, 1.0)  # 3 requests, then "wait 1 s"

    run = rig.reconcile("-v", "plan", "mappings.yaml", "--format", "json")

    assert run.returncode == 0, run.output
    assert plan_shape(json.loads(run.stdout)) == expected
    limited = [line for line in run.stderr.splitlines() if "salesbuildr" in line and "429" in line]
    assert len(limited) >= 3, run.stderr
    assert len(limited) == budget.now  # each refusal said "Retry-After: 1"
    assert run.seconds >= 1.0  # it waited as Retry-After said (a lower bound: safe anywhere)


SOME_WRITES = """\
version: 1
inventory:
  locations:
    Main Warehouse: {active: true, default: true}
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    fields: [CompanyName, CompanyType, Phone]
"""


@pytest.mark.slow
def test_writes_answered_429_are_sent_again_without_duplicates(rig: Rig) -> None:
    """Every Autotask write is first refused with 429 (as the thread limit does): each is sent
    once more, nothing is created twice, the apply verifies."""
    mappings = rig.write(SOME_WRITES)
    rig.plan(mappings)

    def first_attempt_of_each_write(key: str, n: int) -> bool:
        method = key.split(" ", 1)[0]
        return method in ("POST", "PATCH", "DELETE") and "/query" not in key and n % 2 == 1

    faults = rig.targeted("autotask").arm("429", first_attempt_of_each_write)
    applied = rig.reconcile("-v", "apply", "plan.json")
    faults.disarm()

    assert applied.returncode == 0, applied.output
    # Each write was refused once and committed once: a location, a webhook, three fields and
    # the activation; 6 writes, 12 requests.
    assert len(faults.hits) == 6
    assert rig.stats("autotask")["writes"] == 12
    assert natural_key_duplicates(rig.world) == []
    assert len(live_object_ids(rig.world)) == 5
    assert rig.replan_is_empty(mappings)
    assert max(autotask_in_flight(rig).values()) <= 3


def test_backoff_is_exponential_and_capped(rig: Rig) -> None:
    """Without Retry-After (Autotask): exponential with jitter, each wait capped; then the
    error. With Retry-After (Salesbuildr's budget): the indicated wait, capped at the same
    maximum. The waits are recorded, not slept."""
    env = rig.sandbox.env
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, initial_wait=0.5, max_wait=2.0)
    rig.autotask.set_faults({"429": 1.0})
    autotask = ApiClient(
        system="autotask",
        base_url=env["AUTOTASK_API_URL"] + "/V1.0",
        headers={
            "ApiIntegrationCode": SECRETS.autotask_integration_code,
            "UserName": SECRETS.autotask_username,
            "Secret": SECRETS.autotask_secret,
        },
        retry=policy,
        sleep=waits.append,
    )
    with autotask, pytest.raises(RateLimited):
        autotask.request("GET", "ThresholdInformation")
    assert rig.autotask.stats()["requests"] == 6
    nominal = [0.5, 1.0, 2.0, 2.0, 2.0]
    assert len(waits) == len(nominal)
    for wait, cap in zip(waits, nominal, strict=True):
        assert cap / 2 <= wait <= cap

    waits.clear()
    rig.salesbuildr.rate_limit = RollingRateLimit(1, 600.0)  # the next 429 says: 600 s
    salesbuildr = ApiClient(
        system="salesbuildr",
        base_url=env["SALESBUILDR_API_URL"],
        headers={"api-key": SECRETS.salesbuildr_api_key},
        retry=RetryPolicy(attempts=3, initial_wait=0.5, max_wait=2.0),
        sleep=waits.append,
        validation_500=False,
    )
    with salesbuildr:
        salesbuildr.request("GET", "integration/autotask/company-types")
        with pytest.raises(RateLimited) as raised:
            salesbuildr.request("GET", "integration/autotask/company-types")
    assert waits == [2.0, 2.0]  # Retry-After: 600, capped
    assert "retry after" in raised.value.message
    default = RetryPolicy()
    assert (default.attempts, default.max_wait) == (5, 30.0)


def test_never_more_than_three_in_flight_per_autotask_endpoint(rig: Rig) -> None:
    """Twelve threads query one endpoint at once through one client. With the simulator's own
    thread limit switched off, its counter shows what the client really does: 3 at most."""
    rig.autotask.middleware.thread_limit = None
    credentials = AutotaskCredentials(
        username=SECRETS.autotask_username,
        secret=SecretStr(SECRETS.autotask_secret),
        integration_code=SecretStr(SECRETS.autotask_integration_code),
    )
    with AutotaskClient.connect(credentials, url=rig.sandbox.env["AUTOTASK_API_URL"]) as client:
        start = threading.Barrier(12)
        errors: list[BaseException] = []

        def query() -> None:
            start.wait()
            try:
                client.query("Companies")
                client.query("CompanyWebhookFields")
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=query) for _ in range(12)]
        with held_until_in_flight(rig.autotask.middleware, 3):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert errors == []
    endpoints = rig.autotask.stats()["endpoints"]
    assert endpoints["POST /V1.0/Companies/query"] == {"requests": 12, "max_in_flight": 3}
    assert endpoints["POST /V1.0/CompanyWebhookFields/query"]["max_in_flight"] == 3


def _capped_salesbuildr(rig: Rig, waits: list[float], cap: float) -> ApiClient:
    return ApiClient(
        system="salesbuildr",
        base_url=rig.sandbox.env["SALESBUILDR_API_URL"],
        headers={"api-key": SECRETS.salesbuildr_api_key},
        retry=RetryPolicy(attempts=3, initial_wait=0.5, max_wait=2.0),
        sleep=waits.append,  # injected: the test never really waits
        validation_500=False,
        max_rate_wait=cap,
    )


def test_a_429_within_the_rate_wait_cap_is_waited_out_with_a_visible_line(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.salesbuildr.rate_limit = SpentBudget(1, 87.0)  # the 2nd request hears "Retry-After: 87"
    waits: list[float] = []
    with (
        caplog.at_level(logging.WARNING, "reconciler"),
        _capped_salesbuildr(rig, waits, 120.0) as sb,
    ):
        sb.request("GET", "integration/autotask/company-types")
        sb.request("GET", "integration/autotask/company-types")
        assert sb.calls == 3  # admitted, refused, admitted after the wait
    assert waits == [87.0]  # the whole Retry-After, not the 2 s backoff cap
    shown = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in shown] == [
        "warning[rate_limited]: Salesbuildr rate limit: waiting 87 s"
    ]


def test_a_429_beyond_the_cap_stops_at_once_naming_when_to_retry(rig: Rig) -> None:
    rig.salesbuildr.rate_limit = SpentBudget(1, 600.0)  # "Retry-After: 600"
    waits: list[float] = []
    with _capped_salesbuildr(rig, waits, 120.0) as sb:
        sb.request("GET", "integration/autotask/company-types")
        with pytest.raises(RateLimited) as raised:
            sb.request("GET", "integration/autotask/company-types")
        assert sb.calls == 2  # no retry: waiting is not allowed that long
    assert waits == []
    message = raised.value.message
    assert "wait 600 s" in message and "120 s" in message and "retry after" in message
    assert re.search(r"retry after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", message)
    assert "--max-rate-wait" in (raised.value.hint or "")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_plan_stops_with_exit_1_when_salesbuildr_asks_for_more_than_the_cap(
    rig: Rig, how: str
) -> None:
    example = str(rig.example())
    rig.salesbuildr.rate_limit = SpentBudget(2, 30.0)  # then "Retry-After: 30", over a 10 s cap
    if how == "option":
        run = rig.reconcile("--max-rate-wait", "10", "plan", example)
    else:
        run = rig.reconcile("plan", example, env={"RECONCILE_MAX_RATE_WAIT": "10"})

    assert run.returncode == 1, run.output
    assert "Salesbuildr rate limit: it asks us to wait 30 s, more than the 10 s" in run.stderr
    assert "retry after" in run.stderr and "--max-rate-wait" in run.stderr
    assert "Traceback" not in run.stderr
