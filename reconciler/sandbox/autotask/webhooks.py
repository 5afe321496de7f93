"""Webhook callouts of the Autotask simulator: which webhooks fire for a change, and what they send.

Per the fact sheet (§7): a webhook fires when it is active, subscribed to the event type, has at
least one field or UDF field, and the resource that made the change is not among its excluded
resources; for an update, only when a *subscribed* field changed. The body carries ``Action``,
``Guid``, ``EntityType``, ``Id``, ``Fields`` (for a create the subscribed and display-always
fields, for an update the changed subscribed fields plus the display-always ones), ``EventTime``,
``SequenceNumber`` (per webhook) and ``PersonID``; it is signed with
``X-Hook-Signature: sha1=<base64 HMAC-SHA1 of the exact body bytes, keyed with secretKey>``.

Sandbox choices where the vendor is silent: ``Fields`` keys are the labels of the ``fieldID``
picklist (``CompanyName``) and UDF names; ``EntityType`` is the webhook kind (``Company``); a
deactivated or deleted webhook posts ``{"Action": "Deactivated", ...}`` to its deactivationUrl.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.autotask.entities import EntityDef, webhook_field_picklists
from reconciler.sandbox.autotask.rules import now_text
from reconciler.sandbox.autotask.store import Change, Store


@dataclass(frozen=True)
class Callout:
    """One POST to make: where, the exact body bytes, and the headers (signature included)."""

    url: str
    body: bytes
    headers: dict[str, str]


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hook-Signature`` value for ``body``: ``sha1=<base64 HMAC-SHA1>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()
    return "sha1=" + base64.b64encode(digest).decode("ascii")


def _callout(url: str, secret: str | None, payload: dict[str, Any]) -> Callout:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if secret:
        headers["X-Hook-Signature"] = signature(secret, body)
    return Callout(url, body, headers)


def entity_callouts(
    store: Store, change: Change, *, person_id: int, sequence: Callable[[str, int], int]
) -> list[Callout]:
    """The callouts a committed change to a watched entity (Companies, Tickets) causes.

    ``sequence(kind, webhook_id)`` hands out the next SequenceNumber of a webhook.
    """
    kind = change.entity.watched_by
    if kind is None:
        return []
    webhooks = store.table(f"{kind}Webhooks")
    subscribed_to = f"isSubscribedTo{change.action}Events"
    labels = {int(v.value): v.label for v in webhook_field_picklists()[kind]}
    udf_names = {
        d["id"]: d["name"]
        for d in (store.udf_definitions(change.entity.udf_type) if change.entity.udf_type else [])
    }
    out: list[Callout] = []
    for webhook_id, webhook in sorted(webhooks.rows.items()):
        if not webhook["isActive"] or not webhook.get(subscribed_to):
            continue
        fields = _children(store, f"{kind}WebhookFields", webhook_id)
        udf_fields = _children(store, f"{kind}WebhookUdfFields", webhook_id)
        if not fields and not udf_fields:
            continue
        excluded = {
            r["resourceID"] for r in _children(store, f"{kind}WebhookExcludedResources", webhook_id)
        }
        if person_id in excluded:
            continue
        chosen = _payload_fields(change, labels, udf_names, fields, udf_fields)
        if chosen is None:
            continue
        payload = {
            "Action": change.action,
            "Guid": webhook["webhookGUID"],
            "EntityType": kind,
            "Id": change.id,
            "Fields": chosen,
            "EventTime": now_text(),
            "SequenceNumber": sequence(kind, webhook_id),
            "PersonID": person_id,
        }
        out.append(_callout(webhook["webhookUrl"], webhook["secretKey"], payload))
    return out


def _children(store: Store, entity: str, webhook_id: int) -> list[dict[str, Any]]:
    key = f"{entity}".lower()
    if key not in store.tables:
        return []
    return [r for _, r in sorted(store.tables[key].rows.items()) if r["webhookID"] == webhook_id]


def _payload_fields(
    change: Change,
    labels: dict[int, str],
    udf_names: dict[int, str],
    fields: list[dict[str, Any]],
    udf_fields: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The ``Fields`` of one webhook's callout, or None when the change does not concern it."""
    entity: EntityDef = change.entity
    shown: dict[str, Any] = {}
    triggered = change.action != "Update"
    for row in fields:
        label = labels.get(row["fieldID"])
        prop = entity.prop(label) if label else None
        if label is None or prop is None:
            continue
        changed = prop in change.changed
        if row["isSubscribedField"] and changed:
            triggered = True
        if row["isDisplayAlwaysField"] or (
            row["isSubscribedField"] and (changed or change.action == "Create")
        ):
            shown[label] = change.record.get(prop)
    for row in udf_fields:
        name = udf_names.get(row["udfFieldID"])
        if name is None:
            continue
        changed = f"udf:{row['udfFieldID']}" in change.changed
        if row["isSubscribedField"] and changed:
            triggered = True
        if row["isDisplayAlwaysField"] or (
            row["isSubscribedField"] and (changed or change.action == "Create")
        ):
            shown[name] = change.udfs.get(row["udfFieldID"])
    return shown if triggered else None


def deactivation_callout(
    entity: EntityDef, before: dict[str, Any], after: dict[str, Any] | None, *, person_id: int
) -> Callout | None:
    """The deactivation notice when a webhook is deleted (``after`` None) or deactivated."""
    if entity.webhook_kind is None or entity.parent is not None:
        return None
    if after is not None and not (before.get("isActive") and not after.get("isActive")):
        return None
    url = before.get("deactivationUrl")
    if not url:
        return None
    payload = {
        "Action": "Deactivated",
        "Guid": before.get("webhookGUID"),
        "EntityType": entity.webhook_kind,
        "Id": before["id"],
        "Fields": {},
        "EventTime": now_text(),
        "SequenceNumber": 0,
        "PersonID": person_id,
    }
    return _callout(str(url), before.get("secretKey"), payload)
