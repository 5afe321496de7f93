"""The Salesbuildr simulator: the public API parts we use plus the proposed settings contract.

A real HTTP server (served by :func:`reconciler.sandbox.common.serve_in_thread`) that implements
``shared/design/SALESBUILDR-SETTINGS-API.md`` for one tenant, so the client can be tested over the
wire. Layout of the URL space, mirroring ``https://acme.salesbuildr.com``:

``/public-api/...``
    the API: header ``api-key`` (401 ``{"message"}`` otherwise), 500 requests per rolling 10
    minutes (configurable) then 429 with ``Retry-After``, ``X-RateLimit-Remaining`` on every
    response, ``from``/``size`` paging over ``{"results", "total"}`` (default size 20; sizes above
    100 are clamped to 100, so a client must page by ``total``, not by the size it asked for).
    Latency and faults (:mod:`reconciler.sandbox.common`) apply here only.
``/webhooks/<psa>``
    the receivers of the PSAs' webhooks (:mod:`reconciler.sandbox.salesbuildr.receivers`). Not
    part of the API a client calls: no key, no rate limit, no latency, no faults, not in the stats.
``/_sandbox/...``
    the control surface of every simulator (``GET stats``, ``POST reset``) plus
    ``POST /_sandbox/fail-next-job`` ``{"error": "..."}``: the next job created fails with that
    error (once), and ``POST /_sandbox/expire-lock``: the apply lock's TTL ends now (200 with the
    holder it had, 404 when none), so a test can hold a lock far longer than it needs and still
    see it expire without waiting for the clock.

Every PSA with a documents file (``documents/<psa>.json``, :mod:`.documents`) gets, under
``/public-api/integration/<psa>``: ``settings/{page}`` (one document per admin page, validated
against the page's schema), ``lock`` (one apply lock per tenant, whichever PSA's path),
``jobs/{jobId}`` and the reference data (``company-types``, ``data-points``, ``category-usage``).
``sync``, ``import`` and ``webhook-deliveries``: where its file's ``x-actions`` offers them
(:mod:`.actions`).

Beyond the contract document, and proposed as part of it: the lock's ``GET`` and forced
``DELETE``, how jobs advance, the ETag's versioning, the delivery report's order (the docstring
of :mod:`.state`).
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.sandbox.common import (
    CONTROL_PREFIX,
    Handler,
    MethodNotAllowedError,
    RequestStats,
    SandboxMiddleware,
    SandboxRng,
    TemplateRouter,
    control_routes,
    validate_faults,
)
from reconciler.sandbox.salesbuildr.actions import (
    ImportKeys,
    import_body,
    import_counts,
    lock_body,
    record_import,
    sync_body,
    sync_counts,
)
from reconciler.sandbox.salesbuildr.documents import (
    Doc,
    References,
    psa_actions,
    psa_documents,
    psa_lists,
    read_form,
    validate_put,
)
from reconciler.sandbox.salesbuildr.http import (
    AsgiApp,
    BodyError,
    etag,
    etag_matches,
    for_psa,
    invalid,
    json_body,
    listed,
    message,
    page,
)
from reconciler.sandbox.salesbuildr.outside import expire_lock, fail_next_job
from reconciler.sandbox.salesbuildr.receiver import receiver_path
from reconciler.sandbox.salesbuildr.receivers import receiver_paths, receiver_routes
from reconciler.sandbox.salesbuildr.references import reference_tables
from reconciler.sandbox.salesbuildr.seed import TenantData, tenant_data
from reconciler.sandbox.salesbuildr.seed_settings import seeded_documents
from reconciler.sandbox.salesbuildr.state import (
    ApplyLock,
    DeliveryLog,
    JobBook,
    RollingRateLimit,
    parse_iso,
)

API_PREFIX: Final = "/public-api"
_INTEGRATION: Final = API_PREFIX + "/integration/"


class SalesbuildrSimulator:
    """One simulated Salesbuildr tenant, served by :attr:`app` (an ASGI app).

    ``seed`` is ``empty``, ``demo`` or ``large`` (:mod:`reconciler.sandbox.salesbuildr.seed`);
    ``webhook_secret`` is the receiver's secret on ``demo`` and ``large`` (``empty`` starts without
    one). ``latency_ms`` and ``faults`` (``{"429": 0.1, ...}``) feed :class:`SandboxMiddleware`
    (:attr:`middleware`; both may be changed while serving); ``rng_seed`` makes faults
    reproducible. ``clock`` (epoch seconds) lets tests move time for lock expiry, the rate window
    and jobs; ``job_step_s`` is how long a job stays in each status when nobody polls.
    """

    def __init__(
        self,
        *,
        api_key: str,
        seed: str = "demo",
        webhook_secret: str | None = None,
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        rate_limit: int = 500,
        rate_window_s: float = 600.0,
        rng_seed: int = 0,
        clock: Callable[[], float] = time.time,
        job_step_s: float = 0.2,
        timeout_hold_s: float = 30.0,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.rng_seed = rng_seed
        self.clock = clock
        self.stats_counter = RequestStats()
        self.rng = SandboxRng(rng_seed)
        self.rate_limit = RollingRateLimit(rate_limit, rate_window_s)
        self.apply_lock = ApplyLock()
        self.jobs = JobBook(step_s=job_step_s)
        self.deliveries = DeliveryLog()
        self._guard = threading.RLock()
        self._versions: dict[str, itertools.count[int]] = {}  # per PSA: its ETags its own
        self.seed = seed
        self.data = tenant_data(seed)
        # psa -> page -> stored document / its ETag; _settings and _etags are Autotask's.
        self._documents: dict[str, dict[str, Doc]] = {}
        self._document_tags: dict[str, dict[str, str]] = {}
        self._settings: dict[str, Doc] = {}
        self._etags: dict[str, str] = {}
        self.router = TemplateRouter()
        self._add_routes()
        self.middleware = SandboxMiddleware(
            self._api_app,
            endpoint_key=self.router.endpoint_key,
            stats=self.stats_counter,
            rng=self.rng,
            latency_ms=latency_ms,
            faults=faults,
            fault_response=self._fault_response,
            timeout_hold_s=timeout_hold_s,
        )
        self._control = Router(
            routes=[
                *control_routes(stats=self.stats_counter, reset=self.reset),
                Route(
                    CONTROL_PREFIX + "fail-next-job", self._bound(fail_next_job), methods=["POST"]
                ),
                Route(CONTROL_PREFIX + "expire-lock", self._bound(expire_lock), methods=["POST"]),
            ]
        )
        self._receiver_route = Router(routes=receiver_routes(self._bound))
        self.app: ASGIApp = AsgiApp(self._dispatch)
        self.reset(seed)

    # --- lifecycle ------------------------------------------------------------------------------

    def reset(self, seed: str) -> None:
        """Start over as a fresh tenant seeded with ``seed`` (ValueError for an unknown one)."""
        data = tenant_data(seed)
        with self._guard:
            self.seed = seed
            self.data = data
            self._documents = seeded_documents(seed, data, webhook_secret=self.webhook_secret)
            self._document_tags = {
                psa: {page: self._tag(psa) for page in pages}
                for psa, pages in self._documents.items()
            }
            self._settings = self._documents["autotask"]
            self._etags = self._document_tags["autotask"]
            self.apply_lock.clear()
            self.jobs.clear()
            self.deliveries.clear()
            self.rate_limit.clear()
            self.rng.reseed(self.rng_seed)
            self.stats_counter.reset()

    @property
    def data(self) -> TenantData:
        """The tenant's reference data; replacing it (tests, benchmarks) re-derives the tables
        the documents' references are checked against."""
        return self._data

    @data.setter
    def data(self, data: TenantData) -> None:
        self._data = data
        self.tables: References = reference_tables(data)

    @property
    def guard(self) -> threading.RLock:
        """The lock over the tenant's state (re-entrant)."""
        return self._guard

    @property
    def autotask_documents(self) -> dict[str, Doc]:
        """The stored Autotask pages (hold :attr:`guard`)."""
        return self._settings

    def _tag(self, psa: str) -> str:
        return etag(next(self._versions.setdefault(psa, itertools.count(1))))

    def _bound(
        self, handler: Callable[[SalesbuildrSimulator, Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def bound(request: Request) -> Response:
            return await handler(self, request)

        return bound

    def close(self) -> None:
        """Release requests held by a ``timeout`` fault, so the server can stop at once."""
        self.middleware.close()

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

    def settings(self, section: str, psa: str = "autotask") -> Doc:
        """The stored form of a page (a copy; the receiver's includes its secret)."""
        with self._guard:
            self.jobs.settle(self.clock())
            stored: Doc = json.loads(json.dumps(self._documents[psa][section]))
            return stored

    async def _dispatch(self, scope: Scope, receive_: Receive, send: Send) -> None:
        """Control surface, receiver, and the API behind the middleware."""
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._control(scope, receive_, send)
        elif path in receiver_paths():  # the PSAs' webhook deliveries (:mod:`.receivers`)
            await self._receiver_route(scope, receive_, send)
        else:
            await self.middleware(scope, receive_, send)

    # --- the API layer: auth, rate limit, routing ------------------------------------------------

    def _add_routes(self) -> None:
        """The API; every PSA with a documents file gets the per-PSA routes under its own path
        (literal, so each PSA's endpoints are counted apart)."""
        routes: list[tuple[str, str, Handler]] = [
            ("GET", API_PREFIX + "/category", self._categories),
        ]
        per_psa: list[tuple[str, str, Handler]] = [
            ("GET", "/company-types", self._company_types),
            ("GET", "/data-points", self._data_points),
            ("GET", "/category-usage", self._category_usage),
            ("GET", "/settings/{section}", self._get_section),
            ("PUT", "/settings/{section}", self._put_section),
            ("GET", "/lock", self._get_lock),
            ("PUT", "/lock", self._put_lock),
            ("DELETE", "/lock", self._delete_lock),
            ("GET", "/jobs/{jobId}", self._job),
        ]
        offered: list[tuple[str, str, str, Handler]] = [
            ("sync", "POST", "/sync", self._sync),
            ("import", "POST", "/import", self._import),
            ("deliveries", "GET", "/webhook-deliveries", self._deliveries),
        ]
        for psa in psa_documents():
            routes += [(m, _INTEGRATION + psa + t, for_psa(psa, h)) for m, t, h in per_psa]
            actions = psa_actions().get(psa) or {}  # what its pages offer (data: x-actions)
            routes += [
                (m, _INTEGRATION + psa + t, for_psa(psa, h))
                for action, m, t, h in offered
                if actions.get(action)
            ]
            for name, rows in (psa_lists().get(psa) or {}).items():  # data: the file's x-lists
                routes.append(("GET", _INTEGRATION + psa + "/" + name, listed(rows)))
        for method, template, handler in routes:
            self.router.add(method, template, handler)

    async def _api_app(self, scope: Scope, receive_: Receive, send: Send) -> None:
        request = Request(scope, receive_)
        try:
            response = await self._api_response(request)
        except BodyError as exc:
            response = exc.response
        except ClientDisconnect:
            return
        with self._guard:
            remaining = self.rate_limit.remaining(self.clock())
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        await response(scope, receive_, send)

    async def _api_response(self, request: Request) -> Response:
        path = request.url.path
        if not path.startswith(API_PREFIX + "/"):
            return message(404, "Not found")
        key = request.headers.get("api-key")
        if not key:
            return message(401, "No API key provided")
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return message(401, "Invalid API key")
        with self._guard:
            wait = self.rate_limit.admit(self.clock())
        if wait is not None:
            return self._too_many(wait, "rate limit exceeded")
        try:
            found = self.router.match(request.method, path)
        except MethodNotAllowedError as exc:
            return message(405, "Method not allowed", allowed=exc.allowed)
        if found is None:
            return message(404, "Not found")
        return await found.route.handler(request, found.params)

    def _too_many(self, wait: int, why: str) -> Response:
        limit, window = self.rate_limit.limit, self.rate_limit.window_s
        text = f"{why}: {limit} requests per {window:g} s per tenant; retry after {wait} s"
        return JSONResponse({"message": text}, status_code=429, headers={"Retry-After": str(wait)})

    def _fault_response(self, kind: str) -> Response:
        """Injected faults in Salesbuildr's error shape, with the rate-limit header."""
        if kind in ("429", "thread-limit"):
            response = self._too_many(1, "too many requests (injected fault)")
        elif kind == "500":
            error = {"path": "", "message": "an unexpected error occurred"}
            response = message(500, "Internal server error (injected fault)", errors=[error])
        else:
            response = message(503, "Service unavailable (injected fault)")
            response.headers["Retry-After"] = "1"
        with self._guard:
            response.headers["X-RateLimit-Remaining"] = str(self.rate_limit.remaining(self.clock()))
        return response

    # --- reference data --------------------------------------------------------------------------

    async def _categories(self, request: Request, params: dict[str, str]) -> Response:
        return page(request, [c.to_json() for c in self.data.categories])

    async def _company_types(self, request: Request, params: dict[str, str]) -> Response:
        return page(request, [{"key": k, "name": n} for k, n in self.data.company_types])

    async def _data_points(self, request: Request, params: dict[str, str]) -> Response:
        entity = request.query_params.get("entity")
        if entity not in ("company", "opportunity"):
            error = {"path": "entity", "message": "must be company or opportunity"}
            return invalid([error], "invalid query parameter")
        return page(request, [d.to_json() for d in self.data.data_points if d.entity == entity])

    async def _category_usage(self, request: Request, params: dict[str, str]) -> Response:
        return page(request, [u.to_json() for u in self.data.usage])

    # --- settings ---------------------------------------------------------------------------------

    def _receiver_url(self, request: Request, psa: str) -> str:
        return str(request.base_url).rstrip("/") + receiver_path(psa)

    async def _get_section(self, request: Request, params: dict[str, str]) -> Response:
        psa, section = params["psa"], params["section"]
        schema = psa_documents()[psa].get(section)
        if schema is None:
            return message(404, f"unknown settings section {section!r}")
        stored = self.settings(section, psa)
        with self._guard:
            tag = self._document_tags[psa][section]
        body = read_form(schema, stored, receiver_url=self._receiver_url(request, psa))
        return JSONResponse(body, headers={"ETag": tag})

    async def _put_section(self, request: Request, params: dict[str, str]) -> Response:
        psa, section = params["psa"], params["section"]
        schema = psa_documents()[psa].get(section)
        if schema is None:
            return message(404, f"unknown settings section {section!r}")
        if_match = request.headers.get("if-match")
        if not if_match:
            return message(428, "If-Match is required: send the ETag of the section as read")
        body = await json_body(request)
        with self._guard:
            self.jobs.settle(self.clock())
            tags = self._document_tags[psa]
            if not etag_matches(if_match, tags[section]):
                return message(412, f"settings section {section!r} changed since it was read")
            result = validate_put(schema, body, self._documents[psa][section], self.tables)
            if isinstance(result, list):
                return invalid(result)
            self._documents[psa][section] = result
            tag = tags[section] = self._tag(psa)
        body_out = read_form(schema, result, receiver_url=self._receiver_url(request, psa))
        return JSONResponse(body_out, headers={"ETag": tag})

    # --- the apply lock --------------------------------------------------------------------------

    async def _get_lock(self, request: Request, params: dict[str, str]) -> Response:
        with self._guard:
            holder = self.apply_lock.holder(self.clock())
        return JSONResponse(holder) if holder else message(404, "no lock is held")

    async def _put_lock(self, request: Request, params: dict[str, str]) -> Response:
        wanted, errors = lock_body(await json_body(request))
        if wanted is None:
            return invalid(errors)
        with self._guard:
            acquired, holder = self.apply_lock.acquire(*wanted, now=self.clock())
        return JSONResponse(holder, status_code=201 if acquired else 409)

    async def _delete_lock(self, request: Request, params: dict[str, str]) -> Response:
        owner = request.headers.get("x-lock-owner")
        force = request.query_params.get("force", "").lower() in ("true", "1")
        if not owner and not force:
            return message(422, "the X-Lock-Owner header is required (or ?force=true)")
        with self._guard:
            holder = self.apply_lock.release(owner, force=force, now=self.clock())
        return JSONResponse(holder, status_code=409) if holder else Response(status_code=204)

    # --- actions and reports ---------------------------------------------------------------------

    def _start_job(
        self, psa: str, counts: dict[str, Any], on_success: Callable[[], None] | None
    ) -> Response:
        """A job of a PSA's actions (sync, import); polled under its ``/jobs``."""
        with self._guard:
            job_id = self.jobs.create(self.clock(), counts, on_success)
        location = {"Location": f"{_INTEGRATION}{psa}/jobs/{job_id}"}
        return JSONResponse({"jobId": job_id}, status_code=202, headers=location)

    async def _sync(self, request: Request, params: dict[str, str]) -> Response:
        psa = params["psa"]
        modes = psa_actions()[psa]["sync"]
        mode, errors = sync_body(await json_body(request), tuple(modes))
        if errors:
            return invalid(errors)
        with self._guard:
            documents = self._documents[psa]
            counts = sync_counts(modes[mode], self.data, documents, self.tables, self.seed)
        return self._start_job(psa, counts, None)

    async def _import(self, request: Request, params: dict[str, str]) -> Response:
        psa = params["psa"]
        spec = psa_actions()[psa]["import"]
        category_ids, errors = import_body(await json_body(request), self.data)
        if errors:
            return invalid(errors)
        lists: ImportKeys = spec["tables"]
        with self._guard:
            document = self._documents[psa][spec["document"]]
            counts = import_counts(lists, document, self.data, category_ids)

        def finished() -> None:  # called with the guard held
            record_import(lists, self._documents[psa][spec["document"]], counts)

        return self._start_job(psa, counts, finished)

    async def _job(self, request: Request, params: dict[str, str]) -> Response:
        with self._guard:
            view = self.jobs.poll(params["jobId"], self.clock())
        return JSONResponse(view) if view is not None else message(404, "unknown job")

    async def _deliveries(self, request: Request, params: dict[str, str]) -> Response:
        since_text = request.query_params.get("since")
        try:
            since = parse_iso(since_text) if since_text else None
        except ValueError:
            error = {"path": "since", "message": "must be an ISO-8601 timestamp"}
            return invalid([error], "invalid query parameter")
        with self._guard:
            items = [d.to_json() for d in self.deliveries.select(since)]
        return page(request, items)
