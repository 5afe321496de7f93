"""A local simulator of the Autotask PSA REST API (ATServicesRest v1.0), as it is *documented*.

It is the other side of the wire for our Autotask client, so it follows the vendor's Swagger
document and the fact sheet (``shared/reference/autotask-api.md``), never our client. It serves,
for the entities in :mod:`reconciler.sandbox.autotask.entities`, exactly the documented routes and
verbs (others: 405), under ``/V1.0/…`` and ``/ATServicesRest/V1.0/…``, paths matched in any case:

* queries: ``GET …/query?search=``, ``POST …/query``, ``…/query/count``, and ``…/query/next``
  (GET or POST; not in the document but named by every ``nextPageUrl``);
  ``{"items", "pageDetails"}`` with at most 500 rows a page; ``GET …/{id}`` -> ``{"item": …}``
  (``null`` when missing);
* writes: ``POST`` -> ``{"itemId": N}``; ``PATCH``/``PUT`` with the id in the body (PATCH changes
  only what is sent, PUT nulls the writable fields left out); ``DELETE …/{id}`` where documented;
  a rejected write is HTTP 500 ``{"errors": [...]}``, a malformed query HTTP 400 with the same;
* metadata: ``…/entityInformation``, ``/fields`` (picklists), ``/userDefinedFields``;
* ``ZoneInformation`` (no auth, no thread limit; ``url`` ends in ``/``; an unknown user is a 500),
  ``ThresholdInformation``, ``Version``,
  ``/VersionInformation``;
* auth by the ``ApiIntegrationCode``, ``UserName`` and ``Secret`` headers: a wrong secret is 401,
  an unknown user or a wrong integration code 500 (:mod:`reconciler.sandbox.autotask.auth`);
* ids in paths must be int64, else 400;
* 3 requests in flight per object endpoint (entity) per integration: a 4th gets 429;
* an hourly request counter (10,000 per rolling hour; at 50 % and 75 % each call is slowed by
  ``usage_delays_s``; past the limit calls get 429 except ``ThresholdInformation``);
* webhook callouts, signed, to loopback URLs only (:mod:`reconciler.sandbox.autotask.webhooks`).

Plus the control surface of :func:`reconciler.sandbox.common.control_routes`:
``GET /_sandbox/stats``, ``POST /_sandbox/reset`` ``{"seed": …}``, ``POST /_sandbox/usage``
``{"count": N}`` (preset the hourly counter) and ``GET /_sandbox/callouts`` (every attempted
callout: ``url``, ``delivered``, ``status``, ``error``, ``attempted_at``, ``payload``).

Sandbox choices where the vendor is silent: a webhook's ``secretKey`` is never returned (null);
``isReady`` is true once a webhook has a field or UDF field; requests are counted in the hourly
counter once authenticated; ``prevPageUrl`` is always null.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.autotask.auth import (
    AutotaskCredentials,
    bad_path_id,
    refusal,
    zone_answer,
)
from reconciler.sandbox.autotask.entities import EntityDef, catalog
from reconciler.sandbox.autotask.metadata import (
    HOURLY_THRESHOLD,
    HourlyCounter,
    Permissions,
    entity_information,
    field_information,
    permissions_route,
    udf_information,
)
from reconciler.sandbox.autotask.query import (
    QueryError,
    decode_paging,
    parse_query,
    parse_search,
)
from reconciler.sandbox.autotask.replies import errors, json_body, query_page
from reconciler.sandbox.autotask.rules import WriteError
from reconciler.sandbox.autotask.seed import api_resource_id, build_store
from reconciler.sandbox.autotask.store import Change, Store
from reconciler.sandbox.autotask.webhooks import deactivation_callout, entity_callouts
from reconciler.sandbox.common import (
    CalloutSender,
    Handler,
    MethodNotAllowedError,
    RequestStats,
    SandboxMiddleware,
    SandboxRng,
    TemplateRouter,
    control_routes,
    validate_faults,
)

THREAD_LIMIT: Final = 3
BASE_PATH: Final = "/atservicesrest"
ZONE_TEMPLATE: Final = "/V1.0/ZoneInformation"
THRESHOLD_TEMPLATE: Final = "/V1.0/ThresholdInformation"
_ALL_METHODS: Final = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

__all__ = ["AutotaskCredentials", "AutotaskSimulator"]


class AutotaskSimulator:
    """The Autotask REST simulator; serve :attr:`app` (e.g. with ``serve_in_thread``).

    ``seed`` is ``empty``, ``demo`` or ``large`` (:mod:`reconciler.sandbox.autotask.seed`);
    ``receiver_url`` and ``webhook_secret`` configure the demo's Salesbuildr webhook;
    ``latency_ms``, ``faults`` (``{kind: rate}``, see
    :func:`~reconciler.sandbox.common.parse_faults`) and ``rng_seed`` drive
    :class:`~reconciler.sandbox.common.SandboxMiddleware`;
    ``timeout_hold_s`` is how long a ``timeout`` fault holds a request; ``usage_delays_s`` the
    delays added at 50 % and 75 % of the hourly limit.
    """

    def __init__(
        self,
        *,
        credentials: AutotaskCredentials,
        seed: str = "demo",
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        receiver_url: str | None = None,
        webhook_secret: str | None = None,
        rng_seed: int = 0,
        timeout_hold_s: float = 30.0,
        usage_delays_s: tuple[float, float] = (0.5, 1.0),
    ) -> None:
        self.credentials = credentials
        self.receiver_url = receiver_url
        self.webhook_secret = webhook_secret
        self.usage_delays_s = usage_delays_s
        self.catalog = catalog()
        self.usage = HourlyCounter()
        self.permissions = Permissions()
        self.callouts = CalloutSender()
        self._rng_seed = rng_seed
        self._sequence: dict[tuple[str, int], int] = {}
        self._seq_lock = threading.Lock()
        self.store = self._seeded(seed)
        # Ids match any segment so that a non-int64 id is a 400 (bad_path_id), not a missing route.
        self.router = TemplateRouter(case_insensitive=True, int_params=())
        self._groups: dict[str, str | None] = {}
        self._add_routes()
        self.stats_counter = RequestStats()
        inner = Starlette(
            routes=[
                *control_routes(
                    stats=self.stats_counter,
                    reset=self.reset,
                    usage=self.usage.preset,
                    callouts=self.callouts,
                ),
                permissions_route(self.permissions),
                Route("/{path:path}", self._dispatch, methods=_ALL_METHODS),
            ]
        )
        self.middleware = SandboxMiddleware(
            inner,
            endpoint_key=self._endpoint_key,
            limit_key=self._limit_key,
            stats=self.stats_counter,
            rng=SandboxRng(rng_seed),
            latency_ms=latency_ms,
            faults=faults,
            thread_limit=THREAD_LIMIT,
            extra_delay=self._usage_delay,
            timeout_hold_s=timeout_hold_s,
        )
        self.app = self.middleware

    # --- public control ---------------------------------------------------------------------------

    def reset(self, seed: str) -> None:
        """Replace all data with ``seed``; zero the stats, counters and callout log; reseed faults.

        Raises ValueError for an unknown seed (``POST /_sandbox/reset`` answers it 400).
        """
        self.store = self._seeded(seed)
        self.middleware.rng.reseed(self._rng_seed)
        self.usage.preset(0)
        self.permissions.clear()
        self.callouts.clear()
        with self._seq_lock:
            self._sequence.clear()
        self.stats_counter.reset()

    def stats(self) -> dict[str, Any]:
        """``{"requests": N, "writes": N, "endpoints": {...}}`` (as ``GET /_sandbox/stats``)."""
        return self.stats_counter.snapshot()

    def set_faults(
        self, faults: Mapping[str, float] | None, *, latency_ms: float | None = None
    ) -> None:
        """Change the fault rates (and optionally the latency) while serving."""
        self.middleware.faults = validate_faults(faults)
        if latency_ms is not None:
            self.middleware.latency_ms = latency_ms

    def close(self) -> None:
        """Release held requests and stop the callout worker (call before stopping the server)."""
        self.middleware.close()
        self.callouts.close()

    def routes(self) -> list[tuple[str, str, bool]]:
        """Every served API route: (method, documented template, documented?)."""
        return [(r.method, r.template, r.documented) for r in self.router.routes()]

    def _seeded(self, seed: str) -> Store:
        return build_store(
            self.catalog,
            seed,
            receiver_url=self.receiver_url,
            webhook_secret=self.webhook_secret,
            api_username=self.credentials.username,
        )

    # --- routing ----------------------------------------------------------------------------------

    def _route(self, method: str, template: str, handler: Handler, *, group: str | None) -> None:
        self.router.add(method, template, handler, documented="/query/next" not in template)
        self._groups[template] = group

    def _add_routes(self) -> None:
        meta: list[tuple[str, Handler, str | None]] = [
            (ZONE_TEMPLATE, self._zone, None),
            (THRESHOLD_TEMPLATE, self._threshold, "ThresholdInformation"),
            ("/V1.0/Version", self._version, "Version"),
            ("/VersionInformation", self._version_information, "VersionInformation"),
        ]
        for template, handler, group in meta:
            self._route("GET", template, handler, group=group)
        for entity in self.catalog.entities.values():
            self._entity_routes(entity)

    def _entity_routes(self, entity: EntityDef) -> None:
        root = f"/V1.0/{entity.name}"
        group = entity.name
        for method in ("GET", "POST"):
            self._route(method, f"{root}/query", self._bind(self._query, entity), group=group)
            self._route(method, f"{root}/query/count", self._bind(self._count, entity), group=group)
            self._route(method, f"{root}/query/next", self._bind(self._next, entity), group=group)
        self._route("GET", f"{root}/{{id}}", self._bind(self._get, entity), group=group)
        self._info_routes(root, entity)
        self.router.declare(root)
        if entity.parent is None:
            base = root
            if entity.can_create:
                self._route("POST", base, self._bind(self._create, entity), group=group)
            if entity.can_delete:
                self._route(
                    "DELETE", f"{base}/{{id}}", self._bind(self._delete, entity), group=group
                )
        else:
            base = f"/V1.0/{entity.parent}/{{parentId}}/{entity.child_path}"
            self._route("GET", base, self._bind(self._children, entity), group=group)
            self._route("GET", f"{base}/{{id}}", self._bind(self._get, entity), group=group)
            self._info_routes(base, entity)
            self._route("POST", base, self._bind(self._create, entity), group=group)
            self._route("DELETE", f"{base}/{{id}}", self._bind(self._delete, entity), group=group)
        if entity.can_update:
            for method in ("PATCH", "PUT"):
                self._route(method, base, self._bind(self._update, entity), group=group)

    def _info_routes(self, base: str, entity: EntityDef) -> None:
        handlers = (
            ("entityInformation", self._info),
            ("entityInformation/fields", self._fields),
            ("entityInformation/userDefinedFields", self._udfs),
        )
        for suffix, handler in handlers:
            self._route("GET", f"{base}/{suffix}", self._bind(handler, entity), group=entity.name)

    @staticmethod
    def _bind(
        handler: Callable[[EntityDef, Request, dict[str, str]], Awaitable[Response]],
        entity: EntityDef,
    ) -> Handler:
        async def bound(request: Request, params: dict[str, str]) -> Response:
            return await handler(entity, request, params)

        return bound

    @staticmethod
    def _api_path(path: str) -> str:
        return path[len(BASE_PATH) :] if path.lower().startswith(BASE_PATH + "/") else path

    def _endpoint_key(self, method: str, path: str) -> str | None:
        return self.router.endpoint_key(method, self._api_path(path))

    def _limit_key(self, method: str, path: str) -> str | None:
        key = self._endpoint_key(method, path)
        return None if key is None else self._groups.get(key.split(" ", 1)[1])

    def _usage_delay(self) -> float:
        count = self.usage.count()
        if count >= HOURLY_THRESHOLD * 0.75:
            return self.usage_delays_s[1]
        if count >= HOURLY_THRESHOLD * 0.5:
            return self.usage_delays_s[0]
        return 0.0

    async def _dispatch(self, request: Request) -> Response:
        path = self._api_path(request.url.path)
        try:
            found = self.router.match(request.method, path)
        except MethodNotAllowedError as exc:
            return JSONResponse(
                {
                    "errors": [
                        f"The requested resource does not support http method '{request.method}'."
                    ]
                },
                status_code=405,
                headers={"Allow": ", ".join(exc.allowed)},
            )
        if found is None:
            return errors(404, f"No HTTP resource was found that matches {request.url.path}.")
        if found.route.template != ZONE_TEMPLATE:
            refused = refusal(request.headers, self.credentials)
            if refused is not None:
                return refused
            count = self.usage.hit()
            if count > HOURLY_THRESHOLD and found.route.template != THRESHOLD_TEMPLATE:
                return errors(
                    429,
                    f"Request threshold of {HOURLY_THRESHOLD} requests per hour exceeded; "
                    "calls are blocked until usage drops.",
                )
            bad_id = bad_path_id(found.params)
            if bad_id is not None:
                return bad_id
        try:
            return await found.route.handler(request, found.params)
        except QueryError as exc:
            return errors(400, str(exc))
        except WriteError as exc:
            return JSONResponse({"errors": exc.messages}, status_code=500)

    # --- meta endpoints ---------------------------------------------------------------------------

    async def _zone(self, request: Request, params: dict[str, str]) -> Response:
        return zone_answer(request, self.credentials)

    async def _threshold(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(
            {
                "externalRequestThreshold": HOURLY_THRESHOLD,
                "requestThresholdTimeframe": 60,
                "currentTimeframeRequestCount": self.usage.count(),
            }
        )

    async def _version(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(
            {
                "majorVersion": "2025",
                "minorVersion": "1",
                "build": "sandbox",
                "customerType": "Sandbox",
            }
        )

    async def _version_information(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse({"apiVersions": ["1.0"]})

    # --- reads ------------------------------------------------------------------------------------

    async def _query(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        self._allowed(entity, "query")
        if request.method == "GET":
            query = parse_search(request.query_params.get("search"))
        else:
            query = parse_query(await json_body(request, QueryError))
        return query_page(self.store, request, entity, query, after_id=0)

    async def _next(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        token = request.query_params.get("paging")
        if not token:
            raise QueryError("The paging parameter is required.")
        body = await request.body() if request.method == "POST" else b""
        if body.strip():
            query = parse_query(await json_body(request, QueryError))
        else:
            query = parse_search(request.query_params.get("search"))
        return query_page(self.store, request, entity, query, after_id=decode_paging(token))

    async def _count(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        if request.method == "GET":
            query = parse_search(request.query_params.get("search"))
        else:
            query = parse_query(await json_body(request, QueryError))
        with self.store.lock:
            count = len(self.store.select(entity, query))
        return JSONResponse({"queryCount": count})

    async def _children(
        self, entity: EntityDef, request: Request, params: dict[str, str]
    ) -> Response:
        parent_id = int(params["parentId"])
        filters = [{"op": "eq", "field": entity.parent_field, "value": parent_id}]
        query = parse_query({"filter": filters})
        return query_page(self.store, request, entity, query, after_id=0)

    async def _get(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        row_id = int(params["id"])
        store = self.store
        with store.lock:
            row = store.table(entity).rows.get(row_id)
            if (
                row is not None
                and "parentId" in params
                and entity.parent_field
                and row[entity.parent_field] != int(params["parentId"])
            ):
                row = None
            item = store.render(entity, row_id) if row is not None else None
        return JSONResponse({"item": item})

    async def _info(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse({"info": entity_information(entity, self.permissions)})

    async def _fields(
        self, entity: EntityDef, request: Request, params: dict[str, str]
    ) -> Response:
        store = self.store
        with store.lock:
            return JSONResponse({"fields": field_information(store, entity, self.permissions)})

    async def _udfs(self, entity: EntityDef, request: Request, params: dict[str, str]) -> Response:
        store = self.store
        with store.lock:
            return JSONResponse({"fields": udf_information(store, entity)})

    # --- writes -----------------------------------------------------------------------------------

    async def _create(
        self, entity: EntityDef, request: Request, params: dict[str, str]
    ) -> Response:
        self._allowed(entity, "create")
        body = await json_body(request, WriteError)
        parent_id = int(params["parentId"]) if "parentId" in params else None
        person = self._person(request)
        change = self.store.create(entity, body, person_id=person, parent_id=parent_id)
        self._after(change, person)
        return JSONResponse({"itemId": change.id})

    async def _update(
        self, entity: EntityDef, request: Request, params: dict[str, str]
    ) -> Response:
        self._allowed(entity, "update")
        body = await json_body(request, WriteError)
        parent_id = int(params["parentId"]) if "parentId" in params else None
        person = self._person(request)
        partial = request.method == "PATCH"
        change = self.store.update(
            entity, body, partial=partial, person_id=person, parent_id=parent_id
        )
        self._after(change, person)
        return JSONResponse({"itemId": change.id})

    async def _delete(
        self, entity: EntityDef, request: Request, params: dict[str, str]
    ) -> Response:
        self._allowed(entity, "delete")
        parent_id = int(params["parentId"]) if "parentId" in params else None
        person = self._person(request)
        change = self.store.delete(entity, int(params["id"]), parent_id=parent_id)
        self._after(change, person)
        return JSONResponse({"itemId": change.id})

    def _allowed(self, entity: EntityDef, operation: str) -> None:
        if self.permissions.denies(entity.name, operation):
            raise WriteError(f"User does not have permission to {operation} {entity.info_name}.")

    def _after(self, change: Change, person: int) -> None:
        """Queue the callouts a committed write causes (never blocks the response)."""
        with self.store.lock:
            callouts = entity_callouts(
                self.store, change, person_id=person, sequence=self._next_sequence
            )
        if change.before is not None:
            after = None if change.action == "Delete" else change.record
            notice = deactivation_callout(change.entity, change.before, after, person_id=person)
            if notice is not None:
                callouts.append(notice)
        for callout in callouts:
            self.callouts.submit(callout.url, callout.body, callout.headers)

    def _next_sequence(self, kind: str, webhook_id: int) -> int:
        with self._seq_lock:
            number = self._sequence.get((kind, webhook_id), 0) + 1
            self._sequence[(kind, webhook_id)] = number
            return number

    def _person(self, request: Request) -> int:
        """The resource making the change: the impersonated one, else the API user."""
        impersonated = request.headers.get("impersonationresourceid", "")
        if impersonated.isdigit() and int(impersonated) in self.store.table("Resources").rows:
            return int(impersonated)
        return api_resource_id(self.store, self.credentials.username)
