"""How the Autotask simulator refuses credentials, answers ZoneInformation and checks path ids.

The real API's refusals differ by cause, and clients tell the causes apart by HTTP status and the
message in ``{"errors": [...]}``. :data:`AUTH_FAILURES` is the one table of those answers; every
entry names where its status and wording come from, so the client's matcher
(:mod:`reconciler.psa.autotask.auth`) can be checked against the same facts.

Order of the checks, as the maintainer of apigrate/autotask-restapi describes it (issue #19): an
unknown user name is a 500 whatever else is sent; a known user with a wrong secret is a 401; right
user and secret with a wrong integration code is a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "AUTH_FAILURES",
    "AuthFailure",
    "AutotaskCredentials",
    "bad_path_id",
    "refusal",
    "zone_answer",
]

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
_ASCII_INTEGER: Final = re.compile(r"-?[0-9]+")
#: Path parameters the vendor's Swagger document types as ``integer``/``int64``.
ID_PARAMS: Final = ("id", "parentId")


@dataclass(frozen=True)
class AutotaskCredentials:
    """The API user's credentials the simulator accepts (compared exactly)."""

    username: str
    secret: str
    integration_code: str


@dataclass(frozen=True)
class AuthFailure:
    """One way the API refuses credentials: the status, the ``errors`` message, and its source."""

    status: int
    message: str
    source: str


#: The simulator's refusals, by cause. [C] = community-reported, [I] = our inference.
AUTH_FAILURES: Final[Mapping[str, AuthFailure]] = {
    # [C] body verbatim in KelvinTegelaar/AutotaskAPI issue #17; 500 per django-autotask's
    # get_zone_info ("AT returns 500 if username is blank or incorrect"); py-autotask's
    # auth.py maps this text on a zone-lookup 500 to its auth error ("invalid API username").
    "unknown_zone_user": AuthFailure(
        500,
        "Zone information could not be determined",
        "KelvinTegelaar/AutotaskAPI#17; KerkhoffTechnologies/django-autotask djautotask/api.py; "
        "asachs01/py-autotask py_autotask/auth.py",
    ),
    # [C] status: apigrate/autotask-restapi #19 ("invalid username ... HTTP 500, not a 401").
    # [I] wording: no public source quotes the body; ours contains "Authentication", which the
    # PyPI autotask-client (hyamie/autotask-client, autotask/client.py) matches on a 500.
    "unknown_user": AuthFailure(
        500,
        "Authentication failed: the user name is not known.",
        "status: apigrate/autotask-restapi#19; wording: ours (inferred)",
    ),
    # [C] status: apigrate/autotask-restapi #19 (valid user name, wrong secret -> 401).
    # Body ours; autotask-client and py-autotask treat any 401 as an auth failure.
    "bad_secret": AuthFailure(
        401,
        "Unable to authenticate: the API credentials are not valid.",
        "status: apigrate/autotask-restapi#19; wording: ours",
    ),
    # [C] status: apigrate/autotask-restapi #19 ("invalid integration code ... HTTP 500");
    # wording: the SOAP API's "IntegrationCode is invalid." (MattParr/python-atws#64), which
    # py-autotask's auth.py and tests match on a REST 500.
    "bad_integration_code": AuthFailure(
        500,
        "IntegrationCode is invalid.",
        "status: apigrate/autotask-restapi#19; wording: MattParr/python-atws#64, "
        "asachs01/py-autotask py_autotask/auth.py",
    ),
}


def _refuse(cause: str) -> Response:
    failure = AUTH_FAILURES[cause]
    return JSONResponse({"errors": [failure.message]}, status_code=failure.status)


def refusal(headers: Headers, credentials: AutotaskCredentials) -> Response | None:
    """The answer to a request whose auth headers (any case) are wrong; None when they are right."""
    if headers.get("username") != credentials.username:
        return _refuse("unknown_user")
    if headers.get("secret") != credentials.secret:
        return _refuse("bad_secret")
    if headers.get("apiintegrationcode") != credentials.integration_code:
        return _refuse("bad_integration_code")
    return None


def zone_answer(request: Request, credentials: AutotaskCredentials) -> Response:
    """ZoneInformation: the zone of the one API user, else the vendor's 500.

    The ``url`` ends in a slash, as the real API returns it (``…/ATServicesRest/``, logged in
    KelvinTegelaar/AutotaskAPI issue #62); a client that appends ``v1.0/`` to it must work.
    """
    if request.query_params.get("user", "") != credentials.username:
        return _refuse("unknown_zone_user")
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {"zoneName": "Sandbox", "url": f"{base}/ATServicesRest/", "webUrl": f"{base}/", "ci": 0}
    )


def bad_path_id(params: Mapping[str, str]) -> Response | None:
    """400 ``{"errors": [...]}`` when an id in the path is not an int64; None when all are.

    The Swagger document types ``id`` and ``parentId`` as int64. What the real API answers for
    ``/Companies/abc`` or an id past 2**63-1 is not documented: 400 is our inference (the model
    binding of an ASP.NET Web API answers that way), not an observed answer.
    """
    for name in ID_PARAMS:
        raw = params.get(name)
        if raw is None:
            continue
        if not _ASCII_INTEGER.fullmatch(raw) or not INT64_MIN <= int(raw) <= INT64_MAX:
            return JSONResponse(
                {"errors": [f"The value '{raw[:40]}' is not valid for {name}: expected an int64."]},
                status_code=400,
            )
    return None
