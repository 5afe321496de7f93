"""What the clients keep of the request budgets, through MockTransport: Salesbuildr's window
(``X-RateLimit-Remaining``, a 429's ``Retry-After``), the requests an apply needs of it, and the
Autotask hourly budget read once a run (``ThresholdInformation``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from reconciler.plan import Action, Change, FieldDiff
from reconciler.psa.autotask.client import AutotaskClient
from reconciler.psa.autotask.documents import DOCUMENTS as PAGES
from reconciler.salesbuildr.budget_need import window_need
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.salesbuildr.window import RATE_LIMIT, RATE_WINDOW_S, RateWindow
from reconciler.transport.http import ApiClient, RetryPolicy, SlidingWindowBudget

URL = "https://acme.salesbuildr.example/public-api"
ZONE = "https://webservices5.autotask.net/atservicesrest"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def answer(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={})


def test_the_window_keeps_the_last_remaining_and_the_documented_limit() -> None:
    clock = Clock()
    window = RateWindow(clock=clock)
    assert window.seen is None
    window(answer())  # no header: nothing learnt
    assert window.seen is None

    window(answer(**{"X-RateLimit-Remaining": "118"}))
    seen = window.seen
    assert seen is not None
    assert (seen.remaining, seen.limit, seen.window_s) == (118, RATE_LIMIT, RATE_WINDOW_S)
    assert seen.retry_at is None

    window(answer(**{"X-RateLimit-Remaining": "40", "X-RateLimit-Limit": "120"}))
    assert window.seen is not None and (window.seen.remaining, window.seen.limit) == (40, 120)


def test_concurrent_answers_out_of_order_keep_the_lowest_then_the_window_refills() -> None:
    clock = Clock()
    window = RateWindow(clock=clock)
    window(answer(**{"X-RateLimit-Remaining": "469"}))
    clock.now += 0.1
    window(answer(**{"X-RateLimit-Remaining": "472"}))  # sent earlier, answered later
    assert window.seen is not None and window.seen.remaining == 469
    clock.now += 5  # moments later a higher count is the window refilling
    window(answer(**{"X-RateLimit-Remaining": "480"}))
    assert window.seen is not None and window.seen.remaining == 480


def test_a_429_names_when_the_window_frees_up_until_that_time_has_passed() -> None:
    clock = Clock()
    window = RateWindow(clock=clock)
    window(answer(429, **{"X-RateLimit-Remaining": "0", "Retry-After": "87"}))
    assert window.seen is not None and window.seen.retry_at == clock.now + 87
    clock.now += 10
    window(answer(**{"X-RateLimit-Remaining": "0"}))
    assert window.seen is not None and window.seen.retry_at == clock.now + 77  # still ahead
    clock.now += 100
    window(answer(**{"X-RateLimit-Remaining": "3"}))
    assert window.seen is not None and window.seen.retry_at is None  # past: forgotten


def test_a_malformed_header_is_ignored() -> None:
    window = RateWindow()
    window(answer(**{"X-RateLimit-Remaining": "lots"}))
    assert window.seen is None


def salesbuildr(remaining: int | None) -> SalesbuildrClient:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {} if remaining is None else {"X-RateLimit-Remaining": str(remaining)}
        return httpx.Response(200, headers=headers, json={"results": [], "total": 0})

    return SalesbuildrClient.connect(
        URL,
        SecretStr("sb-key-value"),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0),
        budget=SlidingWindowBudget(1000, 600),
    )


def change(
    address: str, section: str, kind: str, owner: str, diff: tuple[FieldDiff, ...] = ()
) -> Change:
    return Change(
        address=address,
        kind=kind,
        key=address,
        section=section,
        owner=owner,
        action=Action.UPDATE,
        before={},
        after={},
        diff=diff,
    )


SALESBUILDR_MAPPING = change(
    'billing_codes.categories["A"]', "billing_codes", "billing_code_mapping", "salesbuildr"
)
OTHER_ROW = change(
    'billing_codes.categories["B"]', "billing_codes", "billing_code_mapping", "salesbuildr"
)
TYPES = change(
    'company_types.to_salesbuildr["X"]', "company_types", "company_type_map", "salesbuildr"
)
LOCATION = change(
    'inventory.locations["Main"]',
    "inventory",
    "inventory_location",
    "autotask",
    (FieldDiff("track_stock", False, True),),
)
LOCATION_NAME_ONLY = change(
    'inventory.locations["Main"]', "inventory", "inventory_location", "autotask"
)


def test_the_need_counts_one_put_per_document_the_unlock_and_two_rereads() -> None:
    with salesbuildr(100) as client:
        assert window_need(client, PAGES, [SALESBUILDR_MAPPING], check_stale=True) is None  # unseen
        client.categories()  # one answer tells what is left
        need = window_need(
            client, PAGES, [SALESBUILDR_MAPPING, OTHER_ROW, TYPES, LOCATION], check_stale=True
        )
        assert need is not None
        # PUT billing-codes, company-types, inventory (stock tracking) + the lock's release.
        assert need.writes == 4
        # Each touched section's documents, re-read by the stale check and the verification.
        assert need.rereads == 3 * 2
        assert (need.remaining, need.window_s) == (100, RATE_WINDOW_S)

        without_stale_check = window_need(client, PAGES, [SALESBUILDR_MAPPING], check_stale=False)
        assert without_stale_check is not None
        assert (without_stale_check.writes, without_stale_check.rereads) == (2, 1)
        # A location without a tracking change PUTs nothing, but its document is re-read.
        location = window_need(client, PAGES, [LOCATION_NAME_ONLY], check_stale=True)
        assert location is not None and (location.writes, location.rereads) == (1, 2)


def test_no_salesbuildr_client_no_need() -> None:
    assert window_need(None, PAGES, [SALESBUILDR_MAPPING], check_stale=True) is None


def autotask(clock: Clock, used: list[int], paths: list[str]) -> AutotaskClient:
    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.endswith("ThresholdInformation"):
            body: dict[str, Any] = {
                "externalRequestThreshold": 10_000,
                "requestThresholdTimeframe": 60,
                "currentTimeframeRequestCount": used[0],
            }
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"items": [], "pageDetails": {"nextPageUrl": None}})

    http = ApiClient(
        system="autotask",
        base_url=ZONE + "/V1.0",
        headers={},
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1, initial_wait=0.0, max_wait=0.0),
    )
    return AutotaskClient(http, clock=clock)


def thresholds(paths: list[str]) -> int:
    return sum(1 for p in paths if p.endswith("ThresholdInformation"))


def test_the_plans_threshold_reading_serves_apply_less_the_requests_sent_since() -> None:
    clock, used, paths = Clock(), [9_000], []
    with autotask(clock, used, paths) as client:
        assert client.threshold().remaining == 1_000
        client.query("BillingCodes")
        client.query("Roles")
        used[0] = 9_990  # others' requests are not seen until the next reading
        assert client.remaining_requests() == 1_000 - 2
        assert thresholds(paths) == 1  # once a run

        clock.now += 61  # a person took a minute to answer: ask again
        assert client.remaining_requests() == 10
        assert thresholds(paths) == 2


def test_without_a_reading_apply_reads_the_threshold() -> None:
    clock, used, paths = Clock(), [9_500], []
    with autotask(clock, used, paths) as client:
        assert client.remaining_requests() == 500
        assert thresholds(paths) == 1


@pytest.mark.parametrize("age", [0.0, 60.0])
def test_a_reading_within_the_reuse_age_is_reused(age: float) -> None:
    clock, used, paths = Clock(), [100], []
    with autotask(clock, used, paths) as client:
        client.threshold()
        clock.now += age
        assert client.remaining_requests() == 9_900  # the reading itself is in its own count
        assert thresholds(paths) == 1
