"""Run an apply's graph (apply_graph) with at most N writes in flight, on threads.

* Every write is one :class:`~reconciler.providers.base.WriteOp`; the writer described them all
  before the first is sent, so ``n`` (the writes in all) is known and the counter shown by the
  progress bar, the progress lines and the interruption message is one: ``k`` writes done of
  ``n``.
* A step starts when the steps it comes after have finished; its stages run in order, the ops of
  a stage concurrently. One worker (``--parallelism 1``) takes the ready ops in graph order, one
  at a time, so it runs the writes in exactly the graph's order.
* The per-endpoint limits stay in the HTTP clients (Autotask: 3 in flight per object endpoint).
  The clients tell the scheduler where each request goes (providers.base.IN_FLIGHT_WATCH), so
  with more than one slot it starts a stage not seen yet first (one op learns its endpoint),
  then an op of the endpoint with the most ops left that has room (the longest queue decides
  when the apply ends), never one whose endpoint is full while others idle. A write that still
  waits for its endpoint hands its slot to another op meanwhile (and gets one back, before any
  new op, once its endpoint lets it in). A slot is a request in flight: an op journalling its
  answer holds none. At most N slots; threads may be more (the waiting writes).
* On a failure no further write starts; the writes in flight finish (each journals its record)
  and the first failure is reported. On Ctrl-C likewise: the writes in flight are allowed to
  finish; a second Ctrl-C while they do journals each of them as ``unknown`` at once (a record
  that the write may have happened), and the run still waits for their answers. Ctrl-C is
  counted by a signal handler while the graph runs, never raised inside the scheduler.
"""

from __future__ import annotations

import bisect
import contextlib
import signal
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler.apply_graph import Step
from reconciler.providers.base import IN_FLIGHT_WATCH, Journal, Stages, WriteOp, WriteRecord

Progress = Callable[[str, int, int], None]

THREADS_PER_SLOT = 4
"""Threads per slot of N: the extra ones are writes waiting for their endpoint (no slot)."""


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


@dataclass(eq=False)
class _Group:
    """The ops of one chain's current stage not started yet, in order; ``endpoint`` is where
    its ops went last (the guess for the next; None: not seen yet), ``probe`` the op sent to
    learn it."""

    chain: _Chain
    ops: deque[WriteOp]
    endpoint: str | None = None
    probe: _Task | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (self.chain.index, self.chain.stage)


@dataclass(eq=False)
class _Task:
    """One op running on a worker; the HTTP client's in-flight watch while it runs."""

    run: _Run
    group: _Group
    op: WriteOp
    expected: str | None
    error: BaseException | None = None
    slot: bool = True

    def waiting(self, key: str, limit: int) -> None:
        self.run.waiting(self, key, limit)

    def entered(self, key: str, limit: int, *, waited: bool) -> None:
        self.run.entered(self, key, limit, waited=waited)

    def left(self, key: str) -> None:
        self.run.left(self, key)


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
    return _Run(steps, stages, journal, parallelism, progress).run()


