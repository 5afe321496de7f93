"""ConnectWise Manage through the CLI, end to end, against the ConnectWise and Salesbuildr
simulators over loopback: validate, plan (text, JSON, Markdown), apply (journal, callbacks in
ConnectWise, documents in Salesbuildr, verification), re-plan is empty, a saved plan applied,
drift planted through the simulator shows in the next plan."""

from __future__ import annotations

import json
from pathlib import Path

from engine_support import Tenant, cw_api

CREATES = 21
"""The example on the demo tenant: 3 callbacks, 18 mapping rows; 3 settings documents updated."""


def _journal(workdir: Path) -> list[dict[str, object]]:
    files = sorted((workdir / ".reconcile").glob("journal-*.jsonl"))
    assert files, "no journal written"
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_validate_and_plan_in_every_format(tenant: Tenant) -> None:
    valid = tenant.cli("validate", "mappings.yaml")
    assert valid.exit_code == 0, valid.output

    text = tenant.cli("plan", "mappings.yaml", "--detailed-exitcode")
    assert text.exit_code == 2, text.output
    assert f"Plan: {CREATES} to create, 3 to update, 0 to deactivate, 0 to delete." in text.output
    assert '+ callbacks["Salesbuildr companies"]' in text.output
    assert 'board: (none) -> "Professional Services"' in text.output

    as_json = tenant.cli("plan", "mappings.yaml", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    plan = json.loads(as_json.stdout)
    assert plan["psa"] == "connectwise"
    owners = {c["address"]: c["owner"] for c in plan["changes"]}
    assert owners['callbacks["Salesbuildr contacts"]'] == "connectwise"
    assert owners["ticket_settings"] == "salesbuildr"
    assert set(plan["targets"]) == {"connectwise", "salesbuildr"}

    markdown = tenant.cli("plan", "mappings.yaml", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert "callbacks" in markdown.output and "| Action |" in markdown.output


def test_apply_writes_journals_verifies_and_the_next_plan_is_empty(tenant: Tenant) -> None:
    applied = tenant.cli("apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Verified: the live settings match the plan." in applied.output

    callbacks = {row["description"]: row for row in tenant.callbacks()}
    assert set(callbacks) == {
        "Salesbuildr companies",
        "Salesbuildr contacts",
        "Salesbuildr opportunities",
    }
    receiver = tenant.env["SALESBUILDR_API_URL"].removesuffix("/public-api")
    assert callbacks["Salesbuildr contacts"]["url"] == receiver + "/webhooks/connectwise"
    assert callbacks["Salesbuildr contacts"]["level"] == "Owner"
    assert callbacks["Salesbuildr contacts"]["objectId"] == 1

    records = _journal(tenant.workdir)
    creates = [r for r in records if r["request"] == "POST system/callbacks"]
    assert len(creates) == 3 and all(r["outcome"] == "ok" for r in creates)
    puts = {r["address"] for r in records if str(r["request"]).startswith("PUT settings/")}
    assert puts == {
        "salesbuildr:categories",
        "salesbuildr:companies",
        "salesbuildr:opportunity-statuses",
        "salesbuildr:inventory",
        "salesbuildr:ticket-settings",
    }

    again = tenant.cli("plan", "mappings.yaml", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output


def test_a_saved_plan_is_applied_as_reviewed(tenant: Tenant) -> None:
    saved = tenant.cli("plan", "mappings.yaml", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    assert json.loads((tenant.workdir / "plan.json").read_text())["psa"] == "connectwise"

    applied = tenant.cli("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete" in applied.output

    again = tenant.cli("plan", "mappings.yaml", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_drift_planted_in_connectwise_shows_in_the_next_plan(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    contacts = next(r for r in tenant.callbacks() if r["description"] == "Salesbuildr contacts")
    with cw_api(tenant.env) as api:
        patch = [{"op": "replace", "path": "inactiveFlag", "value": True}]
        moved = api.patch(f"system/callbacks/{contacts['id']}", json=patch)
        assert moved.status_code == 200, moved.text
        extra = {"description": "Someone else's", "url": "http://127.0.0.1:9/x", "type": "Company",
                 "level": "Owner", "objectId": 1}  # fmt: skip
        assert api.post("system/callbacks", json=extra).status_code == 201

    drifted = tenant.cli("plan", "mappings.yaml", "--detailed-exitcode")
    assert drifted.exit_code == 3, drifted.output  # a delete: destructive
    assert '~ callbacks["Salesbuildr contacts"]' in drifted.output
    assert "active: false -> true" in drifted.output
    assert '- callbacks["Someone else\'s"]' in drifted.output  # manage: full
    report = tenant.cli("drift", "mappings.yaml")
    assert report.exit_code == 2, report.output
    assert "Salesbuildr contacts" in report.output and "Someone else's" in report.output

    fixed = tenant.cli("apply", "mappings.yaml", "--auto-approve")
    assert fixed.exit_code == 0, fixed.output
    assert {r["description"] for r in tenant.callbacks()} == {
        "Salesbuildr companies",
        "Salesbuildr contacts",
        "Salesbuildr opportunities",
    }
    assert tenant.cli("plan", "mappings.yaml", "--detailed-exitcode").exit_code == 0
