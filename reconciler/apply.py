"""``apply(plan, writer)``: carry out exactly the reviewed plan, or refuse before the first write.

Order of events:

1. refuse a blocked plan without ``force``, an Autotask hourly budget below the policy floor, and
   a Salesbuildr window with fewer requests left than the apply needs (``plan/budgets.py``);
2. for a saved plan, re-read only what it touches and refuse when anything moved (stale plan);
3. write along the dependency graph (apply_graph): the receiver secret, Autotask creates and
   updates (each webhook a chain: built inactive, children fanned out, then activated;
   independent objects concurrently), one PUT per Salesbuildr document (concurrently, each with
   its own If-Match), deletes and deactivations last; at most ``parallelism`` writes in flight
   (apply_run);
4. on a failure or Ctrl-C start no further write, let those in flight finish, keep the journal,
   report what was and was not done;
5. verify by re-reading what was touched: anything left over is a partial apply (exit 4).

The journal is one JSON line per HTTP write, synced before the write counts as done; writes
finishing together share one ``fsync`` (group commit), so a parallel apply does not wait on the
disk once per write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.apply_graph import Call, Step, build_graph
from reconciler.apply_journal import JsonlJournal
from reconciler.apply_run import CountingJournal, RunOutcome, count_writes, run_graph
from reconciler.envvars import DEFAULT_PARALLELISM
from reconciler.errors import (
    ApplyInterrupted,
    PartialApplyError,
    ReconcileError,
    RefusedError,
    StalePlanError,
    UnknownOutcome,
    UsageError,
)
from reconciler.plan import Action, Change, Plan, Risk
from reconciler.plan.budgets import refuse_over_salesbuildr_budget
from reconciler.writes import ChangeWriter, Stages, WriteRecord

__all__ = ["DEFAULT_PARALLELISM", "ApplyResult", "JsonlJournal", "apply_plan", "stale_objects"]

Progress = Callable[[str, int, int], None]
"""Called with (what is happening now, writes done so far, writes in all)."""


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)
    writes: int = 0


def stale_objects(
    plan: Plan, changes: Sequence[Change], fresh: Mapping[str, str], attributes: Mapping[str, Any]
) -> list[str]:
    """Each touched object (and document) that moved since the plan was made, with what moved."""
    moved: list[str] = []
    for change in changes:
        now = fresh.get(change.address)
        then = plan.observed.get(change.address)
        if change.action is Action.CREATE:
            if now is not None:
                moved.append(f"{change.address}: was created by someone else since the plan")
            continue
        if now is None:
            moved.append(f"{change.address}: no longer exists")
        elif then is not None and now != then:
            current = attributes.get(change.address) or {}
            before = change.before or {}
            fields = sorted(
                k for k in set(before) | set(current) if before.get(k) != current.get(k)
            )
            detail = (
                ", ".join(f"{k}: {before.get(k)!r} -> {current.get(k)!r}" for k in fields)
                if fields
                else "changed outside the compared attributes"
            )
            moved.append(f"{change.address}: {detail}")
    for key, now in sorted(fresh.items()):
        if key.startswith("salesbuildr:") and key in plan.observed and plan.observed[key] != now:
            moved.append(f"{key}: the settings document changed ({plan.observed[key]} -> {now})")
    return moved


def apply_plan(
    plan: Plan,
    writer: ChangeWriter,
    *,
    journal: Callable[[WriteRecord], None],
    force: bool = False,
    min_remaining_requests: int = 0,
    check_stale: bool = True,
    progress: Progress | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
) -> ApplyResult:
    """Apply the plan's pending changes; see the module docstring for the order of events."""
    pending = plan.pending
    result = ApplyResult()
    if not pending:
        return result
    if plan.risk is Risk.BLOCKED and not force:
        raise RefusedError(
            "the plan exceeds a safety threshold: " + "; ".join(plan.blocked_reasons),
            hint="review the plan; apply it anyway with --force",
        )
    remaining = writer.remaining_requests() if any(c.owner == "autotask" for c in pending) else None
    if remaining is not None and remaining < min_remaining_requests:
        raise RefusedError(
            f"only {remaining} Autotask API requests are left this hour; policy."
            f"min_remaining_autotask_requests is {min_remaining_requests}",
            hint="try again later, or lower the policy floor if you know the budget is safe",
        )
    refuse_over_salesbuildr_budget(writer.salesbuildr_need(pending, check_stale=check_stale))
    if check_stale:
        observation = writer.observe(pending)
        moved = stale_objects(plan, pending, observation.fingerprints, observation.attributes)
        if moved:
            raise StalePlanError(
                "Saved plan is stale: the live systems changed since it was made:\n  "
                + "\n  ".join(moved),
                moved=moved,
                hint="run `reconcile plan` again, review the new plan and apply that one",
            )
    if parallelism < 1:
        raise UsageError(f"--parallelism must be at least 1, not {parallelism}")
    steps = build_graph(pending)
    stages = {step.id: _describe(writer, step) for step in steps}
    position: dict[str, int] = {}
    for step in steps:
        for change in step.changes:
            position.setdefault(change.address, len(position))
    ordered = sorted(pending, key=lambda c: position.get(c.address, 0))
    counting = CountingJournal(journal)
    try:
        outcome = run_graph(
            steps, stages, journal=counting, parallelism=parallelism, progress=progress
        )
    except KeyboardInterrupt:
        # Outside the scheduler's wait (it handles Ctrl-C itself); the pool has drained.
        raise ApplyInterrupted(counting.written, count_writes(stages)) from None
    done = _done(steps, stages, outcome)
    result.applied = [c.address for c in ordered if c.address in done]
    result.not_done = [c.address for c in ordered if c.address not in done]
    result.writes = counting.count
    if outcome.interrupted:
        raise ApplyInterrupted(outcome.done_ops, outcome.total)
    error = outcome.error
    if error is not None:
        if not isinstance(error, ReconcileError):
            raise error
        if counting.written == 0 and not isinstance(error, UnknownOutcome):
            # Nothing reached the live systems: an error before any write (exit 1), not a
            # partial apply. (A lost answer may have been a write: that stays exit 4.)
            raise error
        raise PartialApplyError(
            f"apply stopped: {error.message}\n"
            f"  done ({len(result.applied)}): {', '.join(result.applied) or 'nothing'}\n"
            f"  not done ({len(result.not_done)}): {', '.join(result.not_done)}",
            hint="every write is in the journal; fix the cause and run apply again: it "
            "continues where this run stopped",
        ) from error
    try:
        _say(progress, "verifying", outcome.done_ops, outcome.total)
        result.residual = writer.verify(pending)
    except KeyboardInterrupt:
        raise ApplyInterrupted(outcome.done_ops, outcome.total) from None
    if result.residual:
        raise PartialApplyError(
            "apply finished but the live state does not match the plan yet:\n  "
            + "\n  ".join(result.residual),
            hint="run `reconcile plan` to see what is left; apply again converges",
        )
    return result


