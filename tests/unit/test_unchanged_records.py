"""No-ops are :class:`Unchanged` records built on first read: the same plan as the eager code.

The reference below is the construction compute_plan used before no-ops became records: every
no-op carried fresh dicts for ``before`` (the live attributes normalised), ``after`` (those
overlaid with the desired ones; ``before`` again in an observed section) and ``ids``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.kinds.base import address
from reconciler.plan import Action, Change, Plan, compute_plan
from reconciler.plan.unchanged import Unchanged
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.webhooks import SECTION as WEBHOOKS
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK, natural_key
from reconciler.state import ManageMode, PolicySettings, Resource, State

FIELDS = ["Alpha", "beta", "Gamma", "delta", "Epsilon"]

# How the live side of one webhook relates to the desired side.
SAME = "same object"
COPY = "equal copy"
SHUFFLED = "fields in another order"
EXTRA = "an attribute the YAML does not state"
CHANGED = "a compared value differs"


def _hook(index: int, fields: list[str], active: bool) -> Resource:
    name = f"hook-{index}"
    return Resource(
        address=address(WEBHOOKS, name),
        kind=WEBHOOK.name,
        section=WEBHOOKS,
        key=natural_key("ticket", name),
        attributes={"entity": "ticket", "name": name, "active": active, "fields": fields},
        owner="autotask",
        ids={"id": 1000 + index},
    )


def _live(wanted: Resource, relation: str) -> Resource:
    attributes: dict[str, Any] = {k: v for k, v in wanted.attributes.items()}
    if relation == SAME:
        return wanted
    if relation == SHUFFLED:
        attributes["fields"] = list(reversed(attributes["fields"]))
    elif relation == EXTRA:
        attributes["url"] = "https://hooks.example.com/x"
    elif relation == CHANGED:
        attributes["active"] = not attributes["active"]
    return Resource(
        address=wanted.address,
        kind=wanted.kind,
        section=wanted.section,
        key=wanted.key,
        attributes=attributes,
        owner=wanted.owner,
        ids=dict(wanted.ids),
        raw={"webhook": attributes},
    )


def _reference(wanted: Resource, current: Resource, *, observed: bool) -> Change:
    live = WEBHOOK.normalise(current.attributes)
    after = live if observed else {**live, **WEBHOOK.normalise(wanted.attributes)}
    return Change(
        address=wanted.address,
        kind=wanted.kind,
        key=wanted.key,
        section=wanted.section,
        owner=wanted.owner,
        action=Action.NO_OP,
        before=dict(live),
        after=after,
        reason="observed only" if observed else "",
        ids={"live": dict(current.ids), "desired": dict(wanted.ids)},
    )


hooks = st.lists(
    st.tuples(
        st.lists(st.sampled_from(FIELDS), unique=True, max_size=5),
        st.booleans(),
        st.sampled_from([SAME, COPY, SHUFFLED, EXTRA, CHANGED]),
    ),
    min_size=1,
    max_size=6,
)


@given(hooks=hooks, observe=st.booleans(), ignore_active=st.booleans())
def test_no_ops_serialise_exactly_as_the_eager_construction(
    hooks: list[tuple[list[str], bool, str]], observe: bool, ignore_active: bool
) -> None:
    desired = [_hook(i, fields, active) for i, (fields, active, _) in enumerate(hooks)]
    live = [_live(w, relation) for w, (_, _, relation) in zip(desired, hooks, strict=True)]
    mode = ManageMode.OBSERVE if observe else ManageMode.ADDITIVE
    plan = compute_plan(
        State.of(desired),
        State.of(live),
        PolicySettings(
            manage={WEBHOOKS: mode},
            ignore_fields={WEBHOOKS: frozenset({"active"})} if ignore_active else {},
        ),
        sections=[WEBHOOKS],
        kinds=AUTOTASK_KINDS,
    )
    by_address = {w.address: (w, c) for w, c in zip(desired, live, strict=True)}
    changed = {w.address for w, (_, _, r) in zip(desired, hooks, strict=True) if r == CHANGED}
    expected_no_ops = set(by_address) if observe or ignore_active else set(by_address) - changed
    no_ops = [c for c in plan.changes if c.action is Action.NO_OP]
    assert {c.address for c in no_ops} == expected_no_ops
    for change in no_ops:
        wanted, current = by_address[change.address]
        if current.attributes == wanted.attributes or not observe:
            assert isinstance(change, Unchanged)
        reference = _reference(wanted, current, observed=observe)
        # Byte for byte, key order included: the JSON a reader sees.
        assert json.dumps(change.to_dict()) == json.dumps(reference.to_dict())
        assert change == reference and reference == change
    # The saved form reads back to the same plan, and a rendering reads the same dict twice.
    once = json.dumps(plan.to_dict())
    assert (
        json.dumps(Plan.from_dict(plan.to_dict()).to_dict()) == once == json.dumps(plan.to_dict())
    )


def _is_set(slot: Any, record: Unchanged) -> bool:
    try:
        slot.__get__(record, Unchanged)
    except AttributeError:
        return False
    return True


def test_an_unchanged_record_is_slotted_and_builds_its_dicts_only_when_read() -> None:
    wanted = _hook(1, ["beta", "Alpha"], True)
    current = _live(wanted, SHUFFLED)
    record = Unchanged(WEBHOOK, current, wanted)
    assert not hasattr(record, "__dict__")
    built = Unchanged.__dict__["_derived"]  # the slot: empty until a derived field is read
    assert not _is_set(built, record)
    assert record.before["fields"] == ["Alpha", "beta"]
    assert _is_set(built, record)
    assert record.secret_refs == {} and record.diff == () and record.reason == ""
    assert repr(record).startswith("Unchanged(address=")
