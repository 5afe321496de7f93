"""Where the HaloPSA credentials go, from the real environment only (never from the YAML).

* ``HALOPSA_URL``: the tenant, e.g. ``https://acme.halopsa.com`` (the resource server is its
  ``/api``; a trailing ``/api`` is accepted and dropped);
* ``HALOPSA_CLIENT_ID``, ``HALOPSA_CLIENT_SECRET``: the API application (Salesbuildr's setup guide:
  "Client ID and Secret", login type Agent);
* ``HALOPSA_TENANT`` (optional): Halo-hosted tenants add ``?tenant=`` to the token request
  (halopsa-api.md §2 [C]);
* ``HALOPSA_AUTH_URL`` (optional, default ``<HALOPSA_URL>/auth``): the authorisation server. Its
  host must be the tenant's host or one ``RECONCILE_ALLOWED_HOSTS`` allows (loopback always is),
  so a changed variable cannot send the secret elsewhere unnoticed.

The client's limits (:class:`HaloLimits`), optional, from the real environment only
(``os.environ``: a ``.env`` that sets one is refused, config.env):

* ``HALOPSA_REQUESTS_PER_5_MINUTES``: the client-side rate cap (default 300, as users report:
  :class:`~.client.RateCap`);
* ``HALOPSA_PAGE_SIZE``: records per page of a paged list (default 100, the client's).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from reconciler import redact
from reconciler.errors import UsageError
from reconciler.hosts import allowed_hosts, check_reviewed_url, refuse_userinfo
from reconciler.transport.http import require_secure_url

SYSTEM: Final = "halopsa"
URL: Final = "HALOPSA_URL"
CLIENT_ID: Final = "HALOPSA_CLIENT_ID"
CLIENT_SECRET: Final = "HALOPSA_CLIENT_SECRET"
TENANT: Final = "HALOPSA_TENANT"
AUTH_URL: Final = "HALOPSA_AUTH_URL"
REQUIRED: Final = (URL, CLIENT_ID, CLIENT_SECRET)
RATE: Final = "HALOPSA_REQUESTS_PER_5_MINUTES"
PAGE_SIZE: Final = "HALOPSA_PAGE_SIZE"
LIMITS: Final = (RATE, PAGE_SIZE)
"""The limit variables (``Psa.limit_vars``, reconciler.envvars' table: a test keeps them equal)."""


@dataclass(frozen=True)
class HaloConnection:
    """The tenant, the authorisation server and the application's credentials."""

    url: str
    """The tenant's root (no ``/api``, no trailing slash)."""
    auth_url: str
    client_id: str
    client_secret: str = field(repr=False)
    tenant: str | None = None

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    @property
    def token_url(self) -> str:
        return self.auth_url + "/token"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> HaloConnection:
        """Read and check the ``HALOPSA_*`` variables of the real environment ``environ``.

        Registers the secret with the redactor. Raises UsageError naming what is missing or
        refused; nothing is sent."""
        missing = [name for name in REQUIRED if not (environ.get(name) or "").strip()]
        if missing:
            raise UsageError(
                f"HaloPSA needs {', '.join(missing)} in the environment",
                hint="set HALOPSA_URL (e.g. https://acme.halopsa.com), HALOPSA_CLIENT_ID and "
                "HALOPSA_CLIENT_SECRET in the real environment of the run (not in the YAML)",
            )
        secret = environ[CLIENT_SECRET].strip()
        redact.register(secret)
        redact.register_basic_auth(environ[CLIENT_ID].strip(), secret)
        url = _tenant_root(environ[URL])
        refuse_userinfo(url, what=f"the {URL} value")
        _require_https(url, URL)
        auth_url = (environ.get(AUTH_URL) or "").strip().rstrip("/") or url + "/auth"
        _require_https(auth_url, AUTH_URL)
        check_reviewed_url(
            auth_url,
            system=SYSTEM,
            source=f"{AUTH_URL} value",
            allowed=allowed_hosts(SYSTEM, {**environ, URL: url}),
        )
        tenant = (environ.get(TENANT) or "").strip() or None
        return cls(url, auth_url, environ[CLIENT_ID].strip(), secret, tenant)


@dataclass(frozen=True)
class HaloLimits:
    """The client's rate cap (requests in any 5 minutes) and page size; None: the client's
    default (:mod:`.client`: 300 and 100)."""

    requests_per_5_minutes: int | None = None
    page_size: int | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HaloLimits:
        """The limits ``environ`` sets (None: the real environment, never one merged with a
        ``.env``); a UsageError for a value that is not a positive whole number."""
        source = os.environ if environ is None else environ
        return cls(
            _positive(source, RATE, "requests per 5 minutes"),
            _positive(source, PAGE_SIZE, "records a page"),
        )


def _positive(environ: Mapping[str, str], name: str, what: str) -> int | None:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(
            f"{name} {raw!r} is not a positive whole number of {what}",
            hint="unset it for the client's default",
        )
    return int(raw)


def _require_https(url: str, variable: str) -> None:
    """The transport's https rule, with a hint naming the Halo variable that holds ``url``."""
    try:
        require_secure_url(url, SYSTEM)
    except UsageError as refused:
        raise UsageError(refused.message, hint=f"check {variable}") from None


def _tenant_root(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url.lower().endswith("/api"):
        url = url[: -len("/api")]
    return url
