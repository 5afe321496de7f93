"""The ConnectWise Manage REST API 3.0 client: the documented protocol, in the fewest requests.

* Auth on every call: Basic ``company+publicKey:privateKey``, ``clientId``, and ``Accept`` pinned
  to version 2025.1 (:mod:`.credentials`); the base URL only from ``CONNECTWISE_API_URL``.
* Reads: ``GET /{module}/{entity}`` with ``pageSize=1000`` (the API's maximum, so a collection of
  N rows costs ceil(N / 1000) requests, at least one), ``conditions`` / ``childConditions`` /
  ``fields`` (:mod:`.conditions`) to read only what is needed, following ``Link: rel="next"``
  (page numbers, or ``pageId`` with ``pagination-type: forward-only``) only on our own origin
  and API base, guarded by :class:`~reconciler.transport.paging.PageGuard`.
* Writes: POST (201 with the object), JSON-Patch-style PATCH, PUT, DELETE (204).
* Limits: ConnectWise publishes no quota. The client caps itself at
  :data:`DEFAULT_REQUESTS_PER_MINUTE` (60 a minute: a third-party figure, the C-WYRE skill
  description in ``connectwise-api.md`` section 9, unverified; configurable), keeps at most
  :data:`DEFAULT_MAX_IN_FLIGHT` requests in flight (our choice), and backs off on 429 and (reads)
  503 honouring ``Retry-After``, with Salesbuildr's own schedule (5 s, 10 s, 20 s, capped at
  60 s, 4 retries: SB-SYNC). The clock and the sleep are injectable: tests never sleep.
* Errors: :mod:`.errors`; headers and secrets never reach a log line or an error (the path is
  shown without its query, the secrets are registered with the redactor).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict, Unpack

import httpx

from reconciler.errors import ServerMisbehaved, UnknownOutcome
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.conditions import Condition, fields_param
from reconciler.psa.connectwise.credentials import (
    SYSTEM,
    ConnectWiseCredentials,
    credentials_from_env,
)
from reconciler.psa.connectwise.errors import auth_failure_hint
from reconciler.transport.http import (
    ApiClient,
    RetryPolicy,
    SlidingWindowBudget,
    Source,
    answered_id,
    integer_id,
    json_body,
    json_object,
)
from reconciler.transport.http import json_rows as _json_rows
from reconciler.transport.paging import PageGuard, page_ceiling

PAGE_SIZE: Final = 1000
"""The largest page ConnectWise serves (connectwise-api.md section 3)."""
DEFAULT_REQUESTS_PER_MINUTE: Final = 60
"""Third-party figure (C-WYRE, unverified): ConnectWise publishes no request quota."""
DEFAULT_MAX_IN_FLIGHT: Final = 4
"""Our choice: no concurrency limit is documented; the rate cap is what really paces us."""
RETRY: Final = RetryPolicy(attempts=5, initial_wait=5.0, max_wait=60.0)
"""5 s, 10 s, 20 s, ... capped at 60 s, 4 retries: what Salesbuildr does on CW's 429 (SB-SYNC)."""
FORWARD_ONLY_HEADER: Final = {"pagination-type": "forward-only"}

Record = dict[str, Any]


class ListQuery(TypedDict, total=False):
    """What a list read asks for: only the rows and properties it needs."""

    conditions: Condition | None
    child_conditions: Condition | None
    fields: Sequence[str] | None
    """Property paths; ``id`` is always added (paging and de-duplication key on it)."""
    order_by: str | None
    """``orderBy`` (``name asc``); ignored by forward-only paging, which runs in id order."""
    forward_only: bool
    """``pagination-type: forward-only`` with ``pageId`` (faster on large collections)."""


@dataclass(frozen=True)
class PatchOperation:
    """One element of a ConnectWise PATCH body: ``{"op", "path", "value"}``."""

    op: str
    path: str
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.op != "remove":
            body["value"] = self.value
        return body


def replace(path: str, value: Any) -> PatchOperation:
    """``replace`` of a property (``name``) or a reference (``status``: ``{"id": 3}``)."""
    return PatchOperation("replace", path, value)


def add(path: str, value: Any) -> PatchOperation:
    return PatchOperation("add", path, value)


def remove(path: str) -> PatchOperation:
    return PatchOperation("remove", path)


