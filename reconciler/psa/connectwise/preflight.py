"""ConnectWise's part of ``reconcile preflight``, by reads only: ConnectWise states no access
per entity, so one row of every list the sections read (and of the callbacks) is asked for; a
403 is a denial. Write access cannot be known before a write: the report says so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from reconciler.errors import AuthError, ProviderError
from reconciler.preflight import DENIED_STATUS, OK, UNCHECKED, AccessCheck
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.psa.connectwise.credentials import SYSTEM
from reconciler.psa.connectwise.kinds_callbacks import SECTION as CALLBACKS
from reconciler.psa.connectwise.read import FLAT, tables_of

PREFLIGHT_READS: Final[Mapping[str, str]] = {
    **FLAT,
    t.CW_CATEGORIES: endpoints.CATEGORIES,
    t.CW_COMPANY_UDFS: endpoints.USER_DEFINED_FIELDS,
}
"""Table -> the list a preflight reads one row of (a board's children: with the boards)."""


def _probe(
    client: ConnectWiseClient, target: str, path: str, needed: tuple[str, ...]
) -> AccessCheck:
    """One row of ``path``: read access shown; a 403 is a denial, not an error."""
    try:
        client.http.request("GET", path, params={"pageSize": 1, "fields": "id"})
    except AuthError as error:
        if error.status != 403:
            raise
        return AccessCheck(SYSTEM, target, DENIED_STATUS, needed, ("query",), "403 Forbidden")
    except ProviderError as error:
        return AccessCheck(SYSTEM, target, DENIED_STATUS, needed, ("query",), error.message)
    if needed == ("query",):
        return AccessCheck(SYSTEM, target, OK, needed)
    note = "read access shown; ConnectWise states no write access before a write"
    return AccessCheck(SYSTEM, target, UNCHECKED, needed, (), note)


def access_checks(client: ConnectWiseClient, sections: Sequence[str]) -> list[AccessCheck]:
    """Reads only: one row of every list the sections read, and of the callbacks."""
    paths = sorted({PREFLIGHT_READS[n] for n in tables_of(sections) if n in PREFLIGHT_READS})
    checks = [_probe(client, path, path, ("query",)) for path in paths]
    if CALLBACKS in sections:
        needed = ("query", "create", "update", "delete")
        checks.append(_probe(client, endpoints.CALLBACKS, endpoints.CALLBACKS, needed))
    return checks
