"""The lower bound of another PSA's reads (bench/psa_plans.py): pages a listing needs, the order
pages follow (forward-only chains, offset fans, children after their collection, a token first)
and the client-side rate cap's floor. Pure arithmetic over recorded requests."""

from __future__ import annotations

from dataclasses import dataclass

from bench import psa_plans
from bench.psa_plans import Request
from bench.psa_specs import PsaBench

CW = PsaBench("connectwise", "chain", in_flight=4, rate=(60, 60.0))
HALO = PsaBench("halopsa", "offset", in_flight=4, rate=(300, 300.0))


def request(
    system: str, path: str, rows: int | None, size: int | None, method: str = "GET"
) -> Request:
    return Request(system, f"{method} {path}?", rows, size, 0.0, 0.0, method, path)


def test_a_listing_needs_its_rows_over_the_page_size_and_one_request_at_least() -> None:
    requests = [
        request("connectwise", "/procurement/categories", 1000, 1000),
        request("connectwise", "/procurement/categories", 1000, 1000),
        request("connectwise", "/procurement/categories", 1, 1000),
        request("connectwise", "/procurement/categories", 0, 1000),  # one page too many
        request("connectwise", "/company/companies/types", 0, 1000),
    ]
    found = psa_plans.bound(requests, CW, 0.1)
    assert found["calls"] == {"connectwise": 5}
    assert found["lower_bound"] == {"connectwise": 4}  # 3 pages + 1 for the empty list
    # Forward-only pages follow each other: 3 rounds for the longest chain.
    assert found["floor_rounds"] == 3
    assert abs(found["floor_latency_s"] - 0.3) < 1e-9


def test_offset_pages_run_together_after_the_first_and_children_after_their_collection() -> None:
    requests = [
        request("halopsa", "/auth/token", None, None, "POST"),
        *[request("halopsa", "/Item", 100, 100) for _ in range(9)],
        request("halopsa", "/Item", 5, 100),
        request("halopsa", "/Board", 2, 100),
        request("halopsa", "/Board/7/Status", 3, 100),
    ]
    found = psa_plans.bound(requests, HALO, 0.1)
    assert found["lower_bound"] == {"halopsa": 1 + 10 + 1 + 1}
    # token; page 1 of /Item and /Board; 9 more /Item pages (4 in flight: 3 rounds) with the
    # board's child beside them.
    assert found["floor_rounds"] == 5


def test_the_rate_cap_floor_counts_whole_windows_before_the_last_request() -> None:
    assert psa_plans.rate_floor(0, (60, 60.0)) == 0.0
    assert psa_plans.rate_floor(60, (60, 60.0)) == 0.0
    assert psa_plans.rate_floor(61, (60, 60.0)) == 60.0
    assert psa_plans.rate_floor(301, (300, 300.0)) == 300.0


SCOPED = PsaBench(
    "connectwise", "chain", in_flight=4, rate=(60, 60.0), scoped={"service/boards": "tickets.board"}
)


def test_a_listing_below_a_parent_the_yaml_does_not_name_needs_nothing() -> None:
    """The YAML names board 7: board 8's statuses are read, but not needed."""
    requests = [
        request("connectwise", "/v4/service/boards", 2, 1000),
        request("connectwise", "/v4/service/boards/7/statuses", 3, 1000),
        request("connectwise", "/v4/service/boards/8/statuses", 3, 1000),
        request("connectwise", "/v4/service/boards/8/types", 0, 1000),
    ]
    found = psa_plans.bound(requests, SCOPED, 0.1, {"service/boards": {"7"}})
    assert found["calls"] == {"connectwise": 4}
    assert found["lower_bound"] == {"connectwise": 2}
    assert found["not_named_by_the_yaml"] == {"listings": 2, "requests": 2}
    assert found["floor_rounds"] == 2  # the boards, then board 7's statuses
    # Without the YAML's names every listing read counts.
    assert psa_plans.bound(requests, SCOPED, 0.1)["lower_bound"] == {"connectwise": 4}


def test_the_parent_id_of_a_path_below_a_collection() -> None:
    assert psa_plans.parent_id("/v4/service/boards/7/statuses", "service/boards") == "7"
    assert psa_plans.parent_id("/v4/service/boards", "service/boards") is None
    assert psa_plans.parent_id("/v4/service/boards/7", "service/boards") is None  # the board
    assert psa_plans.parent_id("/v4/company/companies/7/notes", "service/boards") is None


@dataclass
class Board:
    id: int


@dataclass
class Tickets:
    board: object


@dataclass
class Document:
    tickets: Tickets | None


def test_the_yaml_names_parents_by_name_folded_or_by_id() -> None:
    rows = {"service/boards": [("7", "Professional  Services"), ("8", "Help Desk")]}
    by_name = Document(Tickets("professional services"))
    assert psa_plans.scoped_parents(SCOPED, by_name, rows) == {"service/boards": {"7"}}
    by_id = Document(Tickets(Board(8)))
    assert psa_plans.scoped_parents(SCOPED, by_id, rows) == {"service/boards": {"8"}}
    # No ticket settings: no board's children are needed.
    assert psa_plans.scoped_parents(SCOPED, Document(None), rows) == {"service/boards": set()}
