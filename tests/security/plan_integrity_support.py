"""The rig of the saved-plan integrity tests: the reliability suite's sandbox, `reconcile` runner
and secret scan (tests/reliability/reliability_support.py), a tenant converged on the example
with a plan that updates, deletes and deactivates, and the attacker's tools (edit a saved plan,
recompute its checksum)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
for helper_dir in ("reliability", "scenarios", "cli", "providers"):
    if str(TESTS / helper_dir) not in sys.path:
        sys.path.insert(0, str(TESTS / helper_dir))

from reliability_support import SECRETS, Reconcile, Rig, Run, scan_directory  # noqa: E402
from sandbox_clients import autotask_api, salesbuildr_api  # noqa: E402
from scenario_world import World  # noqa: E402

from reconciler.plan.integrity import seal  # noqa: E402
from reconciler.sandbox.common import Sandbox, start_sandbox  # noqa: E402

__all__ = ["SECRETS", "Rig", "Run", "Sandbox", "start_sandbox"]

KEY = "plan-signing-key-for-tests-4e1b"
OTHER_KEY = "another-signing-key-for-tests-9c2d"
SIGNING = "RECONCILE_PLAN_SIGNING_KEY"

CHANGED = (
    # update: an Autotask webhook and a row of a Salesbuildr settings document
    ("fields: [CompanyName, CompanyType, Phone]", "fields: [CompanyName, Phone]"),
    ("Software: Software Licensing", "Software: Cloud Subscriptions"),
    # deactivate: a location the file no longer lists, inventory now fully managed
    ("    inventory: additive\n", "    inventory: full\n"),
    ("    Service Van 1: {active: true, track_stock: false}\n", ""),
    # delete: a webhook the file no longer lists (webhooks: full)
    (
        "  sb-tickets:\n    entity: ticket\n    events: [create, update]\n"
        "    fields: [Status, Priority, QueueID]\n",
        "",
    ),
)
"""examples/mappings.yaml, changed so that its plan on the converged tenant has one change of
every kind that needs a fingerprint."""


@contextlib.contextmanager
def rig_on(sandbox: Sandbox, workdir: Path) -> Iterator[Rig]:
    """A Rig on the running sandbox in ``workdir`` (the tenant as it is: no reset)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = sandbox.env
    autotask = autotask_api(env)
    salesbuildr = salesbuildr_api(env)
    reconcile = Reconcile(sandbox, workdir)
    rig = Rig(sandbox, World(sandbox, autotask, salesbuildr, workdir), reconcile, workdir)
    try:
        yield rig
    finally:
        reconcile.reap()
        autotask.close()
        salesbuildr.close()
    leaked = scan_directory(workdir)
    assert not leaked, f"secret values in files: {leaked}"


def converge_and_plan_changes(rig: Rig, *, key: str | None = None) -> dict[str, Any]:
    """Reset the tenant, apply the example, plan :data:`CHANGED` (signed with ``key``)."""
    for simulator in (rig.autotask, rig.salesbuildr):
        simulator.set_faults({}, latency_ms=0)
        simulator.reset("empty")
    converged = rig.reconcile("apply", str(rig.example()), "--auto-approve")
    assert converged.returncode == 0, converged.output
    mappings = rig.example(*CHANGED, name="changed.yaml")
    planned = rig.reconcile("plan", str(mappings), "--out", "plan.json", env={SIGNING: key})
    assert planned.returncode == 0, planned.output
    data = rig.plan_json("plan.json")
    actions = {c["action"] for c in data["changes"]}
    assert {"update", "delete", "deactivate"} <= actions, actions
    return data


def api_requests(rig: Rig) -> tuple[int, int]:
    """Requests each simulator has answered, from its ``GET /_sandbox/stats`` (never counted)."""
    return int(rig.stats("autotask")["requests"]), int(rig.stats("salesbuildr")["requests"])


def write_plan(rig: Rig, data: Mapping[str, Any], name: str = "plan.json") -> Path:
    path = rig.workdir / name
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def resealed(data: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
    """What anyone holding the file (and no key) can do: recompute the checksum after an edit."""
    return seal(data, key)


def first_change(data: Mapping[str, Any], action: str, **where: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c
        for c in data["changes"]
        if c["action"] == action and all(c[k] == v for k, v in where.items())
    )
    return found
