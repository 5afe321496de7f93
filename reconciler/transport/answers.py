"""What an HTTP answer (or a failed connection) says, for :mod:`reconciler.transport.http`: the
APIs' own error messages, ``Retry-After``, the hint for refused credentials, the reason of an
untrusted certificate, the 429 that asks for a longer wait than a run may spend."""

from __future__ import annotations

import email.utils
import ssl
import time
from typing import Any

import httpx

from reconciler.errors import RateLimited, retry_when

AUTH_HINTS = {
    "autotask": "check AUTOTASK_API_USERNAME, AUTOTASK_API_SECRET and "
    "AUTOTASK_API_INTEGRATION_CODE (an API-only user with a tracking identifier)",
    "salesbuildr": "check SALESBUILDR_API_KEY",
}


def shown_system(system: str) -> str:
    shown = {
        "salesbuildr": "Salesbuildr",
        "autotask": "Autotask",
        "connectwise": "ConnectWise",
        "halopsa": "HaloPSA",
    }
    return shown.get(system, system)


def rate_wait_too_long(
    system: str, retry_after: float, cap: float, common: dict[str, Any]
) -> RateLimited:
    """The 429 that asks for a longer wait than the run may spend: stop, saying when to retry."""
    return RateLimited(
        f"{shown_system(system)} rate limit: it asks us to wait {retry_after:.0f} s, more than "
        f"the {cap:.0f} s this run may wait; {retry_when(retry_after)}",
        hint="run again after that time, or allow a longer wait with "
        "`reconcile --max-rate-wait SECONDS` (RECONCILE_MAX_RATE_WAIT)",
        **common,
    )


def certificate_error(exc: BaseException) -> str | None:
    """The reason, when a connection failed because the server's certificate is not trusted."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or seen)
        seen = seen.__cause__ or seen.__context__
    return None


def has_errors_list(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and isinstance(body.get("errors"), list) and bool(body["errors"])


def api_messages(response: httpx.Response) -> list[str]:
    """The API's own error messages: Autotask ``{"errors": [str]}``, Salesbuildr ``{"message",
    "errors": [{"path", "message"}]}``."""
    try:
        body = response.json()
    except RecursionError:
        return []  # nested deeper than the parser goes: no message worth showing
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
