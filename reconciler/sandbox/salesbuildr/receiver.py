"""Salesbuildr's receiver of Autotask webhook callouts: signature check and payload reading.

Autotask signs a callout with the webhook's secret key: header
``X-Hook-Signature: sha1=<base64(HMAC-SHA1(secret, raw body))>`` (autotask-api.md §7). The receiver
verifies it over the exact bytes received, with a constant-time comparison, and turns the payload
(``Action``, ``Guid``, ``EntityType``, ``Id``, ``Fields``, ``EventTime``, ``SequenceNumber``,
``PersonID``) into a :class:`~reconciler.sandbox.salesbuildr.state.Delivery`. Whatever arrives, the
outcome is a recorded delivery, never an exception: garbage bodies, invalid UTF-8 and oversized
bodies are recorded as ``failed``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any, Final

from reconciler.sandbox.salesbuildr.state import Delivery

SIGNATURE_HEADER: Final = "x-hook-signature"
RECEIVER_PREFIX: Final = "/webhooks/"
RECEIVER_PATH: Final = RECEIVER_PREFIX + "autotask"
"""Where the Autotask callouts arrive (``webhook-receiver`` reports it as its ``url``)."""


def receiver_path(psa: str) -> str:
    """The path of the receiver of ``psa``'s callouts: ``/webhooks/<psa>``."""
    return RECEIVER_PREFIX + psa


MAX_BODY_BYTES: Final = 1_000_000

# Autotask's EntityType names (legacy ones included: companies were "Account") -> our entity names.
_ENTITIES: Final = {
    "account": "company",
    "company": "company",
    "contact": "contact",
    "ticket": "ticket",
    "ticketnote": "ticket_note",
    "configurationitem": "configuration_item",
    "installedproduct": "configuration_item",
}
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hook-Signature`` value Autotask sends for ``body`` (also used by the tests)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return "sha1=" + base64.b64encode(digest).decode("ascii")


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """Constant-time check of a received header against the expected signature."""
    expected = signature(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("latin-1", "replace"))


def entity_name(entity_type: object) -> str | None:
    """``"Account"`` -> ``"company"``, ``"TicketNote"`` -> ``"ticket_note"``, others snake_cased."""
    if not isinstance(entity_type, str) or not entity_type:
        return None
    known = _ENTITIES.get(entity_type.replace("_", "").lower())
    return known or _CAMEL.sub("_", entity_type).lower()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _payload(body: bytes) -> dict[str, Any] | str:
    """The JSON object of a callout, or why there is none."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not valid UTF-8"
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # deeply nested JSON exhausts the parser's stack
        return "the body is not JSON (or nests too deeply)"
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    return payload


def receive(*, body: bytes, header: str | None, secret: str | None, now: float) -> Delivery:
    """Judge one callout: ``delivered``, ``bad_signature`` or ``failed`` (with the reason)."""
    payload = _payload(body)
    fields: dict[str, Any] = payload if isinstance(payload, dict) else {}
    action = _text(fields.get("Action"))

    def record(status: str, error: str | None) -> Delivery:
        return Delivery(
            received=now,
            webhook_guid=_text(fields.get("Guid")),
            entity=entity_name(fields.get("EntityType")),
            action=action.lower() if action else None,
            status=status,
            error=error,
        )

    if secret is None:
        return record("bad_signature", "the receiver has no secret set")
    if not header:
        return record("bad_signature", "missing X-Hook-Signature header")
    if not signature_ok(secret, body, header):
        return record("bad_signature", "X-Hook-Signature does not match the body")
    if isinstance(payload, str):
        return record("failed", payload)
    return record("delivered", None)


def too_large(now: float) -> Delivery:
    """The record of a callout refused for its size (its payload was never read)."""
    return Delivery(now, None, None, None, "failed", f"the body exceeds {MAX_BODY_BYTES} bytes")
