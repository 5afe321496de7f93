"""The ConnectWise simulator's HTTP conventions: auth, errors, paging with ``Link``, a rate cap.

Sources (``shared/reference/connectwise-api.md``): Basic auth of ``company+publicKey:privateKey``
and the ``clientId`` header (section 2, community); responses typed
``application/vnd.connectwise.com+json; version=2025.1`` (the document); paging by ``page`` /
``pageSize`` (at most 1,000 rows; 25 by default) with a ``Link`` header, or forward-only with the
request header ``pagination-type: forward-only`` and ``pageId`` (section 3, community); error
bodies ``{code, message, errors: [{code, message, resource, field}]}`` (section 8, community);
no published quota, so the rate cap is the simulator's own, off unless asked for (section 9).

Simulator choices [inferred]: a missing or wrong ``Authorization`` is 401 ``Unauthorized``; a
missing ``clientId`` is 401 too (only when ``require_client_id``, the default, since ConnectWise
requires it on every call since 2019); an ``Accept`` naming another version than 2025.1 is 406
(none: the default version is answered); forward-only pages are in id order and their ``Link``
has ``rel="next"`` only; a ``pageSize`` over 1,000 is served as 1,000.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets
import shlex
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from reconciler.sandbox.connectwise.document import API_VERSION, MEDIA_TYPE

API_BASE_PATH: Final = "/v4_6_release/apis/3.0"
MAX_PAGE_SIZE: Final = 1000
DEFAULT_PAGE_SIZE: Final = 25
FORWARD_ONLY: Final = "forward-only"


@dataclass(frozen=True)
class ConnectWiseCredentials:
    """What the simulated tenant accepts: the company id, an API member's key pair, a clientId."""

    company: str
    public_key: str
    private_key: str
    client_id: str

    @classmethod
    def random(cls) -> ConnectWiseCredentials:
        return cls(
            company=f"acme{secrets.token_hex(3)}",
            public_key=secrets.token_urlsafe(12),
            private_key=secrets.token_urlsafe(24),
            client_id=f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
            f"{secrets.token_hex(2)}-{secrets.token_hex(6)}",
        )

    @property
    def username(self) -> str:
        return f"{self.company}+{self.public_key}"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def cw_error(
    status: int,
    code: str,
    message: str,
    errors: Sequence[dict[str, str]] = (),
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error answer in ConnectWise's shape."""
    body = {"code": code, "message": message, "errors": list(errors)}
    return JSONResponse(body, status_code=status, headers=headers)


def fault_response(kind: str) -> Response:
    """Injected faults (``SandboxMiddleware``) in ConnectWise's shape."""
    if kind in ("429", "thread-limit"):
        return cw_error(
            429, "TooManyRequests", "Too many requests (injected fault).",
            headers={"Retry-After": "1"},
        )  # fmt: skip
    if kind == "500":
        return cw_error(500, "ConnectWiseApi", "An error occurred (injected fault).")
    return PlainTextResponse("Service Unavailable", status_code=503, headers={"Retry-After": "1"})


def auth_refusal(
    request: Request, credentials: ConnectWiseCredentials, *, require_client_id: bool
) -> Response | None:
    """None when the request carries the tenant's credentials, else the 401 to answer."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    username, _, password = decoded.partition(":")
    good = (
        scheme.lower() == "basic"
        and secrets.compare_digest(username.encode(), credentials.username.encode())
        and secrets.compare_digest(password.encode(), credentials.private_key.encode())
    )
    if not good:
        return cw_error(401, "Unauthorized", "Authentication failed: the API keys are not valid.")
    if require_client_id:
        sent = request.headers.get("clientid", "")
        if not secrets.compare_digest(sent.encode(), credentials.client_id.encode()):
            return cw_error(
                401, "Unauthorized", "clientId is missing or not registered for this integration."
            )
    return None


def accept_refusal(request: Request) -> Response | None:
    """None when ``Accept`` names no version or 2025.1; 406 for any other version."""
    accept = request.headers.get("accept", "")
    for part in accept.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "version" and value.strip() != API_VERSION:
            return cw_error(
                406,
                "NotAcceptable",
                f"API version {value.strip()!r} is not served here (only {API_VERSION}).",
            )
    return None


class RateCap:
    """At most ``limit`` requests in any ``window_s`` seconds; past it, 429 with Retry-After."""

    def __init__(
        self, limit: int, window_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._seen: deque[float] = deque()
        self._lock = threading.Lock()

    def refusal(self) -> Response | None:
        with self._lock:
            now = self._clock()
            while self._seen and now - self._seen[0] >= self.window_s:
                self._seen.popleft()
            if len(self._seen) < self.limit:
                self._seen.append(now)
                return None
            wait = max(1, math.ceil(self.window_s - (now - self._seen[0])))
        return cw_error(
            429,
            "TooManyRequests",
            f"Rate limit exceeded: at most {self.limit} requests in {self.window_s:g} s.",
            headers={"Retry-After": str(wait)},
        )


class PagingError(ValueError):
    """A ``page`` / ``pageSize`` / ``pageId`` that is not a number."""


def _number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise PagingError(f"{name} must be an integer, not {raw!r}") from None


def page_of(request: Request, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The rows of the requested page and the ``Link`` header value ("" when one page)."""
    size = _number(request, "pageSize", DEFAULT_PAGE_SIZE)
    size = MAX_PAGE_SIZE if size > MAX_PAGE_SIZE else (DEFAULT_PAGE_SIZE if size < 1 else size)
    params = dict(request.query_params)
    links: list[tuple[str, dict[str, str]]] = []
    if request.headers.get("pagination-type", "").lower() == FORWARD_ONLY:
        after = _number(request, "pageId", 0)
        rest = sorted((r for r in rows if int(r["id"]) > after), key=lambda r: int(r["id"]))
        page = rest[:size]
        if len(rest) > size:
            links.append(("next", {**params, "pageId": str(page[-1]["id"])}))
    else:
        number = max(1, _number(request, "page", 1))
        last = max(1, math.ceil(len(rows) / size))
        page = rows[(number - 1) * size : number * size]
        params.pop("pageId", None)
        if number > 1:
            links.append(("first", {**params, "page": "1"}))
            links.append(("prev", {**params, "page": str(min(number - 1, last))}))
        if number < last:
            links.append(("next", {**params, "page": str(number + 1)}))
            links.append(("last", {**params, "page": str(last)}))
    header = ", ".join(
        f'<{request.url.replace(query=urlencode(query))}>; rel="{rel}"' for rel, query in links
    )
    return page, header


EXPORT_NAMES: Final = (
    "CONNECTWISE_API_URL",
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
)


def export_lines(base_url: str, credentials: ConnectWiseCredentials) -> list[str]:
    """``export NAME='value'`` for each CONNECTWISE_* variable of a simulator at ``base_url``
    (the server's root, e.g. ``http://127.0.0.1:8123``)."""
    values = (
        base_url.rstrip("/") + API_BASE_PATH,
        credentials.company,
        credentials.public_key,
        credentials.private_key,
        credentials.client_id,
    )
    return [
        f"export {name}={shlex.quote(value)}"
        for name, value in zip(EXPORT_NAMES, values, strict=True)
    ]
