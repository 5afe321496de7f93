"""A local simulator of the ConnectWise Manage (ConnectWise PSA) REST API 3.0, as documented.

It serves every path and verb of the subset document (:mod:`.document`), under
``/v4_6_release/apis/3.0`` (paths matched in any case), and nothing else of the API
(:data:`OUT_OF_SUBSET_ROUTES` is the one list of exceptions; it is empty today):

* lists ``GET /{module}/{entity}`` answer a JSON array, paged (:func:`.wire.page_of`), filtered
  by ``conditions`` / ``childConditions``, cut by ``fields``, ordered by ``orderBy``
  (:mod:`.conditions`); ``/count`` answers ``{"count": N}`` for the same conditions;
  ``GET …/{id}`` one object; children under ``{parentId}`` (a board's statuses...) only the
  parent's;
* writes: POST 201 with the created object, PUT / PATCH (JSON-Patch-style list) 200 with the
  object, DELETE 204; refused input is 400 in CW's error shape (:mod:`.store`);
* ``GET /system/info``; auth, ``Accept`` version and the optional rate cap (:mod:`.wire`);
* callbacks to loopback URLs on company changes, and for any type through the trigger
  (:mod:`.callbacks`).

The control surface (never faulted, never counted): ``GET /_sandbox/stats``,
``POST /_sandbox/reset`` ``{"seed"}``, ``GET /_sandbox/callouts``,
``POST /_sandbox/callbacks/trigger``. Faults and latency come from
:class:`~reconciler.sandbox.common.SandboxMiddleware`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reconciler.sandbox.common import (
    CONTROL_PREFIX,
    CalloutSender,
    MethodNotAllowedError,
    RequestStats,
    SandboxMiddleware,
    SandboxRng,
    TemplateRouter,
    control_routes,
    validate_faults,
)
from reconciler.sandbox.connectwise import conditions as cond
from reconciler.sandbox.connectwise.callbacks import CallbackDispatcher
from reconciler.sandbox.connectwise.document import Operation, operations, schemas
from reconciler.sandbox.connectwise.seed import build_store
from reconciler.sandbox.connectwise.store import Scope as StoreScope
from reconciler.sandbox.connectwise.store import Store, WriteError
from reconciler.sandbox.connectwise.wire import (
    API_BASE_PATH,
    ConnectWiseCredentials,
    PagingError,
    RateCap,
    accept_refusal,
    auth_refusal,
    cw_error,
    fault_response,
    json_response,
    page_of,
)

_ALL_METHODS: Final = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

COLLECTION_PATHS: Final[dict[str, tuple[str, str | None]]] = {
    "/company/companies": ("companies", None),
    "/company/companies/types": ("company_types", None),
    "/company/companies/statuses": ("company_statuses", None),
    "/company/companies/{parentId}/typeAssociations": ("company_type_associations", "company"),
    "/company/companyTypeAssociations": ("company_type_associations", None),
    "/system/userDefinedFields": ("udfs", None),
    "/procurement/categories": ("categories", None),
    "/procurement/categories/{parentId}/subcategories": ("subcategories", "category"),
    "/procurement/subcategories": ("subcategories", None),
    "/procurement/types": ("product_types", None),
    "/procurement/catalog": ("catalog", None),
    "/procurement/warehouses": ("warehouses", None),
    "/procurement/warehouseBins": ("warehouse_bins", None),
    "/sales/opportunities": ("opportunities", None),
    "/sales/opportunities/statuses": ("opportunity_statuses", None),
    "/sales/opportunities/types": ("opportunity_types", None),
    "/sales/stages": ("stages", None),
    "/service/boards": ("boards", None),
    "/service/boards/{parentId}/statuses": ("board_statuses", "board"),
    "/service/boards/{parentId}/types": ("board_types", "board"),
    "/service/boards/{parentId}/subtypes": ("board_subtypes", "board"),
    "/service/boards/{parentId}/items": ("board_items", "board"),
    "/service/boards/{parentId}/typeSubTypeItemAssociations": ("board_associations", "board"),
    "/service/priorities": ("priorities", None),
    "/finance/agreements/types": ("agreement_types", None),
    "/system/callbacks": ("callbacks", None),
}
"""Documented collection path (trailing ``/`` dropped) -> (collection, parent property)."""

OUT_OF_SUBSET_ROUTES: Final[tuple[tuple[str, str, str], ...]] = ()
"""(method, path, source) of every API route served that the subset document lacks. Empty: the
client needs nothing outside it (contacts, which the document lacks, reach callbacks through the
``/_sandbox/`` trigger instead of a route of their own)."""

SYSTEM_INFO: Final = {
    "version": "v2025.1.12345",
    "isCloud": True,
    "serverTimeZone": "Eastern Standard Time",
    "licenseBits": [{"name": "Procurement", "activeFlag": True}],
    "cloudRegion": "NA",
    "maxWorkFlowRecordsAllowed": 1000,
}

RouteHandler = Callable[[Operation, StoreScope, Request, dict[str, str]], Awaitable[Response]]


class ConnectWiseSimulator:
    """The simulator; an ASGI app itself (serve it with ``serve_in_thread``)."""

    def __init__(
        self,
        *,
        seed: str = "demo",
        credentials: ConnectWiseCredentials | None = None,
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        rng_seed: int = 0,
        rate_cap: RateCap | None = None,
        require_client_id: bool = True,
        timeout_hold_s: float = 30.0,
    ) -> None:
        self.credentials = credentials or ConnectWiseCredentials.random()
        self.rate_cap = rate_cap
        self.require_client_id = require_client_id
        self.callouts = CalloutSender()
        self.dispatcher = CallbackDispatcher(
            store=lambda: self.store,
            sender=self.callouts,
            company_id=self.credentials.company,
            from_url=API_BASE_PATH,
        )
        self.store = self._seeded(seed)
        self._rng_seed = rng_seed
        self.router = TemplateRouter(case_insensitive=True)
        for operation in operations():
            self._add(operation)
        self.stats_counter = RequestStats()
        inner = Starlette(
            routes=[
                *control_routes(stats=self.stats_counter, reset=self.reset, callouts=self.callouts),
                Route(CONTROL_PREFIX + "callbacks/trigger", self._trigger, methods=["POST"]),
                Route("/{path:path}", self._dispatch, methods=_ALL_METHODS),
            ]
        )
        self.middleware = SandboxMiddleware(
            inner,
            endpoint_key=self._endpoint_key,
            stats=self.stats_counter,
            rng=SandboxRng(rng_seed),
            latency_ms=latency_ms,
            faults=faults,
            fault_response=fault_response,
            timeout_hold_s=timeout_hold_s,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.middleware(scope, receive, send)

    @property
    def app(self) -> ConnectWiseSimulator:
        """The ASGI app the launcher serves (the simulator itself)."""
        return self

    # --- control ---------------------------------------------------------------------------------

    def reset(self, seed: str) -> None:
        """Replace all data with ``seed`` (ValueError if unknown); clear stats and callouts."""
        self.store = self._seeded(seed)
        self.middleware.rng.reseed(self._rng_seed)
        self.callouts.clear()
        self.stats_counter.reset()

    def stats(self) -> dict[str, Any]:
        return self.stats_counter.snapshot()

    def set_faults(
        self, faults: Mapping[str, float] | None, *, latency_ms: float | None = None
    ) -> None:
        self.middleware.faults = validate_faults(faults)
        if latency_ms is not None:
            self.middleware.latency_ms = latency_ms

    def close(self) -> None:
        """Release held requests and stop the callout worker (before stopping the server)."""
        self.middleware.close()
        self.callouts.close()

    def routes(self) -> list[tuple[str, str]]:
        """Every served API route: (method, documented template)."""
        return [(r.method, r.template) for r in self.router.routes()]

    def _seeded(self, seed: str) -> Store:
        return build_store(seed, Store(on_change=self.dispatcher.on_change))

    # --- routing ---------------------------------------------------------------------------------

    def _add(self, operation: Operation) -> None:
        template = operation.template.rstrip("/")
        method = operation.method
        handler: RouteHandler
        if template == "/system/info":
            self.router.add(method, operation.template, self._system_info)
            return
        if template.endswith("/count"):
            base, handler = template.removesuffix("/count"), self._count
        elif template.endswith("/info"):
            base, handler = template.removesuffix("/info"), self._list
        elif template.endswith("/{id}"):
            base = template.removesuffix("/{id}")
            handler = {
                "GET": self._get,
                "PUT": self._put,
                "PATCH": self._patch,
                "DELETE": self._delete,
            }[method]
        else:
            base = template
            handler = {"GET": self._list, "POST": self._create}[method]
        if base not in COLLECTION_PATHS:
            raise ValueError(f"the document's path {operation.template} has no collection here")
        collection, parent = COLLECTION_PATHS[base]
        scope = StoreScope(collection, parent)

        async def bound(request: Request, params: dict[str, str]) -> Response:
            return await handler(operation, scope, request, params)

        self.router.add(method, operation.template, bound)

    @staticmethod
    def _api_path(path: str) -> str | None:
        if path.lower().startswith(API_BASE_PATH + "/"):
            return path[len(API_BASE_PATH) :]
        return None

    def _endpoint_key(self, method: str, path: str) -> str | None:
        api_path = self._api_path(path)
        return None if api_path is None else self.router.endpoint_key(method, api_path)

    async def _dispatch(self, request: Request) -> Response:
        if self.rate_cap is not None:
            refused = self.rate_cap.refusal()
            if refused is not None:
                return refused
        path = self._api_path(request.url.path)
        if path is None:
            return cw_error(404, "NotFound", f"no API under {request.url.path}")
        refused = auth_refusal(
            request, self.credentials, require_client_id=self.require_client_id
        ) or accept_refusal(request)
        if refused is not None:
            return refused
        try:
            found = self.router.match(request.method, path)
        except MethodNotAllowedError as exc:
            return cw_error(
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed on {path}",
                headers={"Allow": ", ".join(exc.allowed)},
            )
        if found is None:
            return cw_error(404, "NotFound", f"no route {path}")
        try:
            return await found.route.handler(request, found.params)
        except WriteError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except (cond.ConditionsError, PagingError) as exc:
            return cw_error(400, "InvalidObject", str(exc))

    async def _trigger(self, request: Request) -> Response:
        try:
            answer = self.dispatcher.trigger(json.loads(await request.body() or b"null"))
        except ValueError as exc:
            return JSONResponse({"errors": [str(exc)]}, status_code=400)
        return JSONResponse(answer)

    # --- handlers --------------------------------------------------------------------------------

    @staticmethod
    def _scoped(scope: StoreScope, params: dict[str, str]) -> StoreScope:
        if scope.parent_field is None:
            return scope
        return StoreScope(scope.collection, scope.parent_field, int(params["parentId"]))

    def _matching(self, scope: StoreScope, request: Request, params: dict[str, str]) -> list[Any]:
        query = request.query_params
        where = cond.parse_conditions(query.get("conditions"))
        child = cond.parse_conditions(query.get("childConditions"))
        order = cond.parse_order_by(query.get("orderBy"))
        rows = [r for r in self.store.rows(self._scoped(scope, params)) if where(r) and child(r)]
        return cond.sort_rows(rows, order) if order else rows

    async def _list(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        fields = cond.parse_fields(request.query_params.get("fields"))
        page, link = page_of(request, self._matching(scope, request, params))
        body = [cond.project(_view(operation.schema, row), fields) for row in page]
        return json_response(body, headers={"Link": link} if link else None)

    async def _count(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        return json_response({"count": len(self._matching(scope, request, params))})

    async def _get(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        fields = cond.parse_fields(request.query_params.get("fields"))
        row = self.store.get(self._scoped(scope, params), int(params["id"]))
        return json_response(cond.project(_view(operation.schema, row), fields))

    async def _create(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        row = self.store.create(self._scoped(scope, params), await _body(request))
        return json_response(_view(operation.schema, row), status=201)

    async def _put(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        row = self.store.replace(
            self._scoped(scope, params), int(params["id"]), await _body(request)
        )
        return json_response(_view(operation.schema, row))

    async def _patch(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        row = self.store.patch(self._scoped(scope, params), int(params["id"]), await _body(request))
        return json_response(_view(operation.schema, row))

    async def _delete(
        self, operation: Operation, scope: StoreScope, request: Request, params: dict[str, str]
    ) -> Response:
        self.store.delete(self._scoped(scope, params), int(params["id"]))
        return Response(status_code=204)

    async def _system_info(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(SYSTEM_INFO)


def _view(schema: str | None, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as the operation's model shows it: only that model's properties."""
    if schema is None:
        return row
    properties = schemas()[schema].get("properties", {})
    return {key: value for key, value in row.items() if key in properties}


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise WriteError(400, "InvalidObject", "the request body is not JSON") from None


def create_app(
    seed: str = "demo",
    *,
    credentials: ConnectWiseCredentials | None = None,
    **options: Any,
) -> ConnectWiseSimulator:
    """The simulator for ``seed`` (an ASGI app; see :class:`ConnectWiseSimulator` for options)."""
    return ConnectWiseSimulator(seed=seed, credentials=credentials, **options)


__all__ = [
    "API_BASE_PATH",
    "OUT_OF_SUBSET_ROUTES",
    "ConnectWiseCredentials",
    "ConnectWiseSimulator",
    "RateCap",
    "create_app",
]
