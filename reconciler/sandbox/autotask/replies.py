"""The Autotask simulator's answers: a page of a query, the error shape, a write's body."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.autotask.entities import EntityDef
from reconciler.sandbox.autotask.query import Query, QueryError, encode_paging
from reconciler.sandbox.autotask.store import Store


def query_page(
    store: Store, request: Request, entity: EntityDef, query: Query, *, after_id: int
) -> Response:
    """One page of ``query`` after ``after_id``: ``{"items", "pageDetails"}``, 500 rows at most."""
    with store.lock:
        if query.include_fields:
            unknown = store.check_include(entity, query.include_fields)
            if unknown:
                raise QueryError(f"Unable to find the field '{unknown[0]}' on {entity.name}.")
        ids = store.select(entity, query, after_id=after_id)
        page = ids[: query.max_records]
        items = [store.render(entity, i, query.include_fields) for i in page]
    next_url = None
    if len(ids) > len(page):
        search = quote(json.dumps(query.raw, separators=(",", ":")), safe="")
        next_url = (
            f"{base_url(request)}/V1.0/{entity.name}/query/next"
            f"?paging={encode_paging(page[-1])}&search={search}"
        )
    details = {
        "count": len(items),
        "requestCount": query.max_records,
        "prevPageUrl": None,
        "nextPageUrl": next_url,
    }
    return JSONResponse({"items": items, "pageDetails": details})


def base_url(request: Request) -> str:
    """Scheme, host and the base path the client used (``/ATServicesRest`` or none)."""
    path = request.url.path
    prefix = path[: path.lower().find("/v1.0/")] if "/v1.0/" in path.lower() else ""
    return str(request.base_url).rstrip("/") + prefix


async def json_body(request: Request, error: type[Exception]) -> Any:
    """The JSON body of a write; ``error`` for an empty or malformed one."""
    raw = await request.body()
    if not raw.strip():
        raise error("The request body is empty; a JSON body is required.")
    try:
        return json.loads(raw)
    except ValueError:
        raise error("The request body is not valid JSON.") from None


def errors(status: int, message: str) -> Response:
    """Autotask's error shape: ``{"errors": [message]}``."""
    return JSONResponse({"errors": [message]}, status_code=status)
