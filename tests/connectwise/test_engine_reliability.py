"""ConnectWise writes whose answers are lost, and callbacks ConnectWise holds twice.

* Every callback POST is committed by the simulator and its answer lost (the connection reset
  after commit): each create is resolved by re-reading by its natural key, the description,
  and adopted; nothing is created twice, and the next plan is empty.
* Two live callbacks with the description the YAML names are an ambiguity error at plan time,
  naming both ids, before any write.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine_support import Tenant, cw_api

DESCRIPTIONS = {"Salesbuildr companies", "Salesbuildr contacts", "Salesbuildr opportunities"}


def _records(workdir: Path) -> list[dict[str, object]]:
    files = sorted((workdir / ".reconcile").glob("journal-*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_a_create_whose_answer_is_lost_is_adopted_once(tenant: Tenant) -> None:
    tenant.sandbox.connectwise.set_faults({"reset-after-commit": 1.0})
    applied = tenant.cli("apply", "mappings.yaml", "--auto-approve")
    tenant.sandbox.connectwise.set_faults(None)
    assert applied.exit_code == 0, applied.output

    rows = tenant.callbacks()
    assert sorted(r["description"] for r in rows) == sorted(DESCRIPTIONS)
    creates = [r for r in _records(tenant.workdir) if r["request"] == "POST system/callbacks"]
    assert len(creates) == 3
    assert {r["outcome"] for r in creates} == {"adopted"}
    assert {r["id"] for r in creates} == {r["id"] for r in rows}
    assert tenant.cli("plan", "mappings.yaml", "--detailed-exitcode").exit_code == 0


def test_two_live_callbacks_with_one_description_are_an_ambiguity(tenant: Tenant) -> None:
    with cw_api(tenant.env) as api:
        body = {"description": "Salesbuildr contacts", "url": "http://127.0.0.1:9/cb",
                "type": "Contact", "level": "Owner", "objectId": 1}  # fmt: skip
        ids = [api.post("system/callbacks", json=body).json()["id"] for _ in range(2)]

    planned = tenant.cli("plan", "mappings.yaml")
    assert planned.exit_code == 1, planned.output
    assert "Salesbuildr contacts" in planned.output
    for ident in ids:
        assert str(ident) in planned.output
    assert len(tenant.callbacks()) == 2  # nothing written
