"""The control surface under ``/_sandbox/``: no vendor API's, never faulted, never counted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.common.callouts import CalloutSender
from reconciler.sandbox.common.stats import RequestStats

#: Path prefix of the control surface; requests under it bypass faults, latency, limits and stats.
CONTROL_PREFIX: Final = "/_sandbox/"


def control_routes(
    *,
    stats: RequestStats,
    reset: Callable[[str], None],
    usage: Callable[[int], None] | None = None,
    callouts: CalloutSender | None = None,
) -> list[BaseRoute]:
    """The ``/_sandbox/`` routes: not part of any vendor API, never faulted, never counted.

    * ``GET /_sandbox/stats`` -> :meth:`RequestStats.snapshot`;
    * ``POST /_sandbox/reset`` ``{"seed": NAME}`` -> ``reset(NAME)`` (raise ValueError for an
      unknown seed: answered 400), then the stats are reset;
    * ``POST /_sandbox/usage`` ``{"count": N}`` -> ``usage(N)`` (only when given);
    * ``GET /_sandbox/callouts`` -> the attempted callouts (only when given).

    Errors are ``400 {"errors": [message]}``.
    """

    async def get_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def post_reset(request: Request) -> Response:
        body = await _json_object(request)
        seed = body.get("seed") if body is not None else None
        if not isinstance(seed, str):
            return _bad_request('expected a JSON body {"seed": NAME}')
        try:
            reset(seed)
        except ValueError as exc:
            return _bad_request(str(exc))
        stats.reset()
        return JSONResponse({"seed": seed})

    async def post_usage(request: Request) -> Response:
        body = await _json_object(request)
        count = body.get("count") if body is not None else None
        if usage is None or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return _bad_request('expected a JSON body {"count": N} with N >= 0')
        usage(count)
        return JSONResponse({"count": count})

    async def get_callouts(request: Request) -> Response:
        return JSONResponse({"callouts": callouts.records() if callouts else []})

    routes: list[BaseRoute] = [
        Route(CONTROL_PREFIX + "stats", get_stats, methods=["GET"]),
        Route(CONTROL_PREFIX + "reset", post_reset, methods=["POST"]),
    ]
    if usage is not None:
        routes.append(Route(CONTROL_PREFIX + "usage", post_usage, methods=["POST"]))
    if callouts is not None:
        routes.append(Route(CONTROL_PREFIX + "callouts", get_callouts, methods=["GET"]))
    return routes


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _bad_request(message: str) -> Response:
    return JSONResponse({"errors": [message]}, status_code=400)
