"""Webhook deliveries of the HaloPSA simulator: events, payloads, the ``/WebhookEvent`` log.

A write to a client or a ticket (opportunity) is delivered to every active webhook subscribed to
that event (``events[].eventno``), by POST, to loopback URLs only
(:class:`~reconciler.sandbox.common.CalloutSender`); each delivery is logged as a WebhookEvent
record, whose outcome (``responsestatus``, ``error``, ``status``) is filled in from the sender's
log when the WebhookEvent list is read.

**The event numbers are assumed.** SPEC-H types ``UnameNotification.eventno`` as an int and lists no
values; no source we read gives the numbers for client or ticket events (halopsa-api.md §5, "[gap]";
§9 item 3). :data:`EVENTS` is the one table of them in the simulator; the client keeps its own copy
and a test checks that both agree. The payload shape is assumed too (§5: "not in SPEC-H").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.sandbox.common import CalloutSender
from reconciler.sandbox.halopsa.store import Change, Store

EVENTS_SOURCE: Final = "assumed: no source lists Halo's eventno values (halopsa-api.md §5, §9.3)"


@dataclass(frozen=True)
class WebhookEventKind:
    name: str
    eventno: int
    resource: str
    created: bool | None
    """True: on creation only; False: on update only."""


#: Event name <-> Halo ``eventno`` (:data:`EVENTS_SOURCE`: assumed numbers).
EVENTS: Final[tuple[WebhookEventKind, ...]] = (
    WebhookEventKind("ticket_created", 1, "Opportunities", True),
    WebhookEventKind("ticket_updated", 2, "Opportunities", False),
    WebhookEventKind("client_created", 21, "Client", True),
    WebhookEventKind("client_updated", 22, "Client", False),
)
EVENT_NUMBERS: Final[Mapping[str, int]] = {kind.name: kind.eventno for kind in EVENTS}

# WebhookEvent.status codes: not enumerated in SPEC-H [I].
STATUS_PENDING: Final = 0
STATUS_DELIVERED: Final = 1
STATUS_FAILED: Final = 2
BASIC_AUTHENTICATION: Final = 1
"""``Webhook.authentication_type`` for Basic auth: not enumerated in SPEC-H [I]."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kind_of(change: Change) -> WebhookEventKind | None:
    for kind in EVENTS:
        if kind.resource == change.resource and kind.created == change.created:
            return kind
    return None


def _subscribed(webhook: Mapping[str, Any], eventno: int) -> bool:
    if webhook.get("active") is False or webhook.get("disabled") is True:
        return False
    return any(
        isinstance(event, Mapping) and event.get("eventno") == eventno
        for event in webhook.get("events") or ()
    )


def _headers(webhook: Mapping[str, Any], delivery_id: str) -> dict[str, str]:
    headers = {
        "Content-Type": str(webhook.get("content_type") or "application/json"),
        "X-Halo-Delivery": delivery_id,
    }
    user, password = webhook.get("basic_username"), webhook.get("basic_password")
    if webhook.get("authentication_type") == BASIC_AUTHENTICATION and user:
        pair = f"{user}:{password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return headers


def deliver(store: Store, sender: CalloutSender, changes: list[Change]) -> int:
    """Queue the deliveries ``changes`` cause and log them as WebhookEvents; return how many."""
    queued = 0
    webhooks = store.rows("Webhook")
    for change in changes:
        kind = _kind_of(change)
        if kind is None:
            continue
        for webhook in webhooks:
            if not _subscribed(webhook, kind.eventno):
                continue
            delivery_id = str(store.new_id("WebhookEvent"))
            payload = {
                "delivery_id": delivery_id,
                "webhook_id": webhook["id"],
                "event": kind.name,
                "eventno": kind.eventno,
                "entity_id": change.record["id"],
                "object": change.record,
            }
            body = json.dumps(payload).encode()
            store.insert(
                "WebhookEvent",
                {
                    "id": delivery_id,
                    "webhook_id": webhook["id"],
                    "timestamp": _now(),
                    "status": STATUS_PENDING,
                    "requestbody": body.decode(),
                    "entity_id": change.record["id"],
                    "error": False,
                },
            )
            sender.submit(str(webhook.get("url") or ""), body, _headers(webhook, delivery_id))
            queued += 1
    return queued


def settle(store: Store, sender: CalloutSender) -> None:
    """Fill in the outcome of every delivery the sender has attempted since the last call."""
    outcomes: dict[str, Mapping[str, Any]] = {}
    for record in sender.records():
        payload = record.get("payload")
        if isinstance(payload, Mapping) and isinstance(payload.get("delivery_id"), str):
            outcomes[payload["delivery_id"]] = record
    for event in store.rows("WebhookEvent"):
        outcome = outcomes.get(str(event["id"]))
        if event.get("status") != STATUS_PENDING or outcome is None:
            continue
        delivered = bool(outcome.get("delivered"))
        store.upsert(
            "WebhookEvent",
            [
                {
                    "id": event["id"],
                    "status": STATUS_DELIVERED if delivered else STATUS_FAILED,
                    "responsestatus": outcome.get("status"),
                    "responsebody": "" if delivered else str(outcome.get("error") or ""),
                    "error": not delivered,
                }
            ],
        )
