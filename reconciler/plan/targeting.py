"""``--target`` / ``--exclude``: narrow a plan to some addresses (CLI.md).

An address matches a pattern when they are equal, when the pattern is a prefix ending at a
boundary of the address (``webhooks`` matches ``webhooks["sb-companies"]``, ``billing_codes``
matches ``billing_codes.categories["Hardware"]``), or when the pattern's ``*`` (the only
wildcard; any run of characters) makes them equal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from reconciler.plan.model import TARGETING_IN_EFFECT, Plan, PlanDiagnostic, Risk
from reconciler.plan.risk import risk_of
from reconciler.warning_ids import TARGETING_IN_EFFECT as TARGETING_IN_EFFECT_ID


def _pattern(text: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in text.split("*")]
    # A prefix match must end where the address continues with `.` or `[` (or ends).
    return re.compile("^" + ".*".join(parts) + r"(?:$|(?=[.\[]))")


def matches(address: str, pattern: str) -> bool:
    return bool(_pattern(pattern.strip()).match(address))


def narrow(plan: Plan, *, targets: Sequence[str] = (), excludes: Sequence[str] = ()) -> Plan:
    """The plan with only the targeted, not excluded, changes (no-ops likewise)."""
    if not targets and not excludes:
        return plan

    def chosen(address: str) -> bool:
        return (not targets or any(matches(address, t) for t in targets)) and not any(
            matches(address, e) for e in excludes
        )

    kept = tuple(change for change in plan.changes if chosen(change.address))
    patterns = [*(f"--target {t}" for t in targets), *(f"--exclude {e}" for e in excludes)]
    warning = PlanDiagnostic(
        severity="warning",
        id=TARGETING_IN_EFFECT_ID,
        message=f"{TARGETING_IN_EFFECT} ({', '.join(patterns)}): the plan covers only part "
        "of the file",
    )
    # The thresholds were measured on the whole plan; they block while any change remains.
    risk = risk_of(kept, plan.blocked_reasons)
    return replace(
        plan,
        changes=kept,
        kept=tuple(k for k in plan.kept if chosen(k.address)),
        diagnostics=(*plan.diagnostics, warning),
        risk=risk,
        blocked_reasons=plan.blocked_reasons if risk is Risk.BLOCKED else (),
    )


def unmatched(plan: Plan, patterns: Sequence[str]) -> list[str]:
    """Patterns that match no address of the plan (most likely typos)."""
    return [p for p in patterns if not any(matches(c.address, p) for c in plan.changes)]
