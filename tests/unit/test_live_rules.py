"""Plan-time live rules: what a kind says it will send, checked against Autotask's metadata."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.kinds.constraints import (
    SECRET_VALUE,
    EntityRules,
    FieldRule,
    PlannedChange,
    WireWrite,
    check_write,
)
from reconciler.preflight import AccessCheck, PreflightReport
from reconciler.psa.autotask.fields import entity_rules, parse_access, parse_fields
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "autotask"

LOCATIONS = EntityRules(
    "InventoryLocations",
    {
        "locationname": FieldRule("locationName", length=50, required=True),
        "isactive": FieldRule("isActive", "boolean", required=True),
        "isdefault": FieldRule("isDefault", "boolean"),
        "id": FieldRule("id", "long", required=True, read_only=True),
    },
    {"create": "All", "update": "All", "delete": "None", "query": "All"},
)


def _change(action: str, key: str = "Main", **parts: object) -> PlannedChange:
    return PlannedChange(
        action=action,
        address=f'x["{key}"]',
        key=key,
        before=parts.get("before"),  # type: ignore[arg-type]
        after=parts.get("after"),  # type: ignore[arg-type]
        changed=frozenset(parts.get("changed", ())),  # type: ignore[call-overload]
        ids=parts.get("ids", {}),  # type: ignore[arg-type]
    )


def test_length_is_checked_on_the_boundary() -> None:
    ok = WireWrite("InventoryLocations", "create", "it", {"locationName": "x" * 50, "isActive": 1})
    too_long = WireWrite("InventoryLocations", "create", "it", {"locationName": "x" * 51})
    assert check_write(ok, LOCATIONS) == []
    messages = [p.message for p in check_write(too_long, LOCATIONS)]
    assert any("at most 50 characters" in m and "gives 51" in m for m in messages)


def test_a_required_field_without_a_value_is_refused_on_create_only() -> None:
    create = WireWrite("InventoryLocations", "create", "it", {"locationName": "A"})
    update = WireWrite("InventoryLocations", "update", "it", {"isDefault": True})
    assert [p.message for p in check_write(create, LOCATIONS)] == [
        "InventoryLocations.isActive is required by Autotask, but it gives no value for it"
    ]
    assert check_write(update, LOCATIONS) == []


def test_denied_access_and_read_only_and_picklists() -> None:
    delete = WireWrite("InventoryLocations", "delete", "it")
    (denied,) = check_write(delete, LOCATIONS)
    assert "userAccessForDelete is None" in denied.message
    rules = EntityRules(
        "Things",
        {
            "flag": FieldRule("flag", "boolean", read_only=True),
            "kind": FieldRule(
                "kind", "integer", picklist={"1": ("One", True), "2": ("Two", False)}
            ),
        },
    )
    assert check_write(WireWrite("Things", "update", "it", {"flag": False}), rules) == []
    (read_only,) = check_write(WireWrite("Things", "update", "it", {"flag": True}), rules)
    assert "read-only" in read_only.message
    assert check_write(WireWrite("Things", "update", "it", {"kind": 1}), rules) == []
    (inactive,) = check_write(WireWrite("Things", "update", "it", {"kind": 2}), rules)
    assert "'Two' (2) is inactive" in inactive.message
    (unknown,) = check_write(WireWrite("Things", "update", "it", {"kind": 9}), rules)
    assert "not a value of the Autotask picklist" in unknown.message


def test_inventory_sends_what_the_writer_sends() -> None:
    after = {"active": True, "default": False, "track_stock": True}
    (create,) = INVENTORY_LOCATION.wire_writes(_change("create", after=after))
    assert (create.operation, dict(create.values)) == (
        "create",
        {"locationName": "Main", "isActive": True, "isDefault": False},
    )
    assert (
        INVENTORY_LOCATION.wire_writes(_change("update", after=after, changed={"track_stock"}))
        == []
    )
    (flags,) = INVENTORY_LOCATION.wire_writes(_change("update", after=after, changed={"active"}))
    assert flags.operation == "update" and "locationName" not in flags.values
    (gone,) = INVENTORY_LOCATION.wire_writes(_change("deactivate", before=after))
    assert dict(gone.values) == {"isActive": False, "isDefault": False}


def test_a_new_webhook_needs_the_webhook_its_children_and_the_activation() -> None:
    after = {
        "entity": "company",
        "name": "sb",
        "url": "https://x.example",
        "deactivation_url": "https://x.example",
        "active": True,
        "events": ["create"],
        "fields": ["CompanyName"],
        "always_send": [],
        "udf_fields": ["Tier"],
        "excluded_resources": ["Jane Admin"],
    }
    ids = {
        "desired": {
            "fields": {"CompanyName": 7},
            "udf_fields": {"Tier": 3},
            "excluded_resources": {"Jane Admin": 5},
        }
    }
    writes = WEBHOOK.wire_writes(_change("create", "company/sb", after=after, ids=ids))
    assert [(w.entity, w.operation) for w in writes] == [
        ("CompanyWebhooks", "create"),
        ("CompanyWebhookFields", "create"),
        ("CompanyWebhookUdfFields", "create"),
        ("CompanyWebhookExcludedResources", "create"),
        ("CompanyWebhooks", "update"),
    ]
    assert writes[0].values["secretKey"] is SECRET_VALUE
    assert writes[0].values["isActive"] is False and writes[-1].values == {"isActive": True}
    deleted = WEBHOOK.wire_writes(_change("delete", "company/sb", before=after))
    assert [(w.entity, w.operation) for w in deleted] == [("CompanyWebhooks", "delete")]


def test_an_update_sends_only_what_changed() -> None:
    before = {"entity": "ticket", "name": "t", "active": True, "events": ["create"]}
    after = {**before, "notification_email": "ops@x.example"}
    ids = {"live": {"children": {}}, "desired": {}}
    changed = {"notification_email"}
    (patch,) = WEBHOOK.wire_writes(
        _change("update", "ticket/t", before=before, after=after, changed=changed, ids=ids)
    )
    assert (patch.entity, dict(patch.values)) == (
        "TicketWebhooks",
        {"notificationEmailAddress": "ops@x.example"},
    )


def test_recorded_metadata_becomes_rules() -> None:
    body = json.loads((FIXTURES / "CompanyWebhooks.entityInformation.fields.json").read_text())
    access = parse_access({"info": {"userAccessForCreate": "None", "userAccessForQuery": "All"}})
    rules = entity_rules("CompanyWebhooks", parse_fields(body), access)
    name = rules.field("NAME")
    assert name is not None and (name.length, name.required) == (50, True)
    owner = rules.field("ownerResourceID")
    assert owner is not None and owner.read_only and owner.reference
    assert not rules.allows("create") and rules.allows("query") and rules.allows("delete")


def test_a_report_is_ok_only_without_a_denial() -> None:
    fine = AccessCheck("autotask", "Roles", "ok", ("query",))
    unknowable = AccessCheck("salesbuildr", "settings/x", "not checkable", ("read", "write"))
    denied = AccessCheck("autotask", "X", "denied", ("create",), ("create",))
    assert PreflightReport((fine, unknowable)).ok
    assert not PreflightReport((fine, denied)).ok
