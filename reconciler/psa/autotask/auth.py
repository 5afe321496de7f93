"""Which Autotask answers are refused credentials, and which credential each one points at.

Autotask does not answer every credential failure with a 401: a wrong secret is a 401, but an
unknown user name or a wrong integration code is an HTTP 500 with an ``errors`` message
(apigrate/autotask-restapi issue #19), and ZoneInformation answers an unknown or blank user with
500 ``{"errors": ["Zone information could not be determined"]}`` (KelvinTegelaar/AutotaskAPI
issue #17). :func:`auth_failure_hint` is the one matcher for them; :class:`ApiClient` runs it
before any other classification, so such a 500 is an :class:`~reconciler.errors.AuthError`
(exit 1), never retried and never "validation failed".

Only these exact phrases count, case-insensitively. Broader words ("authentication",
"unauthorized") would also catch an ordinary refused write that happens to mention them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["AUTH_500_MESSAGES", "auth_failure_hint"]

USERNAME_HINT: Final = (
    "check AUTOTASK_API_USERNAME: Autotask does not know this API user (it must be the API-only "
    "user's user name, usually an e-mail address)"
)
INTEGRATION_CODE_HINT: Final = (
    "check AUTOTASK_API_INTEGRATION_CODE: Autotask rejected the tracking identifier of the API "
    "user's integration"
)
SECRET_HINT: Final = (
    "check AUTOTASK_API_SECRET: Autotask knows the user but refused the secret "
    "(if the secret is right, check AUTOTASK_API_INTEGRATION_CODE too)"
)

#: (phrase in an ``errors`` message of a 500, the hint naming the credential to check).
#: Sources: "Zone information could not be determined" — KelvinTegelaar/AutotaskAPI#17, matched
#: by asachs01/py-autotask (py_autotask/auth.py); "IntegrationCode is invalid" — the SOAP API's
#: wording (MattParr/python-atws#64), matched on a REST 500 by py-autotask; "Authentication
#: failed" — the wording our simulator uses for an unknown user (the real body is unpublished;
#: the PyPI autotask-client matches "authentication" in a 500).
AUTH_500_MESSAGES: Final[tuple[tuple[str, str], ...]] = (
    ("zone information could not be determined", USERNAME_HINT),
    ("integrationcode is invalid", INTEGRATION_CODE_HINT),
    ("authentication failed", USERNAME_HINT),
)


def auth_failure_hint(status: int, messages: Sequence[str]) -> str | None:
    """The hint for an Autotask answer that refuses the credentials; None for any other answer."""
    if status == 401:
        return SECRET_HINT
    if status != 500:
        return None
    for message in messages:
        folded = message.casefold()
        for phrase, hint in AUTH_500_MESSAGES:
            if phrase in folded:
                return hint
    return None
