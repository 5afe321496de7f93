"""The one factory for HTTP clients: auth, timeouts, retries, concurrency and rate limits, logging.

Both providers talk through :class:`ApiClient`, so both share one set of rules:

* **Reads** (GET, and POST ``…/query``) retry 429, 5xx, timeouts and connection errors with capped
  exponential backoff and jitter, honouring ``Retry-After``.
* **Writes** retry only what cannot have reached the server's logic: 429 (rejected before
  processing) and connection failures before the request was sent. A write that times out, is
  reset, or answers 502/503/504 or an opaque 500 raises :class:`UnknownOutcome`: the apply layer
  looks the object up by its natural key before doing anything else to it.
* A 400/422 is the API refusing the input: :class:`ValidationFailed`, never retried, the API's
  messages verbatim. So is a 500 whose body carries an ``errors`` list where the API reports
  refused input that way (Autotask, ``validation_500``); elsewhere (Salesbuildr: 422 for input,
  an ``errors`` list on every error) a 500 is a server fault like any other 5xx.
* At most ``max_in_flight`` requests per endpoint (Autotask's thread limit is 3 per object
  endpoint), an optional sliding-window request budget (Salesbuildr: 500 per 10 minutes).
* One log line per request (method, path without query, status, ms); headers are never logged.
"""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from reconciler.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    UsageError,
    ValidationFailed,
    retry_when,
)
from reconciler.hosts import is_loopback_host, refuse_userinfo
from reconciler.providers.base import IN_FLIGHT_WATCH, InFlightWatch
from reconciler.providers.connect import (
    FAST_ATTEMPTS,
    FAST_MAX_WAIT,
    host_and_port,
    unreachable_reason,
)
from reconciler.warning_ids import RATE_LIMITED, labelled

log = logging.getLogger(__name__)

_UNKNOWN_OUTCOME_STATUSES = {500, 502, 503, 504}
_RETRYABLE_READ_STATUSES = {429, 500, 502, 503, 504}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_LOST_IN_FLIGHT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; ``max_wait`` caps every single wait."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0


