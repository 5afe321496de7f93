"""What a run needs from the environment before its first request, named all at once.

A run that needs both systems and lacks three variables says so in one error, not one round per
variable. A Salesbuildr URL that is not the public API's base (``…/public-api``) is refused with
a hint, as an Autotask URL that does not end in ``/atservicesrest`` is: every path would 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from reconciler.errors import UsageError
from reconciler.hosts import shown

SALESBUILDR_KEY = "SALESBUILDR_API_KEY"
SALESBUILDR_API_PATH = "/public-api"
_SANDBOX_HINT = "`reconcile sandbox` prints a set for the local simulators"


def missing_credentials(
    environ: Mapping[str, str],
    *,
    salesbuildr: bool,
    salesbuildr_url: str | None = None,
    psa: Sequence[str] = (),
) -> list[str]:
    """Every variable (or setting) the run needs that is unset, in a stable order (``psa``:
    the PSA's own variables, its ``PsaSystem.credentials``)."""
    missing: list[str] = []
    if salesbuildr:
        if not (environ.get("SALESBUILDR_API_URL") or salesbuildr_url):
            missing.append("SALESBUILDR_API_URL (or salesbuildr.url in the YAML)")
        if not environ.get(SALESBUILDR_KEY):
            missing.append(SALESBUILDR_KEY)
    missing.extend(name for name in dict.fromkeys(psa) if not environ.get(name))
    return missing


def require_credentials(
    environ: Mapping[str, str],
    *,
    salesbuildr: bool,
    salesbuildr_url: str | None = None,
    psa: Sequence[str] = (),
) -> None:
    """A UsageError naming every missing variable at once; nothing when all are set."""
    missing = missing_credentials(
        environ,
        salesbuildr=salesbuildr,
        salesbuildr_url=salesbuildr_url,
        psa=psa,
    )
    if not missing:
        return
    noun = "variable is" if len(missing) == 1 else f"{len(missing)} variables are"
    raise UsageError(
        f"credentials missing: {noun} not set: {', '.join(missing)}",
        hint="export them in the real environment (a .env file may not set them); " + _SANDBOX_HINT,
    )


def check_salesbuildr_url(url: str, *, what: str = "SALESBUILDR_API_URL") -> str:
    """``url`` without a trailing slash, or a UsageError when its path is not ``/public-api``."""
    base = url.rstrip("/")
    try:
        parsed = httpx.URL(base)
    except httpx.InvalidURL:
        return base  # the client's own check names what is wrong with it
    if not parsed.path.rstrip("/").lower().endswith(SALESBUILDR_API_PATH):
        origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace').rsplit('@', 1)[-1]}"
        raise UsageError(
            f"the Salesbuildr URL {shown(url)!r} ({what}) does not end in {SALESBUILDR_API_PATH}",
            hint=f"use the public API's base, e.g. {origin}{SALESBUILDR_API_PATH}",
        )
    return base
