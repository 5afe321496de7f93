"""How risky a plan is: the one rule ``compute_plan`` and ``narrow`` (``--target``) both apply.

A plan is blocked when a safety threshold is exceeded and something would still be written,
destructive when it deletes or deactivates anything, and safe otherwise. The thresholds are
measured once, on the whole plan: a narrowed plan keeps the reasons of the plan it came from
while any of its changes remain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from reconciler.plan.model import Action, Change, Risk
from reconciler.state import PolicySettings, Resource

MIN_COLLECTION_FOR_FRACTION: Final = 10
"""Below this many live objects of a kind, max_change_fraction is not applied (2 of 3 is not
a mass change)."""

REMOVALS: Final = frozenset({Action.DELETE, Action.DEACTIVATE})
_TOUCHING: Final = frozenset({Action.UPDATE, Action.DELETE, Action.DEACTIVATE})


def risk_of(changes: Iterable[Change], blocked_reasons: Sequence[str]) -> Risk:
    """The plan's risk, given what its thresholds found (``blocked_reasons``)."""
    pending = False
    for change in changes:
        if change.action in REMOVALS:
            # A removal is pending too: blocked wins over destructive.
            return Risk.BLOCKED if blocked_reasons else Risk.DESTRUCTIVE
        pending = pending or change.action is not Action.NO_OP
    return Risk.BLOCKED if blocked_reasons and pending else Risk.SAFE


def blocked_reasons(
    changes: Sequence[Change], live: Iterable[Resource], policy: PolicySettings
) -> list[str]:
    """The thresholds of ``policy`` that ``changes`` exceed, against the ``live`` objects of the
    compared sections."""
    reasons: list[str] = []
    removals = sum(1 for c in changes if c.action in REMOVALS)
    if removals > policy.max_deletes:
        reasons.append(
            f"{removals} deletes/deactivations exceed policy.max_deletes ({policy.max_deletes})"
        )
    touched: dict[str, int] = {}
    for change in changes:
        if change.action in _TOUCHING:
            touched[change.kind] = touched.get(change.kind, 0) + 1
    if not touched:
        return reasons
    live_counts = dict.fromkeys(touched, 0)
    for resource in live:
        if resource.kind in live_counts:
            live_counts[resource.kind] += 1
    for kind_name, count in sorted(touched.items()):
        total = live_counts[kind_name]
        if total >= MIN_COLLECTION_FOR_FRACTION and count / total > policy.max_change_fraction:
            reasons.append(
                f"{count} of {total} live {kind_name} objects would change "
                f"({count / total:.0%} > policy.max_change_fraction "
                f"{policy.max_change_fraction:.0%})"
            )
    return reasons
