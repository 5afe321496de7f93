"""Machinery shared by the sandbox simulators: routing, faults, latency, stats, callouts.

Both simulators (Autotask, Salesbuildr) are ASGI apps wrapped in :class:`SandboxMiddleware`, which
is where every cross-cutting behaviour lives, so the API handlers stay plain request -> response
functions:

* per-request latency, spent while the request holds its in-flight slot (so concurrency really
  piles up and a thread limit really produces 429s);
* fault injection (``429``, ``500``, ``503``, ``timeout``, ``reset-after-commit``) at a rate per
  kind, drawn from a seeded :class:`SandboxRng` so a run is reproducible;
* an optional thread limit (Autotask's 3 in-flight requests per object endpoint);
* request statistics per endpoint (:class:`RequestStats`), keyed by the documented path template.

The control surface under ``/_sandbox/`` (:func:`control_routes`) is never subject to any of that:
the middleware passes it straight through. :class:`TemplateRouter` matches documented path
templates (case-insensitively if asked) and gives the endpoint keys; :class:`CalloutSender` posts
webhook callouts in the background, to loopback addresses only.

Nothing here imports any other part of ``reconciler``: the simulators are the other side of the
wire and must not share code with the clients they test.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import queue
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

#: Fault kinds accepted by ``--fault KIND:RATE``, in the order their rate intervals are laid out.
FAULT_KINDS: Final = ("429", "500", "503", "timeout", "reset-after-commit")

#: Path prefix of the control surface; requests under it bypass faults, latency, limits and stats.
CONTROL_PREFIX: Final = "/_sandbox/"

WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_QUERY_SUFFIXES: Final = ("/query", "/query/count", "/query/next")

EndpointKeyFn = Callable[[str, str], str | None]
"""``(method, path) -> key``: the documented endpoint a request hits, or None for no route."""


# --- faults --------------------------------------------------------------------------------------


def parse_faults(specs: Iterable[str]) -> dict[str, float]:
    """Parse ``KIND:RATE`` strings (the ``--fault`` option) into ``{kind: rate}``.

    Raises ValueError with a readable message for an unknown kind, a rate outside 0..1, a kind
    given twice, or rates that add up to more than 1 (each request gets at most one fault, so the
    rates are fractions of the same requests).
    """
    faults: dict[str, float] = {}
    for spec in specs:
        kind, sep, rate_text = spec.strip().rpartition(":")
        if not sep or not kind:
            raise ValueError(f"fault {spec!r}: expected KIND:RATE, e.g. 429:0.1")
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(f"fault {spec!r}: RATE must be a number in 0..1") from None
        if kind in faults:
            raise ValueError(f"fault {spec!r}: {kind} is given twice")
        faults[kind] = rate
    return validate_faults(faults)


def validate_faults(faults: Mapping[str, float] | None) -> dict[str, float]:
    """Check a ``{kind: rate}`` mapping (see :func:`parse_faults`) and return a plain copy."""
    checked: dict[str, float] = {}
    for kind, rate in (faults or {}).items():
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"fault {kind}: rate {rate} is outside 0..1")
        checked[kind] = float(rate)
    if sum(checked.values()) > 1.0 + 1e-9:
        raise ValueError("fault rates add up to more than 1")
    return checked


class SandboxRng:
    """A seeded, thread-safe random source, so fault injection is reproducible.

    Given the same seed and the same sequence of requests, the same requests fail.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._random.seed(seed)

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    def chance(self, rate: float) -> bool:
        """True with probability ``rate`` (never for 0, always for 1)."""
        if rate <= 0.0:
            return False
        return self.random() < rate


def choose_fault(rng: SandboxRng, faults: Mapping[str, float], *, is_write: bool) -> str | None:
    """Pick the fault for one request, or None.

    One draw per request; the kinds' rates are laid out as consecutive intervals in
    :data:`FAULT_KINDS` order, so ``429:0.1`` fails exactly 10 % of requests in expectation.
    ``reset-after-commit`` applies to writes only: a read that lands in its interval succeeds.
    """
    if not faults or not any(faults.values()):
        return None
    draw = rng.random()
    edge = 0.0
    for kind in FAULT_KINDS:
        edge += faults.get(kind, 0.0)
        if draw < edge:
            if kind == "reset-after-commit" and not is_write:
                return None
            return kind
    return None


