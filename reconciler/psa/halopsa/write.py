"""HaloPSA's writes of one apply (:class:`reconciler.psa.system.SystemWriter`): its webhooks.

Halo has no PUT or PATCH: a create is ``POST /Webhook [element]`` without an id, an update the
same with the webhook's id (its subscriptions re-posted whole, kept ones as read:
:meth:`~.kinds_webhooks.HaloWebhookKind.body`), a delete ``DELETE /Webhook/{id}``. Each write
resolves its own unknown outcome before anything else happens to that webhook:

* a create whose answer was lost looks the webhook up by its natural key, the name: found once
  -> adopted, absent -> sent again, found twice -> stop (Halo ids are UUIDs, so this is ours,
  not ``write_resolve.create``, which expects integer ids);
* an update is re-read and compared with what was sent; a delete is checked for absence.

Every mapping, setting and account code is a Salesbuildr document, written by its writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.errors import PartialApplyError, ServerMisbehaved, UnknownOutcome, UsageError
from reconciler.psa.halopsa import resources as r
from reconciler.psa.halopsa.client import HaloClient
from reconciler.psa.halopsa.errors import SYSTEM
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.write_resolve import resolved, with_
from reconciler.writes import Change, Journal, Stages, WriteOp, WriteRecord

log = logging.getLogger(__name__)

REQUEST = "POST /Webhook"


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
    ident = saved[0].get("id") if saved else None
    if not ident:
        raise ServerMisbehaved(
            "HaloPSA answered the webhook create without the webhook's id",
            system=SYSTEM,
            method="POST",
            path="/api/Webhook",
        )
    return str(ident)


def create_webhook(
    send: Callable[[], str],
    lookup: Callable[[], list[dict[str, Any]]],
    journal: Journal,
    record: WriteRecord,
) -> str:
    """POST once; on an unknown outcome adopt the one webhook of that name, or send again
    when there is none; two is a stop. Journals exactly one record."""
    try:
        return _journalled(send, journal, record)
    except UnknownOutcome as error:
        try:
            found = lookup()
        except Exception as lost:
            journal(with_(record, outcome="unknown", error=str(lost)))
            raise
        if len(found) == 1:
            ident = str(found[0]["id"])
            journal(with_(record, outcome="adopted", item_id=ident, error=error.message))
            return ident
        if len(found) > 1:
            ids = ", ".join(str(f.get("id")) for f in found)
            journal(with_(record, outcome="failed", error=f"duplicates found: {ids}"))
            raise PartialApplyError(
                f"{record.address}: the create's answer was lost and {len(found)} Halo webhooks "
                f"now have its name (ids {ids})",
                hint="delete the extra one in Halo (Configuration > Integrations > Webhooks), "
                "then apply again",
            ) from None
        log.info("%s: the create did not happen; sending it again", record.address)
        try:
            return _journalled(send, journal, record)
        except UnknownOutcome as again:
            journal(with_(record, outcome="unknown", error=again.message))
            raise


def _journalled(send: Callable[[], str], journal: Journal, record: WriteRecord) -> str:
    """Send; journal success or a definite failure (an unknown outcome is the caller's)."""
    try:
        ident = send()
    except UnknownOutcome:
        raise
    except Exception as error:
        journal(with_(record, outcome="failed", error=str(error)))
        raise
    journal(with_(record, item_id=ident))
    return ident


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
            create_webhook(
                lambda: _saved_id(client.upsert(r.WEBHOOK, [element])),
                lambda: by_name(client, str(element.get("name"))),
                journal,
                WriteRecord(change.address, "create", REQUEST, "ok"),
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
