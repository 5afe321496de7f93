"""``apply(plan, writer)``: carry out exactly the reviewed plan, or refuse before the first write.

Order of events:

1. refuse a blocked plan without ``force``, an Autotask hourly budget below the policy floor, and
   a Salesbuildr window with fewer requests left than the apply needs (``plan/budgets.py``);
2. for a saved plan, re-read only what it touches and refuse when anything moved (stale plan);
3. write in dependency order: the receiver secret, Autotask creates and updates (webhooks built
   inactive, then activated), one PUT per Salesbuildr document, deletes and deactivations last;
4. on a failure stop scheduling writes, keep the journal, report what was and was not done;
5. verify by re-reading what was touched: anything left over is a partial apply (exit 4).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from reconciler.errors import (
    PartialApplyError,
    ReconcileError,
    RefusedError,
    StalePlanError,
    UnknownOutcome,
)
from reconciler.files import open_append_only
from reconciler.plan import Action, Change, Plan, Risk
from reconciler.plan.budgets import refuse_over_salesbuildr_budget
from reconciler.providers.base import ChangeWriter, WriteRecord
from reconciler.redact import redact

Progress = Callable[[str, int, int], None]
"""Called with (what is happening now, changes done so far, changes in all)."""


class JsonlJournal:
    """Append-only journal: one JSON line per write, flushed and synced as it happens, so a
    killed process leaves a truthful record. Opened without following links, mode 0600, never
    replaced (files.open_append_only); every line passes the redactor."""

    def __init__(self, path: Path):
        self.path = path
        self._file: IO[str] = open_append_only(path)
        self.created = os.fstat(self._file.fileno()).st_size == 0
        """Whether this run started the file (an empty, unused one may be removed)."""
        self.records: list[WriteRecord] = []

    def __call__(self, record: WriteRecord) -> None:
        self.records.append(record)
        line = {
            "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "address": record.address,
            "action": record.action,
            "request": record.request,
            "outcome": record.outcome,
            "id": record.item_id,
        }
        if record.error:
            line["error"] = record.error
        self._file.write(redact(json.dumps(line, sort_keys=True)) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


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


def _phase(change: Change) -> int:
    if change.kind == "webhook_receiver":
        return 0
    if change.action in (Action.DELETE, Action.DEACTIVATE) and change.owner == "autotask":
        return 3
    if change.owner == "autotask":
        return 1
    return 2


def apply_plan(
    plan: Plan,
    writer: ChangeWriter,
    *,
    journal: Callable[[WriteRecord], None],
    force: bool = False,
    min_remaining_requests: int = 0,
    check_stale: bool = True,
    progress: Progress | None = None,
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
    ordered = sorted(pending, key=lambda c: (_phase(c), c.address))
    counting = _Counting(journal)
    done: set[str] = set()
    try:
        receiver = [c for c in ordered if _phase(c) == 0]
        if receiver:
            _say(progress, "setting the webhook receiver secret", len(done), len(ordered))
            writer.write_documents(receiver, counting)
            done.update(c.address for c in receiver)
        for change in (c for c in ordered if _phase(c) == 1):
            _say(progress, f"{change.action.value} {change.address}", len(done), len(ordered))
            writer.write_autotask(change, counting)
            done.add(change.address)
        documents = [c for c in ordered if _phase(c) == 2]
        _say(progress, "writing Salesbuildr settings", len(done), len(ordered))
        # Always called: Autotask objects may carry Salesbuildr flags the writer deferred.
        writer.write_documents(documents, counting)
        done.update(c.address for c in documents)
        for change in (c for c in ordered if _phase(c) == 3):
            _say(progress, f"{change.action.value} {change.address}", len(done), len(ordered))
            writer.remove(change, counting)
            done.add(change.address)
    except ReconcileError as error:
        if counting.written == 0 and not isinstance(error, UnknownOutcome):
            # Nothing reached the live systems: an error before any write (exit 1), not a
            # partial apply. (A lost answer may have been a write: that stays exit 4.)
            raise
        result.applied = [c.address for c in ordered if c.address in done]
        result.not_done = [c.address for c in ordered if c.address not in done]
        result.writes = counting.count
        raise PartialApplyError(
            f"apply stopped: {error.message}\n"
            f"  done ({len(result.applied)}): {', '.join(result.applied) or 'nothing'}\n"
            f"  not done ({len(result.not_done)}): {', '.join(result.not_done)}",
            hint="every write is in the journal; fix the cause and run apply again: it "
            "continues where this run stopped",
        ) from error
    result.applied = [c.address for c in ordered]
    result.writes = counting.count
    _say(progress, "verifying", len(ordered), len(ordered))
    result.residual = writer.verify(pending)
    if result.residual:
        raise PartialApplyError(
            "apply finished but the live state does not match the plan yet:\n  "
            + "\n  ".join(result.residual),
            hint="run `reconcile plan` to see what is left; apply again converges",
        )
    return result


class _Counting:
    def __init__(self, journal: Callable[[WriteRecord], None]):
        self.journal = journal
        self.count = 0
        self.written = 0

    def __call__(self, record: WriteRecord) -> None:
        self.count += 1
        if record.outcome in ("ok", "adopted"):
            self.written += 1
        self.journal(record)


def _say(progress: Progress | None, message: str, done: int, total: int) -> None:
    if progress is not None:
        progress(message, done, total)
