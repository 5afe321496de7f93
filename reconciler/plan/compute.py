"""``compute_plan(desired, live, policy)``: a pure, deterministic comparison of two states.

Objects are matched per kind on their natural key, case-insensitively (names are compared the way
a person reads them). Only the attributes the desired side states are compared, minus the
section's ``ignore_fields``: what the API fills in and the YAML leaves out never shows as a change.
Canonical forms are compared first; deepdiff runs only on pairs that differ, to name the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from deepdiff import DeepDiff

from reconciler.kinds.base import Kind
from reconciler.kinds.matching import index_live, match_key, pick
from reconciler.kinds.registry import BY_NAME
from reconciler.plan.model import (
    SENSITIVE,
    Action,
    Change,
    DriftItem,
    FieldDiff,
    KeptItem,
    Plan,
    Risk,
)
from reconciler.plan.unchanged import EMPTY, Unchanged
from reconciler.state import (
    DeletePolicy,
    ManageMode,
    PolicySettings,
    Resource,
    State,
    canonical_json,
)

MIN_COLLECTION_FOR_FRACTION = 10


def compute_plan(
    desired: State,
    live: State,
    policy: PolicySettings,
    *,
    sections: Iterable[str],
    rotate_secrets: bool = False,
    kinds: Mapping[str, Kind] = BY_NAME,
) -> Plan:
    """Every object of the managed ``sections`` compared; see the module docstring."""
    managed = list(sections)
    live_by_key = index_live(r for r in live if r.section in managed)
    changes: list[Change] = []
    drift: list[DriftItem] = []
    kept: list[KeptItem] = []
    matched: set[int] = set()  # id() of each live object matched (addresses may repeat)
    observed = _observed(live, managed)
    for wanted in sorted(desired, key=lambda r: (managed.index(r.section), r.kind, r.address)):
        kind = kinds[wanted.kind]
        # Equal after folding: the exact spelling wins, else AmbiguousMatch (never a guess).
        current = pick(wanted, live_by_key.get(match_key(wanted), []))
        if current is not None:
            matched.add(id(current))
            # apply's stale check looks the object up by the change's (YAML) address, which
            # differs from the live address when names differ in spelling or `name:` is given.
            observed[wanted.address] = observed[current.address]
        mode = policy.mode(wanted.section)
        ignored = policy.ignore_fields.get(wanted.section, frozenset())
        change = _compare(kind, wanted, current, ignored, rotate_secrets=rotate_secrets)
        if mode is ManageMode.OBSERVE:
            if change.is_change:
                drift.append(_as_drift(change))
            changes.append(_no_op(change, current, wanted))
            continue
        changes.append(change)
    unmatched = (r for group in live_by_key.values() for r in group if id(r) not in matched)
    for current in sorted(unmatched, key=lambda r: r.address):
        kind = kinds[current.kind]
        mode = policy.mode(current.section)
        removal = _removal(kind, current) if mode is ManageMode.FULL else None
        if removal is not None:
            changes.append(removal)
        elif mode is ManageMode.OBSERVE and kind.delete_policy is not DeletePolicy.NEVER:
            # A singleton always exists; one the YAML does not state is not managed, not drift.
            drift.append(
                DriftItem(
                    address=current.address,
                    kind=current.kind,
                    section=current.section,
                    state="unlisted",
                )
            )
        elif mode is ManageMode.ADDITIVE and kind.delete_policy is not DeletePolicy.NEVER:
            # Left alone by apply, but shown: a reviewer must see what the YAML does not say.
            kept.append(_kept(current))
    changes = _ordered(changes, managed)
    risk, reasons = _risk(changes, live, policy, managed)
    return Plan(
        changes=tuple(changes),
        risk=risk,
        blocked_reasons=tuple(reasons),
        drift=tuple(drift),
        kept=tuple(kept),
        observed=observed,
        sections=tuple(managed),
    )


def _identity(resource: Resource) -> dict[str, Any]:
    """The fields a Change takes from the object it is about."""
    return {
        "address": resource.address,
        "kind": resource.kind,
        "key": resource.key,
        "section": resource.section,
        "owner": resource.owner,
    }


def _compared(attributes: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: attributes.get(key) for key in keys}


def _compare(
    kind: Kind,
    wanted: Resource,
    current: Resource | None,
    ignored: frozenset[str],
    *,
    rotate_secrets: bool,
) -> Change:
    sensitive = tuple(sorted(kind.sensitive & set(wanted.secret_refs)))
    rotating = rotate_secrets and bool(sensitive)
    if current is not None and not rotating and current.attributes == wanted.attributes:
        # Equal inputs normalise to equal forms: most pairs of a big tenant stop here.
        return Unchanged(kind, current, wanted)
    desired_attrs = kind.normalise(wanted.attributes)
    if current is None:
        after = kind.with_defaults(desired_attrs)
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
    live_attrs = kind.normalise(current.attributes)
    keys = [k for k in desired_attrs if k not in ignored]
    want = _compared(desired_attrs, keys)
    have = _compared(live_attrs, keys)
    diff: list[FieldDiff] = []
    # Plain equality first (most pairs are equal); canonical JSON only settles the rest.
    if want != have and canonical_json(want) != canonical_json(have):
        changed = DeepDiff(have, want, ignore_order=False).affected_root_keys
        diff = [
            FieldDiff.of(str(k), have.get(k), want.get(k), set_like=kind.set_like)
            for k in sorted(changed, key=str)
        ]
    if rotate_secrets and sensitive:
        diff.extend(FieldDiff(path, SENSITIVE, SENSITIVE) for path in sensitive)
    if not diff:
        return Unchanged(kind, current, wanted)
    after = {**live_attrs, **desired_attrs}
    ids = {"live": dict(current.ids), "desired": dict(wanted.ids)}
    names = ", ".join(d.path for d in diff)
    # A write-only secret shows in the API only as ``<secret>_set`` (the receiver's secretSet):
    # a change to that flag sends the secret, so the plan must say it needs it.
    sent = {d.path for d in diff} | {d.path.removesuffix("_set") for d in diff}
    return Change(
        **_identity(wanted),
        action=Action.UPDATE,
        before=dict(live_attrs),
        after=after,
        diff=tuple(diff),
        sensitive_paths=sensitive if rotate_secrets or sent & set(sensitive) else (),
        reason=f"{names} differ" if len(diff) > 1 else f"{names} differs",
        ids=ids,
        secret_refs=dict(wanted.secret_refs),
    )


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
            reason="not in the YAML (manage: full)",
        )
    if policy is DeletePolicy.DEACTIVATE:
        if not current.attributes.get("active", True):
            return None
        after = {**current.attributes, "active": False, "default": False}
        if "track_stock" in after:
            after["track_stock"] = False
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
            reason="not in the YAML (manage: full); Autotask cannot delete it: deactivated",
        )
    return None


def _kept(current: Resource) -> KeptItem:
    return KeptItem(
        address=current.address, section=current.section, kind=current.kind, key=current.key
    )


def _no_op(change: Change, current: Resource | None, wanted: Resource) -> Change:
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


def _ordered(changes: Sequence[Change], sections: Sequence[str]) -> list[Change]:
    order = {section: index for index, section in enumerate(sections)}
    return sorted(changes, key=lambda c: (order.get(c.section, 99), c.address))


def _risk(
    changes: Sequence[Change], live: State, policy: PolicySettings, sections: Sequence[str]
) -> tuple[Risk, list[str]]:
    reasons: list[str] = []
    removals = [c for c in changes if c.action in (Action.DELETE, Action.DEACTIVATE)]
    if len(removals) > policy.max_deletes:
        reasons.append(
            f"{len(removals)} deletes/deactivations exceed policy.max_deletes "
            f"({policy.max_deletes})"
        )
    live_counts: dict[str, int] = {}
    for resource in live:
        if resource.section in sections:
            live_counts[resource.kind] = live_counts.get(resource.kind, 0) + 1
    touched: dict[str, int] = {}
    for change in changes:
        if change.action in (Action.UPDATE, Action.DELETE, Action.DEACTIVATE):
            touched[change.kind] = touched.get(change.kind, 0) + 1
    for kind_name, count in sorted(touched.items()):
        total = live_counts.get(kind_name, 0)
        if total >= MIN_COLLECTION_FOR_FRACTION and count / total > policy.max_change_fraction:
            reasons.append(
                f"{count} of {total} live {kind_name} objects would change "
                f"({count / total:.0%} > policy.max_change_fraction "
                f"{policy.max_change_fraction:.0%})"
            )
    if reasons:
        return Risk.BLOCKED, reasons
    if removals:
        return Risk.DESTRUCTIVE, []
    return Risk.SAFE, []


def _observed(live: State, sections: Sequence[str]) -> dict[str, str]:
    observed = {r.address: r.fingerprint() for r in live if r.section in sections}
    for name, snapshot in live.sections.items():
        observed[f"salesbuildr:{name}"] = f"etag:{snapshot.etag}"
    return observed
