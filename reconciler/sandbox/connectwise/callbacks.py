"""Callback deliveries: ConnectWise POSTs to the URL of every matching ``/system/callbacks`` entry.

Changes that reach the simulator through documented routes call back on their own (a PATCH of
``/company/companies/{id}``); contacts are not in the document and opportunities are read-only
there, so their changes come through ``POST /_sandbox/callbacks/trigger`` (any type, as if a
person changed the record in ConnectWise).

Matching [inferred from the community description in ``connectwise-api.md`` section 7]: the
entry's ``type`` equals the change's (any case), it is not ``inactiveFlag``; ``level`` ``owner``
takes every record of the type, ``company`` the records of company ``objectId`` (a company
itself included), any other level only the record ``objectId``; ``isSelfSuppressedFlag`` drops
changes made by the API member itself (every API write is). The body is the community-described
one: ``MessageId``, ``FromUrl``, ``CompanyId``, ``MemberId``, ``Action``, ``Type``, ``ID`` and
``Entity`` (the record as a JSON string); no signature is sent (``payloadVersion`` 2 signing is
unverified). Deliveries go to loopback URLs only (``CalloutSender``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Final

from reconciler.sandbox.common import CalloutSender
from reconciler.sandbox.connectwise.store import API_MEMBER, Store

TYPES_BY_COLLECTION: Final = {"companies": "Company", "opportunities": "Opportunity"}
TRIGGER_TYPES: Final = ("Company", "Contact", "Opportunity")
ACTIONS: Final = ("added", "updated", "deleted")
PERSON: Final = "jsmith"
"""The member a ``/_sandbox/`` trigger acts as (not the API member: never self-suppressed)."""


def _company_of(type_: str, entity: dict[str, Any]) -> Any:
    if type_.casefold() == "company":
        return entity.get("id")
    company = entity.get("company")
    return company.get("id") if isinstance(company, dict) else None


def _matches(entry: dict[str, Any], type_: str, entity: dict[str, Any], member: str) -> bool:
    if entry.get("inactiveFlag") or str(entry.get("type", "")).casefold() != type_.casefold():
        return False
    if entry.get("isSelfSuppressedFlag") and member == API_MEMBER:
        return False
    level = str(entry.get("level", "")).casefold()
    if level == "owner":
        return True
    if level == "company":
        return bool(entry.get("objectId") == _company_of(type_, entity))
    return bool(entry.get("objectId") == entity.get("id"))


class CallbackDispatcher:
    """Finds the callback entries a change matches and queues one delivery each."""

    def __init__(
        self, *, store: Callable[[], Store], sender: CalloutSender, company_id: str, from_url: str
    ) -> None:
        self._store = store
        self.sender = sender
        self.company_id = company_id
        self.from_url = from_url

    def on_change(self, collection: str, action: str, record: dict[str, Any]) -> None:
        """The store's change hook: API writes, made by the API member."""
        type_ = TYPES_BY_COLLECTION.get(collection)
        if type_ is not None:
            self.deliver(type_, action, record, member=API_MEMBER)

    def deliver(self, type_: str, action: str, entity: dict[str, Any], *, member: str) -> int:
        """Queue the deliveries for one change; how many were queued."""
        entries = [
            entry
            for entry in self._store().everything("callbacks")
            if _matches(entry, type_, entity, member)
        ]
        for entry in entries:
            body = {
                "MessageId": str(uuid.uuid4()),
                "FromUrl": self.from_url,
                "CompanyId": self.company_id,
                "MemberId": member,
                "Action": action,
                "Type": type_.lower(),
                "ID": entity.get("id"),
                "Entity": json.dumps(entity),
            }
            self.sender.submit(
                str(entry["url"]),
                json.dumps(body).encode(),
                {"Content-Type": "application/json"},
            )
        return len(entries)

    def trigger(self, body: Any) -> dict[str, Any]:
        """``POST /_sandbox/callbacks/trigger`` ``{"type", "action", "id", "entity"?}``.

        Raises ValueError (answered 400) for a body that does not say what changed."""
        if not isinstance(body, dict):
            raise ValueError('expected {"type": ..., "action": ..., "id": N}')
        type_ = next(
            (t for t in TRIGGER_TYPES if t.casefold() == str(body.get("type", "")).casefold()),
            None,
        )
        action, item_id = body.get("action"), body.get("id")
        if type_ is None or action not in ACTIONS or not isinstance(item_id, int):
            raise ValueError(
                f"type must be one of {', '.join(TRIGGER_TYPES)}, action one of "
                f"{', '.join(ACTIONS)}, id an integer"
            )
        collection = {"Company": "companies", "Opportunity": "opportunities"}.get(type_)
        stored = self._store().find(collection, item_id) if collection else None
        sent = body.get("entity")
        extra: dict[str, Any] = sent if isinstance(sent, dict) else {}
        entity = {**(stored or {}), **extra, "id": item_id}
        queued = self.deliver(type_, str(action), entity, member=PERSON)
        return {"type": type_, "action": action, "id": item_id, "queued": queued}
