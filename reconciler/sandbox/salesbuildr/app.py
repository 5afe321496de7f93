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
``/webhooks/autotask``
    the receiver of Autotask callouts (:mod:`reconciler.sandbox.salesbuildr.receiver`). It is not
    part of the API a client calls: no key, no rate limit, no latency, no faults, not in the stats.
``/_sandbox/...``
    the control surface of every simulator (``GET stats``, ``POST reset``) plus
    ``POST /_sandbox/fail-next-job`` ``{"error": "..."}``: the next job created fails with that
    error (once), and ``POST /_sandbox/expire-lock``: the apply lock's TTL ends now (200 with the
    holder it had, 404 when none), so a test can hold a lock far longer than it needs and still
    see it expire without waiting for the clock.

Beyond the contract document, and proposed as part of it:

* ``GET /integration/autotask/lock`` -> 200 with the holder's body, 404 when no lock is held (so
  ``reconcile force-unlock`` can name the holder before breaking the lock). ``DELETE`` needs the
  ``X-Lock-Owner`` header unless ``?force=true`` (422 otherwise).
* Jobs advance queued -> running -> succeeded|failed, one step per poll or per ``job_step_s``
  (0.2 s) of time, whichever is faster. Their ``counts`` (shapes in
  :mod:`reconciler.sandbox.salesbuildr.actions`) are ``{}`` until a job succeeds and when it
  fails; a finished import sets the covered mappings' ``importedCount``. An import of
  ``categories`` covers the given categories and their subcategories.
* The ETag (``"v<n>"``, unique for the simulator's lifetime, new on every successful PUT and
  reset) versions a section's writable content; import jobs updating ``importedCount`` do not
  change it, so an import running beside an apply never makes the apply's PUT stale.
  ``If-Match: *`` matches any version (RFC 9110); a weak ETag never matches.
* The delivery report lists deliveries oldest first; ``since`` keeps those received at or after
  it.
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
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
    import_body,
    import_counts,
    lock_body,
    record_import,
    sync_body,
    sync_counts,
)
from reconciler.sandbox.salesbuildr.http import (
    BodyError,
    etag,
    etag_matches,
    invalid,
    json_body,
    message,
    page,
    read_limited,
)
from reconciler.sandbox.salesbuildr.receiver import MAX_BODY_BYTES, receive, too_large
from reconciler.sandbox.salesbuildr.seed import TenantData, seeded_settings, tenant_data
from reconciler.sandbox.salesbuildr.settings import (
    RECEIVER_PATH,
    SECTIONS,
    Doc,
    read_form,
    validate_put,
)
from reconciler.sandbox.salesbuildr.state import (
    ApplyLock,
    DeliveryLog,
    JobBook,
    RollingRateLimit,
    parse_iso,
)

API_PREFIX: Final = "/public-api"
_AT: Final = API_PREFIX + "/integration/autotask"
DEFAULT_JOB_ERROR: Final = "the job failed (injected by /_sandbox/fail-next-job)"