def is_read_request(method: str, path: str) -> bool:
    """GET, and POST to ``…/query``, ``…/query/count`` or ``…/query/next``, are reads.

    Reads never get ``reset-after-commit`` and are not counted as writes.
    """
    if method.upper() not in WRITE_METHODS:
        return True
    lowered = path.lower().rstrip("/")
    return method.upper() == "POST" and lowered.endswith(_QUERY_SUFFIXES)


def default_fault_response(kind: str) -> Response:
    """The response for an injected fault (``429``, ``500``, ``503``) or a thread-limit rejection.

    ``thread-limit`` is the kind used when :class:`SandboxMiddleware` refuses a request over its
    thread limit. Bodies use ``{"errors": [...]}``, which is what Autotask sends; a simulator whose
    API differs passes its own factory to the middleware.
    """
    if kind == "thread-limit":
        return JSONResponse(
            {
                "errors": [
                    "Thread threshold exceeded: too many concurrent requests to this endpoint."
                ]
            },
            status_code=429,
        )
    if kind == "429":
        return JSONResponse({"errors": ["Too many requests (injected fault)."]}, status_code=429)
    if kind == "500":
        return JSONResponse(
            {"errors": ["An unexpected error occurred on the server (injected fault)."]},
            status_code=500,
        )
    return PlainTextResponse("Service Unavailable", status_code=503)


# --- stats ---------------------------------------------------------------------------------------


