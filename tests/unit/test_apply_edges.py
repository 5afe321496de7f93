"""apply_plan against a hand-built ChangeWriter (the provider Protocol): the order of writes, the
stale check, exit 1 "error before any write" vs exit 4 "partial", and the journal's records.

The writer describes one write per step and records every write it runs; it can be told to
fail at one; nothing here talks HTTP (the sandbox-backed apply runs live in tests/scenarios and
tests/reliability). ``run`` applies with one write at a time (``--parallelism 1``): the graph's
order, deterministic; tests/unit/test_apply_graph.py covers the graph and the parallel runs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import JsonlJournal, RequestFloor, apply_plan, stale_objects
from reconciler.errors import (
    PartialApplyError,
    ProviderError,
    RefusedError,
    UnknownOutcome,
    ValidationFailed,
)
from reconciler.plan import Action, Change, Plan, Risk
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.writes import Journal, Observation, Stages, WriteOp, WriteRecord


def change(
    address: str,
    action: Action,
    *,
    owner: str = "autotask",
    kind: str = "webhook",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Change:
    return Change(
        address=address,
        kind=kind,
        key=address,
        section=address.split("[", 1)[0].split(".", 1)[0],
        owner=owner,
        action=action,
        before=before if action is not Action.CREATE else None,
        after=after,
    )


CREATE_A = change('webhooks["a"]', Action.CREATE, after={"active": True})
CREATE_B = change('webhooks["b"]', Action.CREATE, after={"active": True})
UPDATE_C = change(
    'webhooks["c"]', Action.UPDATE, before={"active": True, "url": "x"}, after={"active": False}
)
DELETE_D = change('webhooks["d"]', Action.DELETE, before={"active": True})
DEACTIVATE_E = change(
    'inventory.locations["e"]', Action.DEACTIVATE, kind="inventory_location", before={}
)
DOCUMENT = change(
    'billing_codes.categories["Hardware"]',
    Action.UPDATE,
    owner="salesbuildr",
    kind="billing_code_mapping",
    before={"billing_code": "Labor"},
    after={"billing_code": "Hardware Sales"},
)
RECEIVER = change(
    "webhook_receiver", Action.UPDATE, owner="salesbuildr", kind="webhook_receiver", before={}
)
NO_OP = change('webhooks["z"]', Action.NO_OP, before={}, after={})


def api_error(message: str = "the API said no", cls: type[ProviderError] = ValidationFailed) -> Any:
    return cls(message, system="autotask", method="POST", path="/CompanyWebhooks")


def plan_of(*changes: Change, risk: Risk = Risk.SAFE, **observed: str) -> Plan:
    return Plan(
        changes=changes,
        risk=risk,
        blocked_reasons=("too many deletes",) if risk is Risk.BLOCKED else (),
        observed=observed,
    )


class Writer:
    """A ChangeWriter that records its calls, journals an "ok" write for each change, and
    raises ``fail_with`` at the ``fail_at``-th call (1-based) after journalling ``outcome``."""

    def __init__(
        self,
        *,
        fail_at: int = 0,
        fail_with: Exception | None = None,
        outcome: str | None = None,
        remaining: int | None = 10_000,
        fingerprints: Mapping[str, str] | None = None,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
        residual: Sequence[str] = (),
    ):
        self.fail_at = fail_at
        self.fail_with = fail_with or api_error()
        self.outcome = outcome
        self.remaining = remaining
        self.fingerprints = dict(fingerprints or {})
        self.attributes = dict(attributes or {})
        self.residual = list(residual)
        self.calls: list[tuple[str, list[str]]] = []
        self.asked_remaining = 0
        self.observed: list[list[str]] = []
        self.documents_described: list[list[str]] = []

    def observe(self, changes: Sequence[Any]) -> Observation:
        self.observed.append([c.address for c in changes])
        return Observation(self.fingerprints, self.attributes)

    def remaining_requests(self) -> int | None:
        self.asked_remaining += 1
        return self.remaining

    def window_need(self, changes: Sequence[Any], *, check_stale: bool) -> None:
        return None  # no answer told what is left: tests/unit/test_budgets.py has the check

    def _call(self, name: str, changes: Sequence[Any], journal: Journal) -> None:
        self.calls.append((name, [c.address for c in changes]))
        addresses = tuple(c.address for c in changes)
        if len(self.calls) == self.fail_at:
            if self.outcome is not None:
                journal(WriteRecord(changes[0].address, name, "POST /x", self.outcome))
            raise self.fail_with
        action = str(changes[0].action) if len(changes) == 1 else "update"
        journal(
            WriteRecord(addresses[0], action, f"{name} {addresses[0]}", "ok", 7, None, addresses)
        )

    def _one(self, name: str, changes: Sequence[Any]) -> Stages:
        def run(journal: Journal) -> None:
            self._call(name, changes, journal)

        if name == "write_documents":
            receiver = changes[0].kind == "webhook_receiver"
            label = (
                "setting the webhook receiver secret"
                if receiver
                else "writing Salesbuildr settings"
            )
        else:
            label = f"{changes[0].action.value} {changes[0].address}"
        return [[WriteOp(label, run, tuple(c.address for c in changes))]]

    def object_writes(self, change: Any) -> Stages:
        return self._one("write_autotask", [change])

    def document_writes(self, changes: Sequence[Any]) -> Stages:
        """Like the real writer: a PUT only for what Salesbuildr owns (Autotask objects of the
        section are described to it, for their Salesbuildr flags)."""
        self.documents_described.append([c.address for c in changes])
        owned = [c for c in changes if c.owner == "salesbuildr"]
        return self._one("write_documents", owned) if owned else []

    def removal_writes(self, change: Any) -> Stages:
        return self._one("remove", [change])

    def remove(self, change: Any, journal: Journal) -> None:
        raise AssertionError("apply describes removals; it does not call remove()")

    def verify(self, changes: Sequence[Any]) -> list[str]:
        self.calls.append(("verify", [c.address for c in changes]))
        return self.residual


FLOOR_50 = RequestFloor("autotask", "Autotask", "min_remaining_autotask_requests", 50)


def run(plan: Plan, writer: Writer, **options: Any) -> list[WriteRecord]:
    records: list[WriteRecord] = []
    options.setdefault("parallelism", 1)
    options.setdefault("kinds", AUTOTASK_KINDS)
    apply_plan(plan, writer, journal=records.append, check_stale=False, **options)
    return records


# --- order of writes ---------------------------------------------------------------------------


def test_writes_go_receiver_then_autotask_then_documents_then_removals() -> None:
    writer = Writer()
    plan = plan_of(DELETE_D, DOCUMENT, UPDATE_C, DEACTIVATE_E, CREATE_B, RECEIVER, CREATE_A, NO_OP)

    records = run(plan, writer)

    assert writer.calls == [
        ("write_documents", ["webhook_receiver"]),
        ("write_autotask", ['webhooks["a"]']),
        ("write_autotask", ['webhooks["b"]']),
        ("write_autotask", ['webhooks["c"]']),
        ("write_documents", ['billing_codes.categories["Hardware"]']),
        ("remove", ['inventory.locations["e"]']),
        ("remove", ['webhooks["d"]']),
        ("verify", [c.address for c in plan.pending]),
    ]
    assert [r.address for r in records] == [addrs[0] for _, addrs in writer.calls[:-1]]


def test_documents_are_described_with_the_autotask_objects_of_their_section() -> None:
    """Autotask objects may carry Salesbuildr flags (stock tracking) the document PUT writes:
    each section's document step gets them, after them; removals get a document step of their
    own, after the removals."""
    writer = Writer()
    run(plan_of(CREATE_A, DEACTIVATE_E, DOCUMENT), writer)
    assert writer.documents_described == [
        ['billing_codes.categories["Hardware"]'],
        ['webhooks["a"]'],
        ['inventory.locations["e"]'],
    ]


def test_an_empty_plan_asks_nothing() -> None:
    writer = Writer()
    result = apply_plan(plan_of(NO_OP), writer, journal=lambda r: None, kinds=AUTOTASK_KINDS)
    assert writer.calls == [] and writer.observed == [] and writer.asked_remaining == 0
    assert result.applied == [] and result.writes == 0


def test_result_lists_what_was_applied_and_counts_every_journalled_write() -> None:
    writer = Writer()
    result = apply_plan(
        plan_of(CREATE_A, DOCUMENT, DELETE_D),
        writer,
        journal=lambda r: None,
        check_stale=False,
        kinds=AUTOTASK_KINDS,
    )
    assert result.applied == [
        'webhooks["a"]',
        'billing_codes.categories["Hardware"]',
        'webhooks["d"]',
    ]
    assert result.not_done == [] and result.residual == []
    assert result.writes == 3


def test_progress_says_what_happens_with_counts() -> None:
    seen: list[tuple[str, int, int]] = []
    run(plan_of(CREATE_A, DOCUMENT, DELETE_D), Writer(), progress=lambda *a: seen.append(a))
    assert seen == [
        ('create webhooks["a"]', 0, 3),
        ("writing Salesbuildr settings", 1, 3),
        ('delete webhooks["d"]', 2, 3),
        ("verifying", 3, 3),
    ]


def test_progress_for_the_receiver_secret_comes_first() -> None:
    seen: list[tuple[str, int, int]] = []
    run(plan_of(RECEIVER, CREATE_A), Writer(), progress=lambda *a: seen.append(a))
    assert seen[0] == ("setting the webhook receiver secret", 0, 2)
    assert seen[1] == ('create webhooks["a"]', 1, 2)


# --- refusals before any write (exit 3) -------------------------------------------------------


def test_a_blocked_plan_is_refused_without_force_and_applied_with_it() -> None:
    plan = plan_of(DELETE_D, risk=Risk.BLOCKED)
    writer = Writer()
    with pytest.raises(
        RefusedError, match="exceeds a safety threshold: too many deletes"
    ) as raised:
        run(plan, writer)
    assert raised.value.exit_code == 3
    assert raised.value.hint is not None and "--force" in raised.value.hint
    assert writer.calls == []

    run(plan, writer, force=True)
    assert ("remove", ['webhooks["d"]']) in writer.calls


def test_the_hourly_budget_floor_refuses_before_any_write() -> None:
    writer = Writer(remaining=49)
    with pytest.raises(RefusedError, match="only 49 Autotask API requests are left") as raised:
        run(plan_of(CREATE_A), writer, request_floor=FLOOR_50)
    assert "min_remaining_autotask_requests is 50" in raised.value.message
    assert writer.calls == []
    run(plan_of(CREATE_A), Writer(remaining=50), request_floor=FLOOR_50)  # at the floor: fine


def test_the_budget_is_not_asked_for_salesbuildr_only_plans() -> None:
    writer = Writer(remaining=0)
    run(plan_of(DOCUMENT), writer, request_floor=FLOOR_50)
    assert writer.asked_remaining == 0
    assert ("write_documents", [DOCUMENT.address]) in writer.calls


def test_an_unknown_budget_is_not_refused() -> None:
    run(plan_of(CREATE_A), Writer(remaining=None), request_floor=FLOOR_50)


# --- the stale check ---------------------------------------------------------------------------


def test_stale_check_keeps_checking_after_the_first_create() -> None:
    plan = plan_of(CREATE_A, CREATE_B, UPDATE_C, **{UPDATE_C.address: "fp-then"})
    fresh = {CREATE_B.address: "fp-someone", UPDATE_C.address: "fp-now"}
    moved = stale_objects(
        plan, plan.pending, fresh, {UPDATE_C.address: {"active": True, "url": "y"}}
    )
    assert moved == [
        'webhooks["b"]: was created by someone else since the plan',
        "webhooks[\"c\"]: url: 'x' -> 'y'",
    ]


def test_stale_check_reports_every_kind_of_move() -> None:
    plan = plan_of(
        CREATE_A,
        UPDATE_C,
        DELETE_D,
        DOCUMENT,
        **{
            UPDATE_C.address: "fp-c",
            DELETE_D.address: "fp-d",
            DOCUMENT.address: "fp-doc",
            "salesbuildr:billing_codes": "etag:1",
            "salesbuildr:product_import": "etag:7",
        },
    )
    fresh = {
        CREATE_A.address: "fp-a",
        UPDATE_C.address: "fp-c2",  # moved, but not in the compared attributes
        DOCUMENT.address: "fp-doc",  # unchanged
        "salesbuildr:billing_codes": "etag:2",
        "salesbuildr:product_import": "etag:7",
        "salesbuildr:unplanned": "etag:9",
    }
    moved = stale_objects(
        plan, plan.pending, fresh, {UPDATE_C.address: dict(UPDATE_C.before or {})}
    )
    assert moved == [
        'webhooks["a"]: was created by someone else since the plan',
        'webhooks["c"]: changed outside the compared attributes',
        'webhooks["d"]: no longer exists',
        "salesbuildr:billing_codes: the settings document changed (etag:1 -> etag:2)",
    ]


def test_stale_check_names_fields_that_appeared_or_vanished() -> None:
    plan = plan_of(UPDATE_C, **{UPDATE_C.address: "then"})
    moved = stale_objects(
        plan,
        plan.pending,
        {UPDATE_C.address: "now"},
        {UPDATE_C.address: {"active": True, "new": 1}},
    )
    assert moved == ["webhooks[\"c\"]: new: None -> 1, url: 'x' -> None"]
    # No attributes re-read at all: every planned field reads as gone.
    gone = stale_objects(plan, plan.pending, {UPDATE_C.address: "now"}, {})
    assert gone == ["webhooks[\"c\"]: active: True -> None, url: 'x' -> None"]


def test_an_object_the_plan_did_not_observe_is_not_stale_while_it_exists() -> None:
    plan = plan_of(UPDATE_C)
    assert stale_objects(plan, plan.pending, {UPDATE_C.address: "any"}, {}) == []


def test_a_stale_plan_is_refused_before_any_write_listing_every_move() -> None:
    plan = plan_of(CREATE_A, CREATE_B, UPDATE_C, **{UPDATE_C.address: "then"})
    writer = Writer(fingerprints={CREATE_B.address: "b", UPDATE_C.address: "now"})
    with pytest.raises(RefusedError) as raised:
        apply_plan(plan, writer, journal=lambda r: None, kinds=AUTOTASK_KINDS)
    assert raised.value.exit_code == 3
    assert raised.value.message.startswith("Saved plan is stale")
    assert 'webhooks["b"]: was created' in raised.value.message
    assert "webhooks[\"c\"]: active: True -> None, url: 'x' -> None" in raised.value.message
    assert writer.observed == [[CREATE_A.address, CREATE_B.address, UPDATE_C.address]]
    assert writer.calls == []


def test_a_fresh_plan_passes_the_stale_check_and_is_applied() -> None:
    plan = plan_of(CREATE_A, UPDATE_C, **{UPDATE_C.address: "fp"})
    writer = Writer(fingerprints={UPDATE_C.address: "fp"})
    apply_plan(plan, writer, journal=lambda r: None, kinds=AUTOTASK_KINDS)
    assert writer.observed and ("write_autotask", [UPDATE_C.address]) in writer.calls


# --- exit 1 before any write, exit 4 after one -------------------------------------------------


def test_a_failure_before_any_write_is_the_error_itself_exit_1() -> None:
    error = api_error("HTTP 500 from Autotask")
    with pytest.raises(ProviderError) as raised:
        run(plan_of(CREATE_A, CREATE_B), Writer(fail_at=1, fail_with=error))
    assert raised.value is error
    assert raised.value.exit_code == 1


def test_a_failed_write_record_is_not_a_write() -> None:
    """A request the API refused changed nothing: still an error before any write."""
    with pytest.raises(ProviderError) as raised:
        run(plan_of(CREATE_A), Writer(fail_at=1, outcome="failed"))
    assert not isinstance(raised.value, PartialApplyError)
    assert raised.value.exit_code == 1


@pytest.mark.parametrize("outcome", ["ok", "adopted"])
def test_a_failure_after_a_write_of_the_same_change_is_partial(outcome: str) -> None:
    with pytest.raises(PartialApplyError) as raised:
        run(plan_of(CREATE_A, CREATE_B), Writer(fail_at=1, outcome=outcome))
    assert raised.value.exit_code == 4


def test_a_lost_answer_before_any_write_is_partial_exit_4() -> None:
    """An UnknownOutcome may have been a write: never reported as "nothing happened"."""
    lost = api_error("no answer", UnknownOutcome)
    with pytest.raises(PartialApplyError) as raised:
        run(plan_of(CREATE_A), Writer(fail_at=1, fail_with=lost))
    assert raised.value.exit_code == 4
    assert raised.value.__cause__ is lost
    assert "done (0): nothing" in raised.value.message


def test_a_failure_after_a_write_is_partial_exit_4_with_done_and_not_done() -> None:
    records: list[WriteRecord] = []
    writer = Writer(fail_at=3)
    plan = plan_of(CREATE_A, CREATE_B, UPDATE_C, DOCUMENT, DELETE_D)
    with pytest.raises(PartialApplyError) as raised:
        apply_plan(
            plan,
            writer,
            journal=records.append,
            check_stale=False,
            parallelism=1,
            kinds=AUTOTASK_KINDS,
        )
    error = raised.value
    assert error.exit_code == 4
    assert error.message == (
        "apply stopped: the API said no [autotask: POST /CompanyWebhooks]\n"
        '  done (2): webhooks["a"], webhooks["b"]\n'
        '  not done (3): webhooks["c"], billing_codes.categories["Hardware"], webhooks["d"]'
    )
    assert error.hint is not None and "journal" in error.hint
    assert [r.address for r in records] == [CREATE_A.address, CREATE_B.address]
    assert ("verify", [c.address for c in plan.pending]) not in writer.calls


def test_a_failure_in_the_removals_lists_the_documents_as_done() -> None:
    writer = Writer(fail_at=3)  # create a, the document PUT, then delete d fails
    with pytest.raises(PartialApplyError) as raised:
        run(plan_of(CREATE_A, DOCUMENT, DELETE_D), writer)
    assert 'done (2): webhooks["a"], billing_codes.categories["Hardware"]\n' in raised.value.message
    assert 'not done (1): webhooks["d"]' in raised.value.message


def test_a_failed_receiver_secret_is_not_done() -> None:
    with pytest.raises(PartialApplyError) as raised:
        run(plan_of(RECEIVER, CREATE_A), Writer(fail_at=2))
    assert "done (1): webhook_receiver\n" in raised.value.message


def test_residue_after_verification_is_partial_exit_4() -> None:
    writer = Writer(residual=['webhooks["a"]: still inactive'])
    with pytest.raises(PartialApplyError) as raised:
        run(plan_of(CREATE_A), writer)
    assert raised.value.exit_code == 4
    assert raised.value.message == (
        "apply finished but the live state does not match the plan yet:\n"
        '  webhooks["a"]: still inactive'
    )


# --- the journal -------------------------------------------------------------------------------


def test_the_journal_keeps_one_synced_json_line_per_write(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "journal.jsonl"
    journal = JsonlJournal(path)
    writer = Writer(fail_at=2, outcome="failed", fail_with=api_error("HTTP 400"))
    try:
        with pytest.raises(PartialApplyError):
            apply_plan(
                plan_of(CREATE_A, CREATE_B),
                writer,
                journal=journal,
                check_stale=False,
                parallelism=1,
                kinds=AUTOTASK_KINDS,
            )
    finally:
        journal.close()

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["address"] for line in lines] == [CREATE_A.address, CREATE_B.address]
    first, second = lines
    assert set(first) == {"ts", "address", "addresses", "action", "request", "outcome", "id"}
    assert first["addresses"] == [CREATE_A.address]
    assert first["outcome"] == "ok" and first["id"] == 7 and first["action"] == "create"
    assert first["request"] == 'write_autotask webhooks["a"]'
    assert first["ts"].endswith("Z") and first["ts"][:2] == "20"
    assert second["outcome"] == "failed" and "error" not in second
    assert [r.address for r in journal.records] == [CREATE_A.address, CREATE_B.address]


def test_the_journal_keeps_errors_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    for outcome in ("failed", "unknown"):
        journal = JsonlJournal(path)
        journal(WriteRecord("a", "create", "POST /x", outcome, error=f"{outcome}: boom"))
        journal.close()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["outcome"], line["error"]) for line in lines] == [
        ("failed", "failed: boom"),
        ("unknown", "unknown: boom"),
    ]
    assert lines[0]["id"] is None
