"""Plan passes => apply succeeds: a corpus of documents that pass `validate` (schema and offline
rules) but are wrong LIVE (too long for Autotask, read-only for the API user, inactive picklist
values, a sub-issue type of another issue type, unknown names, permissions denied, Salesbuildr
contract rules). `plan` refuses each with exit 1 at the YAML line that causes it and makes no
write; `apply` refuses it the same way, at plan time, before its first write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from scenario_world import World

RECEIVER = "webhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"


def _locations(*names: str, extra: str = "") -> str:
    rows = "".join(f"    {name}: {{active: true}}\n" for name in names)
    return f"version: 1\n{extra}inventory:\n  locations:\n{rows}"


def _hook(body: str = "    fields: [CompanyName]\n", *, entity: str = "company") -> str:
    return f"version: 1\n{RECEIVER}webhooks:\n  sb-hook:\n    entity: {entity}\n{body}"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    at: str
    """Text on the line the error must point at (its first occurrence)."""
    message: str
    permissions: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[World], None] | None = None


def _existing_location(world: World) -> None:
    response = world.autotask.post(
        "/InventoryLocations", json={"locationName": "Old Shelf", "isActive": True}
    )
    assert response.status_code == 200, response.text


def _existing_webhook(world: World) -> None:
    body = {
        "name": "hand-made",
        "webhookUrl": "https://hooks.example/x",
        "deactivationUrl": "https://hooks.example/x",
        "secretKey": "s3cret-by-hand",
        "isActive": False,
        "sendThresholdExceededNotification": False,
    }
    response = world.autotask.post("/CompanyWebhooks", json=body)
    assert response.status_code == 200, response.text


def _deny(entity: str, operation: str) -> dict[str, Any]:
    return {"entities": {entity: {operation: "None"}}}


LONG = "Warehouse " + "x" * 56  # 66 characters; Autotask's locationName holds 50
CASES = [
    # --- Autotask field metadata (entityInformation/fields) ---
    Case("location-name-66", _locations(LONG), LONG, "at most 50 characters"),
    Case("location-name-51", _locations("L" * 51), "L" * 51, "at most 50 characters"),
    Case(
        "location-default-read-only",
        "version: 1\ninventory:\n  locations:\n    Main:\n      default: true\n",
        "default: true",
        "read-only",
        {"read_only": {"InventoryLocations": ["isDefault"]}},
    ),
    Case(
        "webhook-name-read-only",
        _hook(),
        "sb-hook:",
        "read-only",
        {"read_only": {"CompanyWebhooks": ["name"]}},
    ),
    Case(
        "webhook-email-read-only",
        _hook("    fields: [CompanyName]\n    notification_email: ops@acme-it.example\n"),
        "notification_email",
        "read-only",
        {"read_only": {"CompanyWebhooks": ["notificationEmailAddress"]}},
    ),
    Case(
        "webhook-field-flag-read-only",
        _hook(),
        "fields: [CompanyName]",
        "read-only",
        {"read_only": {"CompanyWebhookFields": ["isSubscribedField"]}},
    ),
    # --- the API user's access (entityInformation userAccessFor*) ---
    Case(
        "location-create-denied",
        _locations("New Shelf"),
        "New Shelf",
        "may not create InventoryLocations",
        _deny("InventoryLocations", "create"),
    ),
    Case(
        "location-update-denied",
        "version: 1\ninventory:\n  locations:\n    Old Shelf: {active: false}\n",
        "Old Shelf",
        "may not update InventoryLocations",
        _deny("InventoryLocations", "update"),
        _existing_location,
    ),
    Case(
        "location-deactivate-denied",
        "version: 1\npolicy:\n  manage: {inventory: full}\ninventory:\n  locations:\n"
        "    Main: {active: true}\n",
        "inventory:\n",
        "may not update InventoryLocations",
        _deny("InventoryLocations", "update"),
        _existing_location,
    ),
    Case(
        "webhook-create-denied",
        _hook(),
        "sb-hook:",
        "may not create CompanyWebhooks",
        _deny("CompanyWebhooks", "create"),
    ),
    Case(
        "ticket-webhook-create-denied",
        _hook("    fields: [Status]\n", entity="ticket"),
        "sb-hook:",
        "may not create TicketWebhooks",
        _deny("TicketWebhooks", "create"),
    ),
    Case(
        "webhook-field-create-denied",
        _hook(),
        "sb-hook:",
        "may not create CompanyWebhookFields",
        _deny("CompanyWebhookFields", "create"),
    ),
    Case(
        "webhook-udf-field-create-denied",
        _hook("    fields: [CompanyName]\n    udf_fields: [Contract Tier]\n"),
        "sb-hook:",
        "may not create CompanyWebhookUdfFields",
        _deny("CompanyWebhookUdfFields", "create"),
    ),
    Case(
        "webhook-excluded-create-denied",
        _hook("    fields: [CompanyName]\n    excluded_resources: [Salesbuildr API]\n"),
        "sb-hook:",
        "may not create CompanyWebhookExcludedResources",
        _deny("CompanyWebhookExcludedResources", "create"),
    ),
    Case(
        "webhook-delete-denied",
        "version: 1\npolicy:\n  manage: {webhooks: full}\n" + RECEIVER + "webhooks:\n"
        "  sb-hook:\n    entity: company\n    fields: [CompanyName]\n",
        "webhooks:\n",
        "may not delete CompanyWebhooks",
        _deny("CompanyWebhooks", "delete"),
        _existing_webhook,
    ),
    # --- names that do not resolve live: unknown, inactive, wrong parent, multi-select ---
    Case(
        "billing-code-unknown",
        "version: 1\nbilling_codes:\n  default: Hardware Sale\n",
        "default:",
        "unknown billing code",
    ),
    Case(
        "billing-code-inactive",
        "version: 1\nbilling_codes:\n  default: Hardware Sales (legacy)\n",
        "default:",
        "inactive",
    ),
    Case(
        "category-unknown",
        "version: 1\nbilling_codes:\n  default: Labor\n  categories:\n    Hardwear: Labor\n",
        "Hardwear",
        "unknown",
    ),
    Case(
        "company-type-inactive",
        "version: 1\ncompany_types:\n  to_salesbuildr:\n    Former Customer: Customer\n",
        "Former Customer",
        "inactive",
    ),
    Case(
        "salesbuildr-company-type-unknown",
        "version: 1\ncompany_types:\n  to_autotask:\n    Reseller: Customer\n",
        "Reseller",
        "unknown",
    ),
    Case(
        "product-category-inactive",
        "version: 1\nproduct_import:\n  product_categories:\n    Consumables: Hardware\n",
        "Consumables",
        "inactive",
    ),
    Case(
        "role-inactive",
        "version: 1\nproduct_import:\n  roles:\n    Legacy Technician: Labor/Engineering\n",
        "Legacy Technician",
        "inactive",
    ),
    Case(
        "service-inactive",
        "version: 1\nproduct_import:\n  services:\n    Legacy Antivirus: Managed Services\n",
        "Legacy Antivirus",
        "inactive",
    ),
    Case(
        "sub-issue-type-of-another-issue-type",
        "version: 1\npurchase_order:\n  issue_type: Hardware\n  sub_issue_type: Return to vendor\n",
        "sub_issue_type",
        "unknown sub-issue type",
    ),
    Case(
        "company-udf-multi-select",
        "version: 1\ncompany_udfs:\n  Customer:\n    Industry Tags: Contract tier\n",
        "Industry Tags",
        "multi-select",
    ),
    Case(
        "company-udf-inactive",
        "version: 1\ncompany_udfs:\n  Customer:\n    Legacy Customer Code: Account notes\n",
        "Legacy Customer Code",
        "inactive",
    ),
    Case(
        "opportunity-udf-multi-select",
        "version: 1\nopportunity:\n  udfs:\n    Sales/Expected margin: Competitors\n",
        "Sales/Expected margin",
        "multi-select",
    ),
    Case(
        "webhook-field-unknown",
        _hook("    fields: [CompanyNam]\n"),
        "fields: [CompanyNam]",
        "unknown company webhook field",
    ),
    Case(
        "excluded-resource-inactive",
        _hook("    fields: [CompanyName]\n    excluded_resources: [Old Integration]\n"),
        "excluded_resources",
        "inactive",
    ),
    # --- the Salesbuildr contract's 422 rules (SALESBUILDR-SETTINGS-API.md) ---
    Case(
        "data-point-not-used-by-company-type",
        "version: 1\ncompany_udfs:\n  Lead:\n    Contract Tier: Contract tier\n",
        "Contract Tier",
        "is not used by company type 'Lead'",
    ),
]


def _line_of(text: str, needle: str) -> int:
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def _control(world: World, body: dict[str, Any]) -> None:
    url = world.autotask.base_url
    root = f"{url.scheme}://{url.host}:{url.port}"
    response = httpx.post(f"{root}/_sandbox/permissions", json=body, timeout=30, trust_env=False)
    assert response.status_code == 200, response.text


def test_the_corpus_is_large_enough_and_covers_every_family() -> None:
    assert len(CASES) >= 25
    messages = " ".join(c.message for c in CASES)
    for family in ("at most", "read-only", "may not", "inactive", "unknown", "not used by"):
        assert family in messages, family


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plan_refuses_what_apply_would_fail_on(world: World, case: Case) -> None:
    if case.setup is not None:
        case.setup(world)
    if case.permissions:
        _control(world, case.permissions)
    path = world.write(case.text)
    checked = world.cli("validate", str(path))
    assert checked.exit_code == 0, checked.output
    before = world.writes()
    planned = world.cli("plan", str(path))
    assert planned.exit_code == 1, planned.output
    line = _line_of(case.text, case.at)
    assert f"{path}:{line}:" in planned.output, planned.output
    assert case.message in planned.output, planned.output
    assert "no API writes were made" in planned.output, planned.output
    applied = world.cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert f"{path}:{line}:" in applied.output, applied.output
    assert world.writes() == before
