"""``reconcile export --psa connectwise`` -> plan = zero changes, against the simulators: a fresh
tenant and the tenant after the example is applied; and a callback ConnectWise holds that a file
cannot state (two with one description) is left out with a note, never lost silently, its
hostile description kept on one comment line."""

from __future__ import annotations

import yaml
from engine_support import Tenant, cw_api


def _export(tenant: Tenant) -> str:
    exported = tenant.cli("export", "--psa", "connectwise", "--out", "exported.yaml")
    assert exported.exit_code == 0, exported.output
    return (tenant.workdir / "exported.yaml").read_text()


def test_an_export_of_the_applied_example_plans_to_zero(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    document = yaml.safe_load(_export(tenant))
    assert document["psa"] == "connectwise"
    assert set(document["callbacks"]) == {
        "Salesbuildr companies",
        "Salesbuildr contacts",
        "Salesbuildr opportunities",
    }
    assert document["ticket_settings"]["board"] == "Professional Services"

    replan = tenant.cli("plan", "exported.yaml", "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
    assert "No changes." in replan.output


def test_an_export_of_a_fresh_tenant_plans_to_zero(tenant: Tenant) -> None:
    _export(tenant)
    replan = tenant.cli("plan", "exported.yaml", "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output


def test_what_a_file_cannot_state_is_a_note_on_one_line(tenant: Tenant) -> None:
    hostile = "twin\nversion: 2\x1b[31m"
    with cw_api(tenant.env) as api:
        body = {"description": hostile, "url": "http://127.0.0.1:9/cb", "type": "Company",
                "level": "Owner", "objectId": 1}  # fmt: skip
        for _ in range(2):
            assert api.post("system/callbacks", json=body).status_code == 201
    text = _export(tenant)
    assert "\x1b" not in text
    notes = [line for line in text.splitlines() if line.startswith("# left out:")]
    assert notes and all("twin" in line for line in notes), text
    assert yaml.safe_load(text)["version"] == 1
    replan = tenant.cli("plan", "exported.yaml", "--detailed-exitcode")
    assert replan.exit_code == 0, replan.output