@dataclass
class _EndpointCounters:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class RequestStats:
    """Request counters a test or benchmark reads through ``GET /_sandbox/stats``.

    ``requests`` counts every API request (control routes excluded), ``writes`` those that are not
    reads (see :func:`is_read_request`). Per endpoint key (method + documented path template) it
    keeps the number of requests and the highest number in flight at once. Thread-safe: the server
    loop writes, any thread reads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._writes = 0
        self._endpoints: dict[str, _EndpointCounters] = {}
        self._groups: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._writes = 0
            # Keep in-flight requests counted so a reset during traffic cannot go negative.
            self._endpoints = {
                key: _EndpointCounters(in_flight=c.in_flight, max_in_flight=c.in_flight)
                for key, c in self._endpoints.items()
                if c.in_flight
            }

    def count(self, key: str | None, *, is_write: bool) -> None:
        """Count one request to ``key`` (None: no documented route)."""
        with self._lock:
            self._requests += 1
            if is_write:
                self._writes += 1
            if key is not None:
                self._endpoints.setdefault(key, _EndpointCounters()).requests += 1

    def enter(self, key: str | None, group: str | None, limit: int | None) -> bool:
        """Take an in-flight slot; False (and nothing taken) if ``group`` is at ``limit``."""
        with self._lock:
            if group is not None and limit is not None and self._groups.get(group, 0) >= limit:
                return False
            if group is not None:
                self._groups[group] = self._groups.get(group, 0) + 1
            if key is not None:
                counters = self._endpoints.setdefault(key, _EndpointCounters())
                counters.in_flight += 1
                counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            return True

    def leave(self, key: str | None, group: str | None) -> None:
        """Give back the slot taken by :meth:`enter`."""
        with self._lock:
            if group is not None:
                self._groups[group] = max(0, self._groups.get(group, 0) - 1)
            if key is not None and key in self._endpoints:
                counters = self._endpoints[key]
                counters.in_flight = max(0, counters.in_flight - 1)

    def snapshot(self) -> dict[str, Any]:
        """``{"requests": N, "writes": N, "endpoints": {key: {"requests", "max_in_flight"}}}``."""
        with self._lock:
            return {
                "requests": self._requests,
                "writes": self._writes,
                "endpoints": {
                    key: {"requests": c.requests, "max_in_flight": c.max_in_flight}
                    for key, c in sorted(self._endpoints.items())
                    if c.requests
                },
            }


# --- the middleware ------------------------------------------------------------------------------


class SandboxMiddleware:
    """ASGI middleware: stats, thread limit, latency and faults in front of a simulator app.

    For every request outside :data:`CONTROL_PREFIX`, in this order:

    1. count it in ``stats`` under ``endpoint_key(method, path)``;
    2. take an in-flight slot in the group ``limit_key(method, path)`` (defaults to the endpoint
       key; None = exempt); over ``thread_limit`` the request is answered ``thread-limit`` (429)
       at once;
    3. while holding the slot, sleep ``latency_ms`` plus ``extra_delay()`` seconds;
    4. roll the faults (:func:`choose_fault`): ``429``/``500``/``503`` answer with
       ``fault_response(kind)`` without running the app; ``timeout`` holds the request for
       ``timeout_hold_s`` (or until the client gives up or :meth:`close` is called) and then drops
       the connection; ``reset-after-commit`` (writes only) runs the app, so the write is
       committed, discards its response and drops the connection;
    5. otherwise run the app.

    ``on_request(method, path)`` is called for every counted request (Autotask's hourly counter).
    ``latency_ms`` and ``faults`` are plain attributes and may be changed while serving.
    Wrap the *outermost* app with it: dropping a connection uses the server's transport.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoint_key: EndpointKeyFn,
        stats: RequestStats,
        rng: SandboxRng,
        latency_ms: float = 0.0,
        faults: Mapping[str, float] | None = None,
        thread_limit: int | None = None,
        limit_key: EndpointKeyFn | None = None,
        extra_delay: Callable[[], float] | None = None,
        is_read: Callable[[str, str], bool] = is_read_request,
        on_request: Callable[[str, str], None] | None = None,
        fault_response: Callable[[str], Response] = default_fault_response,
        timeout_hold_s: float = 30.0,
    ) -> None:
        self.app = app
        self.endpoint_key = endpoint_key
        self.stats = stats
        self.rng = rng
        self.latency_ms = latency_ms
        self.faults = validate_faults(faults)
        self.thread_limit = thread_limit
        self.limit_key = limit_key or endpoint_key
        self.extra_delay = extra_delay
        self.is_read = is_read
        self.on_request = on_request
        self.fault_response = fault_response
        self.timeout_hold_s = timeout_hold_s
        self._closing = threading.Event()

    def close(self) -> None:
        """End every held (``timeout``) request now, so a server can shut down promptly."""
        self._closing.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"].upper()
        path: str = scope["path"]
        is_write = not self.is_read(method, path)
        key = self.endpoint_key(method, path)
        self.stats.count(key, is_write=is_write)
        if self.on_request is not None:
            self.on_request(method, path)
        group = self.limit_key(method, path) if self.thread_limit is not None else None
        if not self.stats.enter(key, group, self.thread_limit):
            await self.fault_response("thread-limit")(scope, receive, send)
            return
        try:
            delay = self.latency_ms / 1000.0 + (self.extra_delay() if self.extra_delay else 0.0)
            if delay > 0:
                await asyncio.sleep(delay)
            kind = choose_fault(self.rng, self.faults, is_write=is_write)
            if kind is None:
                await self.app(scope, receive, send)
            elif kind == "timeout":
                await self._hold(receive)
                await drop_connection(send)
            elif kind == "reset-after-commit":
                await self.app(scope, receive, _discard)
                await drop_connection(send)
            else:
                await self.fault_response(kind)(scope, receive, send)
        finally:
            self.stats.leave(key, group)

    async def _hold(self, receive: Receive) -> None:
        """Wait ``timeout_hold_s``, or less if the client disconnects or we are closing."""
        disconnected = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        deadline = time.monotonic() + self.timeout_hold_s
        try:
            while time.monotonic() < deadline and not self._closing.is_set():
                if disconnected.is_set():
                    return
                await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _discard(message: Message) -> None:
    """A ``send`` that throws the response away (the client never sees it)."""


