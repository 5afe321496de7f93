"""The apply graph (a pure function of the plan), the bounded runner, the group-commit journal
and Ctrl-C, without HTTP. Overlap is made certain with events and barriers (30 s timeouts only
as a guard), never hoped for from timing."""

from __future__ import annotations

import _thread
import json
import random
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import apply_journal
from reconciler.apply import JsonlJournal, apply_plan
from reconciler.apply_graph import Call, Phase, Step, build_graph, ordered
from reconciler.apply_run import CountingJournal, _Run, run_graph
from reconciler.errors import ApplyInterrupted, PartialApplyError, ValidationFailed
from reconciler.plan import Action, Change, Plan, Risk
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.transport.http import ApiClient
from reconciler.writes import Journal, Observation, Stages, WriteOp, WriteRecord
from tests.polling import wait_for

GUARD_S = 30.0


def change(address: str, action: Action, *, owner: str = "autotask", kind: str = "x") -> Change:
    return Change(
        address=address,
        kind=kind,
        key=address,
        section=address.split("[", 1)[0].split(".", 1)[0],
        owner=owner,
        action=action,
        before=None if action is Action.CREATE else {},
        after=None if action is Action.DELETE else {},
    )


HOOK_A = change('webhooks["a"]', Action.CREATE, kind="webhook")
HOOK_B = change('webhooks["b"]', Action.UPDATE, kind="webhook")
HOOK_GONE = change('webhooks["z"]', Action.DELETE, kind="webhook")
LOCATION = change('inventory.locations["Main"]', Action.CREATE, kind="inventory_location")
LOCATION_GONE = change('inventory.locations["Old"]', Action.DEACTIVATE, kind="inventory_location")
BILLING = change('billing_codes.categories["Hardware"]', Action.UPDATE, owner="salesbuildr")
BILLING_2 = change('billing_codes.categories["Software"]', Action.CREATE, owner="salesbuildr")
PO = change("purchase_order", Action.UPDATE, owner="salesbuildr")
RECEIVER = change("webhook_receiver", Action.UPDATE, owner="salesbuildr", kind="webhook_receiver")
NOTHING = change('webhooks["same"]', Action.NO_OP, kind="webhook")
ALL = [
    HOOK_A,
    HOOK_B,
    HOOK_GONE,
    LOCATION,
    LOCATION_GONE,
    BILLING,
    BILLING_2,
    PO,
    RECEIVER,
    NOTHING,
]


def by_id(steps: Sequence[Step]) -> dict[str, Step]:
    return {s.id: s for s in steps}


# --- the graph ---------------------------------------------------------------------------------


def test_the_graph_has_one_step_per_object_and_per_document_in_phases() -> None:
    steps = build_graph(ALL, kinds=AUTOTASK_KINDS)
    assert [(s.id, s.phase, s.call) for s in steps] == [
        ("receiver", Phase.RECEIVER, Call.DOCUMENTS),
        ('object:inventory.locations["Main"]', Phase.OBJECTS, Call.OBJECT),
        ('object:webhooks["a"]', Phase.OBJECTS, Call.OBJECT),
        ('object:webhooks["b"]', Phase.OBJECTS, Call.OBJECT),
        ("document:billing_codes", Phase.DOCUMENTS, Call.DOCUMENTS),
        ("document:inventory", Phase.DOCUMENTS, Call.DOCUMENTS),
        ("document:purchase_order", Phase.DOCUMENTS, Call.DOCUMENTS),
        ("document:webhooks", Phase.DOCUMENTS, Call.DOCUMENTS),
        ('removal:inventory.locations["Old"]', Phase.REMOVALS, Call.REMOVAL),
        ('removal:webhooks["z"]', Phase.REMOVALS, Call.REMOVAL),
        ("document-after-removals:inventory", Phase.DOCUMENTS_AFTER_REMOVALS, Call.DOCUMENTS),
        ("document-after-removals:webhooks", Phase.DOCUMENTS_AFTER_REMOVALS, Call.DOCUMENTS),
    ]
    assert ordered(steps)


def test_dependencies_objects_after_the_receiver_documents_after_objects_removals_last() -> None:
    steps = by_id(build_graph(ALL, kinds=AUTOTASK_KINDS))
    objects = {'object:inventory.locations["Main"]', 'object:webhooks["a"]', 'object:webhooks["b"]'}
    for name in objects:
        assert steps[name].after == ("receiver",)  # independent of each other
    documents = {i for i in steps if i.startswith("document:")}
    for name in documents:
        assert set(steps[name].after) == {"receiver", *objects}  # not on each other
    for name in ('removal:inventory.locations["Old"]', 'removal:webhooks["z"]'):
        assert set(steps[name].after) == {"receiver", *objects, *documents}
    assert steps["document-after-removals:inventory"].after == (
        'removal:inventory.locations["Old"]',
    )
    # A document step carries its section's mappings and its Autotask objects (their flags).
    assert steps["document:billing_codes"].changes == (BILLING, BILLING_2)
    assert steps["document:inventory"].changes == (LOCATION,)
    assert steps["document-after-removals:inventory"].changes == (LOCATION_GONE,)


