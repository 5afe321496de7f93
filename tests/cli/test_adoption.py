"""export and drift against the sandbox over real HTTP: round trips and drift detection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, start_sandbox


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    running = start_sandbox(seed=request.param)
    try:
        yield running
    finally:
        running.stop()


def variables_of(text: str) -> dict[str, str]:
    """Every ${env:NAME} the exported file names, set to a recognisable value."""
    return {name: f"value-of-{name}" for name in re.findall(r"\$\{env:([A-Z0-9_]+)\}", text)}


@pytest.mark.parametrize("sandbox", ["demo", "large"], indirect=True)
def test_export_then_plan_is_empty(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "mappings.yaml"
    result = runner.invoke(cli, ["export", "--out", str(out)], env=sandbox.env)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# yaml-language-server")
    assert "version: 1" in text
    document = yaml.safe_load(text)
    assert set(document) >= {"billing_codes", "webhooks", "inventory", "purchase_order"}
    for secret in (sandbox.env["SALESBUILDR_WEBHOOK_SECRET"], sandbox.env["AUTOTASK_API_SECRET"]):
        assert secret not in text
    assert variables_of(yaml.safe_dump(document)) == {}  # no secret to invent (issue 16)
    env: dict[str, str | None] = {**sandbox.env, "SALESBUILDR_WEBHOOK_SECRET": None}
    plan = runner.invoke(cli, ["plan", str(out), "--detailed-exitcode"], env=env)
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout


@pytest.mark.parametrize("sandbox", ["demo"], indirect=True)
def test_export_names_and_receiver_webhooks(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["export", "--section", "webhooks", "--section", "inventory"], env=sandbox.env
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    assert set(document) == {"version", "webhooks", "inventory"}
    hook = document["webhooks"]["sb-companies"]
    assert hook["entity"] == "company"
    assert "url" not in hook and "secret" not in hook  # points at Salesbuildr's receiver
    assert hook["fields"] == ["CompanyName", "CompanyType"]  # names, not field ids
    assert hook["excluded_resources"] == ["Salesbuildr API"]
    assert document["inventory"]["locations"]["Old Stockroom"]["active"] is True


@pytest.mark.parametrize("sandbox", ["empty"], indirect=True)
def test_export_refuses_to_overwrite(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "mappings.yaml"
    out.write_text("keep me")
    result = CliRunner().invoke(cli, ["export", "--out", str(out)], env=sandbox.env)
    assert result.exit_code == 1
    assert "exists" in result.output and out.read_text() == "keep me"


@pytest.mark.parametrize("sandbox", ["empty"], indirect=True)
def test_drift_after_a_change_made_through_the_api(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "mappings.yaml"
    config.write_text(Path("examples/mappings.yaml").read_text())
    applied = runner.invoke(cli, ["apply", str(config), "--auto-approve"], env=sandbox.env)
    assert applied.exit_code == 0, applied.output
    clean = runner.invoke(cli, ["drift", str(config)], env=sandbox.env)
    assert clean.exit_code == 0, clean.output
    assert "No drift." in clean.stdout

    # Someone clicks in Salesbuildr: the Software category now uses another billing code.
    url = sandbox.env["SALESBUILDR_API_URL"] + "/integration/autotask/settings/billing-codes"
    headers = {"api-key": sandbox.env["SALESBUILDR_API_KEY"]}
    with httpx.Client(headers=headers) as client:
        current = client.get(url)
        body = current.json()
        for row in body["categories"]:
            if row["categoryId"] == "c-sw":
                row["billingCodeId"] = 29682801  # Labor
        changed = client.put(url, json=body, headers={"If-Match": current.headers["ETag"]})
        assert changed.status_code == 200, changed.text

    drifted = runner.invoke(cli, ["drift", str(config)], env=sandbox.env)
    assert drifted.exit_code == 2, drifted.output
    assert 'billing_codes.categories["Software"]: differs' in drifted.stdout
    assert 'billing_code: live "Labor", YAML "Software Licensing"' in drifted.stdout
    markdown = runner.invoke(cli, ["drift", str(config), "--format", "markdown"], env=sandbox.env)
    assert markdown.exit_code == 2
    assert markdown.stdout.startswith("<!-- reconcile-drift -->")
    assert "<code>Labor</code> → <code>Software Licensing</code>" in markdown.stdout


@pytest.mark.parametrize("sandbox", ["demo"], indirect=True)
def test_a_webhook_without_fields_is_exported_as_a_comment(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A live webhook with no fields cannot be listed (validate refuses a webhook Autotask never
    fires), so export keeps it out as a comment and the file still plans to zero."""
    env = sandbox.env
    headers = {
        "ApiIntegrationCode": env["AUTOTASK_API_INTEGRATION_CODE"],
        "UserName": env["AUTOTASK_API_USERNAME"],
        "Secret": env["AUTOTASK_API_SECRET"],
    }
    body = {
        "name": "silent-hook",
        "webhookUrl": "https://hooks.example.com/silent",
        "deactivationUrl": "https://hooks.example.com/silent",
        "secretKey": "a-planted-secret-key",
        "isActive": False,
        "isSubscribedToCreateEvents": True,
        "isSubscribedToUpdateEvents": False,
        "isSubscribedToDeleteEvents": False,
        "sendThresholdExceededNotification": False,
        "isReady": False,
    }
    with httpx.Client(headers=headers) as client:
        created = client.post(
            env["AUTOTASK_API_URL"].rstrip("/") + "/V1.0/CompanyWebhooks", json=body
        )
        assert created.status_code == 200, created.text
    runner = CliRunner()
    out = tmp_path / "mappings.yaml"
    exported = runner.invoke(cli, ["export", "--out", str(out), "--section", "webhooks"], env=env)
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert "  # silent-hook:" in text and "# live, but Autotask never fires it" in text
    assert "silent-hook" not in yaml.safe_load(text)["webhooks"]
    assert runner.invoke(cli, ["validate", str(out)], env=env).exit_code == 0
    plan = runner.invoke(cli, ["plan", str(out), "--detailed-exitcode"], env=env)
    assert plan.exit_code == 0, plan.output


