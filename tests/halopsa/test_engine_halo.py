"""HaloPSA end to end, through the CLI, against the HaloPSA and Salesbuildr simulators over
loopback: validate, plan (text, JSON, Markdown), apply (journal, webhooks created, verified),
re-plan = no changes, a saved plan applied, drift after an admin's change, export -> plan =
zero changes, and hostile live names kept as data in the text and Markdown plans."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import yaml

from reconciler.psa.halopsa.config import SECTIONS
from reconciler.sandbox.common import Sandbox
from tests.halopsa.engine_support import halo_list, halo_post, run
from tests.sandbox_clients import salesbuildr_api
from tests.security.escape_support import (
    EXAMPLES,
    assert_markdown_safe,
    assert_terminal_safe,
)

DEMO_PLAN = "Plan: 15 to create, 3 to update, 0 to deactivate, 1 to delete."


def webhooks_by_name(env: Mapping[str, str]) -> dict[str, dict[str, object]]:
    return {str(w["name"]): w for w in halo_list(env, "Webhook")}


def test_plan_apply_and_plan_again(halo_sandbox: Sandbox, workdir: Path) -> None:
    assert run(halo_sandbox, "validate", "mappings.yaml").exit_code == 0

    text = run(halo_sandbox, "plan", "mappings.yaml")
    assert text.exit_code == 0, text.output
    assert DEMO_PLAN in text.output
    assert '- webhooks["Accounting sync"]' in text.output
    assert '+ webhooks["Salesbuildr tickets"]' in text.output

    planned = json.loads(run(halo_sandbox, "plan", "mappings.yaml", "--format", "json").output)
    assert planned["psa"] == "halopsa"
    assert planned["targets"]["halopsa"] == halo_sandbox.env["HALOPSA_URL"]
    assert {c["section"] for c in planned["changes"]} == set(SECTIONS)

    markdown = run(halo_sandbox, "plan", "mappings.yaml", "--format", "markdown").output
    assert_markdown_safe(markdown)
    assert "Salesbuildr tickets" in markdown

    applied = run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Verified: the live settings match the plan." in applied.output
    journals = list((workdir / ".reconcile").glob("journal-*.jsonl"))
    assert len(journals) == 1
    records = [json.loads(line) for line in journals[0].read_text().splitlines() if line]
    assert any(r.get("request") == "POST /Webhook" for r in records), records

    hooks = webhooks_by_name(halo_sandbox.env)
    assert "Accounting sync" not in hooks
    created = hooks["Salesbuildr tickets"]
    assert created["active"] is True
    assert str(created["url"]).endswith("/webhooks/halopsa")
    assert [e["eventno"] for e in created["events"]] == [2]  # type: ignore[attr-defined]
    with salesbuildr_api(halo_sandbox.env) as api:
        quotes = api.get("/integration/halopsa/settings/quotes").json()
    assert len(quotes["statuses"]) == 5

    again = run(halo_sandbox, "plan", "mappings.yaml", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output


def test_a_saved_plan_is_applied_to_the_tenant_it_was_made_for(
    halo_sandbox: Sandbox, workdir: Path
) -> None:
    saved = run(halo_sandbox, "plan", "mappings.yaml", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    assert json.loads((workdir / "plan.json").read_text())["psa"] == "halopsa"

    applied = run(halo_sandbox, "apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Salesbuildr tickets" in webhooks_by_name(halo_sandbox.env)
    assert "No changes." in run(halo_sandbox, "plan", "mappings.yaml").output


def test_drift_shows_what_an_admin_changed(halo_sandbox: Sandbox, workdir: Path) -> None:
    assert run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve").exit_code == 0
    hook = webhooks_by_name(halo_sandbox.env)["Salesbuildr tickets"]
    halo_post(halo_sandbox.env, "Webhook", {"id": hook["id"], "active": False})

    drift = run(halo_sandbox, "drift", "mappings.yaml")
    assert drift.exit_code == 2, drift.output
    assert 'webhooks["Salesbuildr tickets"]' in drift.output
    assert "active" in drift.output
    with salesbuildr_api(halo_sandbox.env) as api:  # an admin's change on a Salesbuildr page
        read = api.get("/integration/halopsa/settings/account-codes")
        body = read.json()
        body["itemGroups"][0]["incomeCode"] = "4999"
        put = api.put(
            "/integration/halopsa/settings/account-codes",
            json=body,
            headers={"If-Match": read.headers["ETag"]},
        )
        assert put.status_code == 200, put.text
    plan = run(halo_sandbox, "plan", "mappings.yaml")
    assert "active: false -> true" in plan.output, plan.output
    assert 'income: "4999" -> "4000"' in plan.output, plan.output
    assert "0 to create, 2 to update" in plan.output, plan.output


def test_export_plans_to_zero_changes(halo_sandbox: Sandbox, workdir: Path) -> None:
    assert run(halo_sandbox, "apply", "mappings.yaml", "--auto-approve").exit_code == 0
    exported_run = run(halo_sandbox, "export", "--psa", "halopsa", "--out", "exported.yaml")
    assert exported_run.exit_code == 0, exported_run.output

    planned = run(halo_sandbox, "plan", "exported.yaml", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output + (workdir / "exported.yaml").read_text()
    assert "No changes." in planned.output
    exported = yaml.safe_load((workdir / "exported.yaml").read_text())
    assert exported["psa"] == "halopsa"
    assert set(exported) >= set(SECTIONS)


def test_hostile_live_names_stay_data(halo_sandbox: Sandbox, workdir: Path) -> None:
    for index, name in enumerate(EXAMPLES):
        halo_post(
            halo_sandbox.env,
            "Webhook",
            {"name": name, "url": f"https://x{index}.example.com/h", "active": True, "events": []},
        )
    text = run(halo_sandbox, "plan", "mappings.yaml")
    assert text.exit_code == 0, text.output
    assert_terminal_safe(text.output)
    assert text.output.count("\nPlan: ") == 1, text.output
    assert [line for line in text.output.split("\n") if line.startswith("Plan:")] == [
        f"Plan: 15 to create, 3 to update, 0 to deactivate, {1 + len(EXAMPLES)} to delete."
    ], text.output
    markdown = run(halo_sandbox, "plan", "mappings.yaml", "--format", "markdown").output
    assert_markdown_safe(markdown)
