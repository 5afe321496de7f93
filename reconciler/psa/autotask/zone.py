"""Which Autotask zone serves an API user: ZoneInformation, asked on Autotask's fixed discovery
host (unauthenticated: it receives the user name only), its answer checked before any
credential follows it."""

from __future__ import annotations

import httpx

from reconciler.errors import ProviderError, UsageError
from reconciler.hosts import AUTOTASK_ZONE_DOMAIN, host_of, is_autotask_zone, is_loopback_host
from reconciler.psa.autotask.auth import auth_failure_hint
from reconciler.transport.http import ApiClient, RetryPolicy

SYSTEM = "autotask"
DISCOVERY_URL = "https://webservices.autotask.net/atservicesrest"


def normalise_zone_url(url: str) -> str:
    """The zone base ends in ``/atservicesrest``; the client adds ``/V1.0/``."""
    base = url.rstrip("/")
    if base.lower().endswith("/v1.0"):
        base = base[: -len("/v1.0")]
    if not base.lower().endswith("/atservicesrest"):
        raise UsageError(
            f"the Autotask URL {url!r} does not end in /atservicesrest",
            hint="use the zone base as ZoneInformation returns it, e.g. "
            "https://webservices5.autotask.net/atservicesrest",
        )
    return base


def discover_zone(
    username: str,
    *,
    discovery_url: str = DISCOVERY_URL,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> str:
    """Ask ZoneInformation which zone serves ``username`` (unauthenticated, no thread limit)."""
    with ApiClient(
        system=SYSTEM,
        base_url=discovery_url.rstrip("/") + "/V1.0",
        headers={},
        transport=transport,
        retry=retry,
        max_in_flight=None,
        auth_hint=auth_failure_hint,
    ) as client:
        response = client.request("GET", "ZoneInformation", params={"user": username})
    body = response.json()
    url = body.get("url") if isinstance(body, dict) else None
    if not url:
        raise ProviderError(
            "ZoneInformation did not name a zone for the API user",
            system=SYSTEM,
            method="GET",
            path="/V1.0/ZoneInformation",
            hint="check AUTOTASK_API_USERNAME, or set AUTOTASK_API_URL",
        )
    zone = str(url)
    # The credentials follow the answer: only an Autotask zone (or loopback, the sandbox).
    if not (is_autotask_zone(zone) or is_loopback_host(host_of(zone))) or "@" in zone:
        raise ProviderError(
            f"ZoneInformation named {host_of(zone) or 'no host'!r}, which is not an Autotask "
            f"zone (https://*{AUTOTASK_ZONE_DOMAIN}); the credentials were not sent",
            system=SYSTEM,
            method="GET",
            path="/V1.0/ZoneInformation",
            hint="set AUTOTASK_API_URL to your zone's URL in the real environment",
        )
    return normalise_zone_url(zone)
