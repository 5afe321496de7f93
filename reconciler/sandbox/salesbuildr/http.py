"""HTTP conventions of the Salesbuildr simulator: error bodies, bounded bodies, ETags, paging.

One place for the shapes every handler shares, so they stay uniform: errors are
``{"message": ..., "errors": [{"path", "message"}]}``, lists are ``{"results", "total"}`` paged
by ``from``/``size``, ETags are quoted ``"v<n>"``. Plus the two adapters the app's routing needs.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.sandbox.common import Handler

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
MAX_API_BODY_BYTES: Final = 10_000_000

ErrorList = list[dict[str, str]]


def message(status: int, text: str, **extra: Any) -> JSONResponse:
    """An error response in Salesbuildr's shape."""
    return JSONResponse({"message": text, **extra}, status_code=status)


def invalid(errors: ErrorList, text: str = "validation failed") -> JSONResponse:
    """422 with the list of ``{"path", "message"}`` errors."""
    return message(422, text, errors=errors)


def etag(version: int) -> str:
    return f'"v{version}"'


def etag_matches(if_match: str, current: str) -> bool:
    """Strong comparison against an If-Match list; ``*`` matches (every section exists)."""
    return any(tag.strip() in ("*", current) for tag in if_match.split(","))


class BodyError(Exception):
    """A request body that cannot be used; carries the response to send instead."""

    def __init__(self, response: Response) -> None:
        super().__init__("unusable request body")
        self.response = response


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request) -> Any:
    """The parsed JSON body; raises :class:`BodyError` (413 too large, 400 not JSON)."""
    raw = await read_limited(request, MAX_API_BODY_BYTES)
    if raw is None:
        raise BodyError(message(413, f"the body exceeds {MAX_API_BODY_BYTES} bytes"))
    try:
        return json.loads(raw)
    except ValueError:
        raise BodyError(message(400, "the body is not valid JSON")) from None


def page(request: Request, items: list[Any]) -> Response:
    """``{"results", "total"}`` for ``from``/``size``; sizes above the maximum are clamped."""
    errors: ErrorList = []
    values: dict[str, int] = {}
    for name, default in (("from", 0), ("size", DEFAULT_PAGE_SIZE)):
        text = request.query_params.get(name, str(default))
        if not text.isdigit():
            errors.append({"path": name, "message": "must be a non-negative integer"})
        else:
            values[name] = int(text)
    if errors:
        return invalid(errors, "invalid paging parameters")
    start, size = values["from"], min(values["size"], MAX_PAGE_SIZE)
    return JSONResponse({"results": items[start : start + size], "total": len(items)})


class AsgiApp:
    """Wraps a bound coroutine method so ASGI servers recognise it as an ASGI 3 app."""

    def __init__(self, handler: ASGIApp) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive_: Receive, send: Send) -> None:
        await self._handler(scope, receive_, send)


def for_psa(psa: str, handler: Handler) -> Handler:
    """``handler`` with ``params["psa"]`` set: the per-PSA routes are literal paths."""

    async def bound(request: Request, params: dict[str, str]) -> Response:
        return await handler(request, {**params, "psa": psa})

    return bound


def listed(rows: list[Any]) -> Handler:
    """A reference list of a documents file (``x-lists``), paged like every list."""

    async def handler(request: Request, params: dict[str, str]) -> Response:
        return page(request, list(rows))

    return handler
