"""Plan passes => apply succeeds: every Autotask request a plan needs, checked against what
Autotask states in its metadata (field lengths, required and read-only fields, picklist values,
the API user's permissions), before any write. Pure: the session reads the metadata of
:func:`entities_written` and puts it in the catalog; kinds say which requests a change needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import PlannedChange, WireWrite, check_write
from reconciler.plan.model import Change, Plan


def planned(change: Change) -> PlannedChange:
    return PlannedChange(
        action=change.action.value,
        address=change.address,
        key=change.key,
        before=change.before,
        after=change.after,
        changed=frozenset(d.path for d in change.diff),
        ids=change.ids,
    )


def wire_writes(
    changes: Sequence[Change], kinds: Mapping[str, Kind]
) -> list[tuple[Change, WireWrite]]:
    """Every Autotask request the changes need, with the change it serves."""
    found: list[tuple[Change, WireWrite]] = []
    for change in changes:
        if not change.is_change:
            continue
        kind = kinds.get(change.kind)
        if kind is not None:
            found.extend((change, write) for write in kind.wire_writes(planned(change)))
    return found


def entities_written(plan: Plan, kinds: Mapping[str, Kind]) -> list[str]:
    """The Autotask entities whose metadata the check needs (none when nothing is written)."""
    return sorted({write.entity for _, write in wire_writes(plan.pending, kinds)})


def check_plan(plan: Plan, catalog: Catalog, kinds: Mapping[str, Kind]) -> list[Problem]:
    """What Autotask would refuse, one problem per (object, attribute, message)."""
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for change, write in wire_writes(plan.pending, kinds):
        rules = catalog.entities.get(write.entity)
        if rules is None:
            continue
        for found in check_write(write, rules):
            key = (change.address, found.attribute, found.message)
            if key in seen:
                continue
            seen.add(key)
            problems.append(Problem(change.address, found.message, found.hint, found.attribute))
    return problems
