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

import logging
import random
import threading
import time
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
)
from reconciler.hosts import is_loopback_host, refuse_userinfo
from reconciler.transport.answers import AUTH_HINTS as _AUTH_HINTS
from reconciler.transport.answers import api_messages, retry_after_seconds
from reconciler.transport.answers import certificate_error as _certificate_error
from reconciler.transport.answers import has_errors_list as _has_errors_list
from reconciler.transport.answers import rate_wait_too_long as _rate_wait_too_long
from reconciler.transport.answers import shown_system as _shown_system
from reconciler.transport.body import (
    AnswerTooLarge,
    Source,
    answered_id,
    integer_id,
    json_body,
    json_object,
    json_rows,
    response_cap,
    send_capped,
)
from reconciler.transport.budget import SlidingWindowBudget
from reconciler.transport.connect import (
    FAST_ATTEMPTS,
    FAST_MAX_WAIT,
    unreachable_reason,
)
from reconciler.transport.in_flight import IN_FLIGHT_WATCH, enter_slot
from reconciler.transport.where import host_key as _host_key
from reconciler.transport.where import shown_path as _shown_path
from reconciler.warning_ids import RATE_LIMITED, labelled

__all__ = [  # these live in .answers, .body and .budget; imported from here by many
    "ApiClient",
    "RetryPolicy",
    "SlidingWindowBudget",
    "Source",
    "answered_id",
    "api_messages",
    "integer_id",
    "json_body",
    "json_object",
    "json_rows",
    "require_secure_url",
    "retry_after_seconds",
]

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
        max_response_bytes: int | None = None,
    ):
        require_secure_url(base_url, system)
        self._max_response_bytes = max_response_bytes  # None: the process's cap (.body)
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
            enter_slot(semaphore, key, self._max_in_flight or 0, watch)
        try:
            with self._lock:
                self.calls += 1
            response = self._receive(method, url, body=body, params=params, headers=headers)
            self.bytes_received += len(response.content)
        except AnswerTooLarge as exc:
            log.info("%s %s %s -> answer over the size cap", self.system, method, shown)
            raise _oversized(self.system, method, shown, exc, is_read) from None
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

    def _receive(
        self,
        method: str,
        url: str,
        *,
        body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """Send one request and read its answer within the size cap (:mod:`.body`)."""
        request = self._client.build_request(method, url, json=body, params=params, headers=headers)
        return send_capped(self._client, request, self._max_response_bytes or response_cap())

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


def _oversized(
    system: str, method: str, shown: str, error: AnswerTooLarge, is_read: bool
) -> ProviderError:
    """A read whose answer passed the cap is a server fault; a write's, an unknown outcome
    (its status was never weighed: it may have been applied, so it is resolved by natural key)."""
    if is_read:
        return Source(system, _shown_system(system), method, shown).too_large(error)
    return UnknownOutcome(
        f"{error.describe()}; the write may or may not have been applied",
        system=system,
        method=method,
        path=shown,
    )


class _StopFast(stop_base):
    """Stop after FAST_ATTEMPTS when the failure is one no retry can fix."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        return (
            isinstance(exc, _Retryable) and exc.fast and retry_state.attempt_number >= FAST_ATTEMPTS
        )
