"""The Salesbuildr simulator's routes outside its API: the callout receiver, its control extras.

Neither is part of the API a client calls: no key, no rate limit, no latency, no faults, not in
the stats.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.salesbuildr.http import message, read_limited
from reconciler.sandbox.salesbuildr.receiver import MAX_BODY_BYTES, receive, too_large

if TYPE_CHECKING:
    from reconciler.sandbox.salesbuildr.app import SalesbuildrSimulator

DEFAULT_JOB_ERROR: Final = "the job failed (injected by /_sandbox/fail-next-job)"


async def receive_callout(sim: SalesbuildrSimulator, request: Request) -> Response:
    """``POST /webhooks/autotask``: verify and record one callout (never an exception)."""
    now = sim.clock()
    try:
        raw = await read_limited(request, MAX_BODY_BYTES)
    except ClientDisconnect:
        return Response(status_code=400)
    if raw is None:
        with sim.guard:
            sim.deliveries.add(too_large(now))
        return message(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
    with sim.guard:
        secret = sim.autotask_documents["webhook-receiver"]["secret"]
    header = request.headers.get("x-hook-signature")
    delivery = receive(body=raw, header=header, secret=secret, now=now)
    with sim.guard:
        sim.deliveries.add(delivery)
    if delivery.status == "delivered":
        return JSONResponse({"status": "delivered"})
    return message(401 if delivery.status == "bad_signature" else 400, delivery.error or "")


async def fail_next_job(sim: SalesbuildrSimulator, request: Request) -> Response:
    """``POST /_sandbox/fail-next-job`` ``{"error": "..."}``: the next job fails, once."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    error = body.get("error", DEFAULT_JOB_ERROR) if isinstance(body, dict) else None
    if not isinstance(error, str) or not error:
        return JSONResponse({"errors": ['expected a JSON body {"error": "..."}']}, 400)
    with sim.guard:
        sim.jobs.fail_next = error
    return JSONResponse({"error": error})


async def expire_lock(sim: SalesbuildrSimulator, request: Request) -> Response:
    """``POST /_sandbox/expire-lock``: the apply lock's TTL ends now."""
    with sim.guard:
        expired = sim.apply_lock.expire(sim.clock())
    return JSONResponse({"expired": expired}) if expired else message(404, "no lock is held")
