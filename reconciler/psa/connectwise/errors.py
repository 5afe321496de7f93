"""ConnectWise's refusals, mapped onto the error tree (by ``transport.http.ApiClient``).

ConnectWise answers errors with ``{code, message, errors: [{code, message, resource, field}]}``
(``connectwise-api.md`` section 8, community-sourced); ``api_messages`` turns that into the
API's messages (``field: message``). By status: 400 -> ``ValidationFailed``, 401 / 403 ->
``AuthError`` with the hint below, 404 -> ``NotFoundError``, 409 -> ``ConflictError``, 429 ->
retried (Retry-After), then ``RateLimited``; a 5xx on a read is retried, then ``Unavailable``;
a 5xx or lost answer on a write is ``UnknownOutcome``. A 500 is never read as refused input (the
API reports that with a 400).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

CREDENTIALS_HINT: Final = (
    "check CONNECTWISE_COMPANY, CONNECTWISE_PUBLIC_KEY and CONNECTWISE_PRIVATE_KEY (the API "
    "member's key pair) and CONNECTWISE_CLIENT_ID (the clientId from developer.connectwise.com)"
)
ROLE_HINT: Final = (
    "the API member's security role does not allow this; grant it in ConnectWise (System > "
    "Security Roles) and make the table visible in Table Setup"
)


def auth_failure_hint(status: int, messages: Sequence[str]) -> str | None:
    """The hint for a refusal of the credentials (401) or of the security role (403)."""
    if status == 401:
        return CREDENTIALS_HINT
    if status == 403:
        return ROLE_HINT
    return None