async def drop_connection(send: Send) -> None:
    """Close the client's connection without sending (the rest of) a response.

    With uvicorn, ``send`` is bound to the request cycle, which holds the transport: aborting it
    makes the client see the connection drop (httpx: ``RemoteProtocolError``/``ReadError``)
    without a status line. Another server falls back to an announced but never sent body, which
    the server cuts off.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let the server notice the lost connection before the app returns, so it does not try
        # to send a 500 of its own.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )


# --- routing -------------------------------------------------------------------------------------

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
"""A route handler: the request and the path parameters (``{"id": "42"}``)."""

_PARAM = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class RouteSpec:
    """One served route: method, documented path template, handler.

    ``documented`` is False for routes the vendor document does not list (e.g. Autotask's
    ``/query/next``); conformance tests use it to know which routes must exist in the document.
    """

    method: str
    template: str
    handler: Handler = field(compare=False, repr=False)
    documented: bool = True


@dataclass(frozen=True)
class RouteMatch:
    route: RouteSpec
    params: dict[str, str]

    @property
    def key(self) -> str:
        """The endpoint key for stats: ``"GET /V1.0/Companies/{id}"``."""
        return f"{self.route.method} {self.route.template}"


class MethodNotAllowedError(Exception):
    """The path matches a route, but not with this method."""

    def __init__(self, allowed: Iterable[str]) -> None:
        super().__init__("method not allowed")
        self.allowed = sorted(set(allowed))


class TemplateRouter:
    """Matches request paths against documented path templates like ``/V1.0/{E}/{id}``.

    A literal segment beats a parameter (``/Companies/query`` is not ``/Companies/{id}``); a
    parameter listed in ``int_params`` only matches digits, as the document types ids as integers.
    With ``case_insensitive`` literals match in any case (Autotask's paths do).
    """

    def __init__(
        self, *, case_insensitive: bool = False, int_params: Iterable[str] = ("id", "parentId")
    ) -> None:
        self.case_insensitive = case_insensitive
        self.int_params = frozenset(int_params)
        self._routes: list[RouteSpec] = []
        self._by_length: dict[int, list[tuple[tuple[str, ...], list[RouteSpec]]]] = {}
        self._templates: dict[tuple[str, ...], list[RouteSpec]] = {}

    def add(self, method: str, template: str, handler: Handler, *, documented: bool = True) -> None:
        """Serve ``method template`` with ``handler``; adding a route twice is an error."""
        route = RouteSpec(method.upper(), template, handler, documented)
        segments = self._split(template, literal=True)
        routes = self._templates.get(segments)
        if routes is None:
            routes = self._templates[segments] = []
            self._by_length.setdefault(len(segments), []).append((segments, routes))
        if any(r.method == route.method for r in routes):
            raise ValueError(f"route {route.method} {template} is defined twice")
        routes.append(route)
        self._routes.append(route)

    def declare(self, template: str) -> None:
        """Make ``template`` a known path even without any method, so every method gets 405.

        For collection paths the document lists without any verb the simulator serves (e.g.
        ``POST /V1.0/BillingCodes`` of a read-only entity is "method not allowed", not "no route").
        """
        segments = self._split(template, literal=True)
        if segments not in self._templates:
            routes: list[RouteSpec] = []
            self._templates[segments] = routes
            self._by_length.setdefault(len(segments), []).append((segments, routes))

    def routes(self) -> list[RouteSpec]:
        """Every route served, in the order added."""
        return list(self._routes)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for ``method path``; None if no template matches the path.

        Raises :class:`MethodNotAllowedError` when the path matches but the method does not.
        """
        segments = self._split(path, literal=False)
        best: tuple[tuple[int, ...], dict[str, str], list[RouteSpec]] | None = None
        for template, routes in self._by_length.get(len(segments), ()):
            params = self._match_segments(template, segments)
            if params is None:
                continue
            rank = tuple(0 if not _PARAM.match(t) else 1 for t in template)
            if best is None or rank < best[0]:
                best = (rank, params, routes)
        if best is None:
            return None
        for route in best[2]:
            if route.method == method.upper():
                return RouteMatch(route, best[1])
        raise MethodNotAllowedError(r.method for r in best[2])

    def endpoint_key(self, method: str, path: str) -> str | None:
        """``"METHOD /documented/template"`` for a request, None if it has no route."""
        try:
            found = self.match(method, path)
        except MethodNotAllowedError:
            return None
        return found.key if found else None

    def _split(self, path: str, *, literal: bool) -> tuple[str, ...]:
        parts = tuple(p for p in path.split("/") if p)
        if self.case_insensitive and literal:
            parts = tuple(p if _PARAM.match(p) else p.lower() for p in parts)
        return parts

    def _match_segments(
        self, template: tuple[str, ...], segments: tuple[str, ...]
    ) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for want, got in zip(template, segments, strict=True):
            param = _PARAM.match(want)
            if param is None:
                if want != (got.lower() if self.case_insensitive else got):
                    return None
                continue
            name = param.group(1)
            if name in self.int_params and not got.lstrip("-").isdigit():
                return None
            params[name] = got
        return params


# --- webhook callouts ----------------------------------------------------------------------------


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is ``localhost``, 127.0.0.0/8 or ``[::1]``.

    The sandbox only ever contacts such URLs: a webhook pointing anywhere else is recorded as not
    delivered, so a demo can never post to a real receiver.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CalloutRecord:
    """One attempted callout, as listed by ``GET /_sandbox/callouts``."""

    url: str
    delivered: bool
    status: int | None
    error: str | None
    attempted_at: str
    payload: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "delivered": self.delivered,
            "status": self.status,
            "error": self.error,
            "attempted_at": self.attempted_at,
            "payload": self.payload,
        }


