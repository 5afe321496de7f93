"""The Autotask requests a webhook change needs, in Autotask's field names, as the writer sends
them: the webhook (created inactive with its secret, PATCHed where attributes changed), its
Fields / UdfFields / ExcludedResources children (created, re-flagged, deleted), then the
activation PATCH. Checked at plan time against ``entityInformation`` and its ``/fields``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.kinds.constraints import PARENT_ID, SECRET_VALUE, PlannedChange, WireWrite
from reconciler.state import Resource

PREFIX = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}
EVENTS = {
    "create": "isSubscribedToCreateEvents",
    "update": "isSubscribedToUpdateEvents",
    "delete": "isSubscribedToDeleteEvents",
}
MAIN = {
    "name": "name",
    "webhookUrl": "url",
    "deactivationUrl": "deactivation_url",
    "sendThresholdExceededNotification": "threshold_notification",
    "notificationEmailAddress": "notification_email",
    "isActive": "active",
    "secretKey": "secret",
    **{flag: "events" for flag in EVENTS.values()},
}
"""Wire field -> YAML attribute."""


def entities_of(entity: str) -> dict[str, str]:
    """What each part of a webhook of ``entity`` is called in Autotask."""
    prefix = PREFIX[entity]
    found = {
        "webhook": f"{prefix}Webhooks",
        "fields": f"{prefix}WebhookFields",
        "excluded_resources": f"{prefix}WebhookExcludedResources",
    }
    if entity != "ticket_note":
        found["udf_fields"] = f"{prefix}WebhookUdfFields"
    return found


def _main_values(after: Mapping[str, Any]) -> dict[str, Any]:
    events = after.get("events") or []
    return {
        "name": after.get("name"),
        "webhookUrl": after.get("url"),
        "deactivationUrl": after.get("deactivation_url"),
        "sendThresholdExceededNotification": bool(after.get("threshold_notification")),
        "notificationEmailAddress": after.get("notification_email"),
        **{flag: event in events for event, flag in EVENTS.items()},
    }


def _wanted(change: PlannedChange) -> dict[str, dict[str, tuple[bool, bool]]]:
    after = change.after or {}
    desired = change.ids.get("desired") or {}
    subscribed = set(after.get("fields") or [])
    always = set(after.get("always_send") or [])
    field_ids = {**(desired.get("fields") or {}), **(desired.get("always_send") or {})}
    return {
        "fields": {
            str(fid): (label in subscribed, label in always) for label, fid in field_ids.items()
        },
        "udf_fields": {str(v): (True, False) for v in (desired.get("udf_fields") or {}).values()},
        "excluded_resources": {
            str(v): (True, False) for v in (desired.get("excluded_resources") or {}).values()
        },
    }


def _live(change: PlannedChange) -> dict[str, dict[str, tuple[bool, bool]]]:
    if change.action == "create":
        return {}
    live = (change.ids.get("live") or {}).get("children") or {}
    return {
        "fields": {
            k: (bool(v["subscribed"]), bool(v["always"]))
            for k, v in (live.get("fields") or {}).items()
        },
        "udf_fields": {
            k: (bool(v["subscribed"]), bool(v["always"]))
            for k, v in (live.get("udf_fields") or {}).items()
        },
        "excluded_resources": {k: (True, False) for k in (live.get("excluded_resources") or {})},
    }


CHILD_ID = {"fields": "fieldID", "udf_fields": "udfFieldID", "excluded_resources": "resourceID"}


def _child_writes(change: PlannedChange, names: Mapping[str, str], what: str) -> list[WireWrite]:
    writes: list[WireWrite] = []
    wanted, live = _wanted(change), _live(change)
    for part, id_field in CHILD_ID.items():
        if part not in names:
            continue
        entity = names[part]
        have = live.get(part, {})
        attributes = {id_field: part}
        if part != "excluded_resources":
            attributes |= {"isSubscribedField": part, "isDisplayAlwaysField": "always_send"}
        for value, flags in sorted(wanted.get(part, {}).items()):
            body: dict[str, Any] = {"webhookID": PARENT_ID, id_field: int(value)}
            if part != "excluded_resources":
                body |= {"isSubscribedField": flags[0], "isDisplayAlwaysField": flags[1]}
            if value not in have:
                writes.append(WireWrite(entity, "create", what, body, attributes))
            elif have[value] != flags:
                writes.append(WireWrite(entity, "update", what, body, attributes))
        if any(value not in wanted.get(part, {}) for value in have):
            writes.append(WireWrite(entity, "delete", what, {}, attributes))
    return writes


def webhook_writes(change: PlannedChange) -> list[WireWrite]:
    after = change.after or change.before or {}
    names = entities_of(str(after["entity"]))
    hooks = names["webhook"]
    what = f"webhook '{change.key}'"
    if change.action == "delete":
        return [WireWrite(hooks, "delete", what, {}, MAIN)]
    main = _main_values(after)
    writes: list[WireWrite] = []
    if change.action == "create":
        body = {**main, "isActive": False, "secretKey": SECRET_VALUE}
        writes.append(WireWrite(hooks, "create", what, body, MAIN))
    else:
        patch = {wire: value for wire, value in main.items() if MAIN[wire] in change.changed}
        if "secret" in change.changed:
            patch["secretKey"] = SECRET_VALUE
        if patch:
            writes.append(WireWrite(hooks, "update", what, patch, MAIN))
    writes.extend(_child_writes(change, names, what))
    want_active = bool(after.get("active", True))
    was_active = bool((change.before or {}).get("active")) if change.action != "create" else False
    if want_active != was_active:
        writes.append(WireWrite(hooks, "update", what, {"isActive": want_active}, MAIN))
    return writes


def webhook_access(desired: Sequence[Resource]) -> dict[str, frozenset[str]]:
    """Every part of the webhooks of the entities the YAML names: read, and written in full."""
    needed: dict[str, frozenset[str]] = {}
    for entity in sorted({str(r.attributes.get("entity")) for r in desired}):
        if entity not in PREFIX:
            continue
        for part, name in entities_of(entity).items():
            operations = {"query", "create", "delete"}
            if part != "excluded_resources":
                operations.add("update")
            needed[name] = frozenset(operations)
    return needed
