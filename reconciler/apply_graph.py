"""The apply's dependency graph: a pure function of the plan's pending changes.

Steps, in phases (a step starts when every step it comes ``after`` has finished):

0. the kinds written first (``ApplyStage.FIRST``: the webhook receiver's secret, as webhooks
   must not post with a secret the receiver lacks);
1. one step per create or update of an object kind (``ApplyStage.OBJECT``: an Autotask
   webhook's own chain — create inactive, children fanned out, activate — is the writer's stages
   inside the step); independent of each other;
2. one step per section's settings document, after every step of phases 0 and 1 (it carries
   the section's document rows, e.g. Salesbuildr mappings, and the document's flags of the
   section's objects, e.g. stock tracking, which reference the ids phase 1 created); documents
   are independent of each other, each with its own If-Match;
3. one step per delete or deactivation of an object kind, after everything above;
4. one step per section that had removals: its document after those removals (clearing the
   flags of what was deactivated), one PUT however many objects were removed.

The engine knows no kind: each kind declares its :class:`~reconciler.kinds.base.ApplyStage`,
and :func:`phase` places a change by that and its action; which document it touches is its
``section``. Deterministic: the same plan gives the same steps in the same order, so
``--parallelism 1`` runs the writes in this order, one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from reconciler.plan import Action, Change
from reconciler.plan.stages import ApplyStage, Kinds, stage_of

_After = Callable[[str], tuple[str, ...]]


class Phase(IntEnum):
    RECEIVER = 0
    OBJECTS = 1
    DOCUMENTS = 2
    REMOVALS = 3
    DOCUMENTS_AFTER_REMOVALS = 4


class Call(StrEnum):
    """Which writer method describes a step's writes (the values are the methods' names)."""

    OBJECT = "object_writes"
    """An object's own writes in its PSA (create or update)."""
    DOCUMENTS = "document_writes"
    """One settings document's write (its rows and flags)."""
    REMOVAL = "removal_writes"
    """An object's delete or deactivation in its PSA."""


@dataclass(frozen=True)
class Step:
    id: str
    phase: Phase
    call: Call
    changes: tuple[Change, ...]
    after: tuple[str, ...] = ()


_REMOVALS = frozenset({Action.DELETE, Action.DEACTIVATE})


def phase(change: Change, kinds: Kinds) -> Phase:
    """Where a change's own writes go: its kind's declared stage, then its action."""
    stage = stage_of(change, kinds)
    if stage is ApplyStage.FIRST:
        return Phase.RECEIVER
    if stage is ApplyStage.OBJECT:
        return Phase.REMOVALS if change.action in _REMOVALS else Phase.OBJECTS
    return Phase.DOCUMENTS


def build_graph(changes: Sequence[Change], kinds: Kinds) -> tuple[Step, ...]:
    """Every step of applying ``changes`` (no-ops ignored), in (phase, id) order."""
    by_phase: dict[Phase, list[Change]] = {p: [] for p in Phase}
    for change in sorted((c for c in changes if c.is_change), key=lambda c: c.address):
        by_phase[phase(change, kinds)].append(change)
    steps: list[Step] = []
    receiver = by_phase[Phase.RECEIVER]
    if receiver:
        steps.append(Step("receiver", Phase.RECEIVER, Call.DOCUMENTS, tuple(receiver)))
    first = _ids(steps)
    objects = [
        Step(f"object:{c.address}", Phase.OBJECTS, Call.OBJECT, (c,), first)
        for c in by_phase[Phase.OBJECTS]
    ]
    steps += objects
    before_documents = _ids(steps)
    documented = [*by_phase[Phase.OBJECTS], *by_phase[Phase.DOCUMENTS]]
    steps += _documents(documented, "document", Phase.DOCUMENTS, lambda _: before_documents)
    before_removals = _ids(steps)
    removals = [
        Step(f"removal:{c.address}", Phase.REMOVALS, Call.REMOVAL, (c,), before_removals)
        for c in by_phase[Phase.REMOVALS]
    ]
    steps += removals

    def removed_in(section: str) -> tuple[str, ...]:
        return tuple(s.id for s in removals if s.changes[0].section == section)

    steps += _documents(
        by_phase[Phase.REMOVALS],
        "document-after-removals",
        Phase.DOCUMENTS_AFTER_REMOVALS,
        removed_in,
    )
    return tuple(steps)


def _documents(changes: Iterable[Change], prefix: str, at: Phase, after: _After) -> list[Step]:
    sections: dict[str, list[Change]] = {}
    for change in changes:
        sections.setdefault(change.section, []).append(change)
    return [
        Step(
            f"{prefix}:{section}",
            at,
            Call.DOCUMENTS,
            tuple(sorted(group, key=lambda c: c.address)),
            after(section),
        )
        for section, group in sorted(sections.items())
    ]


def _ids(steps: Sequence[Step]) -> tuple[str, ...]:
    return tuple(s.id for s in steps)


def ordered(steps: Sequence[Step]) -> bool:
    """Whether every step comes after the steps it depends on (a graph's invariant)."""
    seen: set[str] = set()
    for step in steps:
        if not set(step.after) <= seen:
            return False
        seen.add(step.id)
    return len(seen) == len(steps)