def test_the_graph_is_deterministic_whatever_the_order_of_the_plan() -> None:
    expected = build_graph(ALL, kinds=AUTOTASK_KINDS)
    shuffled = list(ALL)
    for seed in range(20):
        random.Random(seed).shuffle(shuffled)
        assert build_graph(shuffled, kinds=AUTOTASK_KINDS) == expected


def test_no_ops_make_no_steps_and_an_autotask_only_plan_has_no_receiver() -> None:
    assert build_graph([NOTHING], kinds=AUTOTASK_KINDS) == ()
    steps = build_graph([HOOK_A], kinds=AUTOTASK_KINDS)
    assert [s.id for s in steps] == ['object:webhooks["a"]', "document:webhooks"]
    assert steps[0].after == ()


# --- the runner --------------------------------------------------------------------------------


class Recorder:
    """Ops that record when they start and end, and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[str] = []
        self.running = 0
        self.most = 0

    def op(
        self, name: str, body: Callable[[], None] = lambda: None, *, outcome: str = "ok"
    ) -> WriteOp:
        def run(journal: Journal) -> None:
            with self.lock:
                self.events.append(f"start {name}")
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                body()
            finally:
                with self.lock:
                    self.running -= 1
                    self.events.append(f"end {name}")
            journal(WriteRecord(name, "create", name, outcome))

        return WriteOp(name, run, (name,))


def two_chains(
    recorder: Recorder, *, middle: Callable[[], None] = lambda: None
) -> tuple[tuple[Step, ...], dict[str, Stages]]:
    steps = (Step("a", Phase.OBJECTS, Call.OBJECT, ()), Step("b", Phase.OBJECTS, Call.OBJECT, ()))
    stages: dict[str, Stages] = {
        name: [
            [recorder.op(f"{name}.create")],
            [recorder.op(f"{name}.child{i}", middle) for i in range(3)],
            [recorder.op(f"{name}.activate")],
        ]
        for name in ("a", "b")
    }
    return steps, stages


def test_one_worker_runs_the_writes_in_graph_order_one_at_a_time() -> None:
    recorder = Recorder()
    steps, stages = two_chains(recorder)
    outcome = run_graph(steps, stages, journal=CountingJournal(lambda r: None), parallelism=1)
    starts = [e.removeprefix("start ") for e in recorder.events if e.startswith("start")]
    # Depth first, as the sequential apply wrote: each chain whole, then the next.
    assert starts == [
        "a.create",
        "a.child0",
        "a.child1",
        "a.child2",
        "a.activate",
        "b.create",
        "b.child0",
        "b.child1",
        "b.child2",
        "b.activate",
    ]
    assert recorder.most == 1
    assert (outcome.done_ops, outcome.total) == (10, 10)
    assert outcome.finished_steps == {"a", "b"}


def test_children_fan_out_and_a_chain_activates_only_after_all_its_children() -> None:
    recorder = Recorder()
    barrier = threading.Barrier(6, timeout=GUARD_S)  # all six children in flight at once
    steps, stages = two_chains(recorder, middle=barrier.wait)
    run_graph(steps, stages, journal=CountingJournal(lambda r: None), parallelism=8)
    assert recorder.most == 6
    events = recorder.events
    for name in ("a", "b"):
        children_end = max(events.index(f"end {name}.child{i}") for i in range(3))
        assert events.index(f"end {name}.create") < min(
            events.index(f"start {name}.child{i}") for i in range(3)
        )
        assert children_end < events.index(f"start {name}.activate")


def test_never_more_than_n_writes_in_flight() -> None:
    recorder = Recorder()
    release = threading.Event()
    two_running = threading.Event()

    def hold() -> None:
        with recorder.lock:
            if recorder.running >= 2:
                two_running.set()
        assert release.wait(GUARD_S)

    steps = tuple(Step(f"s{i}", Phase.OBJECTS, Call.OBJECT, ()) for i in range(6))
    stages: dict[str, Stages] = {s.id: [[recorder.op(s.id, hold)]] for s in steps}
    runner = threading.Thread(
        target=run_graph,
        args=(steps, stages),
        kwargs={"journal": CountingJournal(lambda r: None), "parallelism": 2},
    )
    runner.start()
    assert two_running.wait(GUARD_S)
    release.set()
    runner.join(GUARD_S)
    assert recorder.most == 2


def test_a_failure_starts_no_further_write_and_the_writes_in_flight_finish() -> None:
    recorder = Recorder()
    b_started = threading.Event()
    runs: list[_Run] = []

    def fail() -> None:
        assert b_started.wait(GUARD_S)
        raise ValidationFailed("no", system="autotask", method="POST", path="/x")

    def slow() -> None:
        b_started.set()
        # b ends once the scheduler has seen a's failure (not merely once a raised: b's end
        # may be collected first, and a write it then starts is not one started after it).
        wait_for(lambda: runs[0].stopping, timeout=GUARD_S, what="a's failure collected")

    steps = (
        Step("a", Phase.OBJECTS, Call.OBJECT, ()),
        Step("b", Phase.OBJECTS, Call.OBJECT, ()),
        Step("later", Phase.DOCUMENTS, Call.DOCUMENTS, (), after=("a", "b")),
    )
    stages: dict[str, Stages] = {
        "a": [[recorder.op("a.create", fail)], [recorder.op("a.activate")]],
        "b": [[recorder.op("b.create", slow)], [recorder.op("b.activate")]],
        "later": [[recorder.op("later.put")]],
    }
    runs.append(_Run(steps, stages, CountingJournal(lambda r: None), 4, None))
    outcome = runs[0].run()
    assert isinstance(outcome.error, ValidationFailed)
    assert "end b.create" in recorder.events  # in flight: allowed to finish
    assert [e for e in recorder.events if "activate" in e or "later" in e] == []
    assert outcome.finished_steps == set()
    assert outcome.failed_addresses == {"a.create"}


# --- apply_plan over the graph -----------------------------------------------------------------


class GraphWriter:
    """A ChangeWriter whose writes are ops of a :class:`Recorder`; ``body`` runs in each."""

    def __init__(self, recorder: Recorder, body: Callable[[str], None] = lambda name: None):
        self.recorder = recorder
        self.body = body

    def observe(self, changes: Sequence[Any]) -> Observation:
        return Observation({})

    def remaining_requests(self) -> int | None:
        return None

    def window_need(self, changes: Sequence[Any], *, check_stale: bool) -> None:
        return None  # no Salesbuildr window told: apply's budget check has nothing to compare

    def _ops(self, changes: Sequence[Any]) -> Stages:
        return [[self.recorder.op(c.address, lambda a=c.address: self.body(a)) for c in changes]]

    def object_writes(self, change: Any) -> Stages:
        return self._ops([change])

    def document_writes(self, changes: Sequence[Any]) -> Stages:
        return self._ops([c for c in changes if c.owner == "salesbuildr"])

    def removal_writes(self, change: Any) -> Stages:
        return self._ops([change])

    def remove(self, change: Any, journal: Journal) -> None:
        raise AssertionError("not called by apply")

    def verify(self, changes: Sequence[Any]) -> list[str]:
        return []


def test_progress_counts_writes_and_ends_at_n_of_n() -> None:
    seen: list[tuple[str, int, int]] = []
    plan = Plan(risk=Risk.SAFE, changes=(HOOK_A, BILLING, BILLING_2, HOOK_GONE))
    result = apply_plan(
        plan,
        GraphWriter(Recorder()),
        journal=lambda r: None,
        check_stale=False,
        parallelism=1,
        progress=lambda *a: seen.append(a),
        kinds=AUTOTASK_KINDS,
    )
    assert {total for _, _, total in seen} == {4}  # writes, not objects or documents
    assert seen[-1] == ("verifying", 4, 4)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert result.writes == 4


def test_ctrl_c_lets_the_writes_in_flight_finish_and_says_k_of_n() -> None:
    recorder = Recorder()
    plan = Plan(risk=Risk.SAFE, changes=(HOOK_A, HOOK_B, LOCATION, HOOK_GONE))
    records: list[WriteRecord] = []

    def body(address: str) -> None:
        if address == HOOK_A.address:
            _thread.interrupt_main()  # Ctrl-C while this write is in flight

    with pytest.raises(ApplyInterrupted) as raised:
        apply_plan(
            plan,
            GraphWriter(recorder, body),
            journal=records.append,
            check_stale=False,
            parallelism=1,
            kinds=AUTOTASK_KINDS,
        )
    error = raised.value
    assert error.exit_code == 130
    # One worker: the interrupted write was the second (locations sort first); it finished
    # and is journalled; nothing started after it.
    assert [r.address for r in records] == [LOCATION.address, HOOK_A.address]
    assert (error.written, error.total) == (2, 4)
    assert error.message == (
        "interrupted after 2 of 4 writes; every write is in the journal; the next apply converges"
    )
    assert error.at("plan.json.journal.jsonl").message == (
        "interrupted after 2 of 4 writes; journal plan.json.journal.jsonl; the next apply converges"
    )


def test_a_second_ctrl_c_journals_the_writes_in_flight_as_unknown_and_still_waits() -> None:
    """The first Ctrl-C comes while a write is in flight; the runner says it waits for it; a
    second Ctrl-C then (from the progress line) journals the write as unknown at once, and the
    runner still waits for the write's own record."""
    recorder = Recorder()
    released = threading.Event()
    records: list[WriteRecord] = []
    seen: list[str] = []

    def body(address: str) -> None:
        _thread.interrupt_main()
        assert released.wait(GUARD_S)

    def journal(record: WriteRecord) -> None:
        records.append(record)
        if record.outcome == "unknown":
            released.set()

    def progress(message: str, done: int, total: int) -> None:
        seen.append(message)
        if message.startswith("interrupted") and seen.count(message) == 1:
            _thread.interrupt_main()  # the second Ctrl-C

    steps = (Step("a", Phase.OBJECTS, Call.OBJECT, (HOOK_A,)),)
    stages: dict[str, Stages] = {"a": GraphWriter(recorder, body).object_writes(HOOK_A)}
    outcome = run_graph(
        steps, stages, journal=CountingJournal(journal), parallelism=2, progress=progress
    )
    assert outcome.interrupted
    assert "interrupted: waiting for 1 write(s) in flight" in seen
    assert [(r.address, r.outcome) for r in records] == [
        (HOOK_A.address, "unknown"),
        (HOOK_A.address, "ok"),
    ]
    assert records[0].carries == (HOOK_A.address,)
    assert outcome.done_ops == 1


