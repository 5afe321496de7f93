"""A local simulator of the HaloPSA REST API, as documented (SPEC-H) and as its users report it.

It is the other side of the wire for our HaloPSA client, so it follows the vendor's document
(:mod:`reconciler.sandbox.halopsa.spec`) and the fact sheet (``shared/reference/halopsa-api.md``),
never our client:

* every path and verb of the subset is served under ``/api`` (paths in any case), and nothing
  else but the routes in :data:`~reconciler.sandbox.halopsa.spec.OUT_OF_SUBSET` (the token
  endpoint) and the ``/_sandbox/`` control surface;
* ``POST /auth/token``: OAuth2 client credentials, bearer tokens with a lifetime on an injectable
  clock (:mod:`reconciler.sandbox.halopsa.auth`);
* POST bodies must be arrays valid against the document's request schema (else 400); POST is an
  upsert, lists come in ``record_count`` envelopes and page by ``pageinate``/``page_no``/
  ``page_size`` (:mod:`reconciler.sandbox.halopsa.store`);
* refusals are Halo-style: a JSON **string** body for 400/403/404, plain text for 429 and 503;
* webhooks POST to loopback URLs on client and ticket writes and log to ``/WebhookEvent``
  (:mod:`reconciler.sandbox.halopsa.webhooks`);
* a rate cap, off by default: 300 requests per rolling 5 minutes (halopsa-api.md §7 [C]);
* faults, latency and request stats from :mod:`reconciler.sandbox.common`.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

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
from reconciler.sandbox.halopsa import spec, webhooks
from reconciler.sandbox.halopsa.auth import Clock, HaloCredentials, TokenIssuer
from reconciler.sandbox.halopsa.seed import fill
from reconciler.sandbox.halopsa.store import ResourceDef, Store, WriteRefused, resource_defs

TOKEN_PATH: Final = "/auth/token"
_ALL_METHODS: Final = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
RATE_LIMIT_MESSAGE: Final = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
"""The 429 text users report (halopsa-api.md §7 [C I-RATE1, I-RATE2])."""


@dataclass
class RateCap:
    """At most ``limit`` requests in any ``window_s`` seconds of ``clock``; past it, 429 with the
    reported text and (our choice [I]) a ``Retry-After`` until the oldest request leaves the
    window."""

    limit: int = 300
    window_s: float = 300.0
    clock: Clock = time.monotonic
    retry_after: bool = True
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal(self) -> Response | None:
        with self._lock:
            now = self.clock()
            while self._sent and now - self._sent[0] >= self.window_s:
                self._sent.popleft()
            if len(self._sent) < self.limit:
                self._sent.append(now)
                return None
            wait = max(1, int(self.window_s - (now - self._sent[0]) + 0.999))
        headers = {"Retry-After": str(wait)} if self.retry_after else {}
        return PlainTextResponse(RATE_LIMIT_MESSAGE, status_code=429, headers=headers)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()


def halo_fault_response(kind: str) -> Response:
    """Injected faults as Halo-flavoured bodies: plain text, or an ASP.NET-style 500 [I]."""
    if kind in ("429", "thread-limit"):
        return PlainTextResponse(RATE_LIMIT_MESSAGE, status_code=429)
    if kind == "500":
        return JSONResponse(
            {"ClassName": "System.Exception", "Message": "An error has occurred (injected)."},
            status_code=500,
        )
    return PlainTextResponse("Service Unavailable", status_code=503)


def _message(text: str, status: int = 400) -> Response:
    """Halo's usual refusal: the message as a JSON string (halopsa-api.md §6 [C])."""
    return JSONResponse(text, status_code=status)