def rate_cap(
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SlidingWindowBudget:
    """The client-side cap: at most ``requests_per_minute`` requests in any 60 s."""
    if requests_per_minute < 1:
        raise ValueError("the ConnectWise rate cap must allow at least 1 request a minute")
    return SlidingWindowBudget(requests_per_minute, 60.0, clock=clock, sleep=sleep)


def _one_endpoint(method: str, path: str) -> str:
    return SYSTEM  # one in-flight limit for the whole API: none per endpoint is documented


class ConnectWiseClient:
    """Typed access to the ConnectWise collections the Salesbuildr pages need."""

    def __init__(self, http: ApiClient, *, max_pages: int | None = None) -> None:
        self.http = http
        self.max_pages = max_pages
        """Pages per collection before a read stops (None: the process's ceiling)."""

    @classmethod
    def connect(
        cls,
        credentials: ConnectWiseCredentials,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_rate_wait: float | None = None,
        max_pages: int | None = None,
    ) -> ConnectWiseClient:
        """A client for ``credentials`` (``clock`` and ``sleep`` drive the cap and the backoff)."""
        http = ApiClient(
            system=SYSTEM,
            base_url=credentials.api_url,
            headers=credentials.headers(),
            transport=transport,
            timeout=timeout,
            retry=retry or RETRY,
            max_in_flight=max_in_flight,
            endpoint_key=_one_endpoint,
            budget=rate_cap(requests_per_minute, clock=clock, sleep=sleep),
            sleep=sleep,
            validation_500=False,
            auth_hint=auth_failure_hint,
            max_rate_wait=max_rate_wait,
        )
        return cls(http, max_pages=max_pages)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **options: Any) -> ConnectWiseClient:
        """:meth:`connect` with the credentials of the real environment ``environ``."""
        return cls.connect(credentials_from_env(environ), **options)

    @property
    def calls(self) -> int:
        return self.http.calls

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ConnectWiseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads --

    def list_all(self, path: str, **query: Unpack[ListQuery]) -> list[Record]:
        """Every row of the collection at ``path`` that matches, all pages, in id order (or in
        ``order_by``'s)."""
        found = list(self.iter_all(path, **query))
        if query.get("order_by"):
            return found
        return sorted(found, key=lambda row: int(row["id"]))  # _rows: every id is an integer

    def iter_all(self, path: str, **query: Unpack[ListQuery]) -> Iterator[Record]:
        """The rows of :meth:`list_all` as the pages arrive (see :class:`ListQuery`)."""
        conditions = query.get("conditions")
        child_conditions = query.get("child_conditions")
        fields = query.get("fields")
        order_by = query.get("order_by")
        forward_only = query.get("forward_only", False)
        params: dict[str, Any] = {"pageSize": PAGE_SIZE}
        if not forward_only:
            params["page"] = 1
        if conditions is not None:
            params["conditions"] = conditions.text
        if child_conditions is not None:
            params["childConditions"] = child_conditions.text
        if fields is not None:
            params["fields"] = fields_param(fields)
        if order_by is not None and not forward_only:
            params["orderBy"] = order_by
        headers = FORWARD_ONLY_HEADER if forward_only else None
        guard = PageGuard(SYSTEM, "GET", "/" + path, max_pages=self.max_pages or page_ceiling())
        response = self.http.request("GET", path, params=params, headers=headers)
        while True:
            rows = self._rows(response, path)
            yield from guard.page(rows)
            next_url = self._next_link(response, path)
            if not next_url:
                return
            if not rows:
                raise guard.empty_page_with_more()
            self._check_own(next_url, path)
            guard.next_url(next_url)
            response = self.http.request("GET", next_url, headers=headers)

    def count(self, path: str, *, conditions: Condition | None = None) -> int:
        params = {"conditions": conditions.text} if conditions is not None else None
        where = path.rstrip("/") + "/count"
        body = json_body(self.http.request("GET", where, params=params), _source("GET", where))
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool):
            raise self._misbehaved("GET", path + "/count", "the count answer has no count")
        return count

    def get(self, path: str, item_id: int, *, fields: Sequence[str] | None = None) -> Record | None:
        """One object, or None when ConnectWise answers 404."""
        params = {"fields": fields_param(fields)} if fields is not None else None
        response = self.http.request("GET", _item(path, item_id), params=params, ok=(404,))
        return None if response.status_code == 404 else self._object(response, path)

    def system_info(self) -> Record:
        """``GET /system/info``: the cheapest authenticated call (a connectivity check)."""
        return self._object(self.http.request("GET", endpoints.SYSTEM_INFO), endpoints.SYSTEM_INFO)

    # -- writes --

    def create(self, path: str, body: Mapping[str, Any]) -> Record:
        """POST ``body``; the object created. An answer that is not an object is an
        :class:`~reconciler.errors.UnknownOutcome` (the write was accepted: by what?)."""
        return self._written(self.http.request("POST", path, json=dict(body)), path)

    def create_id(self, path: str, body: Mapping[str, Any]) -> int:
        """POST ``body``; the id of the object created. An answer without an integer ``id``
        is an :class:`~reconciler.errors.UnknownOutcome`: the object is looked up by its
        natural key (:func:`reconciler.write_resolve.create`)."""
        created = self.create(path, body)
        found: int = answered_id(created, "id", _source("POST", path))
        return found

    def patch(self, path: str, item_id: int, operations: Sequence[PatchOperation]) -> Record:
        if not operations:
            raise ValueError("a PATCH needs at least one operation")
        body = [operation.to_json() for operation in operations]
        return self._written(self.http.request("PATCH", _item(path, item_id), json=body), path)

    def put(self, path: str, item_id: int, body: Mapping[str, Any]) -> Record:
        """Replace the whole object (what is left out is reset: prefer :meth:`patch`)."""
        target = _item(path, item_id)
        return self._written(self.http.request("PUT", target, json=dict(body)), path)

    def delete(self, path: str, item_id: int) -> None:
        self.http.request("DELETE", _item(path, item_id))

    # -- internals --

    def _rows(self, response: httpx.Response, path: str) -> list[Record]:
        """A page: a JSON array of objects, each with an integer ``id`` (every list read asks
        for it: paging, ordering and de-duplication key on it), else a server fault."""
        rows = _json_rows(response, _source("GET", path))
        for row in rows:
            if integer_id(row.get("id")) is None:
                raise self._misbehaved("GET", path, "a row of the list has no numeric id")
            row["id"] = int(row["id"])
        return rows

    def _object(self, response: httpx.Response, path: str) -> Record:
        return json_object(response, _source(response.request.method, path))

    def _written(self, response: httpx.Response, path: str) -> Record:
        """The object a successful write answered; an odd answer leaves its outcome unknown."""
        try:
            return self._object(response, path)
        except ServerMisbehaved as odd:
            raise UnknownOutcome(
                f"{odd.message.removeprefix('ConnectWise: ')}; the write was accepted "
                f"({response.status_code}) but what it did is unknown",
                system=SYSTEM,
                method=odd.method,
                path=odd.path,
                status=response.status_code,
            ) from None

    def _next_link(self, response: httpx.Response, path: str) -> str | None:
        """The ``Link: rel="next"`` URL, or None; a header that cannot be read is a fault."""
        try:
            offered = response.links.get("next", {}).get("url")
        except (ValueError, httpx.InvalidURL):
            raise self._misbehaved("GET", path, "the Link header could not be read") from None
        return offered or None

    def _check_own(self, url: str, path: str) -> None:
        """The credentials travel with every request: follow only pages under our API base."""
        own = httpx.URL(self.http.base_url)
        try:
            offered = httpx.URL(url)
        except httpx.InvalidURL:
            raise self._misbehaved(
                "GET", path, "the next page link is not a valid URL; not followed"
            ) from None
        same_origin = (offered.scheme, offered.host, offered.port) == (
            own.scheme,
            own.host,
            own.port,
        )
        if not same_origin or not offered.path.startswith(own.path):
            raise self._misbehaved(
                "GET",
                path,
                "the next page was offered on another host or outside the API base "
                f"({offered.scheme}://{offered.host}{offered.path}); not followed",
            )

    @staticmethod
    def _misbehaved(method: str, path: str, message: str) -> ServerMisbehaved:
        return _source(method, path).fault(message)


def _item(path: str, item_id: int) -> str:
    return f"{path.rstrip('/')}/{int(item_id)}"


def _source(method: str, path: str) -> Source:
    """Where an answer came from, for its server-fault errors."""
    return Source(SYSTEM, "ConnectWise", method, "/" + path.lstrip("/"))
