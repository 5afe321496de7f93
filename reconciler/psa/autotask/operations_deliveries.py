"""Salesbuildr's delivery report of Autotask callouts, grouped per webhook
(``reconcile webhooks report``): each delivery named through its webhook GUID by the installed
webhook that has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.kinds.names import fold
from reconciler.psa.autotask import read as at_state
from reconciler.psa.autotask.operations_webhooks import InstalledWebhook, read_webhook_rows
from reconciler.psa.base import Note, OperationView, ReportRequest, Table
from reconciler.render.escape import terminal

RECEIVER_DOCUMENT = "webhook-receiver"
"""The Salesbuildr settings document that holds the receiver's URL."""

DELIVERY_STATUSES = ("delivered", "failed", "bad_signature")


@dataclass
class DeliveryGroup:
    """The deliveries of one webhook (or of one unknown GUID) in the report's window."""

    guid: str | None
    entity: str | None
    name: str | None  # None: no installed webhook has this GUID
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATUSES, 0))
    last_received: str | None = None
    last_error: str | None = None

    @property
    def known(self) -> bool:
        return self.name is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "webhook_guid": self.guid,
            "entity": self.entity,
            "name": self.name,
            "known": self.known,
            **self.counts,
            "last_received": self.last_received,
            "last_error": self.last_error,
        }


def _moment(text: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def group_deliveries(
    deliveries: Iterable[Mapping[str, Any]],
    webhooks: Iterable[InstalledWebhook],
    *,
    always: Iterable[InstalledWebhook] = (),
) -> list[DeliveryGroup]:
    """Deliveries per webhook GUID, named by the installed webhook with that GUID.

    ``always`` are webhooks shown even without deliveries (those that call Salesbuildr). Order:
    known webhooks by entity and name, then unknown GUIDs, then deliveries without a GUID.
    """
    by_guid = {h.guid.casefold(): h for h in webhooks if h.guid}
    groups: dict[str | None, DeliveryGroup] = {}

    def group_of(guid: str | None, entity: str | None) -> DeliveryGroup:
        key = guid.casefold() if guid else None
        if key not in groups:
            hook = by_guid.get(key) if key else None
            groups[key] = DeliveryGroup(
                guid=guid,
                entity=hook.entity if hook else entity,
                name=hook.name if hook else None,
            )
        return groups[key]

    for hook in always:
        if hook.guid:
            group_of(hook.guid, hook.entity)
    for delivery in deliveries:
        guid = delivery.get("webhookGuid")
        group = group_of(str(guid) if guid else None, delivery.get("entity"))
        status = str(delivery.get("status"))
        group.counts[status] = group.counts.get(status, 0) + 1
        received = delivery.get("receivedAt")
        newest = group.last_received is None or _moment(received) >= _moment(group.last_received)
        if newest:
            group.last_received = str(received) if received else group.last_received
        if delivery.get("error") and (newest or group.last_error is None):
            group.last_error = str(delivery["error"])
    order = list(at_state.WEBHOOK_ENTITY_PREFIX)

    def sort_key(group: DeliveryGroup) -> tuple[int, int, str, str]:
        rank = 0 if group.known else (1 if group.guid else 2)
        entity = order.index(group.entity) if group.entity in order else len(order)
        return rank, entity, fold(group.name or ""), group.guid or ""

    return sorted(groups.values(), key=sort_key)


def points_at(hook: InstalledWebhook, receiver_url: str | None) -> bool:
    if not receiver_url or not hook.url:
        return False
    return hook.url.rstrip("/").casefold() == receiver_url.rstrip("/").casefold()


def _group_label(group: DeliveryGroup) -> str:
    if group.known:
        return f"{group.entity}/{group.name}"
    if group.guid:
        return f"unknown webhook {group.guid}" + (f" ({group.entity})" if group.entity else "")
    return "(no webhook GUID)"


def delivery_report(request: ReportRequest, note: Note) -> OperationView:
    """The deliveries since ``request.since`` per webhook, with those that point at the
    receiver listed even without deliveries."""
    with request.salesbuildr() as client:
        deliveries = client.deliveries(request.since)
        receiver = client.read_section(RECEIVER_DOCUMENT).body.get("url")
    installed: list[InstalledWebhook] = []
    if request.client is not None:
        with request.client() as autotask:
            installed = read_webhook_rows(autotask)
    else:
        note("note: Autotask credentials are not set: webhooks are shown by GUID")
    listening = [h for h in installed if points_at(h, receiver)]
    groups = group_deliveries(deliveries, installed, always=listening)
    since_text = request.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {
        "since": since_text,
        "receiver_url": receiver,
        "deliveries": len(deliveries),
        "webhooks": [g.to_dict() for g in groups],
    }
    noun = "delivery" if len(deliveries) == 1 else "deliveries"
    blocks: list[str | Table] = [
        f"{len(deliveries)} {noun} since {since_text} (receiver {terminal(receiver)})."
    ]
    if groups:
        rows = [
            [
                _group_label(group),
                *(str(group.counts.get(s, 0)) for s in DELIVERY_STATUSES),
                group.last_received or "-",
                group.last_error or "",
            ]
            for group in groups
        ]
        header = ["webhook", *DELIVERY_STATUSES, "last received", "last error"]
        blocks.append(Table(header, rows, right=[1, 2, 3]))
    return OperationView(data, blocks)
