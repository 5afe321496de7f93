"""compute_plan and the plan model on a hand-built kind: what each change carries (ids, before,
after, reason, sensitive paths), observed-only no-ops, list order, defaults of a plan's dict
form, and the checksum's exact bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.kinds.base import KindDefaults, Problem
from reconciler.kinds.catalog import Catalog
from reconciler.plan import FORMAT_VERSION, Action, Plan, PlanDiagnostic, Risk, compute_plan
from reconciler.plan.integrity import canonical_bytes, plan_checksum, plan_signature, seal
from reconciler.state import DeletePolicy, ManageMode, PolicySettings, Resource, State


@dataclass(frozen=True)
class ThingKind(KindDefaults):
    """A kind whose lists are ordered (not set-like) and whose ``token`` is sensitive."""

    name: str = "thing"
    section: str = "things"
    owner: str = "autotask"
    delete_policy: DeletePolicy = DeletePolicy.DELETE
    sensitive: frozenset[str] = frozenset({"token"})
    set_like: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        return resource, []


KINDS = {"thing": ThingKind()}


def thing(
    name: str, *, ids: Mapping[str, Any] | None = None, secrets: Sequence[str] = (), **attrs: Any
) -> Resource:
    return Resource(
        address=f'things["{name}"]',
        kind="thing",
        section="things",
        key=name,
        attributes=attrs,
        owner="autotask",
        ids=dict(ids or {}),
        secret_refs={s: f"${{env:{s.upper()}}}" for s in secrets},
    )


def compute(
    desired: Sequence[Resource], live: Sequence[Resource], mode: str = "additive", **kw: Any
) -> Plan:
    policy = PolicySettings(manage={"things": ManageMode(mode)})
    return compute_plan(
        State.of(desired), State.of(live), policy, sections=["things"], kinds=KINDS, **kw
    )


def test_a_create_carries_the_desired_ids_and_every_attribute() -> None:
    (change,) = compute([thing("a", ids={"ref": 1}, size=2)], []).changes
    assert change.action is Action.CREATE
    assert change.ids == {"desired": {"ref": 1}}
    assert change.before is None and change.after == {"size": 2}


def test_an_update_names_each_field_and_keeps_live_attributes_in_after() -> None:
    (change,) = compute(
        [thing("a", ids={"ref": 1}, size=3, color="red")],
        [thing("a", ids={"id": 9}, size=2, color="blue", extra="kept")],
    ).changes
    assert change.action is Action.UPDATE
    assert change.reason == "color, size differ"
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("color", "blue", "red"),
        ("size", 2, 3),
    ]
    assert change.before == {"size": 2, "color": "blue", "extra": "kept"}
    assert change.after == {"size": 3, "color": "red", "extra": "kept"}
    assert change.ids == {"live": {"id": 9}, "desired": {"ref": 1}}
    (one,) = compute([thing("a", size=3)], [thing("a", size=2)]).changes
    assert one.reason == "size differs"


def test_a_no_op_keeps_the_live_attributes_and_both_ids() -> None:
    (change,) = compute(
        [thing("a", ids={"ref": 1}, size=2)], [thing("a", ids={"id": 9}, size=2)]
    ).changes
    assert change.action is Action.NO_OP
    assert change.before == {"size": 2} and change.after == {"size": 2}
    assert change.ids == {"live": {"id": 9}, "desired": {"ref": 1}}


def test_order_of_a_plain_list_is_a_change() -> None:
    (change,) = compute([thing("a", steps=[1, 2])], [thing("a", steps=[2, 1])]).changes
    assert change.action is Action.UPDATE
    assert [(d.path, d.before, d.after) for d in change.diff] == [("steps", [2, 1], [1, 2])]


def test_equal_after_canonical_json_is_no_change() -> None:
    (change,) = compute([thing("a", steps=(1, 2))], [thing("a", steps=[1, 2])]).changes
    assert change.action is Action.NO_OP


def test_an_update_that_does_not_send_the_secret_has_no_sensitive_paths() -> None:
    desired = [thing("a", secrets=["token"], size=3)]
    (change,) = compute(desired, [thing("a", size=2)]).changes
    assert change.action is Action.UPDATE
    assert change.sensitive_paths == ()
    assert change.secret_refs == {"token": "${env:TOKEN}"}
    (rotated,) = compute(desired, [thing("a", size=2)], rotate_secrets=True).changes
    assert rotated.sensitive_paths == ("token",)


def test_only_the_kinds_sensitive_attributes_are_sensitive() -> None:
    (change,) = compute([thing("a", secrets=["token", "other"], size=1)], []).changes
    assert change.sensitive_paths == ("token",)
    assert change.after == {"size": 1, "token": "(sensitive)"}


def test_secrets_are_not_rotated_unless_asked() -> None:
    plan = compute([thing("a", secrets=["token"], size=1)], [thing("a", size=1)])
    assert not plan.has_changes


def test_observed_only_no_ops_show_the_live_side_or_nothing() -> None:
    plan = compute(
        [thing("a", size=3), thing("new", size=1)],
        [thing("a", ids={"id": 9}, size=2)],
        "observe",
    )
    by_key = {c.key: c for c in plan.changes}
    assert all(c.action is Action.NO_OP for c in plan.changes)
    assert by_key["a"].before == {"size": 2} and by_key["a"].after == {"size": 2}
    assert by_key["a"].ids == {"live": {"id": 9}, "desired": {}}
    assert by_key["new"].before is None and by_key["new"].after is None
    assert [(d.address, d.state) for d in plan.drift] == [
        ('things["a"]', "differs"),
        ('things["new"]', "missing"),
    ]


def test_a_delete_carries_the_live_ids_and_values() -> None:
    plan = compute([], [thing("gone", ids={"id": 4}, size=2)], "full")
    (change,) = plan.changes
    assert change.action is Action.DELETE
    assert change.ids == {"live": {"id": 4}}
    assert [(d.path, d.before, d.after) for d in change.diff] == [("size", 2, None)]
    assert plan.risk is Risk.DESTRUCTIVE


def test_the_change_fraction_blocks_above_the_policy_share_of_ten_or_more() -> None:
    live = [thing(f"t{i}", size=1) for i in range(10)]
    changed = [thing(f"t{i}", size=2 if i < 4 else 1) for i in range(10)]
    policy = PolicySettings(manage={}, max_change_fraction=0.3)
    plan = compute_plan(State.of(changed), State.of(live), policy, sections=["things"], kinds=KINDS)
    assert plan.risk is Risk.BLOCKED
    assert plan.blocked_reasons == (
        "4 of 10 live thing objects would change (40% > policy.max_change_fraction 30%)",
    )
    three = [thing(f"t{i}", size=2 if i < 3 else 1) for i in range(10)]
    assert (
        compute_plan(State.of(three), State.of(live), policy, sections=["things"], kinds=KINDS).risk
        is Risk.SAFE
    )


# --- the plan's dict form ------------------------------------------------------------------


def test_a_plan_from_an_almost_empty_dict_has_the_defaults() -> None:
    plan = Plan.from_dict({"diagnostics": [{}]})
    assert plan.risk is Risk.SAFE
    assert plan.format_version == FORMAT_VERSION
    assert (plan.config_sha256, plan.config_file, plan.generated_at, plan.tool_version) == (
        "",
        "",
        "",
        "",
    )
    assert plan.diagnostics == (PlanDiagnostic(severity="warning", message=""),)


def test_diagnostics_round_trip_through_the_dict_form() -> None:
    diagnostic = PlanDiagnostic("error", "bad", address="a", location="m.yaml:1:2", hint="fix")
    plan = Plan(changes=(), risk=Risk.SAFE, diagnostics=(diagnostic,), tool_version="9")
    again = Plan.from_dict(plan.to_dict())
    assert again.diagnostics == (diagnostic,)
    assert again.to_dict() == plan.to_dict()
    assert "hint" not in PlanDiagnostic("warning", "no hint").to_dict()


def test_with_meta_sets_the_values() -> None:
    plan = Plan(changes=(), risk=Risk.SAFE).with_meta(config_file="m.yaml", tool_version="2")
    assert (plan.config_file, plan.tool_version) == ("m.yaml", "2")


# --- the checksum's bytes ------------------------------------------------------------------


def test_the_checksum_covers_compact_sorted_utf8_without_the_seal_fields() -> None:
    data = {"b": "é", "a": [1, 2], "checksum": "x", "signature": "y"}
    expected = '{"a":[1,2],"b":"é"}'.encode()
    assert canonical_bytes(data) == expected
    assert plan_checksum(data) == "sha256:" + hashlib.sha256(expected).hexdigest()


def test_a_lone_surrogate_still_has_a_checksum() -> None:
    assert canonical_bytes({"a": "\ud800"}) == b'{"a":"\xed\xa0\x80"}'


def test_values_json_cannot_hold_are_checksummed_as_text() -> None:
    assert canonical_bytes({"a": {1}, "b": Risk.SAFE}) == b'{"a":"{1}","b":"safe"}'
    assert seal({"x": frozenset()}, None)["x"] == "frozenset()"


def test_a_sealed_plan_is_signed_over_the_same_bytes() -> None:
    sealed = seal({"a": 1}, "key")
    assert sealed["signature"] == plan_signature({"a": 1}, "key")
    assert sealed["checksum"] == plan_checksum({"a": 1})
    assert "signature" not in seal({"a": 1}, None) and "signature" not in seal({"a": 1}, "")
