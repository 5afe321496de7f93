"""HaloPSA's operations through the CLI against the simulators: sync (full only, as the
Synchronize page offers), no product import, preflight (reads only), and the Halo webhooks:
status compared with the YAML, the delivery report from Halo's own log, uninstall."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.common import Sandbox
from tests.halopsa.engine_support import halo_list, halo_post, run


def test_sync_is_full_only_and_there_is_no_product_import(
    halo_sandbox: Sandbox, workdir: Path
) -> None:
    synced = run(halo_sandbox, "sync", "--full", "--file", "mappings.yaml")
    assert synced.exit_code == 0, synced.output
    assert "Full sync succeeded" in synced.output
    assert "companies" in synced.output
    endpoints = halo_sandbox.salesbuildr.stats()["endpoints"]
    assert "POST /public-api/integration/halopsa/sync" in endpoints, endpoints

    fields = run(halo_sandbox, "sync", "--fields", "--file", "mappings.yaml")
    assert fields.exit_code == 1
    assert "HaloPSA (psa: halopsa) has no sync --fields" in fields.output
    imported = run(halo_sandbox, "import-products", "--file", "mappings.yaml")
    assert imported.exit_code == 1
    assert "HaloPSA (psa: halopsa) has no product import" in imported.output


def test_preflight_reads_only(halo_sandbox: Sandbox, workdir: Path) -> None:
    checked = run(halo_sandbox, "preflight", "mappings.yaml")
    assert checked.exit_code == 0, checked.output
    assert "halopsa     Webhook" in checked.output
    assert "settings/account-codes" in checked.output
    writes = [e for e in halo_sandbox.psa_simulator.stats()["endpoints"] if e.startswith("POST")]
    assert writes == ["POST /auth/token"]


def test_webhooks_status_report_and_uninstall(halo_sandbox: Sandbox, workdir: Path) -> None:
    before = run(halo_sandbox, "webhooks", "status", "mappings.yaml")
    assert before.exit_code == 0, before.output
    assert "Accounting sync" in before.output and "not in YAML (apply deletes it" in before.output
    assert "Salesbuildr tickets" in before.output and "not installed" in before.output

    assert run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve").exit_code == 0
    status = run(halo_sandbox, "webhooks", "status", "mappings.yaml", "--format", "json")
    assert status.exit_code == 0, status.output
    [hook] = json.loads(status.output)["webhooks"]
    assert (hook["name"], hook["yaml"], hook["events"]) == (
        "Salesbuildr tickets",
        "yes",
        ["ticket_updated"],
    )

    ticket = halo_list(halo_sandbox.env, "Opportunities")[0]
    halo_post(halo_sandbox.env, "Opportunities", {"id": ticket["id"], "summary": "Renamed"})
    assert halo_sandbox.psa_simulator.wait_deliveries()
    report = run(halo_sandbox, "webhooks", "report", "--file", "mappings.yaml", "--format", "json")
    assert report.exit_code == 0, report.output
    [row] = json.loads(report.output)["webhooks"]
    assert row["name"] == "Salesbuildr tickets"
    assert (row["delivered"], row["failed"], row["pending"]) == (1, 0, 0)

    removed = run(
        halo_sandbox, "webhooks", "uninstall", "--file", "mappings.yaml", "--auto-approve"
    )
    assert removed.exit_code == 0, removed.output
    assert "Deleted 1 webhook(s). Verified: none remains." in removed.output
    assert [w["name"] for w in halo_list(halo_sandbox.env, "Webhook")] == []
    assert list((workdir / ".reconcile").glob("journal-*.jsonl"))
    lock = halo_sandbox.salesbuildr.stats()["endpoints"]
    assert "PUT /public-api/integration/halopsa/lock" in lock, lock


def test_uninstall_names_an_unknown_webhook(halo_sandbox: Sandbox, workdir: Path) -> None:
    refused = run(halo_sandbox, "webhooks", "uninstall", "Acounting sync", "--auto-approve")
    assert refused.exit_code != 0
    assert "no installed webhook is named 'Acounting sync'" in refused.output
    assert [w["name"] for w in halo_list(halo_sandbox.env, "Webhook")] == ["Accounting sync"]


def test_after_apply_runs_the_full_sync(halo_sandbox: Sandbox, workdir: Path) -> None:
    text = (workdir / "mappings.yaml").read_text()
    (workdir / "mappings.yaml").write_text(text + "after_apply: [sync_full]\n")
    applied = run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Full sync succeeded" in applied.output, applied.output
    endpoints = halo_sandbox.salesbuildr.stats()["endpoints"]
    assert "POST /public-api/integration/halopsa/sync" in endpoints, endpoints
