"""What every view says of kept objects: live objects of an additive section the YAML does not
list. Apply leaves them alone; the plan still counts and names them, so nothing is silent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.plan.model import TARGETING_IN_EFFECT
from reconciler.warning_ids import TARGETING_IN_EFFECT as TARGETING_IN_EFFECT_ID
from reconciler.warning_ids import WARNINGS, labelled

LISTED_PER_SECTION = 20


def kept_by_section(kept: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Section -> addresses, in plan order."""
    grouped: dict[str, list[str]] = {}
    for item in kept:
        grouped.setdefault(str(item["section"]), []).append(str(item["address"]))
    return grouped


def objects(count: int) -> str:
    return f"{count} live object" + ("" if count == 1 else "s")


def full_setting(section: str) -> str:
    """The setting that makes apply delete (or deactivate) them; each view escapes it."""
    return f"policy.manage.{section}: full"


def is_targeted(plan: Mapping[str, Any]) -> bool:
    return any(
        d.get("id") == TARGETING_IN_EFFECT_ID
        or str(d.get("message", "")).startswith(TARGETING_IN_EFFECT)  # plans saved before ids
        for d in plan.get("diagnostics") or []
    )


def warning_label(diagnostic: Mapping[str, Any]) -> str:
    """``warning[its_id]`` (plain text: each view escapes it as its own); ``warning`` for a
    diagnostic without a known id (a plan saved before warnings had ids)."""
    found = str(diagnostic.get("id") or "")
    return labelled(found) if found in WARNINGS else str(diagnostic.get("severity") or "warning")


def kept_summary(kept: Sequence[Mapping[str, Any]], file: str, escape: Callable[[Any], str]) -> str:
    """``1 live object in company_types is not in rm.yaml and is kept (additive).``; ``escape``
    is the view's escaping function for the data values (section and file names)."""
    grouped = kept_by_section(kept)
    parts = [f"{objects(len(a))} in {escape(section)}" for section, a in grouped.items()]
    verb = "is" if len(kept) == 1 else "are"
    return f"{' and '.join(parts)} {verb} not in {escape(file)} and {verb} kept (additive)."