class _Run:
    """The scheduler (the calling thread) and what workers tell it, under one lock."""

    def __init__(
        self,
        steps: Sequence[Step],
        stages: Mapping[str, Stages],
        journal: CountingJournal,
        parallelism: int,
        progress: Progress | None,
    ):
        self.outcome = RunOutcome(total=count_writes(stages))
        self.journal = journal
        self.slots = parallelism
        self.progress = progress
        self.waiting_on = {s.id: set(s.after) for s in steps}
        self.dependents: dict[str, list[str]] = {}
        for s in steps:
            for before in s.after:
                self.dependents.setdefault(before, []).append(s.id)
        self.chains = {s.id: _Chain(s, i, stages.get(s.id, ())) for i, s in enumerate(steps)}
        self.ready: list[_Group] = []  # by (step index, stage)
        self.running: list[_Task] = []
        self.done: list[_Task] = []
        self.stopping = False
        self.marked_unknown = False
        self.cond = threading.Condition()
        self.active = 0  # tasks holding a slot
        self.resuming = 0  # tasks let in by their endpoint, waiting for a slot
        self.in_flight: Counter[str] = Counter()  # requests per endpoint
        self.parked: Counter[str] = Counter()  # tasks waiting for an endpoint
        self.expected: Counter[str] = Counter()  # started tasks guessed for an endpoint
        self.backlog: Counter[str] = Counter()  # ops not started, by their stage's endpoint
        self.limits: dict[str, int] = {}

    # -- the scheduler -------------------------------------------------------------------------

    def run(self) -> RunOutcome:
        roots = [c for c in self.chains.values() if not self.waiting_on[c.step.id]]
        # The roots first, all of them: a root without writes finishes at once and may make a
        # later step ready, which must then not be found again as a root.
        for root in roots:
            self._start(root)
        handled = 0
        with (
            _ctrl_c_counted() as interrupts,
            ThreadPoolExecutor(
                max_workers=self.slots * THREADS_PER_SLOT, thread_name_prefix="apply"
            ) as pool,
            self.cond,
        ):
            while True:
                if interrupts.count > handled:
                    handled = interrupts.count
                    self._interrupted(handled)
                for task in self._admit():
                    pool.submit(self._work, task)
                if not self.running:
                    break
                if not self.done:
                    self.cond.wait(_POLL_S)
                self._collect()
        return self.outcome

    def _start(self, chain: _Chain) -> None:
        while chain.stage < len(chain.stages) and not chain.stages[chain.stage]:
            chain.stage += 1  # an empty stage has nothing to wait for
        if chain.stage >= len(chain.stages):
            self._finish(chain)
            return
        ops = chain.stages[chain.stage]
        chain.outstanding = len(ops)
        if not chain.started and self.progress is not None:
            self.progress(ops[0].label, self.outcome.done_ops, self.outcome.total)
        chain.started = True
        bisect.insort(self.ready, _Group(chain, deque(ops)), key=lambda g: g.order)

    def _finish(self, chain: _Chain) -> None:
        self.outcome.finished_steps.add(chain.step.id)
        for later in self.dependents.get(chain.step.id, []):
            self.waiting_on[later].discard(chain.step.id)
            if not self.waiting_on[later] and not self.stopping:
                self._start(self.chains[later])

    def _admit(self) -> list[_Task]:
        """The ops to start now: while a slot (and a thread) is free, the next op of the group
        :meth:`_pick` chooses."""
        started: list[_Task] = []
        threads = self.slots * THREADS_PER_SLOT
        while (
            not self.stopping
            and self.active + self.resuming < self.slots
            and len(self.running) < threads
        ):
            group = self._pick()
            if group is None:
                break
            task = _Task(self, group, group.ops.popleft(), group.endpoint)
            if group.endpoint is None:
                group.probe = task
            else:
                self.expected[group.endpoint] += 1
                self.backlog[group.endpoint] -= 1
            if not group.ops:
                self.ready.remove(group)
            self.active += 1
            self.running.append(task)
            started.append(task)
        return started

    def _pick(self) -> _Group | None:
        """One worker: the graph's order. Else a stage not seen yet first (one op learns where
        it goes), then the endpoint with the most ops left that has room (the longest queue
        decides when the apply ends), then any stage not seen yet (ops that send nothing)."""
        if self.slots == 1:
            return self.ready[0] if self.ready else None
        best: _Group | None = None
        for group in self.ready:
            key = group.endpoint
            if key is None:
                if group.probe is None:
                    return group
            elif self._has_room(key) and (
                best is None or self.backlog[key] > self.backlog[best.endpoint or ""]
            ):
                best = group
        return best or next((g for g in self.ready if g.endpoint is None), None)

    def _has_room(self, key: str) -> bool:
        used = self.in_flight[key] + self.parked[key] + self.expected[key]
        return used < self.limits.get(key, self.slots)

    def _collect(self) -> None:
        """What finished since the last look: counts, failures, the next stages."""
        finished = sorted(self.done, key=lambda t: t.group.chain.index)
        self.done.clear()
        for task in finished:
            chain = task.group.chain
            if task.error is not None:
                self.outcome.failed_addresses.update(task.op.carries)
                if self.outcome.error is None:
                    self.outcome.error = task.error
                self.stopping = True
                continue
            self.outcome.done_ops += 1
            chain.outstanding -= 1
            if chain.outstanding:
                continue
            if chain.stage + 1 >= len(chain.stages):
                self._finish(chain)  # its last write: done, even when nothing else may start
            elif not self.stopping:
                chain.stage += 1
                self._start(chain)

    def _interrupted(self, count: int) -> None:
        """The writes in flight go on (they cannot be called back) and are waited for. From
        the second Ctrl-C on, each is journalled as unknown first, once."""
        self.stopping = self.outcome.interrupted = True
        if count > 1 and not self.marked_unknown:
            self.marked_unknown = True
            _journal_unknown(self.journal, [t.op for t in self.running])
        if self.progress is not None:
            self.progress(
                f"interrupted: waiting for {len(self.running)} write(s) in flight",
                self.outcome.done_ops,
                self.outcome.total,
            )

    # -- the workers ---------------------------------------------------------------------------

    def _work(self, task: _Task) -> None:
        token = IN_FLIGHT_WATCH.set(task)
        try:
            task.op.run(self.journal)
        except BaseException as error:  # reported by the scheduler
            task.error = error
        finally:
            IN_FLIGHT_WATCH.reset(token)
            with self.cond:
                self._arrived(task)
                if task.slot:
                    self.active -= 1
                self.running.remove(task)
                self.done.append(task)
                self.cond.notify_all()

    def _arrived(self, task: _Task, key: str | None = None) -> None:
        """The task's first request reached an endpoint (or it ended): the guess is settled."""
        if task.expected is not None:
            self.expected[task.expected] -= 1
            task.expected = None
        group = task.group
        if group.probe is task:
            group.probe = None
        if key is not None and key != group.endpoint:
            if group.endpoint is not None:
                self.backlog[group.endpoint] -= len(group.ops)
            group.endpoint = key
            self.backlog[key] += len(group.ops)

    def waiting(self, task: _Task, key: str, limit: int) -> None:
        with self.cond:
            self.limits[key] = limit
            self._arrived(task, key)
            self.parked[key] += 1
            self._release(task)  # its slot goes to another op meanwhile

    def entered(self, task: _Task, key: str, limit: int, *, waited: bool) -> None:
        with self.cond:
            self.limits[key] = limit
            self._arrived(task, key)
            if waited:
                self.parked[key] -= 1
            if not task.slot:  # before any new op: it holds its endpoint's slot already
                self.resuming += 1
                while self.active >= self.slots:
                    self.cond.wait()
                self.resuming -= 1
                self.active += 1
                task.slot = True
            self.in_flight[key] += 1

    def left(self, task: _Task, key: str) -> None:
        """The request is done: its slot is free while the op journals (a slot is a write in
        flight; a further request of the op takes one again). One worker keeps it: one op at
        a time, journalled before the next starts."""
        with self.cond:
            self.in_flight[key] -= 1
            if self.slots > 1:
                self._release(task)
            else:
                self.cond.notify_all()

    def _release(self, task: _Task) -> None:
        if task.slot:
            task.slot = False
            self.active -= 1
        self.cond.notify_all()


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
