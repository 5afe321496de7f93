"""The callbacks as the PSA's callouts, through the CLI: ``webhooks status`` compares the
installed callbacks with the YAML, ``webhooks uninstall`` deletes them (journalled, then a
re-read proves none is left), ``webhooks report`` is refused (no ConnectWise delivery report in
the contract)."""

from __future__ import annotations

import json

from engine_support import Tenant


def test_status_compares_the_installed_callbacks_with_the_yaml(tenant: Tenant) -> None:
    before = tenant.cli("webhooks", "status", "mappings.yaml", "--format", "json")
    assert before.exit_code == 0, before.output
    assert len(json.loads(before.stdout)["not_installed"]) == 3

    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    after = tenant.cli("webhooks", "status", "mappings.yaml")
    assert after.exit_code == 0, after.output
    assert "3 callback(s) installed in ConnectWise" in after.output
    assert "Salesbuildr opportunities" in after.output
    assert "not installed" not in after.output


def test_uninstall_deletes_the_managed_callbacks_and_verifies(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0

    one = tenant.cli("webhooks", "uninstall", "Salesbuildr contacts", "--auto-approve")
    assert one.exit_code == 0, one.output
    assert "Deleted 1 callback(s). Verified: none remains." in one.output
    assert len(tenant.callbacks()) == 2

    unknown = tenant.cli("webhooks", "uninstall", "Salesbuildr contact", "--auto-approve")
    assert unknown.exit_code != 0, unknown.output
    assert "Salesbuildr companies" in unknown.output or "did you mean" in unknown.output

    rest = tenant.cli("webhooks", "uninstall", "--file", "mappings.yaml", "--auto-approve")
    assert rest.exit_code == 0, rest.output
    assert "Deleted 2 callback(s)." in rest.output
    assert tenant.callbacks() == []


def test_report_is_refused_cleanly(tenant: Tenant) -> None:
    refused = tenant.cli("webhooks", "report", "--file", "mappings.yaml")
    assert refused.exit_code == 1, refused.output
    assert "has no webhooks report" in refused.output
