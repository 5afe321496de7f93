"""Halo's refusals mapped onto the error tree (:mod:`reconciler.errors`).

Halo declares no error responses (SPEC-H: only ``200 Success``); users report (halopsa-api.md §6):
401 for a missing or expired token, 403 for a missing permission, 400 for refused input with a
body that is often a JSON **string** or plain text ("Please populate main contact name"), 404 for
an unknown id, 429 for the rate limit. The body may also be an object (``{"message"}``, the ASP.NET
``{"Message"}``, OAuth's ``{"error", "error_description"}``), so every shape is read.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from reconciler.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderError,
    ValidationFailed,
)

SYSTEM: Final = "halopsa"
MAPPED_STATUSES: Final = (400, 401, 403, 404, 409, 422)
"""Answers this module turns into errors; 429 and 5xx stay with the transport's retry rules."""
CREDENTIALS_HINT: Final = (
    "check HALOPSA_CLIENT_ID and HALOPSA_CLIENT_SECRET (an API application with 'Client ID and "
    "Secret' authentication), and HALOPSA_TENANT for a Halo-hosted tenant"
)
PERMISSIONS_HINT: Final = (
    "give the API application the permissions all:standard, all:teams and admin:webhooks "
    "(Configuration > Integrations > HaloPSA API > View Applications)"
)
_MESSAGE_KEYS: Final = ("message", "Message", "error_description", "error", "title", "detail")
_MAX_MESSAGE: Final = 500


def halo_messages(response: httpx.Response) -> list[str]:
    """The messages of a Halo refusal: a JSON string, plain text, an object or a list of them."""
    try:
        body: Any = response.json()
        return _messages_of(body)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser
        text = response.text.strip()
        return [text[:_MAX_MESSAGE]] if text else []


def _messages_of(body: Any) -> list[str]:
    if isinstance(body, str):
        return [body[:_MAX_MESSAGE]] if body.strip() else []
    if isinstance(body, list):
        return [message for item in body for message in _messages_of(item)]
    if not isinstance(body, dict):
        return []
    for key in _MESSAGE_KEYS:
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return [value[:_MAX_MESSAGE]]
    errors = body.get("errors")
    return _messages_of(errors) if errors is not None else []


def refusal(response: httpx.Response, method: str, path: str) -> ProviderError:
    """The error for a 400/401/403/404/409/422 answer (see :data:`MAPPED_STATUSES`)."""
    status = response.status_code
    common: dict[str, Any] = {
        "system": SYSTEM,
        "method": method,
        "path": path,
        "status": status,
        "api_messages": halo_messages(response),
    }
    if status == 401:
        return AuthError("HaloPSA refused the access token", hint=CREDENTIALS_HINT, **common)
    if status == 403:
        return AuthError("HaloPSA refused the request: permission", hint=PERMISSIONS_HINT, **common)
    if status == 404:
        return NotFoundError("not found", **common)
    if status == 409:
        return ConflictError("the object changed or is held by someone else", **common)
    return ValidationFailed("HaloPSA refused the request", **common)