class SlidingWindowBudget:
    """Client-side request budget: at most ``limit`` requests in any ``window_s`` seconds.

    Salesbuildr answers 429 past 500 requests per rolling 10 minutes; pacing ourselves below that
    keeps normal runs from ever seeing the 429.
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window_s:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                wait = self.window_s - (now - self._sent[0])
            log.info("request budget spent: waiting %.1f s", wait)
            self._sleep(max(wait, 0.01))


class _Retryable(Exception):
    """A failed attempt that may be tried again; carries the error to raise at the end."""

    def __init__(
        self,
        error: ProviderError,
        retry_after: float | None = None,
        *,
        rate_wait: bool = False,
        fast: bool = False,
    ):
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after
        self.rate_wait = rate_wait  # a 429 whose Retry-After is waited out in full (within a cap)
        # A failure retries cannot fix (connection refused...): few attempts, short waits.
        self.fast = fast


EndpointKey = Callable[[str, str], str]


def require_secure_url(url: str, system: str) -> None:
    """https everywhere; plain http only to loopback hosts (the sandbox). TLS certificates are
    always verified (httpx's default; nothing here turns it off). A URL with user-info is refused
    without being shown."""
    refuse_userinfo(url, what=f"the {system} URL")
    parsed = httpx.URL(url)
    if parsed.scheme == "https" and parsed.host:
        return
    host = parsed.host or ""
    if parsed.scheme == "http" and is_loopback_host(host):
        return
    raise UsageError(
        f"the {system} URL {url!r} must be https:// (plain http is allowed only for loopback "
        "hosts: 127.0.0.0/8, localhost, [::1])",
        hint="check AUTOTASK_API_URL / SALESBUILDR_API_URL and the URLs in the YAML",
    )


def _first_segment(method: str, path: str) -> str:
    return path.strip("/").split("/", 1)[0].split("?", 1)[0].lower()


class ApiClient:
    """An httpx client for one system with the retry, concurrency and error rules above.

    ``transport`` is the test seam (``httpx.MockTransport``); ``endpoint_key`` maps a request to
    the endpoint whose in-flight limit it counts against; ``validation_500`` says whether a 500
    with an ``errors`` list is the API refusing the input (Autotask) or a server fault;
    ``auth_hint(status, messages)`` names the credential to check when an answer is a refusal of
    the credentials (it runs before every other rule).
    """

    def __init__(
        self,
        *,
        system: str,
        base_url: str,
        headers: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        max_in_flight: int | None = 3,
        endpoint_key: EndpointKey = _first_segment,
        budget: SlidingWindowBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_response: Callable[[httpx.Response], None] | None = None,
        validation_500: bool = True,
        auth_hint: Callable[[int, list[str]], str | None] | None = None,
        max_rate_wait: float | None = None,
    ):
        require_secure_url(base_url, system)
        self.system = system
        self.retry = retry or RetryPolicy()
        self._max_in_flight = max_in_flight
        self._endpoint_key = endpoint_key
        self._budget = budget
        self._sleep = sleep
        self._on_response = on_response
        self._validation_500 = validation_500
        self._auth_hint = auth_hint
        # None: a 429's Retry-After is capped like any wait; a number: waited out in full up to
        # this many seconds (with a visible line), and beyond it the run stops naming when to retry.
        self._max_rate_wait = max_rate_wait
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        # Per HOST:PORT: refusals seen (by any request), and the error once it counts as down.
        self._refusals: dict[str, int] = {}
        self._unreachable: dict[str, ProviderError] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.bytes_received = 0
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=dict(headers),
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read: bool | None = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one logical request (retrying as the rules say); return the 2xx response.

        ``read`` says whether the call changes nothing on the server (default: GET only; pass
        True for POST queries). Statuses in ``ok`` are returned instead of raised.
        """
        is_read = method.upper() == "GET" if read is None else read
        url = path if path.startswith(("http://", "https://")) else path.lstrip("/")
        retrying = Retrying(
            stop=stop_any(stop_after_attempt(self.retry.attempts), _StopFast()),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(
                        method,
                        url,
                        body=json,
                        params=params,
                        headers=headers,
                        is_read=is_read,
                        ok=ok,
                    )
        except _Retryable as final:
            if final.fast:
                with self._lock:
                    self._unreachable[_host_key(self._client, url)] = final.error
            raise final.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        retry_after: float | None = exc.retry_after if isinstance(exc, _Retryable) else None
        if retry_after is not None and isinstance(exc, _Retryable) and exc.rate_wait:
            wait = max(retry_after, 0.0)
            log.warning(
                "%s: %s rate limit: waiting %.0f s",
                labelled(RATE_LIMITED),
                _shown_system(self.system),
                wait,
            )
            return wait
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry.max_wait)
        exponential = self.retry.initial_wait * 2.0 ** (state.attempt_number - 1)
        jitter = 0.5 + random.random() / 2
        cap = FAST_MAX_WAIT if isinstance(exc, _Retryable) and exc.fast else self.retry.max_wait
        return float(min(exponential, self.retry.max_wait, cap) * jitter)

    def _semaphore(self, key: str) -> threading.BoundedSemaphore | None:
        if self._max_in_flight is None:
            return None
        with self._lock:
            if key not in self._semaphores:
                self._semaphores[key] = threading.BoundedSemaphore(self._max_in_flight)
            return self._semaphores[key]

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        is_read: bool,
        ok: tuple[int, ...],
    ) -> httpx.Response:
        shown = _shown_path(self._client, url)
        unreachable = self._unreachable.get(_host_key(self._client, url))
        if unreachable is not None:
            raise unreachable  # known unreachable this run: every other request fails fast too
        key = self._endpoint_key(method, shown)
        semaphore = self._semaphore(key)
        if self._budget is not None:
            self._budget.acquire()
        started = time.monotonic()
        watch = IN_FLIGHT_WATCH.get() if semaphore is not None else None
        if semaphore is not None:
            _enter(semaphore, key, self._max_in_flight or 0, watch)
        try:
            with self._lock:
                self.calls += 1
            response = self._client.request(method, url, json=body, params=params, headers=headers)
            self.bytes_received += len(response.content)
        except _NOT_SENT as exc:
            log.info("%s %s %s -> connection failed (%s)", self.system, method, shown, exc)
            untrusted = _certificate_error(exc)
            if untrusted is not None:
                # Deterministic: retrying only delays the answer.
                raise Unavailable(
                    f"cannot connect to {self.system}: its TLS certificate could not be verified "
                    f"({untrusted})",
                    system=self.system,
                    method=method,
                    path=shown,
                    hint="check the URL; if a proxy re-signs TLS traffic, give its CA "
                    "certificate in SSL_CERT_FILE",
                ) from None
            reason = unreachable_reason(exc)
            if reason is not None:
                host = _host_key(self._client, url)
                down = Unavailable(
                    f"cannot connect to {host} ({reason})",
                    system=self.system,
                    method=method,
                    path=shown,
                    hint="check the URL and your network; is the sandbox running?",
                )
                with self._lock:
                    self._refusals[host] = self._refusals.get(host, 0) + 1
                    if self._refusals[host] >= FAST_ATTEMPTS:
                        # Counted across requests: concurrent reads do not each retry.
                        self._unreachable.setdefault(host, down)
                raise _Retryable(down, fast=True) from None
            raise _Retryable(
                Unavailable(
                    f"cannot connect to {self.system}",
                    system=self.system,
                    method=method,
                    path=shown,
                    hint="check the URL and your network; is the sandbox running?",
                )
            ) from None
        except _LOST_IN_FLIGHT as exc:
            log.info("%s %s %s -> no answer (%s)", self.system, method, shown, type(exc).__name__)
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "was cut off"
            if is_read:
                raise _Retryable(
                    Unavailable(
                        f"the request {kind}", system=self.system, method=method, path=shown
                    )
                ) from None
            raise UnknownOutcome(
                f"the write {kind}; it may or may not have been applied",
                system=self.system,
                method=method,
                path=shown,
            ) from None
        finally:
            if semaphore is not None:
                semaphore.release()
                if watch is not None:
                    watch.left(key)
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info(
            "%s %s %s -> %s (%.0f ms)", self.system, method, shown, response.status_code, elapsed_ms
        )
        if self._on_response is not None:
            self._on_response(response)
        if response.is_success or response.status_code in ok:
            return response
        raise self._error(response, method, shown, is_read)

    def _error(self, response: httpx.Response, method: str, shown: str, is_read: bool) -> Exception:
        status = response.status_code
        messages = api_messages(response)
        common: dict[str, Any] = {
            "system": self.system,
            "method": method,
            "path": shown,
            "status": status,
            "api_messages": messages,
        }
        # First: Autotask refuses some credentials with a 500 that would read as refused input.
        hint = self._auth_hint(status, messages) if self._auth_hint is not None else None
        if hint is not None:
            return AuthError(f"{self.system} refused the credentials", hint=hint, **common)
        if status in (401, 403):
            return AuthError(
                f"{self.system} refused the credentials",
                hint=_AUTH_HINTS.get(self.system),
                **common,
            )
        if status == 404:
            return NotFoundError("not found", **common)
        if status in (409, 412, 428):
            return ConflictError("the object changed or is held by someone else", **common)
        if status == 429:
            retry_after = retry_after_seconds(response)
            cap = self._max_rate_wait
            if cap is not None and retry_after is not None and retry_after > cap:
                return _rate_wait_too_long(self.system, retry_after, cap, common)
            return _Retryable(
                RateLimited(f"{self.system} is rate limiting us", **common),
                retry_after=retry_after,
                rate_wait=cap is not None,
            )
        has_errors = bool(messages) and _has_errors_list(response)
        if status in (400, 422) or (status == 500 and has_errors and self._validation_500):
            return ValidationFailed(f"{self.system} refused the request", **common)
        if status in _RETRYABLE_READ_STATUSES and is_read:
            return _Retryable(
                Unavailable(f"{self.system} is unavailable", **common),
                retry_after=retry_after_seconds(response),
            )
        if status in _UNKNOWN_OUTCOME_STATUSES:
            return UnknownOutcome(
                f"{self.system} answered {status} to a write; it may or may not have been applied",
                **common,
            )
        return ProviderError(f"unexpected answer from {self.system}", **common)