class HaloSimulator:
    """The HaloPSA simulator; serve :attr:`app` (e.g. with ``serve_in_thread``).

    ``clock`` drives token lifetimes and the rate cap (monotonic seconds by default);
    ``rate_cap`` is None (off) unless given; ``latency_ms``, ``faults`` and ``rng_seed`` drive
    :class:`~reconciler.sandbox.common.SandboxMiddleware`.
    """

    def __init__(
        self,
        *,
        credentials: HaloCredentials,
        seed: str = "demo",
        clock: Clock = time.monotonic,
        token_lifetime_s: int = 3600,
        rate_cap: RateCap | None = None,
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        rng_seed: int = 0,
        timeout_hold_s: float = 30.0,
        main_contact_compulsory: bool = False,
    ) -> None:
        self.credentials = credentials
        self.tokens = TokenIssuer(credentials, clock, token_lifetime_s)
        self.rate_cap = rate_cap
        self.main_contact_compulsory = main_contact_compulsory
        self.defs = resource_defs()
        self.callouts = CalloutSender()
        self._rng_seed = rng_seed
        self.store = self._seeded(seed)
        self.router = TemplateRouter(case_insensitive=True, int_params=())
        self._add_routes()
        self.stats_counter = RequestStats()
        inner = Starlette(
            routes=[
                *control_routes(stats=self.stats_counter, reset=self.reset, callouts=self.callouts),
                Route(TOKEN_PATH, self._token, methods=["POST"]),
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
            fault_response=halo_fault_response,
            timeout_hold_s=timeout_hold_s,
        )
        self.app = self.middleware

    # --- public control ---------------------------------------------------------------------------

    def reset(self, seed: str) -> None:
        """Replace all data with ``seed``; forget tokens, deliveries and stats; reseed faults."""
        self.store = self._seeded(seed)
        self.middleware.rng.reseed(self._rng_seed)
        self.tokens.clear()
        self.callouts.clear()
        if self.rate_cap is not None:
            self.rate_cap.clear()
        self.stats_counter.reset()

    def stats(self) -> dict[str, Any]:
        return self.stats_counter.snapshot()

    def set_faults(
        self, faults: Mapping[str, float] | None, *, latency_ms: float | None = None
    ) -> None:
        self.middleware.faults = validate_faults(faults)
        if latency_ms is not None:
            self.middleware.latency_ms = latency_ms

    def wait_deliveries(self, timeout: float = 60.0) -> bool:
        """Wait until every queued webhook delivery was attempted; False on timeout."""
        return self.callouts.wait_idle(timeout)

    def close(self) -> None:
        self.middleware.close()
        self.callouts.close()

    def routes(self) -> list[tuple[str, str]]:
        """Every served API route: (method, template without ``/api``)."""
        return [(r.method, r.template) for r in self.router.routes()]

    def _seeded(self, seed: str) -> Store:
        store = Store(self.defs, self._rng_seed, self.main_contact_compulsory)
        return fill(store, seed)

    # --- routing ----------------------------------------------------------------------------------

    def _add_routes(self) -> None:
        special: dict[tuple[str, str], Handler] = {
            ("GET", "/Site/StockBins"): self._stock_bins,
            ("GET", "/AuthInfo"): self._auth_info,
        }
        for method, template in spec.operations():
            handler = special.get((method, template)) or self._generic(method, template)
            self.router.add(method, template, handler)

    def _generic(self, method: str, template: str) -> Handler:
        name = template.strip("/").split("/", 1)[0]
        definition = self.defs[name]
        has_id = template.endswith("/{id}")

        async def handle(request: Request, params: dict[str, str]) -> Response:
            if method == "GET" and has_id:
                return self._get(definition, params["id"])
            if method == "GET":
                return self._list(definition, request)
            if method == "POST":
                return await self._post(definition, request)
            return self._delete(definition, params["id"])

        return handle

    def _endpoint_key(self, method: str, path: str) -> str | None:
        if path == TOKEN_PATH and method == "POST":
            return f"POST {TOKEN_PATH}"
        api_path = _api_path(path)
        return None if api_path is None else self.router.endpoint_key(method, api_path)

    async def _token(self, request: Request) -> Response:
        if self.rate_cap is not None and (capped := self.rate_cap.refusal()) is not None:
            return capped
        # Form-encoded (RFC 6749 §4.4.2); parsed here, as starlette's form parser needs an extra.
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        return self.tokens.token_answer(fields, request.query_params.get("tenant"))

    async def _dispatch(self, request: Request) -> Response:
        path = _api_path(request.url.path)
        if path is None:
            return _message("Not found.", 404)
        if self.rate_cap is not None and (capped := self.rate_cap.refusal()) is not None:
            return capped
        try:
            found = self.router.match(request.method, path)
        except MethodNotAllowedError as exc:
            return Response(status_code=405, headers={"Allow": ", ".join(exc.allowed)})
        if found is None:
            return _message("Not found.", 404)
        resource = found.route.template.strip("/").split("/")[0]
        refused = self.tokens.refusal(request.headers, resource)
        if refused is not None:
            return refused
        return await found.route.handler(request, found.params)

    # --- handlers ---------------------------------------------------------------------------------

    def _list(self, definition: ResourceDef, request: Request) -> Response:
        if definition.name == "WebhookEvent":
            webhooks.settle(self.store, self.callouts)
        try:
            page = self.store.list_page(definition.name, request.query_params)
        except WriteRefused as exc:
            return _message(exc.message, exc.status)
        if definition.plural is None:
            return JSONResponse(page.rows)
        body: dict[str, Any] = {"record_count": page.record_count, definition.plural: page.rows}
        if page.page_no is not None:
            body = {"page_no": page.page_no, "page_size": page.page_size, **body}
        return JSONResponse(body)

    def _get(self, definition: ResourceDef, raw_id: str) -> Response:
        if (bad := _bad_id(definition, raw_id)) is not None:
            return bad
        if definition.name == "WebhookEvent":
            webhooks.settle(self.store, self.callouts)
        row = self.store.get(definition.name, raw_id)
        if row is None:
            return _message(f"{definition.name} {raw_id} was not found.", 404)
        return JSONResponse(row)

    async def _post(self, definition: ResourceDef, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _message("The request body is not valid JSON.")
        if definition.model is not None and (errors := spec.body_errors(definition.model, body)):
            return _message("The request is invalid: " + "; ".join(errors))
        if not isinstance(body, list) or not body:
            return _message("The request body must be a non-empty array.")
        try:
            changes = self.store.upsert(definition.name, body)
        except WriteRefused as exc:
            return _message(exc.message, exc.status)
        webhooks.deliver(self.store, self.callouts, changes)
        saved = [change.record for change in changes]
        return JSONResponse(saved[0] if len(saved) == 1 else saved, status_code=201)

    def _delete(self, definition: ResourceDef, raw_id: str) -> Response:
        if (bad := _bad_id(definition, raw_id)) is not None:
            return bad
        try:
            self.store.delete(definition.name, raw_id)
        except WriteRefused as exc:
            return _message(exc.message, exc.status)
        return Response(status_code=200)

    async def _stock_bins(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse([])

    async def _auth_info(self, request: Request, params: dict[str, str]) -> Response:
        # The response is untyped in SPEC-H; "the authorisation-server URL" is [I] (§1).
        return JSONResponse({"auth_url": str(request.base_url).rstrip("/") + "/auth"})


def _api_path(path: str) -> str | None:
    """``/api/Client`` -> ``/Client``; None for a path outside ``/api``."""
    prefix = spec.API_PREFIX
    if path.lower() == prefix or path.lower().startswith(prefix + "/"):
        return path[len(prefix) :] or "/"
    return None


def _bad_id(definition: ResourceDef, raw_id: str) -> Response | None:
    if definition.uuid_ids or raw_id.lstrip("-").isdigit():
        return None
    return _message(f"The value '{raw_id[:40]}' is not valid for id.", 400)


def create_app(
    seed: str = "demo", *, credentials: HaloCredentials, **options: Any
) -> HaloSimulator:
    """A simulator seeded with ``seed`` (see :class:`HaloSimulator` for ``options``); serve its
    ``.app``, call ``.close()`` before stopping the server."""
    return HaloSimulator(credentials=credentials, seed=seed, **options)


def export_lines(base_url: str, credentials: HaloCredentials) -> list[str]:
    """The ``export HALOPSA_*=...`` lines that point a shell at a simulator on ``base_url``."""
    values = {
        "HALOPSA_URL": base_url.rstrip("/"),
        "HALOPSA_AUTH_URL": base_url.rstrip("/") + "/auth",
        "HALOPSA_CLIENT_ID": credentials.client_id,
        "HALOPSA_CLIENT_SECRET": credentials.client_secret,
    }
    if credentials.tenant is not None:
        values["HALOPSA_TENANT"] = credentials.tenant
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
