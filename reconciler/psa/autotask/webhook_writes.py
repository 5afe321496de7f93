"""The writes of one Autotask webhook, as a chain of stages (writes.Stages):

1. create it inactive (or PATCH what changed on a live one);
2. its fields, UDF fields and excluded resources: added, re-flagged or removed, independently
   of each other (the engine fans them out);
3. activate it (or deactivate it), only once every child is in place, so a half-built webhook
   never fires.

The stages are decided from the plan change alone, before any request: the engine knows how
many writes the apply makes before it sends the first. The webhook id a create returns reaches
the later stages through :class:`_Hook` (the engine starts a stage after the one before ended).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.client import AutotaskClient, eq
from reconciler.write_resolve import create, matches, resolved
from reconciler.writes import Change, Journal, Stages, WriteOp, WriteRecord

SecretLookup = Callable[[Change, str], str]

WEBHOOK_EVENTS = {
    "create": "isSubscribedToCreateEvents",
    "update": "isSubscribedToUpdateEvents",
    "delete": "isSubscribedToDeleteEvents",
}

_WIRE_NAMES = {
    "name": "name",
    "url": "webhookUrl",
    "deactivation_url": "deactivationUrl",
    "threshold_notification": "sendThresholdExceededNotification",
    "notification_email": "notificationEmailAddress",
}


@dataclass
class _Hook:
    """The webhook being written: its collection, and its id once known."""

    change: Change
    collection: str
    webhook_id: int | None = None

    @property
    def id(self) -> int:
        if self.webhook_id is None:  # pragma: no cover - the engine orders the stages
            raise RuntimeError(f"{self.change.address}: a child was written before the webhook")
        return self.webhook_id

    def root(self, child: str) -> str:
        """``CompanyWebhooks`` + ``Fields`` -> ``CompanyWebhookFields`` (the root query path)."""
        return f"{self.collection.removesuffix('s')}{child}"


def webhook_stages(client: AutotaskClient, change: Change, secret: SecretLookup) -> Stages:
    """Every write of one webhook create or update, in the three stages of the module."""
    after = dict(change.after or {})
    entity = str(after["entity"])
    hook = _Hook(change, f"{at_state.WEBHOOK_ENTITY_PREFIX[entity]}Webhooks")
    desired_ids = (change.ids.get("desired") or {}) if change.ids else {}
    main = {
        "name": after["name"],
        "webhookUrl": after["url"],
        "deactivationUrl": after["deactivation_url"],
        "sendThresholdExceededNotification": bool(after.get("threshold_notification")),
        "notificationEmailAddress": after.get("notification_email"),
        **{flag: event in (after.get("events") or []) for event, flag in WEBHOOK_EVENTS.items()},
    }
    first: list[WriteOp] = []
    if change.action == "create":
        first.append(_create_webhook(client, hook, main, entity, secret))
        live_children: dict[str, Any] = {}
        was_active = False
    else:
        live = change.ids.get("live") or {}
        hook.webhook_id = int(live["id"])
        live_children = dict(live.get("children") or {})
        was_active = bool((change.before or {}).get("active"))
        patch = _update_patch(change, main)
        if patch:
            first.append(_patch_webhook(client, hook, patch, secret))
    children = _children(client, hook, after, desired_ids, live_children)
    last: list[WriteOp] = []
    want_active = bool(after.get("active", True))
    if want_active != was_active or (change.action == "create" and want_active):
        last.append(_set_active(client, hook, want_active))
    carries = (change.address,)
    return [
        [replace(op, carries=carries) for op in stage] for stage in (first, children, last) if stage
    ]


def _create_webhook(
    client: AutotaskClient,
    hook: _Hook,
    main: Mapping[str, Any],
    entity: str,
    secret: SecretLookup,
) -> WriteOp:
    change = hook.change
    name = str((change.after or {})["name"])

    def run(journal: Journal) -> None:
        body = {**main, "isActive": False, "secretKey": secret(change, "secret")}
        hook.webhook_id = create(
            lambda: client.create(hook.collection, body),
            lookup=lambda: at_state.find_webhook(client, entity, name),
            journal=journal,
            record=WriteRecord(
                change.address, "create", f"POST {hook.collection} (inactive)", "ok"
            ),
            where="in Autotask",
        )

    return WriteOp(f"create {change.address}", run)


def _update_patch(change: Change, main: Mapping[str, Any]) -> dict[str, Any]:
    """The wire attributes that changed (without the secret, added when the op runs)."""
    changed = {d.path for d in change.diff}
    patch = {wire: main[wire] for attr, wire in _WIRE_NAMES.items() if attr in changed}
    if "events" in changed:
        patch.update({flag: main[flag] for flag in WEBHOOK_EVENTS.values()})
    if "secret" in change.sensitive_paths and "secret" in changed:
        patch["secretKey"] = None  # placeholder: the value is looked up when the op runs
    return patch


def _patch_webhook(
    client: AutotaskClient, hook: _Hook, changed: Mapping[str, Any], secret: SecretLookup
) -> WriteOp:
    change = hook.change

    def run(journal: Journal) -> None:
        patch: dict[str, Any] = {"id": hook.id, **changed}
        if "secretKey" in patch:
            patch["secretKey"] = secret(change, "secret")
        resolved(
            lambda: client.update(hook.collection, patch),
            check=lambda: matches(client.get(hook.collection, hook.id), patch, skip={"secretKey"}),
            journal=journal,
            record=WriteRecord(
                change.address, "update", f"PATCH {hook.collection}", "ok", hook.webhook_id
            ),
        )

    return WriteOp(f"update {change.address}", run)


def _set_active(client: AutotaskClient, hook: _Hook, active: bool) -> WriteOp:
    change = hook.change
    action = "activate" if active else "deactivate"

    def run(journal: Journal) -> None:
        patch = {"id": hook.id, "isActive": active}
        resolved(
            lambda: client.update(hook.collection, patch),
            check=lambda: matches(client.get(hook.collection, hook.id), patch),
            journal=journal,
            record=WriteRecord(
                change.address,
                action,
                f"PATCH {hook.collection} isActive={str(active).lower()}",
                "ok",
                hook.id,
            ),
        )

    return WriteOp(f"{action} {change.address}", run)


def _children(
    client: AutotaskClient,
    hook: _Hook,
    after: Mapping[str, Any],
    desired_ids: Mapping[str, Any],
    live_children: Mapping[str, Any],
) -> list[WriteOp]:
    """Make the webhook's children what the plan says: add, re-flag, remove. A list the
    YAML does not state (no desired ids for it) is unmanaged: its live children stay."""
    live_fields: Mapping[str, Any] = live_children.get("fields") or {}
    wanted = _wanted_fields(after, desired_ids, live_fields)
    ops = _flag_children(
        client,
        hook,
        "Fields",
        "fieldID",
        wanted={k: flags for k, flags in wanted.items() if any(flags)},
        live=live_fields,
    )
    if hook.collection != "TicketNoteWebhooks" and "udf_fields" in desired_ids:
        udf_ids = desired_ids.get("udf_fields") or {}
        ops += _flag_children(
            client,
            hook,
            "UdfFields",
            "udfFieldID",
            wanted={str(udf_id): (True, False) for udf_id in udf_ids.values()},
            live=live_children.get("udf_fields") or {},
        )
    if "excluded_resources" in desired_ids:
        ops += _excluded(client, hook, desired_ids, live_children)
    return ops


def _wanted_fields(
    after: Mapping[str, Any], desired_ids: Mapping[str, Any], live_fields: Mapping[str, Any]
) -> dict[str, tuple[bool, bool]]:
    """Field id -> (subscribed, always sent); unstated ``always_send`` keeps the live flags."""
    field_ids: dict[str, Any] = {
        **(desired_ids.get("fields") or {}),
        **(desired_ids.get("always_send") or {}),
    }
    subscribed = set(after.get("fields") or [])
    always = set(after.get("always_send") or [])
    wanted = {str(field_ids[label]): (label in subscribed, label in always) for label in field_ids}
    if "always_send" not in desired_ids:
        kept = {k: bool(v["always"]) for k, v in live_fields.items()}
        wanted = {k: (sub, kept.get(k, False)) for k, (sub, _) in wanted.items()}
        wanted.update({k: (False, True) for k, on in kept.items() if on and k not in wanted})
    return wanted


def _excluded(
    client: AutotaskClient,
    hook: _Hook,
    desired_ids: Mapping[str, Any],
    live_children: Mapping[str, Any],
) -> list[WriteOp]:
    """The excluded resources: the live ones not wanted removed, the wanted ones added."""
    excluded_wanted = {str(v) for v in (desired_ids.get("excluded_resources") or {}).values()}
    excluded_live: Mapping[str, Any] = live_children.get("excluded_resources") or {}
    ops = [
        _delete_child(client, hook, "ExcludedResources", int(child_id))
        for resource_id, child_id in excluded_live.items()
        if resource_id not in excluded_wanted
    ]
    for resource_id in sorted(excluded_wanted - set(excluded_live)):
        body = {"resourceID": int(resource_id)}
        ops.append(_create_child(client, hook, "ExcludedResources", "resourceID", body))
    return ops


def _flag_children(
    client: AutotaskClient,
    hook: _Hook,
    child: str,
    id_field: str,
    *,
    wanted: Mapping[str, tuple[bool, bool]],
    live: Mapping[str, Any],
) -> list[WriteOp]:
    ops = [
        _delete_child(client, hook, child, int(state["id"]))
        for value, state in live.items()
        if value not in wanted
    ]
    for value, (subscribed, always) in sorted(wanted.items()):
        body = {
            id_field: int(value),
            "isSubscribedField": subscribed,
            "isDisplayAlwaysField": always,
        }
        current = live.get(value)
        if current is None:
            ops.append(_create_child(client, hook, child, id_field, body))
        elif (bool(current["subscribed"]), bool(current["always"])) != (subscribed, always):
            ops.append(_reflag_child(client, hook, child, {**body, "id": int(current["id"])}))
    return ops


def _reflag_child(
    client: AutotaskClient, hook: _Hook, child: str, flags: Mapping[str, Any]
) -> WriteOp:
    def run(journal: Journal) -> None:
        patch = {"webhookID": hook.id, **flags}
        resolved(
            lambda: client.update_child(hook.collection, hook.id, child, patch),
            check=lambda: False,  # a PATCH of flags is safe to send twice
            journal=journal,
            record=WriteRecord(
                hook.change.address, "update", f"PATCH {hook.collection}/{hook.id}/{child}", "ok"
            ),
        )

    return WriteOp(f"update {hook.change.address}: {child} {flags['id']}", run)


def _create_child(
    client: AutotaskClient, hook: _Hook, child: str, id_field: str, fields: Mapping[str, Any]
) -> WriteOp:
    def run(journal: Journal) -> None:
        body = {"webhookID": hook.id, **fields}

        def lookup() -> list[dict[str, Any]]:
            rows = client.query(hook.root(child), eq("webhookID", hook.id))
            return [r for r in rows if str(r.get(id_field)) == str(body[id_field])]

        create(
            lambda: client.create_child(hook.collection, hook.id, child, body),
            lookup=lookup,
            journal=journal,
            record=WriteRecord(
                hook.change.address,
                "create",
                f"POST {hook.collection}/{hook.id}/{child} {id_field}={body[id_field]}",
                "ok",
            ),
            where="in Autotask",
        )

    return WriteOp(f"create {hook.change.address}: {child} {id_field}={fields[id_field]}", run)


def _delete_child(client: AutotaskClient, hook: _Hook, child: str, child_id: int) -> WriteOp:
    def run(journal: Journal) -> None:
        resolved(
            lambda: client.delete_child(hook.collection, hook.id, child, child_id),
            check=lambda: client.get(hook.root(child), child_id) is None,
            journal=journal,
            record=WriteRecord(
                hook.change.address,
                "delete",
                f"DELETE {hook.collection}/{hook.id}/{child}/{child_id}",
                "ok",
                child_id,
            ),
        )

    return WriteOp(f"delete {hook.change.address}: {child} {child_id}", run)
