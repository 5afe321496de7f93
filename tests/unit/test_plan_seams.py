"""The seams between the engine and the kinds: what a kind declares (apply stage, write-only
shadows, deactivation), the one risk rule, the exact-key live look-up and the observed keys
taken from the snapshot. The kinds here are made up, with owners no system has: the engine
must work from the declarations alone."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.apply_graph import Phase, build_graph, phase
from reconciler.errors import AmbiguousMatch
from reconciler.kinds.base import ApplyStage, KindDefaults
from reconciler.kinds.matching import index_live, match_key, pick
from reconciler.plan import Action, Change, Plan, Risk, compute_plan
from reconciler.plan.live_index import LiveIndex
from reconciler.plan.risk import MIN_COLLECTION_FOR_FRACTION, blocked_reasons, risk_of
from reconciler.psa.autotask.kinds.registry import BY_NAME, KINDS
from reconciler.state import (
    DeletePolicy,
    ManageMode,
    PolicySettings,
    Resource,
    SectionSnapshot,
    State,
)


@dataclass(frozen=True)
class Thing(KindDefaults):
    """A made-up kind: every declaration the engine reads is a field here."""

    name: str = "thing"
    section: str = "things"
    owner: str = "elsewhere"
    delete_policy: DeletePolicy = DeletePolicy.DELETE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    stage: ApplyStage = ApplyStage.DOCUMENT
    shadows: Mapping[str, str] = field(default_factory=dict)
    deactivation_note: str = "it cannot be deleted: switched off"

    def deactivated(self, resource: Resource) -> Resource | None:
        if self.delete_policy is not DeletePolicy.DEACTIVATE or not resource.attributes["on"]:
            return None
        return resource.with_attributes(on=False)


def thing(key: str, kind: Thing | None = None, **attributes: Any) -> Resource:
    kind = kind or Thing()
    return Resource(
        address=f'{kind.section}["{key}"]',
        kind=kind.name,
        section=kind.section,
        key=key,
        attributes=attributes,
        owner=kind.owner,
        raw={"key": key, **attributes},
    )


def plan_of(
    kind: Thing, desired: Sequence[Resource], live: Sequence[Resource], **options: Any
) -> Plan:
    policy = PolicySettings(manage={kind.section: ManageMode.FULL})
    return compute_plan(
        State.of(desired),
        State.of(live),
        policy,
        sections=[kind.section],
        kinds={kind.name: kind},
        **options,
    )


def change(kind: str, action: Action, address: str = 'things["a"]') -> Change:
    return Change(
        address=address,
        kind=kind,
        key=address,
        section="things",
        owner="anyone",
        action=action,
        before=None if action is Action.CREATE else {},
        after=None if action is Action.DELETE else {},
    )


# --- declarations --------------------------------------------------------------------------


def test_every_registered_kind_declares_its_stage() -> None:
    stages = {kind.name: kind.stage for kind in KINDS}
    assert stages.pop("webhook_receiver") is ApplyStage.FIRST
    assert stages.pop("webhook") is ApplyStage.OBJECT
    assert stages.pop("inventory_location") is ApplyStage.OBJECT
    assert set(stages.values()) == {ApplyStage.DOCUMENT}
    assert dict(BY_NAME["webhook_receiver"].shadows) == {"secret_set": "secret"}
    assert all(not kind.shadows for kind in KINDS if kind.name != "webhook_receiver")


@pytest.mark.parametrize(
    ("stage", "action", "expected"),
    [
        (ApplyStage.FIRST, Action.UPDATE, Phase.RECEIVER),
        (ApplyStage.OBJECT, Action.CREATE, Phase.OBJECTS),
        (ApplyStage.OBJECT, Action.UPDATE, Phase.OBJECTS),
        (ApplyStage.OBJECT, Action.DELETE, Phase.REMOVALS),
        (ApplyStage.OBJECT, Action.DEACTIVATE, Phase.REMOVALS),
        (ApplyStage.DOCUMENT, Action.UPDATE, Phase.DOCUMENTS),
        (ApplyStage.DOCUMENT, Action.DELETE, Phase.DOCUMENTS),
    ],
)
def test_the_phase_is_the_declared_stage_then_the_action(
    stage: ApplyStage, action: Action, expected: Phase
) -> None:
    kinds = {"thing": Thing(stage=stage)}
    assert phase(change("thing", action), kinds) is expected


def test_a_kind_the_registry_does_not_know_is_written_in_its_document() -> None:
    assert phase(change("unknown", Action.CREATE), {}) is Phase.DOCUMENTS


def test_the_graph_orders_made_up_kinds_by_their_stages() -> None:
    kinds = {
        "key": Thing(name="key", stage=ApplyStage.FIRST),
        "object": Thing(name="object", stage=ApplyStage.OBJECT),
        "row": Thing(name="row"),
    }
    changes = [
        change("row", Action.UPDATE, 'things["r"]'),
        change("object", Action.DELETE, 'things["o-gone"]'),
        change("object", Action.CREATE, 'things["o"]'),
        change("key", Action.UPDATE, "things"),
    ]
    steps = build_graph(changes, kinds)
    assert [s.id for s in steps] == [
        "receiver",
        'object:things["o"]',
        "document:things",
        'removal:things["o-gone"]',
        "document-after-removals:things",
    ]


# --- compute: shadows, deactivation, observed keys -----------------------------------------


@pytest.mark.parametrize(("shadows", "needs_secret"), [({"token_set": "token"}, True), ({}, False)])
def test_a_declared_shadow_makes_its_change_send_the_secret(
    shadows: dict[str, str], needs_secret: bool
) -> None:
    kind = Thing(sensitive=frozenset({"token"}), shadows=shadows)
    wanted = Resource(
        address='things["a"]',
        kind="thing",
        section="things",
        key="a",
        attributes={"token_set": True},
        owner="elsewhere",
        secret_refs={"token": "TOKEN"},
    )
    plan = plan_of(kind, [wanted], [thing("a", kind, token_set=False)])
    (only,) = plan.changes
    assert only.action is Action.UPDATE
    assert only.sensitive_paths == (("token",) if needs_secret else ())


def test_removal_deactivates_as_the_kind_declares() -> None:
    kind = Thing(delete_policy=DeletePolicy.DEACTIVATE)
    plan = plan_of(kind, [], [thing("on", kind, on=True), thing("off", kind, on=False)])
    (only,) = plan.changes
    assert (only.address, only.action) == ('things["on"]', Action.DEACTIVATE)
    assert dict(only.after or {}) == {"on": False}
    assert [(d.path, d.before, d.after) for d in only.diff] == [("on", True, False)]
    assert only.reason == "not in the YAML (manage: full); it cannot be deleted: switched off"
    assert plan.risk is Risk.DESTRUCTIVE


def test_document_etags_are_observed_under_the_snapshot_owner() -> None:
    live = State.of([], [SectionSnapshot("things-doc", {}, '"e1"', owner="keeper")])
    plan = compute_plan(
        State.of([]), live, PolicySettings(), sections=["things"], kinds={"thing": Thing()}
    )
    assert plan.observed == {"keeper:things-doc": 'etag:"e1"'}


# --- the one risk rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "reasons", "expected"),
    [
        ([], [], Risk.SAFE),
        ([Action.NO_OP], ["too many"], Risk.SAFE),
        ([Action.UPDATE], [], Risk.SAFE),
        ([Action.UPDATE, Action.NO_OP], ["too many"], Risk.BLOCKED),
        ([Action.CREATE, Action.DEACTIVATE], [], Risk.DESTRUCTIVE),
        ([Action.DELETE], ["too many"], Risk.BLOCKED),
    ],
)
def test_risk_of(actions: list[Action], reasons: list[str], expected: Risk) -> None:
    changes = [change("thing", a, f'things["{i}"]') for i, a in enumerate(actions)]
    assert risk_of(changes, reasons) is expected


def test_blocked_reasons_count_removals_and_the_share_of_each_kind() -> None:
    live = [thing(str(i)) for i in range(MIN_COLLECTION_FOR_FRACTION)]
    changes = [change("thing", Action.DELETE, f'things["{i}"]') for i in range(4)]
    policy = PolicySettings(max_deletes=3, max_change_fraction=0.3)
    assert blocked_reasons(changes, live, policy) == [
        "4 deletes/deactivations exceed policy.max_deletes (3)",
        "4 of 10 live thing objects would change (40% > policy.max_change_fraction 30%)",
    ]
    # Below the collection size the share is not judged.
    assert blocked_reasons(changes[:3], live[:9], policy) == []


# --- the exact-key look-up -----------------------------------------------------------------


def _folding(wanted: Resource, live: Sequence[Resource]) -> Resource | str | None:
    try:
        return pick(wanted, index_live(live).get(match_key(wanted), []))
    except AmbiguousMatch:
        return "ambiguous"


def _indexed(wanted: Resource, index: LiveIndex) -> Resource | str | None:
    try:
        return index.find(wanted)
    except AmbiguousMatch:
        return "ambiguous"


def test_the_exact_look_up_finds_what_folding_would() -> None:
    """Same answers (and the same ambiguities) as pick over the folded index, on keys made to
    collide: case, width and spacing variants, exact duplicates under other addresses."""
    rng = random.Random(7)
    spellings = ["Main", "main", "MAIN", "Main ", "Ｍain", "Van", "van", "Spare"]
    for _ in range(200):
        live = [
            Resource(
                address=f'things["{n}"]',
                kind=rng.choice(["thing", "other"]),
                section="things",
                key=rng.choice(spellings),
                attributes={},
                owner="elsewhere",
            )
            for n in range(rng.randint(0, 6))
        ]
        index = LiveIndex(live)
        for key in spellings:
            wanted = thing(key)
            assert _indexed(wanted, index) == _folding(wanted, live), (key, live)
