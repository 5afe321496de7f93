"""``webhooks report`` reads Halo's ``/WebhookEvent`` timestamps with and without a UTC offset.

Halo writes its timestamps without an offset (``2099-12-04T10:00:00``); the report takes them as
UTC ([assumed], psa/halopsa/operations_webhooks.py) instead of failing on comparing a naive time
with ``--since`` (an internal error before).
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.common import Sandbox
from reconciler.sandbox.halopsa.webhooks import STATUS_DELIVERED, STATUS_FAILED
from tests.halopsa.engine_support import halo_list, halo_post, run

__all__ = ["halo_sandbox", "workdir"]

from tests.halopsa.engine_support import halo_sandbox, workdir


def _log(sandbox: Sandbox, hook_id: str, timestamp: str, status: int) -> None:
    """A delivery in Halo's own log, as Halo records one (no offset, or a foreign one)."""
    halo_post(
        sandbox.env,
        "WebhookEvent",
        {"webhook_id": hook_id, "timestamp": timestamp, "status": status},
    )


def test_timestamps_without_an_offset_are_utc(halo_sandbox: Sandbox, workdir: Path) -> None:
    assert run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve").exit_code == 0
    [hook] = [
        h for h in halo_list(halo_sandbox.env, "Webhook") if h["name"] == "Salesbuildr tickets"
    ]
    _log(halo_sandbox, hook["id"], "2099-12-04T10:00:00", STATUS_DELIVERED)  # naive: UTC
    _log(halo_sandbox, hook["id"], "2099-12-04T11:30:00+01:00", STATUS_FAILED)  # 10:30 UTC
    _log(halo_sandbox, hook["id"], "2000-01-01T00:00:00", STATUS_FAILED)  # before --since

    since = ("--since", "2099-12-04T09:59:59Z")
    report = run(halo_sandbox, "webhooks", "report", "--file", "mappings.yaml", *since)
    assert report.exit_code == 0, report.output
    assert "internal error" not in report.output
    as_json = run(
        halo_sandbox, "webhooks", "report", "--file", "mappings.yaml", *since, "--format", "json"
    )
    assert as_json.exit_code == 0, as_json.output
    [row] = [r for r in json.loads(as_json.output)["webhooks"] if r["name"] == hook["name"]]
    assert (row["delivered"], row["failed"], row["pending"]) == (1, 1, 0)

    # A naive --since is UTC too: 10:15 UTC keeps only the +01:00 delivery (10:30 UTC).
    later = run(
        halo_sandbox, "webhooks", "report", "--file", "mappings.yaml",
        "--since", "2099-12-04T10:15:00", "--format", "json",
    )  # fmt: skip
    assert later.exit_code == 0, later.output
    [row] = [r for r in json.loads(later.output)["webhooks"] if r["name"] == hook["name"]]
    assert (row["delivered"], row["failed"]) == (0, 1)
