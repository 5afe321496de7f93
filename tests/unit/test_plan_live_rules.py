"""plan.live_rules: which Autotask writes a plan needs, and what the metadata says about them.

Pure: a recording kind stands in for the kinds, a Catalog holds the metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import EntityRules, FieldRule, PlannedChange, WireWrite
from reconciler.plan.live_rules import check_plan, entities_written, planned, wire_writes
from reconciler.plan.model import Action, Change, FieldDiff, Plan, Risk
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS


class Recording:
    """A kind that answers with fixed writes and records the planned changes it saw."""

    def __init__(self, *writes: WireWrite) -> None:
        self.writes = list(writes)
        self.seen: list[PlannedChange] = []

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        self.seen.append(change)
        return list(self.writes)


def _change(key: str, action: Action = Action.UPDATE, kind: str = "k", **parts: Any) -> Change:
    return Change(
        address=f'things["{key}"]',
        kind=kind,
        key=key,
        section="things",
        owner="autotask",
        action=action,
        before=parts.get("before"),
        after=parts.get("after"),
        diff=tuple(parts.get("diff", ())),
        ids=parts.get("ids", {}),
    )


def _plan(*changes: Change) -> Plan:
    return Plan(changes=changes, risk=Risk.SAFE)


def _kinds(**kinds: Recording) -> Mapping[str, Kind]:
    return cast(Mapping[str, Kind], kinds)


RULES = EntityRules(
    "Things",
    {
        "name": FieldRule("name", length=3),
        "flag": FieldRule("flag", "boolean", read_only=True),
    },
    {"create": "All", "update": "All", "delete": "None"},
)


def test_planned_carries_every_part_of_the_change() -> None:
    change = _change(
        "A",
        Action.DEACTIVATE,
        before={"x": 1},
        after={"x": 2},
        diff=(FieldDiff("x", 1, 2), FieldDiff("y.z", None, 3)),
        ids={"id": 7},
    )
    seen = planned(change)
    assert seen == PlannedChange(
        action="deactivate",
        address='things["A"]',
        key="A",
        before={"x": 1},
        after={"x": 2},
        changed=frozenset({"x", "y.z"}),
        ids={"id": 7},
    )
    assert isinstance(seen.action, str) and type(seen.action) is str


def test_wire_writes_skips_no_ops_and_unknown_kinds_but_keeps_looking() -> None:
    write = WireWrite("Things", "update", "thing", {"name": "ab"})
    kind = Recording(write)
    changes = [
        _change("noop", Action.NO_OP),
        _change("other", kind="unknown"),
        _change("A", diff=(FieldDiff("name", "a", "ab"),)),
        _change("noop2", Action.NO_OP),
        _change("B", Action.CREATE),
    ]
    found = wire_writes(changes, _kinds(k=kind))
    assert [(change.key, w) for change, w in found] == [("A", write), ("B", write)]
    assert [(p.key, p.action, p.changed) for p in kind.seen] == [
        ("A", "update", frozenset({"name"})),
        ("B", "create", frozenset()),
    ]


def test_wire_writes_pairs_each_write_with_its_change() -> None:
    one = WireWrite("Ones", "create", "one")
    two = WireWrite("Twos", "delete", "two")
    found = wire_writes([_change("A"), _change("B")], _kinds(k=Recording(one, two)))
    assert [(c.key, w.entity) for c, w in found] == [
        ("A", "Ones"),
        ("A", "Twos"),
        ("B", "Ones"),
        ("B", "Twos"),
    ]


def test_entities_written_are_sorted_and_unique_and_empty_without_changes() -> None:
    kinds = _kinds(
        k=Recording(WireWrite("Zeds", "create", "z"), WireWrite("Alphas", "update", "a")),
        j=Recording(WireWrite("Zeds", "update", "z")),
    )
    plan = _plan(_change("A"), _change("B", kind="j"), _change("C", Action.NO_OP, kind="m"))
    assert entities_written(plan, kinds) == ["Alphas", "Zeds"]
    assert entities_written(_plan(_change("A", Action.NO_OP)), kinds) == []
    assert entities_written(_plan(), kinds) == []


def test_entities_written_uses_the_registered_kinds_by_default() -> None:
    location = _change("Main", Action.CREATE, kind="inventory_location", after={"active": True})
    assert entities_written(_plan(location), kinds=AUTOTASK_KINDS) == ["InventoryLocations"]
    assert check_plan(_plan(location), Catalog(), kinds=AUTOTASK_KINDS) == []


def test_check_plan_reports_each_problem_once_per_object_with_its_attribute() -> None:
    too_long = WireWrite("Things", "update", "thing 'A'", {"name": "abcd"}, {"name": "title"})
    also = WireWrite("Things", "update", "thing 'A'", {"name": "abcd"}, {"name": "title"})
    unknown = WireWrite("Unread", "delete", "thing 'A'")
    read_only = WireWrite("Things", "update", "thing 'A'", {"flag": True}, {"flag": "on"})
    kinds = _kinds(k=Recording(unknown, too_long, also, read_only))
    catalog = Catalog(entities={"Things": RULES})
    problems = check_plan(_plan(_change("A"), _change("B")), catalog, kinds)
    length = (
        "Things.name is at most 3 characters in Autotask; thing 'A' gives 4",
        "shorten it to 3 characters or fewer",
        "title",
    )
    flag = (
        "Things.flag is read-only for this API user, so Autotask would ignore the value "
        "thing 'A' sets",
        "remove the attribute from the YAML, or set it in the Autotask admin UI",
        "on",
    )
    assert problems == [
        Problem('things["A"]', *length),
        Problem('things["A"]', *flag),
        Problem('things["B"]', *length),
        Problem('things["B"]', *flag),
    ]
    assert all(p.severity == "error" for p in problems)


def test_check_plan_keeps_distinct_messages_and_attributes_of_one_object() -> None:
    deny = WireWrite("Things", "delete", "thing 'A'")
    short = WireWrite("Things", "update", "thing 'A'", {"name": "abcd"}, {"name": "title"})
    other = WireWrite("Things", "update", "thing 'A'", {"name": "abcd"}, {"name": "label"})
    kinds = _kinds(k=Recording(deny, short, other, deny))
    problems = check_plan(_plan(_change("A")), Catalog(entities={"Things": RULES}), kinds)
    assert [(p.attribute, p.message.split(" ")[0]) for p in problems] == [
        ("", "the"),
        ("title", "Things.name"),
        ("label", "Things.name"),
    ]
    assert problems[0].message == (
        "the Autotask API user may not delete Things (userAccessForDelete is None), "
        "which thing 'A' needs"
    )
    assert problems[0].hint is not None and "preflight" in problems[0].hint


def test_check_plan_goes_on_after_a_problem_already_reported() -> None:
    long_name = WireWrite("Things", "update", "thing 'A'", {"name": "abcd"}, {"name": "title"})
    both = WireWrite(
        "Things", "update", "thing 'A'", {"name": "abcd", "flag": True}, {"name": "title"}
    )
    kinds = _kinds(k=Recording(long_name, both))
    problems = check_plan(_plan(_change("A")), Catalog(entities={"Things": RULES}), kinds)
    assert [p.message.split(" ")[0] for p in problems] == ["Things.name", "Things.flag"]
