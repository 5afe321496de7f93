"""``compute_plan(desired, live, policy)``: a pure, deterministic comparison of two states.

Objects are matched per kind on their natural key, case-insensitively (names are compared the way
a person reads them; :mod:`reconciler.plan.live_index`). Only the attributes the desired side
states are compared, minus the section's ``ignore_fields``: what the API fills in and the YAML
leaves out never shows as a change. Equal attributes end a comparison at once (most pairs of a
big tenant); otherwise each attribute is compared, by equality first and then in canonical JSON,
so a value that only looks different (a tuple for a list) is no change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from reconciler.kinds.base import Kind
from reconciler.plan.live_index import LiveIndex
from reconciler.plan.model import (
    SENSITIVE,
    Action,
    Change,
    DriftItem,
    FieldDiff,
    KeptItem,
    Plan,
)
from reconciler.plan.risk import blocked_reasons, risk_of
from reconciler.plan.unchanged import EMPTY, Unchanged
from reconciler.state import (
    DeletePolicy,
    ManageMode,
    PolicySettings,
    Resource,
    State,
    canonical_json,
)

REMOVED = "not in the YAML (manage: full)"
_ADDRESS = attrgetter("address")
_KIND = attrgetter("kind")


@dataclass
class _Found:
    """What the comparison found, in the order found (changes are sorted at the end)."""

    changes: list[Change] = field(default_factory=list)
    drift: list[DriftItem] = field(default_factory=list)
    kept: list[KeptItem] = field(default_factory=list)


def compute_plan(
    desired: State,
    live: State,
    policy: PolicySettings,
    *,
    sections: Iterable[str],
    rotate_secrets: bool = False,
    kinds: Mapping[str, Kind],
) -> Plan:
    """Every object of the managed ``sections`` compared; see the module docstring."""
    managed = list(sections)
    order = {section: index for index, section in enumerate(managed)}
    scope = [r for r in live if r.section in order]
    index = LiveIndex(scope)
    found = _Found()
    changes = found.changes
    matched: set[int] = set()  # id() of each live object matched (addresses may repeat)
    observed = _observed(live, scope)
    modes = {section: policy.mode(section) for section in managed}
    for wanted in _in_order(desired, order):
        # Equal after folding: the exact spelling wins, else AmbiguousMatch (never a guess).
        current = index.find(wanted)
        if current is not None:
            matched.add(id(current))
            # apply's stale check looks the object up by the change's (YAML) address, which
            # differs from the live address when names differ in spelling or `name:` is given.
            observed[wanted.address] = observed[current.address]
        ignored = policy.ignore_fields.get(wanted.section, frozenset())
        kind = kinds[wanted.kind]
        change = _compare(kind, wanted, current, ignored, rotate_secrets=rotate_secrets)
        if modes[wanted.section] is ManageMode.OBSERVE:
            if change.is_change:
                found.drift.append(_as_drift(change))
            changes.append(_no_op(change, current))
            continue
        changes.append(change)
    unmatched = sorted((r for r in scope if id(r) not in matched), key=_ADDRESS)
    for current in unmatched:
        _unlisted(kinds[current.kind], current, modes[current.section], found)
    # By (section, address), in two stable passes: no key tuple per change.
    changes.sort(key=_ADDRESS)
    changes.sort(key=lambda c: order.get(c.section, 99))
    reasons = blocked_reasons(changes, scope, policy)
    return Plan(
        changes=tuple(changes),
        risk=risk_of(changes, reasons),
        blocked_reasons=tuple(reasons),
        drift=tuple(found.drift),
        kept=tuple(found.kept),
        observed=observed,
        sections=tuple(managed),
    )


def _in_order(desired: Iterable[Resource], order: Mapping[str, int]) -> list[Resource]:
    """By (section, kind, address), in stable passes (no key tuple per object)."""
    ordered = sorted(desired, key=_ADDRESS)
    ordered.sort(key=_KIND)
    ordered.sort(key=lambda r: order[r.section])
    return ordered


def _unlisted(kind: Kind, current: Resource, mode: ManageMode, found: _Found) -> None:
    """A live object the YAML does not list: removed, reported as drift, or kept."""
    removal = _removal(kind, current) if mode is ManageMode.FULL else None
    if removal is not None:
        found.changes.append(removal)
    elif kind.delete_policy is DeletePolicy.NEVER:
        return  # a singleton always exists; one the YAML does not state is not managed
    elif mode is ManageMode.OBSERVE:
        found.drift.append(
            DriftItem(
                address=current.address,
                kind=current.kind,
                section=current.section,
                state="unlisted",
            )
        )
    elif mode is ManageMode.ADDITIVE:
        # Left alone by apply, but shown: a reviewer must see what the YAML does not say.
        found.kept.append(_kept(current))


def _identity(resource: Resource) -> dict[str, Any]:
    """The fields a Change takes from the object it is about."""
    return {
        "address": resource.address,
        "kind": resource.kind,
        "key": resource.key,
        "section": resource.section,
        "owner": resource.owner,
    }


def _compare(
    kind: Kind,
    wanted: Resource,
    current: Resource | None,
    ignored: frozenset[str],
    *,
    rotate_secrets: bool,
) -> Change:
    sensitive = _sensitive(kind, wanted)
    if current is None:
        return _create(kind, wanted, sensitive)
    if current.attributes == wanted.attributes and not (rotate_secrets and sensitive):
        # Equal inputs normalise to equal forms: most pairs of a big tenant stop here.
        return Unchanged(kind, current, wanted)
    desired_attrs = kind.normalise(wanted.attributes)
    live_attrs = kind.normalise(current.attributes)
    diff = _differing(kind, desired_attrs, live_attrs, ignored)
    if rotate_secrets and sensitive:
        diff.extend(FieldDiff(path, SENSITIVE, SENSITIVE) for path in sensitive)
    if not diff:
        return Unchanged(kind, current, wanted)
    names = ", ".join(d.path for d in diff)
    # A write-only secret shows in the API only as a flag the kind declares (the receiver's
    # secret_set): a change to that flag sends the secret, so the plan must say it needs it.
    sent = {d.path for d in diff} | {kind.shadows.get(d.path, d.path) for d in diff}
    return Change(
        **_identity(wanted),
        action=Action.UPDATE,
        before=dict(live_attrs),
        # An ignored attribute is never compared, so never written either: apply writes
        # ``after``, and the diff (what a reviewer sees) cannot show it (plan/saved.py refuses
        # a plan whose after differs from its before where its diff says nothing).
        after={**live_attrs, **{k: v for k, v in desired_attrs.items() if k not in ignored}},
        diff=tuple(diff),
        sensitive_paths=sensitive if rotate_secrets or not sent.isdisjoint(sensitive) else (),
        reason=f"{names} differ" if len(diff) > 1 else f"{names} differs",
        ids={"live": dict(current.ids), "desired": dict(wanted.ids)},
        secret_refs=dict(wanted.secret_refs),
    )


def _sensitive(kind: Kind, wanted: Resource) -> tuple[str, ...]:
    """The sensitive attributes the YAML gives a secret for, in name order."""
    if not kind.sensitive or not wanted.secret_refs:
        return ()
    return tuple(sorted(kind.sensitive & set(wanted.secret_refs)))


def _create(kind: Kind, wanted: Resource, sensitive: tuple[str, ...]) -> Change:
    after = kind.with_defaults(kind.normalise(wanted.attributes))
    for path in sensitive:
        after[path] = SENSITIVE
    return Change(
        **_identity(wanted),
        action=Action.CREATE,
        before=None,
        after=after,
        diff=tuple(FieldDiff(k, None, v) for k, v in sorted(after.items())),
        sensitive_paths=sensitive,
        reason="not in the live system",
        ids={"desired": dict(wanted.ids)},
        secret_refs=dict(wanted.secret_refs),
    )


def _differing(
    kind: Kind, want: Mapping[str, Any], have: Mapping[str, Any], ignored: frozenset[str]
) -> list[FieldDiff]:
    """The compared attributes whose values differ, in name order: unequal, and unequal in
    canonical JSON too (the form both sides are stored and fingerprinted in)."""
    diff: list[FieldDiff] = []
    for key in sorted((k for k in want if k not in ignored), key=str):
        after, before = want.get(key), have.get(key)
        if after != before and canonical_json(after) != canonical_json(before):
            diff.append(FieldDiff.of(str(key), before, after, set_like=kind.set_like))
    return diff


def _removal(kind: Kind, current: Resource) -> Change | None:
    policy = kind.delete_policy
    common: dict[str, Any] = {
        **_identity(current),
        "before": dict(current.attributes),
        "ids": {"live": dict(current.ids)},
    }
    if policy in (DeletePolicy.DELETE, DeletePolicy.REMOVE):
        return Change(
            **common,
            action=Action.DELETE,
            after=None,
            diff=tuple(FieldDiff(k, v, None) for k, v in sorted(current.attributes.items())),
            reason=REMOVED,
        )
    gone = kind.deactivated(current) if policy is DeletePolicy.DEACTIVATE else None
    if gone is None:
        return None
    after = dict(gone.attributes)
    diff = tuple(
        FieldDiff(k, current.attributes.get(k), v)
        for k, v in sorted(after.items())
        if current.attributes.get(k) != v
    )
    return Change(
        **common,
        action=Action.DEACTIVATE,
        after=after,
        diff=diff,
        reason=f"{REMOVED}; {kind.deactivation_note}",
    )


def _kept(current: Resource) -> KeptItem:
    return KeptItem(
        address=current.address, section=current.section, kind=current.kind, key=current.key
    )


def _no_op(change: Change, current: Resource | None) -> Change:
    if isinstance(change, Unchanged):
        return change.observed()
    return Change(
        address=change.address,
        kind=change.kind,
        key=change.key,
        section=change.section,
        owner=change.owner,
        action=Action.NO_OP,
        before=change.before,
        after=change.before if current is not None else None,
        reason="observed only",
        ids=change.ids,
        secret_refs=EMPTY,
    )


def _as_drift(change: Change) -> DriftItem:
    return DriftItem(
        address=change.address,
        kind=change.kind,
        section=change.section,
        state="missing" if change.action is Action.CREATE else "differs",
        diff=change.diff,
    )


def _observed(live: State, scope: Sequence[Resource]) -> dict[str, str]:
    """What apply's stale check compares: each compared live object's fingerprint, and each
    document's ETag under ``<owner>:<name>``."""
    observed = {r.address: r.fingerprint() for r in scope}
    for name, snapshot in live.sections.items():
        observed[f"{snapshot.owner}:{name}"] = f"etag:{snapshot.etag}"
    return observed
