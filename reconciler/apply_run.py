"""Run an apply's graph (apply_graph) with at most N writes in flight, on threads.

* Every write is one :class:`~reconciler.writes.WriteOp`; the writer described them all
  before the first is sent, so ``n`` (the writes in all) is known and the counter shown by the
  progress bar, the progress lines and the interruption message is one: ``k`` writes done of
  ``n``.
* A step starts when the steps it comes after have finished; its stages run in order, the ops of
  a stage concurrently. Ready ops are taken in graph order, so one worker (``--parallelism 1``)
  runs the writes in exactly the graph's order.
* The scheduler is the calling thread; workers only send writes. The per-endpoint limits stay
  in the HTTP clients (Autotask: 3 in flight per object endpoint).
* On a failure no further write starts; the writes in flight finish (each journals its record)
  and the first failure is reported. On Ctrl-C likewise: the writes in flight are allowed to
  finish; a second Ctrl-C while they do journals each of them as ``unknown`` at once (a record
  that the write may have happened), and the run still waits for their answers. Ctrl-C is
  counted by a signal handler while the graph runs, never raised inside the scheduler.
"""

from __future__ import annotations

import contextlib
import heapq
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from reconciler.apply_graph import Step
from reconciler.writes import Journal, Stages, WriteOp, WriteRecord

Progress = Callable[[str, int, int], None]


class CountingJournal:
    """The journal as the workers see it: thread-safe counts of the records passed on."""

    def __init__(self, journal: Journal):
        self._journal = journal
        self._lock = threading.Lock()
        self.count = 0
        self.written = 0  # records of writes that happened ("ok", "adopted")

    def __call__(self, record: WriteRecord) -> None:
        self._journal(record)  # durable before the write counts as done
        with self._lock:
            self.count += 1
            if record.outcome in ("ok", "adopted"):
                self.written += 1


@dataclass
class RunOutcome:
    total: int
    """Writes described for the whole graph (``n``)."""
    done_ops: int = 0
    """Writes finished without an error (``k``)."""
    finished_steps: set[str] = field(default_factory=set)
    failed_addresses: set[str] = field(default_factory=set)
    error: BaseException | None = None
    interrupted: bool = False


@dataclass
class _Chain:
    step: Step
    index: int
    stages: Stages
    stage: int = 0
    outstanding: int = 0
    started: bool = False


def count_writes(stages: Mapping[str, Stages]) -> int:
    return sum(len(stage) for chain in stages.values() for stage in chain)


def run_graph(
    steps: Sequence[Step],
    stages: Mapping[str, Stages],
    *,
    journal: CountingJournal,
    parallelism: int,
    progress: Progress | None = None,
) -> RunOutcome:
    """Run every step's ``stages`` in graph order with at most ``parallelism`` writes at once."""
    outcome = RunOutcome(total=count_writes(stages))
    waiting = {s.id: set(s.after) for s in steps}
    dependents: dict[str, list[str]] = {}
    for s in steps:
        for before in s.after:
            dependents.setdefault(before, []).append(s.id)
    chains = {s.id: _Chain(s, i, stages.get(s.id, ())) for i, s in enumerate(steps)}
    ready: list[tuple[int, int, int, str]] = []  # (step index, stage, op index, step id)
    in_flight: dict[Future[None], tuple[_Chain, WriteOp]] = {}
    stopping = False
    marked_unknown = False

    def start(chain: _Chain) -> None:
        while chain.stage < len(chain.stages) and not chain.stages[chain.stage]:
            chain.stage += 1  # an empty stage has nothing to wait for
        if chain.stage >= len(chain.stages):
            finish(chain)
            return
        ops = chain.stages[chain.stage]
        chain.outstanding = len(ops)
        if not chain.started and progress is not None:
            progress(ops[0].label, outcome.done_ops, outcome.total)
        chain.started = True
        for number in range(len(ops)):
            heapq.heappush(ready, (chain.index, chain.stage, number, chain.step.id))

    def finish(chain: _Chain) -> None:
        outcome.finished_steps.add(chain.step.id)
        for later in dependents.get(chain.step.id, []):
            waiting[later].discard(chain.step.id)
            if not waiting[later] and not stopping:
                start(chains[later])

    # The roots first, all of them: a root without writes finishes at once and may make a later
    # step ready, which must then not be found again as a root.
    for root in [chains[s.id] for s in steps if not waiting[s.id]]:
        start(root)
    handled = 0
    with (
        _ctrl_c_counted() as interrupts,
        ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool,
    ):
        while True:
            if interrupts.count > handled:
                # The writes in flight go on (they cannot be called back) and are waited for.
                # From the second Ctrl-C on, each is journalled as unknown first, once.
                handled = interrupts.count
                stopping = outcome.interrupted = True
                if handled > 1 and not marked_unknown:
                    marked_unknown = True
                    _journal_unknown(journal, [op for _, op in in_flight.values()])
                if progress is not None:
                    progress(
                        f"interrupted: waiting for {len(in_flight)} write(s) in flight",
                        outcome.done_ops,
                        outcome.total,
                    )
            while not stopping and ready and len(in_flight) < parallelism:
                _, stage, number, step_id = heapq.heappop(ready)
                chain = chains[step_id]
                op = chain.stages[stage][number]
                in_flight[pool.submit(op.run, journal)] = (chain, op)
            if not in_flight:
                break
            finished, _ = wait(list(in_flight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: in_flight[f][0].index):
                chain, op = in_flight.pop(future)
                error = future.exception()
                if error is not None:
                    outcome.failed_addresses.update(op.carries)
                    if outcome.error is None:
                        outcome.error = error
                    stopping = True
                    continue
                outcome.done_ops += 1
                chain.outstanding -= 1
                if chain.outstanding:
                    continue
                if chain.stage + 1 >= len(chain.stages):
                    finish(chain)  # its last write: done, even when nothing else may start
                elif not stopping:
                    chain.stage += 1
                    start(chain)
    return outcome


_POLL_S = 0.1
"""How often the scheduler looks at Ctrl-C while writes are in flight (not a deadline)."""


class _Interrupts:
    count = 0


@contextlib.contextmanager
def _ctrl_c_counted() -> Iterator[_Interrupts]:
    """While the graph runs, Ctrl-C (SIGINT) is counted instead of raising KeyboardInterrupt
    at an arbitrary point of the scheduler (where it could lose track of a write just sent).
    Only the main thread can take signals; elsewhere nothing changes."""
    counted = _Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield counted
        return

    def count(signum: int, frame: object) -> None:
        counted.count += 1

    previous = signal.signal(signal.SIGINT, count)
    try:
        yield counted
    finally:
        signal.signal(signal.SIGINT, previous)


def _journal_unknown(journal: Journal, ops: Sequence[WriteOp]) -> None:
    """Record each write in flight as possibly done: the process may not live to see it end."""
    for op in ops:
        address = op.carries[0] if op.carries else op.label
        journal(
            WriteRecord(
                address,
                "interrupted",
                op.label,
                "unknown",
                error="interrupted while the write was in flight",
                addresses=op.carries,
            )
        )