def _describe(writer: ChangeWriter, step: Step) -> Stages:
    """The writes of one step, as the writer describes them (no request is sent)."""
    if step.call is Call.OBJECT:
        return writer.autotask_writes(step.changes[0])
    if step.call is Call.REMOVAL:
        return writer.removal_writes(step.changes[0])
    return writer.document_writes(step.changes)


def _done(steps: Sequence[Step], stages: Mapping[str, Stages], outcome: RunOutcome) -> set[str]:
    """Addresses whose every write is done: the steps that write something for an address (its
    own step, and a document step whose PUT carries it) all finished. A change no write
    carries (nothing to send) is done when the steps holding it finished."""
    needed: dict[str, set[str]] = {}
    holding: dict[str, set[str]] = {}
    for step in steps:
        carried = {a for stage in stages[step.id] for op in stage for a in op.carries}
        for change in step.changes:
            holding.setdefault(change.address, set()).add(step.id)
            if step.call is not Call.DOCUMENTS or change.address in carried:
                needed.setdefault(change.address, set()).add(step.id)
    return {
        address
        for address, ids in holding.items()
        if needed.get(address, ids) <= outcome.finished_steps
        and address not in outcome.failed_addresses
    }


def _say(progress: Progress | None, message: str, done: int, total: int) -> None:
    if progress is not None:
        progress(message, done, total)