def test_a_partial_apply_lists_what_every_write_finished() -> None:
    def body(address: str) -> None:
        if address == BILLING.address:
            raise ValidationFailed("refused", system="salesbuildr", method="PUT", path="/x")

    plan = Plan(risk=Risk.SAFE, changes=(HOOK_A, BILLING, PO, HOOK_GONE))
    with pytest.raises(PartialApplyError) as raised:
        apply_plan(
            plan,
            GraphWriter(Recorder(), body),
            journal=lambda r: None,
            check_stale=False,
            parallelism=1,
            kinds=AUTOTASK_KINDS,
        )
    message = raised.value.message
    assert 'done (1): webhooks["a"]\n' in message
    assert "not done (3)" in message


# --- the journal -------------------------------------------------------------------------------


def test_writes_finishing_together_share_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = JsonlJournal(tmp_path / "j.jsonl")
    writers = 8
    all_written = threading.Event()
    real_fsync = apply_journal.os.fsync
    first = threading.Event()

    def fsync(fd: int) -> None:
        if not first.is_set():
            first.set()
            assert all_written.wait(GUARD_S)  # the others write their lines meanwhile
        real_fsync(fd)

    monkeypatch.setattr(apply_journal.os, "fsync", fsync)

    def write(number: int) -> None:
        journal(WriteRecord(f"a{number}", "create", "POST /x", "ok", number))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads[0].start()
    assert first.wait(GUARD_S)
    for thread in threads[1:]:
        thread.start()

    def lines() -> int:
        return (tmp_path / "j.jsonl").read_bytes().count(b"\n")

    deadline = threading.Event()
    for _ in range(3000):
        if lines() == writers:
            break
        deadline.wait(0.01)
    all_written.set()
    for thread in threads:
        thread.join(GUARD_S)
    journal.close()
    assert lines() == writers
    # The first line's sync, then one sync for the seven written while it ran.
    assert journal.syncs == 2
    parsed = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert sorted(p["id"] for p in parsed) == list(range(writers))


