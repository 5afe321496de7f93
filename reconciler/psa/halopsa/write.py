"""HaloPSA's writes of one apply (:class:`reconciler.psa.system.SystemWriter`): its webhooks.

Halo has no PUT or PATCH: a create is ``POST /Webhook [element]`` without an id, an update the
same with the webhook's id (its subscriptions re-posted whole, kept ones as read:
:meth:`~.kinds_webhooks.HaloWebhookKind.body`), a delete ``DELETE /Webhook/{id}``. Each write
resolves its own unknown outcome before anything else happens to that webhook:

* a create whose answer was lost, or that was accepted with an answer naming no id, looks the
  webhook up by its natural key, the name: found once
  -> adopted, absent -> sent again (a second lost answer: journalled ``unknown``), found twice
  -> stop (:func:`reconciler.write_resolve.create`, with Halo's UUID ids as strings);
* an update is re-read and compared with what was sent; a delete is checked for absence.

Every mapping, setting and account code is a Salesbuildr document, written by its writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import UsageError
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.errors import SYSTEM
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.transport.body import Source, answered_id
from reconciler.write_resolve import create, resolved
from reconciler.writes import Change, Journal, Stages, WriteOp, WriteRecord

REQUEST = "POST /Webhook"
WHERE = "in Halo (Configuration > Integrations > Webhooks)"
"""Where a duplicate webhook is deleted (the hint of a create that found two)."""
CREATED = Source(SYSTEM, "HaloPSA", "POST", "/api/Webhook")


def _event_numbers(row: Mapping[str, Any] | None) -> list[int]:
    events = (row or {}).get("events") or []
    return sorted(int(e["eventno"]) for e in events if isinstance(e, Mapping) and "eventno" in e)


def same_webhook(row: Mapping[str, Any] | None, element: Mapping[str, Any]) -> bool:
    """Whether the live ``row`` is what ``element`` asked for (the managed attributes)."""
    if row is None:
        return False
    return (
        row.get("name") == element.get("name")
        and row.get("url") == element.get("url")
        and bool(row.get("active")) == bool(element.get("active"))
        and _event_numbers(row) == _event_numbers(element)
    )


def by_name(client: HaloClient, name: str) -> list[dict[str, Any]]:
    """The live webhooks called exactly ``name`` (the natural key of the YAML)."""
    return [
        row
        for row in client.list_all(r.WEBHOOK)
        if isinstance(row, dict) and str(row.get("name") or "") == name
    ]


def _saved_id(saved: Sequence[Mapping[str, Any]]) -> str:
    """The id of the webhook a create saved; an answer without one leaves the create's
    outcome unknown (it was accepted): the webhook is then looked up by its name."""
    found: str = answered_id(saved[0] if saved else None, "id", CREATED, integer=False)
    return found


class HaloWriter:
    """The Halo writes of one apply; the Salesbuildr documents are the documents writer's."""

    document_sections: frozenset[str] = frozenset()

    def __init__(self, client: HaloClient | None) -> None:
        self.client = client

    def _halo(self) -> HaloClient:
        if self.client is None:
            raise UsageError("this plan writes to HaloPSA but no HaloPSA connection is set up")
        return self.client

    def remaining_requests(self) -> int | None:
        return None  # no published quota: the rate cap is the client's own, it waits

    def writes(self, change: Change) -> Stages:
        if change.kind != HALO_WEBHOOK.name:
            raise UsageError(f"{change.kind} is not a HaloPSA kind")
        client = self._halo()
        live = (change.ids or {}).get("live") if str(change.action) == "update" else None
        element = HALO_WEBHOOK.body(change.after or {}, live)
        if element.get("id") is None:
            return [[self._create(client, change, element)]]
        return [[self._update(client, change, element)]]

    def removal_writes(self, change: Change) -> Stages:
        if change.kind != HALO_WEBHOOK.name:
            raise UsageError(f"{change.kind} is removed with its Salesbuildr document")
        ident = str(((change.ids or {}).get("live") or {})["id"])
        client = self._halo()

        def delete(journal: Journal) -> None:
            resolved(
                lambda: client.delete(r.WEBHOOK, ident),
                check=lambda: client.get(r.WEBHOOK, ident) is None,
                journal=journal,
                record=WriteRecord(
                    change.address, "delete", f"DELETE /Webhook/{ident}", "ok", ident
                ),
            )

        return [[WriteOp(f"delete {change.address}", delete, (change.address,))]]

    def section_op(self, section: str, group: Sequence[Change]) -> WriteOp | None:
        return None

    def _create(self, client: HaloClient, change: Change, element: dict[str, Any]) -> WriteOp:
        def run(journal: Journal) -> None:
            create(
                lambda: _saved_id(client.upsert(r.WEBHOOK, [element])),
                lookup=lambda: by_name(client, str(element.get("name"))),
                journal=journal,
                record=WriteRecord(change.address, "create", REQUEST, "ok"),
                where=WHERE,
                id_of=str,
            )

        return WriteOp(f"create {change.address}", run, (change.address,))

    def _update(self, client: HaloClient, change: Change, element: dict[str, Any]) -> WriteOp:
        ident = str(element["id"])

        def run(journal: Journal) -> None:
            resolved(
                lambda: client.upsert(r.WEBHOOK, [element]),
                check=lambda: same_webhook(client.get(r.WEBHOOK, ident), element),
                journal=journal,
                record=WriteRecord(change.address, "update", REQUEST, "ok", ident),
            )

        return WriteOp(f"update {change.address}", run, (change.address,))