_AUTH_HINTS = {
    "autotask": "check AUTOTASK_API_USERNAME, AUTOTASK_API_SECRET and "
    "AUTOTASK_API_INTEGRATION_CODE (an API-only user with a tracking identifier)",
    "salesbuildr": "check SALESBUILDR_API_KEY",
}


def _enter(
    semaphore: threading.BoundedSemaphore, key: str, limit: int, watch: InFlightWatch | None
) -> None:
    """Take one of the endpoint's slots, telling ``watch`` when the request has to wait."""
    if watch is None:
        semaphore.acquire()
        return
    waited = not semaphore.acquire(blocking=False)
    if waited:
        watch.waiting(key, limit)
        semaphore.acquire()
    watch.entered(key, limit, waited=waited)


def _shown_system(system: str) -> str:
    return {"salesbuildr": "Salesbuildr", "autotask": "Autotask"}.get(system, system)


def _rate_wait_too_long(
    system: str, retry_after: float, cap: float, common: dict[str, Any]
) -> RateLimited:
    """The 429 that asks for a longer wait than the run may spend: stop, saying when to retry."""
    return RateLimited(
        f"{_shown_system(system)} rate limit: it asks us to wait {retry_after:.0f} s, more than "
        f"the {cap:.0f} s this run may wait; {retry_when(retry_after)}",
        hint="run again after that time, or allow a longer wait with "
        "`reconcile --max-rate-wait SECONDS` (RECONCILE_MAX_RATE_WAIT)",
        **common,
    )


