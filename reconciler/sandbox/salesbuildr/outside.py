"""The Salesbuildr simulator's control extras, outside its API (the receivers are
:mod:`.receivers`): no key, no rate limit, no latency, no faults, not in the stats.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.salesbuildr.http import message

if TYPE_CHECKING:
    from reconciler.sandbox.salesbuildr.app import SalesbuildrSimulator

DEFAULT_JOB_ERROR: Final = "the job failed (injected by /_sandbox/fail-next-job)"


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