@dataclass
class _Job:
    url: str
    body: bytes
    headers: dict[str, str]


class CalloutSender:
    """Posts callouts (webhook deliveries) from a background thread, loopback only.

    :meth:`submit` never blocks the API response that caused the callout. Each attempt is recorded
    (:meth:`records`); ``delivered`` is True for a 2xx answer. A URL that is not loopback (see
    :func:`is_loopback_url`) is recorded as not delivered and never contacted; redirects are not
    followed. The worker thread starts on the first loopback callout.
    """

    def __init__(self, *, timeout_s: float = 2.0, max_records: int = 10_000) -> None:
        self.timeout_s = timeout_s
        self.max_records = max_records
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._records: list[CalloutRecord] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Queue one POST of ``body`` to ``url`` (or record it as refused)."""
        if not is_loopback_url(url):
            self._record(url, body, False, None, "not a loopback address: never contacted")
            return
        with self._lock:
            if self._closed:
                return
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-callouts", daemon=True
                )
                self._thread.start()
        self._queue.put(_Job(url, body, dict(headers)))

    def records(self) -> list[dict[str, Any]]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return [r.to_dict() for r in self._records]

    def clear(self) -> None:
        with self._lock:
            self._records = []

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued callout was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the callouts already queued."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(
            timeout=self.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                try:
                    response = client.post(job.url, content=job.body, headers=job.headers)
                    ok = 200 <= response.status_code < 300
                    error = None if ok else f"HTTP {response.status_code}"
                    self._record(job.url, job.body, ok, response.status_code, error)
                except httpx.HTTPError as exc:
                    self._record(job.url, job.body, False, None, f"{type(exc).__name__}: {exc}")
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()

    def _record(
        self, url: str, body: bytes, delivered: bool, status: int | None, error: str | None
    ) -> None:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode("utf-8", "replace")
        record = CalloutRecord(
            url=url,
            delivered=delivered,
            status=status,
            error=error,
            attempted_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            payload=payload,
        )
        with self._lock:
            self._records.append(record)
            del self._records[: -self.max_records]
        logger.debug("callout to %s: delivered=%s status=%s", url, delivered, status)


# --- control surface -----------------------------------------------------------------------------


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
