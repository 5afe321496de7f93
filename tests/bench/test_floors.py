"""The latency floor's model (bench/floors.py, bench/bounds.py): rounds under the real limits
(3 per Autotask endpoint, 4 to Salesbuildr, N overall), cursor pages in sequence, Salesbuildr's
offset pages after page 1, webhook chains create -> children -> activate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bench import bounds, bounds_apply, floors
from bench.bounds import AT, SB, Latency, Phase, Step

L = Latency(0.1, 0.1)


def rounds(*steps: Step, limits: floors.Limits = floors.DEFAULT) -> int:
    return bounds.phase_floor(Phase("p", list(steps)), L, limits)[1]


def test_an_autotask_cursor_is_one_page_a_round() -> None:
    assert rounds(Step("c", AT, "Companies", "read", 5)) == 5


def test_salesbuildr_offset_pages_are_page_one_then_four_at_a_time() -> None:
    assert rounds(Step("cat", SB, "category", "read", 9, paging="offset")) == 1 + 2
    assert rounds(Step("cat", SB, "category", "read", 1, paging="offset")) == 1


def test_three_per_autotask_endpoint_and_n_overall() -> None:
    same = Step("w", AT, "CompanyWebhookFields", "write", 9, paging="fan")
    assert rounds(same) == 3  # 9 / 3 per endpoint
    spread = [Step(f"e{i}", AT, f"Entity{i}", "write", 2, paging="fan") for i in range(8)]
    assert rounds(*spread) == 2  # 16 / 8 overall
    assert rounds(*spread, limits=floors.Limits(overall=4)) == 4
    # Salesbuildr: 4 in flight, whatever the endpoint.
    puts = [Step(f"d{i}", SB, f"doc{i}", "write") for i in range(8)]
    assert rounds(*puts) == 2


def test_dependencies_order_rounds_and_unknown_names_are_ignored() -> None:
    steps = (
        Step("hooks", AT, "CompanyWebhooks", "read", 2),
        Step("fields", AT, "CompanyWebhookFields", "read", 3, after=("hooks",)),
        Step("excluded", AT, "CompanyWebhookExcludedResources", "read", 1, after=("hooks",)),
        Step("other", AT, "Roles", "read", 1, after=("not-needed",)),
    )
    assert rounds(*steps) == 2 + 3


def test_the_critical_path_goes_first() -> None:
    """Eight independent one-request reads and one 4-page cursor, 8 at once: the cursor starts
    in the first round, so the phase takes 4 rounds, not 5."""
    singles = [Step(f"s{i}", AT, f"E{i}", "read") for i in range(8)]
    assert rounds(*singles, Step("long", AT, "Long", "read", 4)) == 4


@dataclass
class Diff:
    path: str


@dataclass
class WebhookChange:
    address: str
    action: str
    after: dict[str, Any]
    before: dict[str, Any] | None = None
    kind: str = "webhook"
    owner: str = "autotask"
    section: str = "webhooks"
    diff: tuple[Diff, ...] = ()
    ids: dict[str, Any] | None = None


def hook(n: int, fields: int) -> WebhookChange:
    ids = {"desired": {"fields": {f"F{i}": i for i in range(fields)}}}
    after = {"entity": "company", "fields": [f"F{i}" for i in range(fields)], "active": True}
    return WebhookChange(f'webhooks["h{n}"]', "create", after, ids=ids)


def test_a_webhook_chain_is_create_then_children_then_activate() -> None:
    (writes,) = bounds_apply.write_phases([hook(1, 6)])
    kinds = [(s.name, s.requests, s.after) for s in writes.steps]
    assert kinds == [
        ("w0", 1, ()),
        ("w0:Fields", 6, ("w0",)),
        ("w0:activate", 1, ("w0", "w0:Fields")),
    ]
    # create, then 6 fields at 3 per endpoint (2 rounds), then activate.
    assert bounds.phase_floor(writes, L)[1] == 1 + 2 + 1


def test_chains_run_side_by_side_within_the_limits() -> None:
    (writes,) = bounds_apply.write_phases([hook(n, 3) for n in range(4)])
    seconds, rounds_ = bounds.phase_floor(writes, L)
    # 4 creates (3 a round on CompanyWebhooks), 12 field rows (3 a round), 4 activations.
    assert rounds_ >= 1 + 4 + 1
    assert seconds == pytest.approx(rounds_ * 0.1)
    assert bounds.run_bound([writes], L) <= seconds


def test_deletes_are_a_phase_of_their_own_after_the_writes() -> None:
    delete = WebhookChange('webhooks["old"]', "delete", {}, before={"entity": "company"})
    phases = bounds_apply.write_phases([hook(1, 1), delete])
    assert [p.name for p in phases] == ["writes", "deletes and deactivations"]
    assert [s.name for s in phases[1].steps] == ["w1"]


def test_the_schedule_never_beats_the_resource_bound() -> None:
    steps = [Step(f"c{i}", AT, "CompanyWebhookFields", "write", 1 + i % 4) for i in range(20)]
    steps += [Step(f"p{i}", SB, "settings", "write") for i in range(6)]
    graph = floors.graph_of(steps)
    seconds, _ = floors.schedule(graph, L)
    assert floors.resource_bound(graph, L) <= seconds + 1e-9
