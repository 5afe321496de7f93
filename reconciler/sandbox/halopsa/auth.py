"""The simulator's authorisation server: OAuth2 client credentials, bearer tokens with a lifetime.

``POST /auth/token`` (form-encoded ``grant_type=client_credentials&client_id&client_secret&scope``,
``?tenant=`` for Halo-hosted tenants) answers ``{access_token, token_type: "Bearer", expires_in,
scope}`` (halopsa-api.md §2 [C]). Tokens expire after ``lifetime_s`` on an injectable clock; an
expired, unknown or missing token is a 401 on every ``/api`` route. A request for a scope the
application was not granted is refused; an API route whose scope the token lacks is a 403.

Error bodies follow RFC 6749 §5.2 (``{"error", "error_description"}``) for the token endpoint;
Halo's own wording is not in any source we read [I].
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response

Clock = Callable[[], float]

SALESBUILDR_SCOPES: Final = frozenset({"all:standard", "all:teams", "admin:webhooks"})
"""What Salesbuildr's setup guide grants the API application (halopsa-api.md §2 [V SB-SETUP])."""

ALL_SCOPE: Final = "all"

#: The scope an API resource needs, by the first path segment (lower case); others need
#: ``all:standard``. Halo's permission names are [C C-HAPI]; which resource needs which is [I].
RESOURCE_SCOPES: Final[Mapping[str, str]] = {
    "webhook": "admin:webhooks",
    "webhookevent": "admin:webhooks",
    "team": "all:teams",
}
DEFAULT_SCOPE: Final = "all:standard"


@dataclass(frozen=True)
class HaloCredentials:
    """The API application the simulator knows: its client id and secret, its tenant (None: a
    self-hosted instance, no ``?tenant=``), and the permissions (scopes) it was granted."""

    client_id: str
    client_secret: str
    tenant: str | None = None
    granted: frozenset[str] = SALESBUILDR_SCOPES


@dataclass(frozen=True)
class Token:
    value: str
    scopes: frozenset[str]
    expires_at: float

    def allows(self, scope: str) -> bool:
        return ALL_SCOPE in self.scopes or scope in self.scopes


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@dataclass
class TokenIssuer:
    """Issues and checks bearer tokens; ``clock`` is seconds (monotonic by default)."""

    credentials: HaloCredentials
    clock: Clock
    lifetime_s: int = 3600
    issued: int = 0
    _tokens: dict[str, Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self.issued = 0

    def expire_all(self) -> None:
        """Make every issued token expired now (a test of the client's refresh)."""
        with self._lock:
            now = self.clock()
            self._tokens = {k: Token(t.value, t.scopes, now) for k, t in self._tokens.items()}

    def token_answer(self, form: Mapping[str, str], tenant: str | None) -> Response:
        """The answer to ``POST /auth/token`` with this form and ``?tenant=`` value."""
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is served.")
        if (
            form.get("client_id") != self.credentials.client_id
            or form.get("client_secret") != self.credentials.client_secret
        ):
            return _oauth_error(401, "invalid_client", "The client id or secret is not valid.")
        if self.credentials.tenant is not None and tenant != self.credentials.tenant:
            return _oauth_error(400, "invalid_request", "Unknown or missing tenant.")
        asked = frozenset((form.get("scope") or ALL_SCOPE).split())
        granted = self.credentials.granted
        if ALL_SCOPE in asked:
            scopes = granted  # "all" asks for everything the application was given
        elif asked <= granted or ALL_SCOPE in granted:
            scopes = asked
        else:
            missing = ", ".join(sorted(asked - granted))
            return _oauth_error(400, "invalid_scope", f"Not granted to this application: {missing}")
        token = Token(secrets.token_urlsafe(24), scopes, self.clock() + self.lifetime_s)
        with self._lock:
            self._tokens[token.value] = token
            self.issued += 1
        return JSONResponse(
            {
                "access_token": token.value,
                "token_type": "Bearer",
                "expires_in": self.lifetime_s,
                "scope": " ".join(sorted(scopes)),
            }
        )

    def refusal(self, headers: Headers, resource: str) -> Response | None:
        """401 for a missing, unknown or expired bearer token; 403 for one without the scope
        ``resource`` needs; None when the request may go on."""
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        with self._lock:
            token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or self.clock() >= token.expires_at:
            return Response(
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        needed = RESOURCE_SCOPES.get(resource.lower(), DEFAULT_SCOPE)
        if not token.allows(needed):
            return JSONResponse(f"The token lacks the permission {needed}.", status_code=403)
        return None
