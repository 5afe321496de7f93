"""Salesbuildr's webhook receivers, one per PSA at ``/webhooks/<psa>``, from one table.

:data:`RECEIVERS` gives, per PSA, the handler of its deliveries; each records every delivery in
the tenant's log (:class:`~reconciler.sandbox.salesbuildr.state.DeliveryLog`), whatever arrives:
a garbage, unauthenticated or oversized body is a recorded ``failed`` or ``bad_signature``, never
an exception. The table names PSAs by their ``psa:`` name only: the simulator imports no PSA
package.

* Autotask: ``X-Hook-Signature`` (HMAC-SHA1 with the ``webhook-receiver`` page's secret,
  :mod:`.receiver`, autotask-api.md §7).
* HaloPSA: HTTP Basic, the way Halo's webhooks authenticate (``authentication_type``,
  ``basic_username``, ``basic_password``: halopsa-api.md §5 [V SPEC-H fields; the code for Basic
  is assumed]). **Assumed**, as no Salesbuildr page says what its HaloPSA receiver requires (the
  Webhooks page's content is not documented, CONF §7): credentials, when sent, must carry the
  tenant's webhook secret as the password (any user name), else ``bad_signature`` (401); a
  delivery without credentials is accepted, since the HaloPSA language has no receiver
  credential to give the webhooks it creates. The payload's ``webhook_id`` and ``event``
  (``ticket_updated``: entity ``ticket``, action ``updated``) feed the delivery report; the
  payload is the Halo simulator's (assumed: halopsa-api.md §5 "[gap]").
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.salesbuildr.http import message, read_limited
from reconciler.sandbox.salesbuildr.receiver import (
    MAX_BODY_BYTES,
    _payload,
    receive,
    receiver_path,
    too_large,
)
from reconciler.sandbox.salesbuildr.state import Delivery

if TYPE_CHECKING:
    from reconciler.sandbox.salesbuildr.app import SalesbuildrSimulator

ReceiverHandler = Callable[["SalesbuildrSimulator", Request], Awaitable[Response]]


@dataclass(frozen=True)
class ReceiverSpec:
    """How one PSA's deliveries are checked and read.

    ``guid``: the payload field naming the webhook; ``event``: a field ``<entity>_<action>``
    (Halo's ``ticket_updated``) that gives both.
    """

    guid: str = ""
    event: str = ""


def basic_password(header: str | None) -> str | None:
    """The password of an ``Authorization: Basic`` header; None when there is none or it is
    not Basic (an unreadable one is the empty string: it matches no secret)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        pair = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return pair.partition(":")[2]


def _text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def receive_basic(
    spec: ReceiverSpec, *, body: bytes, authorization: str | None, secret: str | None, now: float
) -> Delivery:
    """Judge one Basic-authenticated delivery: ``delivered``, ``bad_signature`` or ``failed``."""
    payload = _payload(body)
    fields: dict[str, Any] = payload if isinstance(payload, dict) else {}
    event = _text(fields.get(spec.event)) if spec.event else None
    entity, _, action = (event or "").rpartition("_")

    def record(status: str, error: str | None) -> Delivery:
        return Delivery(
            received=now,
            webhook_guid=_text(fields.get(spec.guid)) if spec.guid else None,
            entity=entity or None,
            action=action or None,
            status=status,
            error=error,
        )

    password = basic_password(authorization)
    if password is not None:
        if secret is None:
            return record("bad_signature", "the receiver has no secret set")
        if not hmac.compare_digest(password.encode(), secret.encode()):
            return record("bad_signature", "the Basic credentials do not match")
    if isinstance(payload, str):
        return record("failed", payload)
    return record("delivered", None)


Judge = Callable[["SalesbuildrSimulator", Request, bytes], Delivery]
"""How one PSA's receiver judges a delivery's raw body (its headers from the request)."""


def _signed(sim: SalesbuildrSimulator, request: Request, raw: bytes) -> Delivery:
    """Autotask: ``X-Hook-Signature`` with the secret of its ``webhook-receiver`` page."""
    with sim.guard:
        secret = sim.autotask_documents["webhook-receiver"]["secret"]
    header = request.headers.get("x-hook-signature")
    return receive(body=raw, header=header, secret=secret, now=sim.clock())


def _basic(spec: ReceiverSpec) -> Judge:
    """A PSA whose deliveries authenticate with Basic (:func:`receive_basic`)."""

    def judge(sim: SalesbuildrSimulator, request: Request, raw: bytes) -> Delivery:
        authorization = request.headers.get("authorization")
        return receive_basic(
            spec, body=raw, authorization=authorization, secret=sim.webhook_secret, now=sim.clock()
        )

    return judge


RECEIVERS: Final[Mapping[str, Judge]] = {
    "autotask": _signed,
    "halopsa": _basic(ReceiverSpec(guid="webhook_id", event="event")),
}
"""PSA -> how its receiver judges a delivery, served at :func:`~.receiver.receiver_path`.
ConnectWise has no row yet: its callbacks carry their own URL and no signature (its simulator's
docstring)."""


def _handler(judge: Judge) -> ReceiverHandler:
    async def handle(sim: SalesbuildrSimulator, request: Request) -> Response:
        """``POST /webhooks/<psa>``: check and record one delivery (never an exception)."""
        try:
            raw = await read_limited(request, MAX_BODY_BYTES)
        except ClientDisconnect:
            return Response(status_code=400)
        if raw is None:
            with sim.guard:
                sim.deliveries.add(too_large(sim.clock()))
            return message(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
        delivery = judge(sim, request, raw)
        with sim.guard:
            sim.deliveries.add(delivery)
        if delivery.status == "delivered":
            return JSONResponse({"status": "delivered"})
        return message(401 if delivery.status == "bad_signature" else 400, delivery.error or "")

    return handle


def receiver_paths() -> dict[str, str]:
    """Receiver path -> the PSA whose deliveries arrive there."""
    return {receiver_path(psa): psa for psa in RECEIVERS}


def receiver_routes(
    bind: Callable[[ReceiverHandler], Callable[[Request], Awaitable[Response]]],
) -> list[Route]:
    """The POST route of every receiver in :data:`RECEIVERS`, each bound by ``bind``."""
    return [
        Route(receiver_path(psa), bind(_handler(judge)), methods=["POST"])
        for psa, judge in RECEIVERS.items()
    ]
