"""The lower bound of another PSA's cold apply (bench/psa_applies.py): the fewest writes of a
plan's changes and the re-reads its guarantees need (stale check, verification, lock), and the
recorded requests split into the same phases. Pure arithmetic over hand-made changes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench import floors, psa_applies
from bench.psa_plans import Listing, Request, Uniform
from bench.psa_specs import PsaBench

CW = PsaBench(
    "connectwise",
    "chain",
    in_flight=4,
    rate=(60, 60.0),
    collections={"callback": "system/callbacks"},
    documents={"categories": "categories", "ticket_settings": "ticket-settings"},
)


@dataclass
class Change:
    kind: str
    owner: str
    section: str
    action: str


def callback(action: str) -> Change:
    return Change("callback", "connectwise", "callbacks", action)


def mapping(section: str) -> Change:
    return Change("category_mapping", "salesbuildr", section, "create")


# The plan read 1,500 callbacks, 1,000 a page (2 pages), and a board (not re-read).
PLAN_READS = [
    Listing(
        "connectwise", "GET /v4/system/callbacks?", "/v4/system/callbacks", "GET", 2, 1500, 1000
    ),
    Listing("connectwise", "GET /v4/service/boards?", "/v4/service/boards", "GET", 1, 28, 1000),
]


def phases_of(changes: list[Change]) -> dict[str, dict[str, int]]:
    return {p.name: dict(p.calls) for p in psa_applies.write_floor(changes, CW, PLAN_READS)}


def test_one_write_per_psa_change_one_put_per_document_and_the_rereads_twice() -> None:
    changes = [
        callback("create"),
        callback("create"),
        callback("update"),
        callback("delete"),
        mapping("categories"),
        mapping("categories"),  # the same document: one PUT
        mapping("ticket_settings"),
    ]
    assert phases_of(changes) == {
        "lock": {"salesbuildr": 1},
        # the callbacks' listing at its plan-time rows (2 pages) and each touched document
        "stale check": {"connectwise": 2, "salesbuildr": 2},
        "writes": {"connectwise": 3, "salesbuildr": 2},
        "deletes": {"connectwise": 1},
        "verify": {"connectwise": 2, "salesbuildr": 2},
        "unlock": {"salesbuildr": 1},
    }


def test_the_verification_reads_the_rows_after_the_apply() -> None:
    """1,500 + 501 creates = 2,001 rows: 3 pages after, 2 before; no removals, no deletes phase."""
    phases = phases_of([callback("create") for _ in range(501)])
    assert phases["stale check"] == {"connectwise": 2}
    assert phases["verify"] == {"connectwise": 3}
    assert "deletes" not in phases


def test_documents_only_reread_no_psa_listing() -> None:
    phases = phases_of([mapping("ticket_settings")])
    assert phases["stale check"] == phases["verify"] == {"salesbuildr": 1}
    assert phases["writes"] == {"salesbuildr": 1}


def test_a_kind_or_section_the_spec_does_not_place_is_an_error() -> None:
    with pytest.raises(ValueError, match="no listing of board"):
        psa_applies.write_floor([Change("board", "connectwise", "boards", "create")], CW, [])
    with pytest.raises(ValueError, match="no document of quotes"):
        psa_applies.write_floor([mapping("quotes")], CW, [])


def test_the_write_floor_schedules_under_the_in_flight_cap() -> None:
    """Six callback creates and two PUTs: 4 ConnectWise requests a round, Salesbuildr beside."""
    changes = [callback("create") for _ in range(6)] + [
        mapping("categories"),
        mapping("ticket_settings"),
    ]
    writes = next(p for p in psa_applies.write_floor(changes, CW, PLAN_READS) if p.name == "writes")
    limits = floors.Limits(overall=8, systems={"connectwise": 4})
    seconds, rounds = floors.schedule(floors.graph_of(writes.steps), Uniform(0.1), limits)
    assert rounds == 2
    assert seconds == pytest.approx(0.2)


def request(path: str, method: str, started: float) -> Request:
    system = "salesbuildr" if "lock" in path or "settings" in path else "connectwise"
    return Request(system, f"{method} {path}?", None, None, started, started + 0.5, method, path)


def test_recorded_requests_split_into_the_apply_phases() -> None:
    recorded = [
        request("/v4/system/callbacks", "GET", 0.0),  # the plan
        request("/sb/lock", "PUT", 10.0),
        request("/v4/system/callbacks", "GET", 11.0),  # stale check
        request("/sb/settings/categories", "GET", 11.0),
        request("/v4/system/callbacks", "POST", 12.0),
        request("/sb/settings/categories", "PUT", 12.0),
        request("/v4/system/callbacks", "GET", 12.2),  # during the writes
        request("/v4/system/callbacks", "GET", 13.0),  # verify
        request("/sb/lock", "DELETE", 14.0),
    ]
    assert psa_applies.actual_phases(recorded, planned=5.0) == {
        "plan": {"connectwise": 1},
        "lock": {"salesbuildr": 2},
        "stale check": {"connectwise": 1, "salesbuildr": 1},
        "writes": {"connectwise": 1, "salesbuildr": 1},
        "during writes": {"connectwise": 1},
        "verify": {"connectwise": 1},
    }