def test_a_journal_continued_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"address": "a", "outcome": "ok"}\n{"address": "b", "outc')
    journal = JsonlJournal(path)
    journal(WriteRecord("c", "create", "POST /x", "ok", 1))
    journal.close()
    first, torn, last = path.read_text().splitlines()
    assert json.loads(first)["address"] == "a"
    assert torn == '{"address": "b", "outc'
    assert json.loads(last)["address"] == "c"
    assert not journal.created


def test_a_document_put_is_one_record_listing_its_addresses(tmp_path: Path) -> None:
    journal = JsonlJournal(tmp_path / "j.jsonl")
    journal(
        WriteRecord(
            "salesbuildr:billing-codes",
            "update",
            "PUT settings/billing-codes (2 change(s))",
            "ok",
            addresses=(BILLING.address, BILLING_2.address),
        )
    )
    journal.close()
    (line,) = [json.loads(x) for x in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert line["address"] == "salesbuildr:billing-codes"
    assert line["addresses"] == [BILLING.address, BILLING_2.address]


def test_a_step_made_ready_by_a_root_without_writes_runs_once() -> None:
    """A location whose only change is Salesbuildr's tracking flag has no Autotask write: its
    step finishes at once and makes the document ready; the document is still written once."""
    recorder = Recorder()
    steps = (
        Step("location", Phase.OBJECTS, Call.OBJECT, ()),
        Step("document", Phase.DOCUMENTS, Call.DOCUMENTS, (), after=("location",)),
    )
    stages: dict[str, Stages] = {"location": [], "document": [[recorder.op("put")]]}
    outcome = run_graph(steps, stages, journal=CountingJournal(lambda r: None), parallelism=4)
    assert recorder.events == ["start put", "end put"]
    assert outcome.finished_steps == {"location", "document"}


# --- the runner and the HTTP clients' in-flight limits -----------------------------------------


def _posting(client: ApiClient, name: str, path: str) -> WriteOp:
    def run(journal: Journal) -> None:
        client.request("POST", path, json={})
        journal(WriteRecord(name, "create", f"POST {path}", "ok"))

    return WriteOp(name, run, (name,))


def test_writes_to_a_full_endpoint_do_not_hold_back_writes_to_another() -> None:
    """Endpoint ``a`` takes one request at a time and holds it until ``b``'s request arrived:
    with two slots, the writes queued for ``a`` must leave a slot to ``b`` (before, a second
    worker waited inside the limiter for ``a`` and ``b`` never started)."""
    b_arrived = threading.Event()
    most: dict[str, int] = {}
    now: dict[str, int] = {}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.strip("/").split("/")[0]
        with lock:
            now[endpoint] = now.get(endpoint, 0) + 1
            most[endpoint] = max(most.get(endpoint, 0), now[endpoint])
        if endpoint == "a":
            assert b_arrived.wait(GUARD_S)
        else:
            b_arrived.set()
        with lock:
            now[endpoint] -= 1
        return httpx.Response(200, json={})

    client = ApiClient(
        system="test",
        base_url="http://127.0.0.1:9",
        headers={},
        transport=httpx.MockTransport(handler),
        max_in_flight=1,
    )
    steps = (Step("a", Phase.OBJECTS, Call.OBJECT, ()), Step("b", Phase.OBJECTS, Call.OBJECT, ()))
    stages: dict[str, Stages] = {
        "a": [[_posting(client, f"a{i}", "a/items") for i in range(4)]],
        "b": [[_posting(client, "b0", "b/items")]],
    }
    outcome = run_graph(steps, stages, journal=CountingJournal(lambda r: None), parallelism=2)
    assert outcome.error is None and outcome.done_ops == 5
    assert b_arrived.is_set()
    assert most == {"a": 1, "b": 1}  # the endpoint's limit held throughout


def test_many_writes_to_two_endpoints_keep_both_limits() -> None:
    """Writes to two endpoints of limit 2 with 3 slots: never more than 3 requests in flight,
    never more than 2 on one endpoint, every write done."""
    lock = threading.Lock()
    now: dict[str, int] = {"all": 0}
    most: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.strip("/").split("/")[0]
        with lock:
            for key in ("all", endpoint):
                now[key] = now.get(key, 0) + 1
                most[key] = max(most.get(key, 0), now[key])
        with lock:
            for key in ("all", endpoint):
                now[key] -= 1
        return httpx.Response(200, json={})

    client = ApiClient(
        system="test",
        base_url="http://127.0.0.1:9",
        headers={},
        transport=httpx.MockTransport(handler),
        max_in_flight=2,
    )
    steps = tuple(Step(f"s{i}", Phase.OBJECTS, Call.OBJECT, ()) for i in range(4))
    stages: dict[str, Stages] = {
        s.id: [[_posting(client, f"{s.id}.{n}", f"{'xy'[i % 2]}/items") for n in range(5)]]
        for i, s in enumerate(steps)
    }
    outcome = run_graph(steps, stages, journal=CountingJournal(lambda r: None), parallelism=3)
    assert outcome.error is None and outcome.done_ops == 20
    assert most["all"] <= 3
    assert most["x"] <= 2 and most["y"] <= 2