def _certificate_error(exc: BaseException) -> str | None:
    """The reason, when a connection failed because the server's certificate is not trusted."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or seen)
        seen = seen.__cause__ or seen.__context__
    return None


class _StopFast(stop_base):
    """Stop after FAST_ATTEMPTS when the failure is one no retry can fix."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        return (
            isinstance(exc, _Retryable) and exc.fast and retry_state.attempt_number >= FAST_ATTEMPTS
        )


def _host_key(client: httpx.Client, url: str) -> str:
    return _where(client, url)[1]


def _shown_path(client: httpx.Client, url: str) -> str:
    """The path to log and to put in errors: no scheme, host or query string (it may hold ids)."""
    return _where(client, url)[0]


_WHERE: weakref.WeakKeyDictionary[httpx.Client, dict[str, tuple[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _where(client: httpx.Client, url: str) -> tuple[str, str]:
    """(path, HOST:PORT) of ``url``, built once per client and URL: building a request is a
    good part of the client's CPU per write. (Racing threads may both build it: same answer.)"""
    known = _WHERE.get(client)
    if known is None:
        known = _WHERE.setdefault(client, {})
    found = known.get(url)
    if found is None:
        full = client.build_request("GET", url).url
        found = known[url] = (full.path, host_and_port(full))
        if len(known) > 4096:
            known.clear()
    return found


def _has_errors_list(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("errors"), list) and bool(body["errors"])


def api_messages(response: httpx.Response) -> list[str]:
    """The API's own error messages: Autotask ``{"errors": [str]}``, Salesbuildr ``{"message",
    "errors": [{"path", "message"}]}``."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [text[:500]] if text and len(text) < 2000 else []
    if not isinstance(body, dict):
        return []
    messages: list[str] = []
    if isinstance(body.get("message"), str) and body["message"]:
        messages.append(body["message"])
    for item in body.get("errors") or []:
        if isinstance(item, str):
            messages.append(item)
        elif isinstance(item, dict):
            text = str(item.get("message", ""))
            where = item.get("path") or item.get("field")
            messages.append(f"{where}: {text}" if where else text)
    return messages


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
