"""The workflow around one apply, out of the CLI: the tenant's lock, the journal, the apply
itself (stale check, budgets, progress), and the ``after_apply`` jobs once it is verified.

Every writing command goes through :func:`locked_journal` (``apply``, ``webhooks uninstall``),
so a run takes the lock, journals every write, and leaves no empty journal and no lock behind
in the same way whatever it writes. Nothing here prints or asks: the caller passes what to do
with a progress line, a note and a warning (the CLI writes them to stderr), and shows results.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import session
from reconciler.apply import ApplyResult, JsonlJournal, RequestFloor, apply_plan
from reconciler.errors import ApplyInterrupted, ReconcileError, RefusedError, UsageError
from reconciler.plan import Plan
from reconciler.render.escape import terminal
from reconciler.salesbuildr.client import LockHeld, LockHolder, SalesbuildrClient, lock_owner

if TYPE_CHECKING:
    from reconciler.apply import Progress
    from reconciler.psa.base import JobAction
    from reconciler.state import SectionSnapshot, State

Say = Callable[[str], None]
"""A line for the person running the command (the CLI: stderr)."""


@dataclass(frozen=True)
class LockReporting:
    """What the caller does while the lock is waited for, and when it cannot be released."""

    on_wait: Callable[[LockHolder], None]
    warn_not_released: Callable[[str], None]
    note: Say


def take_lock(
    client: SalesbuildrClient,
    owner: str,
    *,
    wait_s: float,
    on_wait: Callable[[LockHolder], None],
) -> None:
    """Acquire the tenant's lock for ``owner`` or refuse (exit 3) naming the holder."""
    try:
        client.acquire_lock_or_take_over(owner, wait_s=wait_s, on_wait=on_wait)
    except LockHeld as held:
        raise RefusedError(held.message, hint=held.hint) from None


def release_lock(client: SalesbuildrClient, owner: str, warn: Callable[[str], None]) -> None:
    """Release ``owner``'s lock; a failure is a warning (the lock expires with its TTL)."""
    try:
        client.release_lock(owner)
    except ReconcileError as error:
        warn(error.message)


@contextlib.contextmanager
def locked_journal(
    salesbuildr: SalesbuildrClient | None,
    journal_path: Path,
    *,
    wait_s: float,
    reporting: LockReporting,
) -> Iterator[JsonlJournal]:
    """The journal of one writing run, under the tenant's apply lock (when Salesbuildr is
    connected: the lock lives there).

    The journal is opened first, so a refused journal path leaves no lock behind; a journal no
    write reached is removed when this run created it (never an earlier run's), else named."""
    owner = lock_owner()
    journal = JsonlJournal(journal_path)
    if salesbuildr is not None:
        try:
            take_lock(salesbuildr, owner, wait_s=wait_s, on_wait=reporting.on_wait)
        except BaseException:  # held (exit 3) or e.g. rate limited beyond --max-rate-wait
            journal.close()
            if not journal.records and journal.created:
                journal_path.unlink(missing_ok=True)  # no write was made
            raise
    try:
        yield journal
    finally:
        journal.close()
        if salesbuildr is not None:
            release_lock(salesbuildr, owner, reporting.warn_not_released)
        if not journal.records and journal.created:
            journal_path.unlink(missing_ok=True)  # never an earlier run's journal
        else:
            reporting.note(f"Journal: {journal_path}")


@dataclass(frozen=True)
class ApplyRequest:
    """One apply: the plan, what it was made from, and how to run it."""

    plan: Plan
    environ: dict[str, str]
    journal_path: Path
    desired: State | None = None
    documents: Mapping[str, SectionSnapshot] | None = None
    force: bool = False
    check_stale: bool = True
    wait_s: float = 60.0
    parallelism: int = 8
    floor_key: str = ""
    """The policy key of the PSA's request-budget floor (``Psa.request_floor_key``; "": the
    PSA has no budget to keep a floor of)."""
    psa: str = ""
    """The PSA's name: the owner of the changes that spend its request budget."""
    psa_title: str = ""
    """How messages name the PSA."""

    def request_floor(self) -> RequestFloor:
        minimum = int(self.plan.policy.get(self.floor_key, 0)) if self.floor_key else 0
        return RequestFloor(self.psa, self.psa_title, self.floor_key, minimum)