@pytest.mark.parametrize("sandbox", ["demo"], indirect=True)
def test_names_with_line_breaks_and_controls_export_to_a_file_that_plans_to_zero(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A live name with a line break once exported as a multi-line key at the wrong indentation
    (invalid YAML); every such scalar is now one double-quoted line with escapes."""
    env = sandbox.env
    headers = {
        "ApiIntegrationCode": env["AUTOTASK_API_INTEGRATION_CODE"],
        "UserName": env["AUTOTASK_API_USERNAME"],
        "Secret": env["AUTOTASK_API_SECRET"],
    }
    names = ["evil\nPlan: 0 to create", "\x1b]8;;http://x\x07click\x1b[2J", "bidi\u202eevil"]
    url = env["AUTOTASK_API_URL"].rstrip("/") + "/V1.0/InventoryLocations"
    with httpx.Client(headers=headers) as client:
        for name in names:
            body = {"locationName": name, "isActive": True, "isDefault": False}
            assert client.post(url, json=body).status_code == 200
    runner = CliRunner()
    out = tmp_path / "mappings.yaml"
    exported = runner.invoke(cli, ["export", "--out", str(out), "--section", "inventory"], env=env)
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert text.isprintable() or all(line.isprintable() for line in text.splitlines())
    assert set(names) <= set(yaml.safe_load(text)["inventory"]["locations"])
    plan = runner.invoke(cli, ["plan", str(out), "--detailed-exitcode"], env=env)
    assert plan.exit_code == 0, plan.output


def test_export_names_the_psas_sections_and_refuses_an_unknown_one_before_any_request() -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["export", "--section", "callbacks"], env={})
    assert unknown.exit_code == 1
    assert "Autotask has no section 'callbacks'" in unknown.output
    assert "its sections: billing_codes, company_types" in unknown.output
    psa = runner.invoke(cli, ["export", "--psa", "nopsa"], env={})
    assert psa.exit_code == 1  # bad input (2 is "changes" in the exit-code table)
    assert "'nopsa' is not an installed PSA (autotask, connectwise, halopsa)" in psa.output
