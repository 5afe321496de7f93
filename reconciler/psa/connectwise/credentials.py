"""The ConnectWise connection, from the real environment only.

``CONNECTWISE_API_URL`` (the site's API base, e.g.
``https://api-na.myconnectwise.net/v4_6_release/apis/3.0``), ``CONNECTWISE_COMPANY``,
``CONNECTWISE_PUBLIC_KEY``, ``CONNECTWISE_PRIVATE_KEY`` and ``CONNECTWISE_CLIENT_ID``. The YAML
names no ConnectWise host and nothing is discovered from an answer (no ``/login/companyinfo``),
so the credentials go to the host the operator set and nowhere else: the URL must be https (http
only to loopback, the sandbox), carry no user-info, and its path must be the API base
(``…/apis/3.0``). The secrets are registered with the redactor as soon as they are read,
including the ``company+publicKey:privateKey`` pair a Basic header carries.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import SecretStr

from reconciler import redact
from reconciler.errors import UsageError
from reconciler.hosts import allowed_hosts, is_loopback_host, refuse_userinfo, shown

SYSTEM: Final = "connectwise"
URL_VARIABLE: Final = "CONNECTWISE_API_URL"
VARIABLES: Final = (
    URL_VARIABLE,
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
)
API_PATH_SUFFIX: Final = "/apis/3.0"
API_VERSION: Final = "2025.1"
ACCEPT: Final = f"application/vnd.connectwise.com+json; version={API_VERSION}"
"""The version is pinned: the subset document, and so every schema we rely on, is 2025.1's."""
EXAMPLE_URL: Final = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


@dataclass(frozen=True)
class ConnectWiseCredentials:
    """Where and as whom to connect; ``repr`` shows no secret."""

    api_url: str
    company: str
    public_key: SecretStr
    private_key: SecretStr
    client_id: str

    def headers(self) -> dict[str, str]:
        """Basic auth of ``company+publicKey:privateKey``, ``clientId``, the pinned version."""
        pair = f"{self.company}+{self.public_key.get_secret_value()}:"
        pair += self.private_key.get_secret_value()
        return {
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            "clientId": self.client_id,
            "Accept": ACCEPT,
        }


def check_api_url(url: str, environ: Mapping[str, str]) -> str:
    """``url`` without a trailing ``/``, or a UsageError saying what is wrong with it."""
    refuse_userinfo(url, what=URL_VARIABLE)
    base = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(base)
    except httpx.InvalidURL:
        raise UsageError(f"{URL_VARIABLE} {shown(url)!r} is not a URL") from None
    secure = parsed.scheme == "https" or (
        parsed.scheme == "http" and is_loopback_host(parsed.host or "")
    )
    if not parsed.host or not secure:
        raise UsageError(
            f"{URL_VARIABLE} {shown(url)!r} must be https:// (plain http only for loopback "
            "hosts: the sandbox)",
            hint=f"e.g. {EXAMPLE_URL}",
        )
    if not parsed.path.lower().endswith(API_PATH_SUFFIX):
        raise UsageError(
            f"{URL_VARIABLE} {shown(url)!r} is not a ConnectWise API base (its path must end "
            f"in {API_PATH_SUFFIX})",
            hint=f"use the site's API base, e.g. {EXAMPLE_URL}",
        )
    if not allowed_hosts(SYSTEM, environ).allows(base):  # pragma: no cover - its own variable
        raise UsageError(f"{URL_VARIABLE}: the host {parsed.host} is not allowed")
    return base


def credentials_from_env(environ: Mapping[str, str]) -> ConnectWiseCredentials:
    """The connection from ``environ`` (the real environment), naming every missing variable."""
    missing = [name for name in VARIABLES if not environ.get(name)]
    if missing:
        noun = "variable is" if len(missing) == 1 else f"{len(missing)} variables are"
        raise UsageError(
            f"ConnectWise credentials missing: {noun} not set: {', '.join(missing)}",
            hint="export them in the real environment (a .env file may not set them); "
            "`reconcile sandbox --psa connectwise` prints a set for the local simulator",
        )
    company = environ["CONNECTWISE_COMPANY"]
    public_key = environ["CONNECTWISE_PUBLIC_KEY"]
    private_key = environ["CONNECTWISE_PRIVATE_KEY"]
    redact.register(public_key, private_key)
    redact.register_basic_auth(f"{company}+{public_key}", private_key)
    return ConnectWiseCredentials(
        api_url=check_api_url(environ[URL_VARIABLE], environ),
        company=company,
        public_key=SecretStr(public_key),
        private_key=SecretStr(private_key),
        client_id=environ["CONNECTWISE_CLIENT_ID"],
    )