def check_saved_plan(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    """Before a saved plan is applied: every secret its writes need is set (else a usage
    error, before any connection); the notes to show (its YAML changed since)."""
    missing = session.missing_secrets(plan, environ)
    if missing:
        raise UsageError(
            "the plan's writes need secrets that are not set:\n  " + "\n  ".join(missing),
            hint="export them and run apply again; no write was made",
        )
    notes = []
    if plan.config_file and Path(plan.config_file).is_file():
        digest = hashlib.sha256(Path(plan.config_file).read_bytes()).hexdigest()
        if digest != plan.config_sha256:
            notes.append(
                f"note: {terminal(plan.config_file)} changed since this plan was made; "
                "applying the plan as it was reviewed"
            )
    return notes


def journal_path_for(source: Path, *, saved: bool, now: datetime | None = None) -> Path:
    """Where an apply journals: beside a saved plan (``plan.json.journal.jsonl``: a re-run of
    the same plan resumes from it), else a new file under ``.reconcile/``."""
    if saved:
        return source.with_name(source.name + ".journal.jsonl")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(".reconcile") / f"journal-{stamp}.jsonl"


def run_apply(
    request: ApplyRequest,
    connections: session.Connections,
    *,
    progress: Callable[[], contextlib.AbstractContextManager[Progress]],
    reporting: LockReporting,
) -> ApplyResult:
    """Lock, journal, apply (refusals, stale check, writes, verification), unlock.

    ``progress()`` shows the writes while they run (it ends before the journal is named). An
    interrupted apply names its journal (``reconcile apply`` resumes from it)."""
    plan = request.plan
    with locked_journal(
        connections.salesbuildr,
        request.journal_path,
        wait_s=request.wait_s,
        reporting=reporting,
    ) as journal:
        try:
            with progress() as shown:
                return apply_plan(
                    plan,
                    session.writer_for(
                        connections, request.environ, request.desired, request.documents
                    ),
                    journal=journal,
                    force=request.force,
                    request_floor=request.request_floor(),
                    check_stale=request.check_stale,
                    progress=shown,
                    parallelism=request.parallelism,
                    kinds=connections.psa.kinds,
                )
        except ApplyInterrupted as interrupted:
            raise interrupted.at(str(request.journal_path)) from None


def apply_summary(plan: Plan, writes: int) -> str:
    counts = plan.summary
    return (
        f"Apply complete: {counts['create']} created, {counts['update']} updated, "
        f"{counts['deactivate']} deactivated, {counts['delete']} deleted "
        f"({writes} API write(s)). Verified: the live settings match the plan."
    )


# --- after_apply ------------------------------------------------------------------------------

AFTER_APPLY_TIMEOUT_S = 600.0


def after_apply_actions(plan: Plan, known: Mapping[str, JobAction]) -> list[str]:
    """The ``after_apply`` actions a plan carries (``policy.after_apply``), in order; an action
    the PSA does not know is a usage error before any job starts."""
    actions = [str(a) for a in plan.policy.get("after_apply") or []]
    unknown = [a for a in actions if a not in known]
    if unknown:
        raise UsageError(
            f"the plan's after_apply names unknown action(s): {', '.join(unknown)}",
            hint=f"known actions: {', '.join(known)}",
        )
    return actions


def after_apply_error(
    action: str, reason: str, rest: Sequence[str], known: Mapping[str, JobAction]
) -> ReconcileError:
    hint = f"run it again with `{known[action].command}`"
    if rest:
        hint += f"; not run: {', '.join(rest)}"
    return ReconcileError(
        f"the apply succeeded and was verified, but the after_apply action {action} failed: "
        f"{reason}",
        hint=hint,
    )


def start_job(client: SalesbuildrClient, action: JobAction) -> str:
    """Start the Salesbuildr job of one ``after_apply`` action; its job id."""
    if action.job == "sync" and action.mode:
        return client.start_sync(action.mode)
    return client.start_import()


def run_after_apply(
    actions: Sequence[str],
    known: Mapping[str, JobAction],
    client: SalesbuildrClient,
    *,
    run_job: Callable[[str, Callable[[], str]], Any],
    show: Callable[[JobAction, Any], None],
) -> None:
    """Run each action's job in order (``run_job(title, start)`` polls it to its end);
    ``show`` each succeeded one. A failing action stops the rest: an error that says the apply
    itself succeeded and which actions did not run."""
    for index, action in enumerate(actions):
        rest = actions[index + 1 :]
        job_action = known[action]
        try:
            job = run_job(f"after_apply {action}", lambda: start_job(client, job_action))  # noqa: B023 (called at once)
        except ReconcileError as error:
            raise after_apply_error(action, terminal(error.message), rest, known) from error
        if job.status != "succeeded":
            reason = f"job {terminal(job.id)}: {terminal(job.error)}"
            raise after_apply_error(action, reason, rest, known)
        show(job_action, job)
