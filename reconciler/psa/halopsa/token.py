"""OAuth2 client credentials against Halo's authorisation server, the token cached for its lifetime.

``POST <auth>/token[?tenant=]`` form-encoded ``grant_type=client_credentials``, the client id and
secret, and the scopes Salesbuildr's setup guide grants (``all:standard all:teams admin:webhooks``,
halopsa-api.md §2 [V SB-SETUP]). The answer's ``expires_in`` sets the lifetime on an injectable
clock; a token is renewed :data:`RENEW_BEFORE_S` before it runs out, or at once after a 401
(:meth:`TokenSource.invalidate`). The secret and every token are registered with the redactor,
and neither is ever logged: the log line names the token URL without its query.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import httpx

from reconciler import redact
from reconciler.errors import (
    AuthError,
    ProviderError,
    RateLimited,
    ServerMisbehaved,
    Unavailable,
)
from reconciler.psa.halopsa.connection import HaloConnection
from reconciler.psa.halopsa.errors import CREDENTIALS_HINT, SYSTEM, halo_messages
from reconciler.transport.body import (
    AnswerTooLarge,
    Source,
    json_body,
    response_cap,
    send_capped,
)
from reconciler.transport.http import SlidingWindowBudget, retry_after_seconds

log = logging.getLogger(__name__)

SCOPES: Final = ("all:standard", "all:teams", "admin:webhooks")
RENEW_BEFORE_S: Final = 60.0
"""Renew a token this long before its ``expires_in`` ends (clock skew, a request in flight)."""
DEFAULT_LIFETIME_S: Final = 3600.0
"""Used when the answer carries no ``expires_in`` (C-SKILL's example value)."""
ATTEMPTS: Final = 3
_TOKEN: Final = re.compile(r"[\x21-\x7e]+")
"""What a token we send may hold: visible ASCII only, so nothing can end or fold the
``Authorization`` header it travels in (no CR, LF, space, control or non-ASCII character).
RFC 6750's ``b64token`` is narrower; this is the part that keeps the request well-formed."""


class TokenSource:
    """Hands out a bearer token, fetching one when there is none or it is (nearly) expired.

    Thread-safe: concurrent requests that find no valid token fetch it once."""

    def __init__(
        self,
        connection: HaloConnection,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        budget: SlidingWindowBudget | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._connection = connection
        self._clock = clock
        self._sleep = sleep
        self._budget = budget
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetched = 0
        self._http = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        self._http.close()

    def token(self) -> str:
        """A token valid for at least :data:`RENEW_BEFORE_S` more seconds."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - RENEW_BEFORE_S:
                self._token, lifetime = self._fetch()
                self._expires_at = self._clock() + lifetime
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API refused it); the next :meth:`token` fetches a new one."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._connection.client_id,
            "client_secret": self._connection.client_secret,
            "scope": " ".join(SCOPES),
        }
        params = {"tenant": self._connection.tenant} if self._connection.tenant else None
        for attempt in range(1, ATTEMPTS + 1):
            if self._budget is not None:
                self._budget.acquire()
            asked: float | None = None  # what a 429 or 503 asks us to wait
            try:
                response = self._post(form, params)
            except AnswerTooLarge as exc:
                raise self._source().too_large(exc) from None
            except httpx.HTTPError as exc:
                log.info("halopsa POST /auth/token -> no answer (%s)", type(exc).__name__)
                error: ProviderError = Unavailable(
                    "cannot get a HaloPSA access token",
                    system=SYSTEM,
                    method="POST",
                    path=self._shown_path(),
                    hint="check HALOPSA_URL / HALOPSA_AUTH_URL and your network",
                )
            else:
                log.info("halopsa POST %s -> %s", self._shown_path(), response.status_code)
                if response.is_success:
                    return self._parse(response)
                error = self._refused(response)
                if not isinstance(error, RateLimited | Unavailable):
                    raise error
                asked = retry_after_seconds(response)
            if attempt < ATTEMPTS:
                self._sleep(asked if asked is not None else 2.0**attempt)
        raise error

    def _post(self, form: dict[str, str], params: dict[str, str] | None) -> httpx.Response:
        """POST the token request; its answer read within the size cap (:mod:`.body`)."""
        request = self._http.build_request(
            "POST", self._connection.token_url, data=form, params=params
        )
        return send_capped(self._http, request, response_cap())

    def _source(self) -> Source:
        return Source(SYSTEM, "HaloPSA's authorisation server", "POST", self._shown_path())

    def _parse(self, response: httpx.Response) -> tuple[str, float]:
        try:
            body = json_body(response, self._source())
        except ServerMisbehaved:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if isinstance(token, str) and token and not _TOKEN.fullmatch(token):
            redact.register(token)  # never shown, even in part
            raise self._source().fault(
                "the access token holds characters a bearer token may not (a control "
                "character, space or line break); not sent anywhere"
            )
        if not isinstance(token, str) or not token:
            raise AuthError(
                "HaloPSA's authorisation server answered without an access token",
                system=SYSTEM,
                method="POST",
                path=self._shown_path(),
                status=response.status_code,
                hint="check HALOPSA_AUTH_URL: it must be the Authorisation Server of the tenant",
            )
        redact.register(token)
        self.fetched += 1
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        lifetime = (
            float(expires_in)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else DEFAULT_LIFETIME_S
        )
        return token, max(lifetime, 0.0)

    def _refused(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        common: dict[str, Any] = {
            "system": SYSTEM,
            "method": "POST",
            "path": self._shown_path(),
            "status": status,
            "api_messages": halo_messages(response),
        }
        if status == 429:
            return RateLimited("HaloPSA is rate limiting the token requests", **common)
        if status >= 500:
            return Unavailable("HaloPSA's authorisation server is unavailable", **common)
        return AuthError(
            "HaloPSA refused the application's credentials", hint=CREDENTIALS_HINT, **common
        )

    def _shown_path(self) -> str:
        return httpx.URL(self._connection.token_url).path
