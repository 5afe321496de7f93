"""Adoption without inventing secrets (issue 16, item 4), against the sandbox over real HTTP.

Every run is a separate ``python -m reconciler`` process whose environment holds nothing but
the API credentials (and PATH): no ``SALESBUILDR_WEBHOOK_SECRET``, no ``WEBHOOK_SECRET_*``. What
reached Autotask is read from the simulator's store (a webhook's ``secretKey`` is write-only in
the API, so only the store shows which secret was written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.sandbox.common import Sandbox

SECRET_VARIABLES = ("SALESBUILDR_WEBHOOK_SECRET",)
ROTATED = "rotated-secret-of-company-sync-01"


def run(sandbox: Sandbox, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``reconcile ARGS`` with only the credentials set (and ``extra``)."""
    env = {k: v for k, v in sandbox.env.items() if k not in SECRET_VARIABLES}
    env = {"PATH": os.environ.get("PATH", ""), **env, **extra}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def tenant(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox reset to the seed ``request.param`` (``demo``/``large``)."""
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset(request.param)
    yield sandbox
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.reset("empty")


def env_references(value: Any) -> list[str]:
    """Every scalar of a loaded document that holds an ``${env:`` reference."""
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in env_references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in env_references(item)]
    return [value] if isinstance(value, str) and "${env:" in value else []


def webhook_rows(sandbox: Sandbox, collection: str) -> dict[str, dict[str, Any]]:
    """The simulator's stored webhooks by name, secretKey included."""
    rows = sandbox.autotask.store.table(collection).rows.values()
    return {str(row["name"]): dict(row) for row in rows}


def export(sandbox: Sandbox, cwd: Path, *args: str) -> str:
    result = run(sandbox, cwd, "export", "--force", "--out", "exported.yaml", *args)
    assert result.returncode == 0, result.stderr
    return (cwd / "exported.yaml").read_text()


@pytest.mark.parametrize("tenant", ["demo", "large"], indirect=True)
def test_export_then_plan_is_zero_with_no_secret_set(tenant: Sandbox, tmp_path: Path) -> None:
    text = export(tenant, tmp_path)
    document = yaml.safe_load(text)
    assert env_references(document) == []
    assert "WEBHOOK_SECRET_" not in text
    hooks = document["webhooks"]
    assert hooks, "the seed has webhooks"
    assert all("secret" not in hook for hook in hooks.values())
    planned = run(tenant, tmp_path, "plan", "exported.yaml", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes." in planned.stdout
    assert "error" not in planned.stderr


@pytest.mark.parametrize("tenant", ["large"], indirect=True)
def test_the_large_tenant_has_webhooks_to_adopt_with_their_own_url(
    tenant: Sandbox, tmp_path: Path
) -> None:
    """The case that needed 50 invented secrets: webhooks posting elsewhere than Salesbuildr."""
    hooks = yaml.safe_load(export(tenant, tmp_path, "--section", "webhooks"))["webhooks"]
    with_url = [key for key, hook in hooks.items() if "url" in hook]
    assert len(with_url) >= 50
    planned = run(tenant, tmp_path, "plan", "exported.yaml", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr


@pytest.mark.parametrize("tenant", ["demo"], indirect=True)
def test_a_new_webhook_with_url_and_no_secret_is_refused_at_plan(
    tenant: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "mappings.yaml").write_text(
        "version: 1\n"
        "webhooks:\n"
        "  monitoring:\n"
        "    entity: ticket\n"
        "    url: https://monitor.acme.example/autotask\n"
        "    fields: [Status]\n"
    )
    validated = run(tenant, tmp_path, "validate", "mappings.yaml")
    assert validated.returncode == 0, validated.stderr  # offline it may exist: fine
    before = tenant.autotask.stats()["writes"]
    planned = run(tenant, tmp_path, "plan", "mappings.yaml", "--detailed-exitcode")
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "mappings.yaml:3:3: error: webhook 'monitoring' does not exist in Autotask" in (
        planned.stderr
    )
    assert "add secret: ${env:NAME} to this webhook" in planned.stderr
    applied = run(tenant, tmp_path, "apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert tenant.autotask.stats()["writes"] == before
    assert "monitoring" not in webhook_rows(tenant, "TicketWebhooks")


@pytest.mark.parametrize("tenant", ["large"], indirect=True)
def test_unstated_attributes_and_secret_are_kept_by_an_apply(
    tenant: Sandbox, tmp_path: Path
) -> None:
    """A webhook trimmed to a few attributes: apply changes what it states, keeps the rest."""
    before = webhook_rows(tenant, "CompanyWebhooks")["company-sync-01"]
    hooks = yaml.safe_load(export(tenant, tmp_path, "--section", "webhooks"))["webhooks"]
    hook = hooks["company-sync-01"]
    assert hook["notification_email"] and hook["always_send"] and hook["udf_fields"]
    trimmed = {
        "entity": hook["entity"],
        "url": hook["url"],
        "events": hook["events"],
        "fields": [*hook["fields"], "Phone"],
    }
    (tmp_path / "mappings.yaml").write_text(
        yaml.safe_dump({"version": 1, "webhooks": {"company-sync-01": trimmed}})
    )
    planned = run(tenant, tmp_path, "plan", "mappings.yaml", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "notification_email" not in planned.stdout
    applied = run(tenant, tmp_path, "apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    after = webhook_rows(tenant, "CompanyWebhooks")["company-sync-01"]
    assert after["notificationEmailAddress"] == before["notificationEmailAddress"]
    assert after["secretKey"] == before["secretKey"]
    again = yaml.safe_load(export(tenant, tmp_path, "--section", "webhooks"))["webhooks"]
    kept = again["company-sync-01"]
    assert "Phone" in kept["fields"]
    for name in ("always_send", "udf_fields", "notification_email"):
        assert kept[name] == hook[name], name
    replanned = run(tenant, tmp_path, "plan", "mappings.yaml", "--detailed-exitcode")
    assert replanned.returncode == 0, replanned.stdout + replanned.stderr


@pytest.mark.parametrize("tenant", ["large"], indirect=True)
def test_rotate_secrets_sends_only_the_secrets_the_yaml_states(
    tenant: Sandbox, tmp_path: Path
) -> None:
    text = export(tenant, tmp_path)
    marker = "  company-sync-01:\n    entity: company\n"
    assert marker in text
    stated = text.replace(marker, marker + "    secret: ${env:COMPANY_SYNC_SECRET}\n")
    (tmp_path / "mappings.yaml").write_text(stated)
    before = {
        collection: webhook_rows(tenant, collection)
        for collection in ("CompanyWebhooks", "ContactWebhooks", "TicketWebhooks")
    }
    planned = run(
        tenant,
        tmp_path,
        "plan",
        "mappings.yaml",
        "--rotate-secrets",
        "--out",
        "plan.json",
        COMPANY_SYNC_SECRET=ROTATED,
    )
    assert planned.returncode == 0, planned.stderr
    saved = json.loads((tmp_path / "plan.json").read_text())
    pending = [c["address"] for c in saved["changes"] if c["action"] != "no-op"]
    assert pending == ['webhooks["company-sync-01"]']
    applied = run(tenant, tmp_path, "apply", "plan.json", COMPANY_SYNC_SECRET=ROTATED)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for collection, rows in before.items():
        now = webhook_rows(tenant, collection)
        for name, row in rows.items():
            expected = ROTATED if name == "company-sync-01" else row["secretKey"]
            assert now[name]["secretKey"] == expected, (collection, name)
    assert before["CompanyWebhooks"]["company-sync-01"]["secretKey"] != ROTATED
