"""``apply(plan, writer)``: carry out exactly the reviewed plan, or refuse before the first write.

Order of events:

1. refuse a blocked plan without ``force``, a PSA hourly budget below the policy floor
   (:class:`RequestFloor`), and
   a Salesbuildr window with fewer requests left than the apply needs (``plan/budgets.py``);
2. for a saved plan, re-read only what it touches and refuse when anything moved (stale plan);
3. write along the dependency graph (apply_graph): the receiver secret, PSA creates and
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
from reconciler.plan.budgets import refuse_over_window_budget
from reconciler.plan.stages import Kinds
from reconciler.writes import ChangeWriter, Stages, WriteRecord

__all__ = [
    "DEFAULT_PARALLELISM",
    "ApplyResult",
    "JsonlJournal",
    "RequestFloor",
    "apply_plan",
    "stale_objects",
]

Progress = Callable[[str, int, int], None]
"""Called with (what is happening now, writes done so far, writes in all)."""


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)
    writes: int = 0


@dataclass(frozen=True)
class RequestFloor:
    """The PSA's request budget as apply checks it: the changes of ``owner`` spend it, ``title``
    names the PSA in the refusal, ``key`` is the policy key that set ``minimum``."""

    owner: str
    title: str
    key: str
    minimum: int = 0


def stale_objects(
    plan: Plan, changes: Sequence[Change], fresh: Mapping[str, str], attributes: Mapping[str, Any]
) -> list[str]:
    """Each touched object (and document) that moved since the plan was made, with what moved.
    A fresh key that is not a change's address is a settings document the changes write."""
    moved: list[str] = []
    for change in changes:
        moved += _moved(
            change, fresh.get(change.address), plan.observed.get(change.address), attributes
        )
    addresses = {c.address for c in changes}
    for key, now in sorted(fresh.items()):
        if key not in addresses and key in plan.observed and plan.observed[key] != now:
            moved.append(f"{key}: the settings document changed ({plan.observed[key]} -> {now})")
    return moved


def _moved(
    change: Change, now: str | None, then: str | None, attributes: Mapping[str, Any]
) -> list[str]:
    if change.action is Action.CREATE:
        return (
            [] if now is None else [f"{change.address}: was created by someone else since the plan"]
        )
    if now is None:
        return [f"{change.address}: no longer exists"]
    if then is None or now == then:
        return []
    current = attributes.get(change.address) or {}
    before = change.before or {}
    fields = sorted(k for k in set(before) | set(current) if before.get(k) != current.get(k))
    detail = (
        ", ".join(f"{k}: {before.get(k)!r} -> {current.get(k)!r}" for k in fields)
        if fields
        else "changed outside the compared attributes"
    )
    return [f"{change.address}: {detail}"]


def apply_plan(
    plan: Plan,
    writer: ChangeWriter,
    *,
    journal: Callable[[WriteRecord], None],
    force: bool = False,
    request_floor: RequestFloor | None = None,
    check_stale: bool = True,
    progress: Progress | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
    kinds: Kinds,
) -> ApplyResult:
    """Apply the plan's pending changes; see the module docstring for the order of events.

    ``kinds``: the YAML's PSA's kinds by name (their apply stages)."""
    pending = plan.pending
    result = ApplyResult()
    if not pending:
        return result
    _refuse(plan, writer, pending, force=force, floor=request_floor, check_stale=check_stale)
    if parallelism < 1:
        raise UsageError(f"--parallelism must be at least 1, not {parallelism}")
    steps = build_graph(pending, kinds)
    stages = {step.id: _describe(writer, step) for step in steps}
    counting = CountingJournal(journal)
    try:
        outcome = run_graph(
            steps, stages, journal=counting, parallelism=parallelism, progress=progress
        )
    except KeyboardInterrupt:
        # Outside the scheduler's wait (it handles Ctrl-C itself); the pool has drained.
        raise ApplyInterrupted(counting.written, count_writes(stages)) from None
    done = _done(steps, stages, outcome)
    ordered = _in_graph_order(steps, pending)
    result.applied = [c.address for c in ordered if c.address in done]
    result.not_done = [c.address for c in ordered if c.address not in done]
    result.writes = counting.count
    _raise_stopped(outcome, counting, result)
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


def _refuse(
    plan: Plan,
    writer: ChangeWriter,
    pending: Sequence[Change],
    *,
    force: bool,
    floor: RequestFloor | None,
    check_stale: bool,
) -> None:
    """Every refusal before the first write: a blocked plan, the budgets, a stale plan."""
    if plan.risk is Risk.BLOCKED and not force:
        raise RefusedError(
            "the plan exceeds a safety threshold: " + "; ".join(plan.blocked_reasons),
            hint="review the plan; apply it anyway with --force",
        )
    if floor is not None and any(c.owner == floor.owner for c in pending):
        remaining = writer.remaining_requests()
        if remaining is not None and remaining < floor.minimum:
            raise RefusedError(
                f"only {remaining} {floor.title} API requests are left this hour; policy."
                f"{floor.key} is {floor.minimum}",
                hint="try again later, or lower the policy floor if you know the budget is safe",
            )
    refuse_over_window_budget(writer.window_need(pending, check_stale=check_stale))
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


def _in_graph_order(steps: Sequence[Step], pending: Sequence[Change]) -> list[Change]:
    position: dict[str, int] = {}
    for step in steps:
        for change in step.changes:
            position.setdefault(change.address, len(position))
    return sorted(pending, key=lambda c: position.get(c.address, 0))


def _raise_stopped(outcome: RunOutcome, counting: CountingJournal, result: ApplyResult) -> None:
    """The run stopped before its end: interrupted (exit 130), failed before any write (the
    error itself), or partial (exit 4, saying what was and was not done)."""
    if outcome.interrupted:
        raise ApplyInterrupted(outcome.done_ops, outcome.total)
    error = outcome.error
    if error is None:
        return
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


def _describe(writer: ChangeWriter, step: Step) -> Stages:
    """The writes of one step, as the writer describes them (no request is sent): the step's
    ``call`` names the writer's method; a document step passes all its changes, others one."""
    describe: Callable[[Any], Stages] = getattr(writer, step.call.value)
    return describe(step.changes if step.call is Call.DOCUMENTS else step.changes[0])


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
