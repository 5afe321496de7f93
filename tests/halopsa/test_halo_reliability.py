"""HaloPSA webhook creates whose answers are lost, resolved by ``write_resolve.create`` (the one
create-resolution every PSA shares) against the simulators over loopback:

* lost once and not committed: looked up by name, absent, sent again: one webhook, one ``ok``;
* lost once, committed: adopted by name (``test_halo_engine_parts``), not sent again;
* lost twice: the outcome is unknown, journalled ``unknown`` (one record), the apply stops; the
  next apply re-reads Halo, finds the webhook and creates nothing: resumable;
* two webhooks with the name when the answer is lost: a stop naming both, nothing sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import PartialApplyError, UnknownOutcome
from reconciler.plan.model import Action
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.system import HaloSystem
from reconciler.psa.halopsa.write import WHERE, HaloWriter
from reconciler.sandbox.common import Sandbox
from tests.halopsa.engine_support import halo_list, halo_post, run
from tests.halopsa.test_halo_engine_parts import AFTER, open_client, run_stages, webhook_change

Upsert = Callable[[HaloClient, Any, Any], list[dict[str, Any]]]


def _lost(path: str = "/api/Webhook") -> UnknownOutcome:
    return UnknownOutcome("the answer was lost", system="halopsa", method="POST", path=path)


def scripted(plan: list[str], real: Upsert) -> tuple[Upsert, list[str]]:
    """An ``upsert`` whose Webhook POSTs follow ``plan``, one step per POST: ``drop`` (never
    sent, the answer lost), ``commit-lose`` (sent and saved, the answer lost), ``ok``; what was
    done is appended to the list returned beside it."""
    done: list[str] = []

    def upsert(client: HaloClient, resource: Any, records: Any) -> list[dict[str, Any]]:
        if getattr(resource, "name", resource) != "Webhook" or not plan:
            return real(client, resource, records)
        step = plan.pop(0)
        done.append(step)
        if step == "drop":
            raise _lost()
        saved = real(client, resource, records)
        if step == "commit-lose":
            raise _lost()
        return saved

    return upsert, done


class Scripted:
    """A Halo client whose Webhook POSTs follow a script (see :func:`scripted`)."""

    def __init__(self, client: HaloClient, plan: list[str]) -> None:
        self.client = client
        self._upsert, self.done = scripted(plan, type(client).upsert)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def upsert(self, resource: Any, records: Any) -> list[dict[str, Any]]:
        return self._upsert(self.client, resource, records)


def _named(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    return [w for w in halo_list(sandbox.env, "Webhook") if w["name"] == name]


def test_a_lost_create_that_did_not_happen_is_sent_again(halo_sandbox: Sandbox) -> None:
    with open_client(halo_sandbox, HaloSystem()) as client:
        lossy = Scripted(client, ["drop"])
        writer = HaloWriter(lossy)  # type: ignore[arg-type]
        records = run_stages(writer.writes(webhook_change(Action.CREATE, AFTER)))
    [row] = _named(halo_sandbox, "Sb")
    assert [(r.outcome, r.item_id) for r in records] == [("ok", row["id"])]
    assert isinstance(records[0].item_id, str)  # Halo's UUID, not an int
    assert lossy.done == ["drop"]  # the re-send went through unscripted


def test_a_create_lost_twice_is_journalled_unknown(halo_sandbox: Sandbox) -> None:
    with open_client(halo_sandbox, HaloSystem()) as client:
        lossy = Scripted(client, ["drop", "commit-lose"])
        records: list[Any] = []
        [[op]] = HaloWriter(lossy).writes(webhook_change(Action.CREATE, AFTER))  # type: ignore[arg-type]
        with pytest.raises(UnknownOutcome):
            op.run(records.append)
    assert [(r.action, r.outcome, r.item_id) for r in records] == [("create", "unknown", None)]
    assert records[0].error.startswith("the answer was lost")
    assert len(_named(halo_sandbox, "Sb")) == 1  # the re-send was committed


def test_two_namesakes_after_a_lost_answer_stop_the_create(halo_sandbox: Sandbox) -> None:
    ids = [halo_post(halo_sandbox.env, "Webhook", {**AFTER, "events": []})["id"] for _ in "ab"]
    with open_client(halo_sandbox, HaloSystem()) as client:
        lossy = Scripted(client, ["drop"])
        records: list[Any] = []
        [[op]] = HaloWriter(lossy).writes(webhook_change(Action.CREATE, AFTER))  # type: ignore[arg-type]
        with pytest.raises(PartialApplyError) as stopped:
            op.run(records.append)
    assert all(ident in stopped.value.message for ident in ids)
    assert stopped.value.hint == f"delete the extra one {WHERE}, then apply again"
    assert [r.outcome for r in records] == ["failed"]
    assert lossy.done == ["drop"]  # not sent again
    assert len(_named(halo_sandbox, "Sb")) == 2


# --- through the CLI: the stop, then the next apply resolves it ---------------------------------


def _journal(workdir: Path) -> list[dict[str, Any]]:
    files = sorted((workdir / ".reconcile").glob("journal-*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_an_apply_stopped_by_a_twice_lost_create_is_resumed_by_the_next(
    halo_sandbox: Sandbox, workdir: Path
) -> None:
    upsert, done = scripted(["drop", "commit-lose"], HaloClient.upsert)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HaloClient, "upsert", upsert)
        stopped = run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve")
    assert stopped.exit_code != 0, stopped.output
    assert "the answer was lost" in stopped.output
    assert done == ["drop", "commit-lose"]
    [create] = [r for r in _journal(workdir) if r["request"] == "POST /Webhook"]
    assert (create["outcome"], create["id"]) == ("unknown", None)

    [hook] = _named(halo_sandbox, "Salesbuildr tickets")  # the second send was committed
    resumed = run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve")
    assert resumed.exit_code == 0, resumed.output
    assert [h["id"] for h in _named(halo_sandbox, "Salesbuildr tickets")] == [hook["id"]]
    creates = [r for r in _journal(workdir) if r["request"] == "POST /Webhook"]
    assert len(creates) == 1, "the next apply adopted the webhook; it created nothing"
    planned = run(halo_sandbox, "plan", "mappings.yaml", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