class _Asgi:
    """Wraps a bound coroutine method so ASGI servers recognise it as an ASGI 3 app."""

    def __init__(self, handler: ASGIApp) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive_: Receive, send: Send) -> None:
        await self._handler(scope, receive_, send)


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
        self._versions = itertools.count(1)
        self.seed = seed
        self.data: TenantData = tenant_data(seed)
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
                Route(CONTROL_PREFIX + "fail-next-job", self._fail_next_job, methods=["POST"]),
                Route(CONTROL_PREFIX + "expire-lock", self._expire_lock, methods=["POST"]),
            ]
        )
        self._receiver_route = Router(
            routes=[Route(RECEIVER_PATH, self._receiver, methods=["POST"])]
        )
        self.app: ASGIApp = _Asgi(self._dispatch)
        self.reset(seed)

    # --- lifecycle ------------------------------------------------------------------------------

    def reset(self, seed: str) -> None:
        """Start over as a fresh tenant seeded with ``seed`` (ValueError for an unknown one)."""
        data = tenant_data(seed)
        with self._guard:
            self.seed = seed
            self.data = data
            self._settings = seeded_settings(seed, data, webhook_secret=self.webhook_secret)
            self._etags = {s: etag(next(self._versions)) for s in SECTIONS}
            self.apply_lock.clear()
            self.jobs.clear()
            self.deliveries.clear()
            self.rate_limit.clear()
            self.rng.reseed(self.rng_seed)
            self.stats_counter.reset()

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

    def settings(self, section: str) -> Doc:
        """The stored form of a section (a copy; the receiver's includes its secret)."""
        with self._guard:
            self.jobs.settle(self.clock())
            stored: Doc = json.loads(json.dumps(self._settings[section]))
            return stored

    async def _dispatch(self, scope: Scope, receive_: Receive, send: Send) -> None:
        """Control surface, receiver, and the API behind the middleware."""
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX):
            await self._control(scope, receive_, send)
        elif path == RECEIVER_PATH:
            await self._receiver_route(scope, receive_, send)
        else:
            await self.middleware(scope, receive_, send)

    # --- the API layer: auth, rate limit, routing ------------------------------------------------

    def _add_routes(self) -> None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", API_PREFIX + "/category", self._categories),
            ("GET", _AT + "/company-types", self._company_types),
            ("GET", _AT + "/data-points", self._data_points),
            ("GET", _AT + "/category-usage", self._category_usage),
            ("GET", _AT + "/settings/{section}", self._get_section),
            ("PUT", _AT + "/settings/{section}", self._put_section),
            ("GET", _AT + "/lock", self._get_lock),
            ("PUT", _AT + "/lock", self._put_lock),
            ("DELETE", _AT + "/lock", self._delete_lock),
            ("POST", _AT + "/sync", self._sync),
            ("POST", _AT + "/import", self._import),
            ("GET", _AT + "/jobs/{jobId}", self._job),
            ("GET", _AT + "/webhook-deliveries", self._deliveries),
        ]
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

    async def _get_section(self, request: Request, params: dict[str, str]) -> Response:
        section = params["section"]
        if section not in SECTIONS:
            return message(404, f"unknown settings section {section!r}")
        stored = self.settings(section)
        with self._guard:
            tag = self._etags[section]
        body = read_form(section, stored, base_url=str(request.base_url).rstrip("/"))
        return JSONResponse(body, headers={"ETag": tag})

    async def _put_section(self, request: Request, params: dict[str, str]) -> Response:
        section = params["section"]
        if section not in SECTIONS:
            return message(404, f"unknown settings section {section!r}")
        if_match = request.headers.get("if-match")
        if not if_match:
            return message(428, "If-Match is required: send the ETag of the section as read")
        body = await json_body(request)
        with self._guard:
            self.jobs.settle(self.clock())
            if not etag_matches(if_match, self._etags[section]):
                return message(412, f"settings section {section!r} changed since it was read")
            result = validate_put(section, body, self._settings[section], self.data)
            if isinstance(result, list):
                return invalid(result)
            self._settings[section] = result
            tag = self._etags[section] = etag(next(self._versions))
        body_out = read_form(section, result, base_url=str(request.base_url).rstrip("/"))
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

    def _start_job(self, counts: dict[str, Any], on_success: Callable[[], None] | None) -> Response:
        with self._guard:
            job_id = self.jobs.create(self.clock(), counts, on_success)
        location = {"Location": f"{_AT}/jobs/{job_id}"}
        return JSONResponse({"jobId": job_id}, status_code=202, headers=location)

    async def _sync(self, request: Request, params: dict[str, str]) -> Response:
        mode, errors = sync_body(await json_body(request))
        if errors:
            return invalid(errors)
        with self._guard:
            counts = sync_counts(mode, self.data, self._settings["inventory"], self.seed)
        return self._start_job(counts, None)

    async def _import(self, request: Request, params: dict[str, str]) -> Response:
        category_ids, errors = import_body(await json_body(request), self.data)
        if errors:
            return invalid(errors)
        with self._guard:
            counts = import_counts(self._settings["product-import"], self.data, category_ids)

        def finished() -> None:  # called with the guard held
            record_import(self._settings["product-import"], counts)

        return self._start_job(counts, finished)

    async def _job(self, request: Request, params: dict[str, str]) -> Response:
        with self._guard:
            view = self.jobs.poll(params["jobId"], self.clock())
        return JSONResponse(view) if view is not None else message(404, "unknown job")

    async def _deliveries(self, request: Request, params: dict[str, str]) -> Response:
        since_text = request.query_params.get("since")
        since: float | None = None
        if since_text:
            try:
                since = parse_iso(since_text)
            except ValueError:
                error = {"path": "since", "message": "must be an ISO-8601 timestamp"}
                return invalid([error], "invalid query parameter")
        with self._guard:
            items = [d.to_json() for d in self.deliveries.select(since)]
        return page(request, items)

    # --- receiver and control --------------------------------------------------------------------

    async def _receiver(self, request: Request) -> Response:
        now = self.clock()
        try:
            raw = await read_limited(request, MAX_BODY_BYTES)
        except ClientDisconnect:
            return Response(status_code=400)
        if raw is None:
            with self._guard:
                self.deliveries.add(too_large(now))
            return message(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
        with self._guard:
            secret = self._settings["webhook-receiver"]["secret"]
        header = request.headers.get("x-hook-signature")
        delivery = receive(body=raw, header=header, secret=secret, now=now)
        with self._guard:
            self.deliveries.add(delivery)
        if delivery.status == "delivered":
            return JSONResponse({"status": "delivered"})
        return message(401 if delivery.status == "bad_signature" else 400, delivery.error or "")

    async def _fail_next_job(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        error = body.get("error", DEFAULT_JOB_ERROR) if isinstance(body, dict) else None
        if not isinstance(error, str) or not error:
            return JSONResponse({"errors": ['expected a JSON body {"error": "..."}']}, 400)
        with self._guard:
            self.jobs.fail_next = error
        return JSONResponse({"error": error})

    async def _expire_lock(self, request: Request) -> Response:
        with self._guard:
            expired = self.apply_lock.expire(self.clock())
        return JSONResponse({"expired": expired}) if expired else message(404, "no lock is held")
