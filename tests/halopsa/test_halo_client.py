"""The HaloPSA client over real HTTP against the simulator: connection rules, the token, paging at
its lower bound, upserts, custom fields, error mapping, the rate cap and 429 backoff.

Time is a fake clock shared by the simulator (token lifetimes, its rate cap) and the client
(token cache, request budget, retry waits): nothing here waits for real time to pass."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import httpx
import pytest
from halo_support import CLIENT_SECRET, FakeClock, Halo

from reconciler import redact
from reconciler.errors import (
    AuthError,
    NotFoundError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    UsageError,
    ValidationFailed,
)
from reconciler.psa.halopsa import resources
from reconciler.psa.halopsa.client import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_PAGE_SIZE,
    RATE_LIMIT_WAITS_S,
    RateCap,
)
from reconciler.psa.halopsa.connection import HaloConnection
from reconciler.psa.halopsa.errors import halo_messages, refusal
from reconciler.psa.halopsa.token import RENEW_BEFORE_S, SCOPES
from reconciler.sandbox.halopsa import HaloCredentials
from reconciler.sandbox.halopsa import RateCap as ServerRateCap
from reconciler.sandbox.halopsa.seed import LARGE_CLIENTS, LARGE_ITEMS

HaloFactory = Callable[..., Halo]

# --- the connection -------------------------------------------------------------------------------

BASE = {
    "HALOPSA_URL": "https://acme.halopsa.com",
    "HALOPSA_CLIENT_ID": "id",
    "HALOPSA_CLIENT_SECRET": "secret-value",
}


def test_the_auth_url_defaults_to_the_tenants_auth_and_api_is_dropped() -> None:
    connection = HaloConnection.from_environment(
        {**BASE, "HALOPSA_URL": "https://acme.halopsa.com/api/"}
    )
    assert connection.api_url == "https://acme.halopsa.com/api"
    assert connection.token_url == "https://acme.halopsa.com/auth/token"
    assert connection.tenant is None
    assert "secret-value" not in repr(connection)


def test_an_auth_host_other_than_the_tenants_is_refused_unless_allowed() -> None:
    elsewhere = {**BASE, "HALOPSA_AUTH_URL": "https://login.example.com/auth"}
    with pytest.raises(UsageError, match=r"login\.example\.com"):
        HaloConnection.from_environment(elsewhere)
    allowed = {**elsewhere, "RECONCILE_ALLOWED_HOSTS": "login.example.com"}
    assert (
        HaloConnection.from_environment(allowed).token_url == "https://login.example.com/auth/token"
    )
    same_host = {**BASE, "HALOPSA_AUTH_URL": "https://acme.halopsa.com/custom-auth/"}
    assert HaloConnection.from_environment(same_host).auth_url.endswith("/custom-auth")


def test_missing_variables_and_plain_http_are_refused() -> None:
    with pytest.raises(UsageError, match="HALOPSA_CLIENT_SECRET"):
        HaloConnection.from_environment({k: v for k, v in BASE.items() if "SECRET" not in k})
    with pytest.raises(UsageError, match="https"):
        HaloConnection.from_environment({**BASE, "HALOPSA_URL": "http://acme.halopsa.com"})
    with pytest.raises(UsageError) as caught:
        HaloConnection.from_environment({**BASE, "HALOPSA_AUTH_URL": "http://acme.halopsa.com/a"})
    assert caught.value.hint == "check HALOPSA_AUTH_URL"


def test_the_secret_is_registered_with_the_redactor() -> None:
    HaloConnection.from_environment(BASE)
    assert redact.redact("leaked secret-value") == f"leaked {redact.REDACTED}"


# --- the token ------------------------------------------------------------------------------------


def test_the_token_is_cached_for_its_lifetime_and_renewed_before_it_ends(halo: HaloFactory) -> None:
    running = halo(token_lifetime_s=3600)
    client = running.client()
    client.list_all(resources.TEAM)
    client.list_all(resources.STATUS)
    assert running.simulator.tokens.issued == 1
    running.clock.advance(3600 - RENEW_BEFORE_S + 1)
    client.list_all(resources.TEAM)
    assert running.simulator.tokens.issued == 2


def test_a_401_refreshes_the_token_once_then_succeeds(halo: HaloFactory) -> None:
    running = halo()
    client = running.client()
    client.list_all(resources.TEAM)
    running.simulator.tokens.expire_all()  # revoked early: the client's cache still trusts it
    assert [t["name"] for t in client.list_all(resources.TEAM)] == [
        "Sales",
        "Service Desk",
        "Projects",
    ]
    assert running.simulator.tokens.issued == 2


def test_a_second_401_is_an_auth_error_not_a_loop(halo: HaloFactory) -> None:
    running = halo(token_lifetime_s=0)  # every token is expired when it arrives
    client = running.client()
    with pytest.raises(AuthError) as caught:
        client.list_all(resources.TEAM)
    assert caught.value.status == 401
    assert running.simulator.tokens.issued == 2
    assert running.endpoint_requests("GET /Team") == 2


def test_the_token_request_asks_for_the_setup_guides_scopes(halo: HaloFactory) -> None:
    lacking = HaloCredentials("cid", "a-secret-value", granted=frozenset({"all:standard"}))
    running = halo(credentials=lacking)
    with pytest.raises(AuthError, match="admin:webhooks"):
        running.client().list_all(resources.TEAM)
    assert SCOPES == ("all:standard", "all:teams", "admin:webhooks")


def test_wrong_credentials_and_a_missing_tenant_are_auth_errors(halo: HaloFactory) -> None:
    running = halo(credentials=HaloCredentials("cid", "right-secret", tenant="acme"))
    wrong = running.environ(HALOPSA_CLIENT_SECRET="wrong-secret")
    with pytest.raises(AuthError) as caught:
        running.client(wrong).list_all(resources.TEAM)
    assert "HALOPSA_CLIENT_ID" in (caught.value.hint or "")
    with pytest.raises(AuthError, match="tenant"):
        running.client().list_all(resources.TEAM)
    assert running.client(running.environ(HALOPSA_TENANT="acme")).list_all(resources.TEAM)


def test_the_secret_and_the_token_are_never_logged(
    halo: HaloFactory, caplog: pytest.LogCaptureFixture
) -> None:
    running = halo()
    # The CLI's logging set-up (run in-process by other tests of a worker) may stop reconciler's
    # loggers from propagating to the root logger: listen on reconciler's own.
    ours = logging.getLogger("reconciler")
    ours.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="reconciler"):
            client = running.client()
            client.list_all(resources.ITEM)
            token = client.tokens.token()
    finally:
        ours.removeHandler(caplog.handler)
    assert CLIENT_SECRET not in caplog.text
    assert token not in caplog.text
    assert "POST /auth/token -> 200" in caplog.text


# --- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [DEFAULT_PAGE_SIZE, 1000, 250])
def test_a_paged_list_costs_exactly_its_lower_bound(halo: HaloFactory, page_size: int) -> None:
    running = halo(seed="large")
    items = running.client(page_size=page_size).list_all(resources.ITEM)
    total = LARGE_ITEMS + 2  # the demo's two items
    assert len(items) == total
    assert len({item["id"] for item in items}) == total
    assert running.endpoint_requests("GET /Item") == math.ceil(total / page_size)
    in_flight = running.simulator.stats()["endpoints"]["GET /Item"]["max_in_flight"]
    assert in_flight <= DEFAULT_MAX_IN_FLIGHT


def test_an_empty_or_bare_list_costs_one_request(halo: HaloFactory) -> None:
    running = halo(seed="empty")
    client = running.client()
    assert client.list_all(resources.CLIENT) == []
    assert client.list_all(resources.ITEM_GROUP) == []
    assert running.endpoint_requests("GET /Client") == 1
    assert running.endpoint_requests("GET /ItemGroup") == 1


def test_filters_pass_through_to_every_page(halo: HaloFactory) -> None:
    running = halo(seed="large")
    clients = running.client(page_size=30).list_all(resources.CLIENT, {"search": "Client 001"})
    assert [c["name"] for c in clients] == [f"Client {n:05d}" for n in range(100, 200)]
    assert running.endpoint_requests("GET /Client") == math.ceil(100 / 30)
    assert LARGE_CLIENTS > 200


# --- writes ---------------------------------------------------------------------------------------


def test_post_arrays_upsert_and_leave_unsent_fields_alone(halo: HaloFactory) -> None:
    running = halo()
    client = running.client()
    made = client.upsert(resources.ITEM, [{"name": "Dock", "baseprice": 100.0}, {"name": "Cable"}])
    assert [m["name"] for m in made] == ["Dock", "Cable"]
    client.upsert(resources.ITEM, [{"id": made[0]["id"], "baseprice": 110.0}])
    again = client.get(resources.ITEM, made[0]["id"])
    assert again is not None
    assert (again["name"], again["baseprice"]) == ("Dock", 110.0)


def test_custom_fields_are_reposted_whole_never_blanked(halo: HaloFactory) -> None:
    running = halo()
    client = running.client()
    fields = [
        {"id": 1, "name": "CFSalesbuildrId", "type": 0, "value": "sb-1"},
        {"id": 2, "name": "CFContractRef", "type": 0, "value": "C-42"},
    ]
    item = client.upsert(resources.ITEM, [{"name": "Laptop", "customfields": fields}])[0]
    client.set_custom_fields(resources.ITEM, item["id"], {"CFSalesbuildrId": "sb-2"})
    after = client.get(resources.ITEM, item["id"])
    assert after is not None
    values = {f["name"]: f["value"] for f in after["customfields"]}
    assert values == {"CFSalesbuildrId": "sb-2", "CFContractRef": "C-42"}
    with pytest.raises(UsageError, match="set_custom_fields"):
        client.upsert(resources.ITEM, [{"id": item["id"], "customfields": fields[:1]}])


def test_deleting_twice_and_reading_a_missing_id(halo: HaloFactory) -> None:
    client = halo().client()
    group = client.upsert(resources.ITEM_GROUP, [{"name": "Temporary"}])[0]
    assert client.delete(resources.ITEM_GROUP, group["id"]) is True
    assert client.delete(resources.ITEM_GROUP, group["id"]) is False
    assert client.get(resources.ITEM_GROUP, group["id"]) is None
    with pytest.raises(NotFoundError):
        client.set_custom_fields(resources.ITEM, 999_999, {"CFSalesbuildrId": "x"})


# --- errors ---------------------------------------------------------------------------------------


def test_halos_refusal_text_is_kept_verbatim(halo: HaloFactory) -> None:
    client = halo(main_contact_compulsory=True).client()
    with pytest.raises(ValidationFailed) as caught:
        client.upsert(resources.CLIENT, [{"name": "Initech"}])
    assert caught.value.api_messages == ["Please populate main contact name"]
    assert caught.value.status == 400


def test_a_403_is_an_auth_error_naming_the_permissions() -> None:
    answer = httpx.Response(403, json="The token lacks the permission all:teams.")
    error = refusal(answer, "GET", "/api/Team")
    assert isinstance(error, AuthError)
    assert error.api_messages == ["The token lacks the permission all:teams."]
    assert "all:teams" in (error.hint or "")


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ('"Please populate main contact name"', ["Please populate main contact name"]),
        ("plain text refusal", ["plain text refusal"]),
        ('{"Message": "An error has occurred."}', ["An error has occurred."]),
        ('{"error": "invalid_client", "error_description": "Bad."}', ["Bad."]),
        ('[{"message": "one"}, "two"]', ["one", "two"]),
        ("", []),
    ],
)
def test_every_shape_of_halo_error_body_is_read(body: str, messages: list[str]) -> None:
    response = httpx.Response(400, content=body.encode())
    assert halo_messages(response) == messages


def test_a_server_fault_on_a_read_is_retried(halo: HaloFactory) -> None:
    running = halo()
    client = running.client()
    client.list_all(resources.TEAM)  # the token first, so only the read is faulted
    running.simulator.set_faults({"500": 1.0})
    with pytest.raises(Unavailable):
        client.list_all(resources.TEAM)
    assert running.endpoint_requests("GET /Team") == 1 + client.http.retry.attempts
    assert running.clock.slept  # backed off, on the fake clock


@pytest.mark.parametrize("fault", ["500", "reset-after-commit"])
def test_a_write_without_a_clear_answer_is_an_unknown_outcome(
    halo: HaloFactory, fault: str
) -> None:
    running = halo()
    client = running.client()
    client.list_all(resources.TEAM)  # the token first, so only the write is faulted
    running.simulator.set_faults({fault: 1.0})
    with pytest.raises(UnknownOutcome):
        client.upsert(resources.ITEM_GROUP, [{"name": "Maybe"}])
    assert running.endpoint_requests("POST /ItemGroup") == 1  # never blindly re-sent
    running.simulator.set_faults(None)
    committed = [g["name"] for g in client.list_all(resources.ITEM_GROUP)]
    assert ("Maybe" in committed) == (fault == "reset-after-commit")


# --- the rate cap ---------------------------------------------------------------------------------


def test_the_client_paces_itself_to_its_rate_cap(halo: HaloFactory) -> None:
    running = halo()
    client = running.client(rate_cap=RateCap(limit=5, window_s=300.0))
    for _ in range(8):  # 1 token + 7 reads: the 6th request must wait for the window
        client.list_all(resources.TEAM)
    assert len(running.clock.slept) == 1
    assert running.clock.slept[0] == pytest.approx(300.0)
    assert RateCap() == RateCap(limit=300, window_s=300.0)


def test_a_429_is_waited_out_by_its_retry_after(halo: HaloFactory, fake_clock: FakeClock) -> None:
    running = halo(rate_cap=ServerRateCap(limit=3, window_s=300.0, clock=fake_clock))
    client = running.client(rate_cap=None, max_rate_wait=600.0)
    for _ in range(3):  # 1 token + 2 reads fill the server's window; the 3rd read gets a 429
        client.list_all(resources.TEAM)
    assert running.clock.slept == [pytest.approx(300.0)]
    assert running.endpoint_requests("GET /Team") == 4


def test_a_429_without_retry_after_backs_off_past_the_window(
    halo: HaloFactory, fake_clock: FakeClock
) -> None:
    cap = ServerRateCap(limit=3, window_s=300.0, clock=fake_clock, retry_after=False)
    running = halo(rate_cap=cap)
    client = running.client(rate_cap=None)
    for _ in range(3):
        client.list_all(resources.TEAM)
    assert running.clock.slept == list(RATE_LIMIT_WAITS_S)  # 30+60+120 s refused, then 300 s
    assert running.endpoint_requests("GET /Team") == 2 + len(RATE_LIMIT_WAITS_S) + 1


def test_a_429_asking_for_more_than_the_run_may_wait_stops_the_run(
    halo: HaloFactory, fake_clock: FakeClock
) -> None:
    running = halo(rate_cap=ServerRateCap(limit=2, window_s=300.0, clock=fake_clock))
    client = running.client(rate_cap=None, max_rate_wait=60.0)
    client.list_all(resources.TEAM)
    with pytest.raises(RateLimited, match="retry after"):
        client.list_all(resources.TEAM)
    assert running.clock.slept == []
