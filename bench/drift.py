"""W2's drift: about 1 % of a large tenant changed by hand, through the simulators' own APIs.

51 objects drift, across five sections: 25 billing-code mappings point at another code and 5
are gone, 3 role mappings and 2 company-UDF mappings changed or gone, the purchase-order due
date moved, 5 webhooks had two fields re-flagged, 5 lost a field, 2 were deactivated, one
inventory location was deactivated, and 2 webhooks nobody configured appeared (deleted by the
plan, since W2's YAML manages webhooks with ``manage: full``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from reconciler.psa.autotask.client import AutotaskClient, credentials_from_env
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.sandbox.salesbuildr.seed import large_billing_code_ids
from reconciler.state import State

PREFIX = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}
READ_ONLY = {"importedCount", "secretSet", "url"}
EXPECTED_CHANGES = 51


def _writable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _writable(v) for k, v in value.items() if k not in READ_ONLY}
    if isinstance(value, list):
        return [_writable(v) for v in value]
    return value


def documents_of(sb: SalesbuildrClient) -> int:
    changed = 0
    codes = large_billing_code_ids()
    doc = sb.read_section("billing-codes")
    body = _writable(doc.body)
    rows = body["categories"]
    for row in rows[:25]:
        index = codes.index(row["billingCodeId"]) if row["billingCodeId"] in codes else 0
        row["billingCodeId"] = codes[(index + 1) % len(codes)]
    del rows[25:30]
    sb.write_section("billing-codes", body, doc.etag)
    changed += 30

    doc = sb.read_section("product-import")
    body = _writable(doc.body)
    for row in body["roles"][:3]:
        row["categoryId"] = "c-labor-pm" if row["categoryId"] == "c-labor-eng" else "c-labor-eng"
    sb.write_section("product-import", body, doc.etag)
    changed += 3

    doc = sb.read_section("company-udfs")
    body = _writable(doc.body)
    del body["mappings"][-2:]
    sb.write_section("company-udfs", body, doc.etag)
    changed += 2

    doc = sb.read_section("purchase-order")
    body = _writable(doc.body)
    body["dueDateOffsetDays"] = int(body.get("dueDateOffsetDays") or 0) + 2
    sb.write_section("purchase-order", body, doc.etag)
    return changed + 1


def _webhooks(at: AutotaskClient, live: State) -> int:
    hooks = sorted((r for r in live if r.kind == "webhook"), key=lambda r: r.address)
    active = [h for h in hooks[10:] if h.attributes.get("active")]
    changed = 0
    for hook in hooks[:5]:
        prefix = PREFIX[str(hook.attributes["entity"])]
        children = hook.ids["children"]["fields"]
        for field_id, child in sorted(children.items())[:2]:
            at.update_child(
                f"{prefix}Webhooks",
                int(hook.ids["id"]),
                "Fields",
                {
                    "id": int(child["id"]),
                    "webhookID": int(hook.ids["id"]),
                    "fieldID": int(field_id),
                    "isSubscribedField": not child["subscribed"],
                    "isDisplayAlwaysField": not child["always"],
                },
            )
        changed += 1
    for hook in hooks[5:10]:
        prefix = PREFIX[str(hook.attributes["entity"])]
        children = hook.ids["children"]["fields"]
        _, child = sorted(children.items())[-1]
        at.delete_child(f"{prefix}Webhooks", int(hook.ids["id"]), "Fields", int(child["id"]))
        changed += 1
    for hook in active[:2]:
        prefix = PREFIX[str(hook.attributes["entity"])]
        at.update(f"{prefix}Webhooks", {"id": int(hook.ids["id"]), "isActive": False})
        changed += 1
    for n in (1, 2):
        url = f"https://hooks.example.com/unmanaged/{n}"
        hook_id = at.create(
            "CompanyWebhooks",
            {
                "name": f"unmanaged-{n}",
                "webhookUrl": url,
                "deactivationUrl": url,
                "isActive": False,
                "secretKey": f"unmanaged-secret-{n:02d}",
                "isSubscribedToCreateEvents": True,
                "isSubscribedToUpdateEvents": False,
                "isSubscribedToDeleteEvents": False,
                "sendThresholdExceededNotification": False,
            },
        )
        at.create_child(
            "CompanyWebhooks",
            hook_id,
            "Fields",
            {
                "webhookID": hook_id,
                "fieldID": 7,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
        )
        changed += 1
    return changed


def _inventory(at: AutotaskClient, live: State) -> int:
    for resource in live:
        if resource.kind == "inventory_location" and not resource.attributes.get("default"):
            at.update("InventoryLocations", {"id": int(resource.ids["id"]), "isActive": False})
            return 1
    return 0


def apply_drift(env: Mapping[str, str], live: State) -> int:
    """Make the changes; return how many objects now differ from ``live``."""
    at = AutotaskClient.connect(credentials_from_env(env), url=env["AUTOTASK_API_URL"])
    sb = SalesbuildrClient.connect(
        env["SALESBUILDR_API_URL"], SecretStr(env["SALESBUILDR_API_KEY"])
    )
    try:
        return documents_of(sb) + _webhooks(at, live) + _inventory(at, live)
    finally:
        at.close()
        sb.close()


def manage_webhooks_fully(text: str) -> str:
    """The YAML with ``policy: {manage: {webhooks: full}}`` (unlisted webhooks get deleted)."""
    marker = "version: 1\n"
    if "\npolicy:" in text or marker not in text:
        raise ValueError("expected an exported YAML with `version: 1` and no policy block")
    return text.replace(marker, marker + "\npolicy:\n  manage: {webhooks: full}\n", 1)


WEBHOOK_SECRET = "${env:BENCH_WEBHOOK_SECRET}"


def with_webhook_secrets(text: str) -> str:
    """The exported YAML with ``secret: ${env:BENCH_WEBHOOK_SECRET}`` on every webhook that has
    its own url (the others use the receiver's): an export never holds secrets, and a webhook
    that apply creates needs one (W3's cold create)."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if line and not line.startswith((" ", "#")):
            inside = line.rstrip() == "webhooks:"
        out.append(line)
        if inside and line.startswith("    url: "):
            out.append(f"    secret: {WEBHOOK_SECRET}")
    if "\nwebhook_receiver:" not in text:  # url-less webhooks sign with the receiver's
        out.append("webhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n")
    return "\n".join(out)
