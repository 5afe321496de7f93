"""The HaloPSA client: bearer auth, paging at its lower bound, POST-array upserts, the rate cap.

All requests go through :class:`~reconciler.transport.http.ApiClient` (retries, in-flight limits,
the request budget, one log line per request, headers never logged), with these Halo rules:

* **auth**: a bearer token from :class:`~reconciler.psa.halopsa.token.TokenSource`, cached for its
  lifetime; a 401 invalidates it and the request is sent once more with a new one (a 401 is
  refused before any processing, so this holds for writes too); a second 401 is an AuthError;
* **reads**: a paged list (``pageinate=true``, ``page_no`` from 1, ``page_size``, default
  :data:`DEFAULT_PAGE_SIZE`) reads page 1, takes ``record_count`` and then asks for exactly the
  pages that remain, concurrently within the in-flight limit: ``ceil(record_count / page_size)``
  requests, at least one. Either list shape (envelope or bare array) is accepted anywhere;
* **writes**: ``POST /api/{Resource}`` with an array (Halo has no PUT or PATCH): an element
  without ``id`` creates, one with an ``id`` updates only the fields sent. An array field sent is
  replaced whole, so :meth:`HaloClient.upsert` refuses an update that carries ``customfields`` and
  :meth:`HaloClient.set_custom_fields` re-posts a record's whole custom-field array with only the
  named values changed, so a write never blanks the fields it does not name;
* **rate cap**: at most 300 requests per rolling 5 minutes by default (:class:`RateCap`, the limit
  users report for Halo-hosted tenants, halopsa-api.md §7 [C]; no Halo page states it), on an
  injectable clock; a 429 is retried after its ``Retry-After``, or after waits that outlast the
  window (:data:`RATE_LIMIT_WAITS_S`), up to ``max_rate_wait`` a wait;
* **errors**: :mod:`reconciler.psa.halopsa.errors`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import httpx

from reconciler.errors import (
    NotFoundError,
    RateLimited,
    ServerMisbehaved,
    UnknownOutcome,
    UsageError,
    retry_when,
)
from reconciler.psa.halopsa.connection import HaloConnection
from reconciler.psa.halopsa.errors import MAPPED_STATUSES, SYSTEM, halo_messages, refusal
from reconciler.psa.halopsa.resources import RESOURCES, WEBHOOK_EVENT, Resource
from reconciler.psa.halopsa.token import TokenSource
from reconciler.transport.body import Source, json_body, rows_of
from reconciler.transport.http import (
    ApiClient,
    RetryPolicy,
    SlidingWindowBudget,
    retry_after_seconds,
)
from reconciler.transport.paging import CEILING_HINT, PageGuard
from reconciler.warning_ids import RATE_LIMITED, labelled

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE: Final = 100
DEFAULT_MAX_IN_FLIGHT: Final = 4
"""Halo publishes no concurrency limit [gap]; a small number keeps us polite."""
WRITE_BATCH: Final = 50
"""Records per POST: the body is an array, its longest accepted length is not documented [I]."""
HALO_RETRY: Final = RetryPolicy(attempts=5, initial_wait=1.0, max_wait=30.0)
"""Retries of server faults and lost connections (429s are waited out by HaloClient itself)."""
_CREATE_IDS: Final = (None, 0, -1, "")
RATE_LIMIT_WAITS_S: Final = (30.0, 60.0, 120.0, 300.0)
"""Waits after a 429 without ``Retry-After``: 8.5 minutes in all, past the reported rolling
5-minute window (HaloAPI's 10 x 5 s cannot outlast it, homotechsual/HaloAPI#31)."""


@dataclass(frozen=True)
class RateCap:
    """The client-side request budget: ``limit`` requests in any ``window_s`` seconds.

    Default 300 per 5 minutes, as reported by users of Halo-hosted tenants (halopsa-api.md §7:
    KelvinTegelaar/PowerShellWarrantyReports#51, homotechsual/HaloAPI#31); self-hosted limits
    are unknown, so the cap is an option."""

    limit: int = 300
    window_s: float = 300.0


class HaloClient:
    """One connection to a HaloPSA tenant (see the module docs for the rules).

    ``transport`` is the test seam for both servers; ``clock`` and ``sleep`` drive the token
    lifetime, the rate cap and the retry waits; ``rate_cap`` None turns the cap off;
    ``max_rate_wait`` is the longest single wait a 429 may ask for (None: no limit)."""

    def __init__(
        self,
        connection: HaloConnection,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = DEFAULT_PAGE_SIZE,
        rate_cap: RateCap | None = RateCap(),
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry: RetryPolicy = HALO_RETRY,
        max_rate_wait: float | None = None,
        timeout: float = 30.0,
    ) -> None:
        if page_size < 1:
            raise UsageError(f"the HaloPSA page size must be 1 or more, not {page_size}")
        self.connection = connection
        self.page_size = page_size
        self.max_rate_wait = max_rate_wait
        self._sleep = sleep
        self.max_in_flight = max_in_flight
        self.budget = (
            SlidingWindowBudget(rate_cap.limit, rate_cap.window_s, clock=clock, sleep=sleep)
            if rate_cap is not None
            else None
        )
        self.tokens = TokenSource(
            connection, transport=transport, clock=clock, sleep=sleep, budget=self.budget
        )
        self.http = ApiClient(
            system=SYSTEM,
            base_url=connection.api_url,
            headers={"Accept": "application/json"},
            transport=transport,
            timeout=timeout,
            retry=retry,
            max_in_flight=max_in_flight,
            budget=self.budget,
            sleep=sleep,
            validation_500=False,  # refused input is a 400; a 500 is a server fault
        )

    @property
    def calls(self) -> int:
        """API requests sent so far (token requests not included: see ``tokens.fetched``)."""
        return self.http.calls

    def close(self) -> None:
        self.http.close()
        self.tokens.close()

    def __enter__(self) -> HaloClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the wire ---------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One request to ``/api/{name}``, with a token; refusals raised as the error tree says.

        A 401 is retried once with a fresh token; a 429 (refused before any processing, so safe
        for writes too) after its ``Retry-After``, else after the next of
        :data:`RATE_LIMIT_WAITS_S`, whose sum outlasts the reported 5-minute window."""
        shown = f"/api/{name}"
        refreshed = False
        rate_waits = iter(RATE_LIMIT_WAITS_S)
        while True:
            token = self.tokens.token()
            response = self.http.request(
                method,
                name,
                params=params,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                ok=(*MAPPED_STATUSES, 429),
            )
            status = response.status_code
            if status == 401 and not refreshed:
                self.tokens.invalidate(token)  # expired or revoked early: one fresh token
                refreshed = True
            elif status == 429:
                self._wait_for_rate_limit(response, next(rate_waits, None), method, shown)
            elif status in ok or status not in MAPPED_STATUSES:
                return response
            else:
                raise refusal(response, method, shown)

    def _wait_for_rate_limit(
        self, response: httpx.Response, backoff: float | None, method: str, shown: str
    ) -> None:
        """Sleep as a 429 asks, or raise RateLimited when the waits are spent or too long."""
        common: dict[str, Any] = {
            "system": SYSTEM,
            "method": method,
            "path": shown,
            "status": 429,
            "api_messages": halo_messages(response),
        }
        if backoff is None:
            raise RateLimited("HaloPSA kept rate limiting us", **common)
        wait = retry_after_seconds(response)
        wait = backoff if wait is None else wait
        if self.max_rate_wait is not None and wait > self.max_rate_wait:
            raise RateLimited(
                f"HaloPSA rate limit: it asks us to wait {wait:.0f} s, more than the "
                f"{self.max_rate_wait:.0f} s this run may wait; {retry_when(wait)}",
                hint="run again after that time, or allow a longer wait with "
                "`reconcile --max-rate-wait SECONDS` (RECONCILE_MAX_RATE_WAIT)",
                **common,
            )
        log.warning("%s: HaloPSA rate limit: waiting %.0f s", labelled(RATE_LIMITED), wait)
        self._sleep(wait)

    def _json(self, response: httpx.Response, method: str, name: str) -> Any:
        """The JSON of an answer; not JSON (or nested past the parser) is a server fault."""
        return json_body(response, _source(method, name))

    # --- reads ------------------------------------------------------------------------------------

    def list_all(
        self, resource: Resource | str, params: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every record of ``resource`` that ``params`` (Halo's query filters) select."""
        res = _resource(resource)
        query = dict(params or {})
        if not res.paged:
            response = self._send("GET", res.name, params=query)
            return self._rows(res, self._json(response, "GET", res.name))
        guard = PageGuard(SYSTEM, "GET", f"/api/{res.name}")
        first = self._page(res, query, 1)
        rows = guard.page(self._rows(res, first))
        count = first.get("record_count") if isinstance(first, dict) else None
        if not isinstance(count, int) or isinstance(count, bool):
            return rows + self._pages_until_short(res, query, guard, len(rows))
        pages = max(1, math.ceil(count / self.page_size))
        if pages > guard.max_pages:
            raise ServerMisbehaved(
                f"HaloPSA paging: {res.name} reports {count} records, more than "
                f"{guard.max_pages} pages of {self.page_size}",
                system=SYSTEM,
                method="GET",
                path=f"/api/{res.name}",
                hint=CEILING_HINT,
            )
        for body in self._pages(res, query, range(2, pages + 1)):
            page_rows = self._rows(res, body)
            if not page_rows:
                raise guard.empty_page_with_more()
            rows.extend(guard.page(page_rows))
        return rows

    def _page(self, res: Resource, query: Mapping[str, Any], page_no: int) -> Any:
        paging = {"pageinate": "true", "page_no": page_no, "page_size": self.page_size}
        return self._json(self._send("GET", res.name, params={**query, **paging}), "GET", res.name)

    def _pages(self, res: Resource, query: Mapping[str, Any], numbers: range) -> Iterable[Any]:
        if len(numbers) <= 1:
            return [self._page(res, query, n) for n in numbers]
        with ThreadPoolExecutor(max_workers=min(self.max_in_flight, len(numbers))) as pool:
            return list(pool.map(lambda n: self._page(res, query, n), numbers))

    def _pages_until_short(
        self, res: Resource, query: Mapping[str, Any], guard: PageGuard, first_rows: int
    ) -> list[Any]:
        """No ``record_count``: read on while pages are full (the guard bounds the loop)."""
        rows: list[Any] = []
        last = first_rows
        page_no = 1
        while last >= self.page_size:
            page_no += 1
            page_rows = self._rows(res, self._page(res, query, page_no))
            last = len(page_rows)
            rows.extend(guard.page(page_rows) if page_rows else [])
        return rows

    def _rows(self, res: Resource, body: Any) -> list[Any]:
        """The records of a list answer (a bare array or the envelope's list), each a JSON
        object; anything else is a server fault."""
        source = _source("GET", res.name)
        if isinstance(body, list):
            return rows_of(body, source, f"the {res.name} list")
        if isinstance(body, dict):
            found = body.get(res.plural) if res.plural else None
            if found is None:
                lists = [value for value in body.values() if isinstance(value, list)]
                found = lists[0] if len(lists) == 1 else None
            if isinstance(found, list):
                return rows_of(found, source, f"the {res.name} list")
        raise ServerMisbehaved(
            f"HaloPSA answered the {res.name} list with neither an array nor a record_count "
            "envelope",
            system=SYSTEM,
            method="GET",
            path=f"/api/{res.name}",
        )

    def get(self, resource: Resource | str, record_id: int | str) -> dict[str, Any] | None:
        """One record with its details; None when Halo does not know the id."""
        name = _resource(resource).name
        path = f"{name}/{record_id}"
        response = self._send("GET", path, params={"includedetails": "true"}, ok=(404,))
        if response.status_code == 404:
            return None
        body = self._json(response, "GET", path)
        return body if isinstance(body, dict) else None

    def webhook_events(self, webhook_id: str) -> list[Any]:
        """The delivery log of one webhook (``/WebhookEvent?webhook_id=``)."""
        return self.list_all(WEBHOOK_EVENT, {"webhook_id": webhook_id})

    # --- writes -----------------------------------------------------------------------------------

    def upsert(
        self, resource: Resource | str, records: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """POST ``records`` (creates without ``id``, updates with one); the saved records.

        An update may not carry ``customfields``: Halo replaces the array whole, so a partial
        one would blank the others; use :meth:`set_custom_fields`."""
        name = _resource(resource).name
        for record in records:
            if record.get("id") not in _CREATE_IDS and "customfields" in record:
                raise UsageError(
                    f"an update of {name} {record.get('id')} carries customfields; Halo replaces "
                    "that array whole, so change custom fields with set_custom_fields"
                )
        return self._post(name, records)

    def _post(self, name: str, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        saved: list[dict[str, Any]] = []
        for start in range(0, len(records), WRITE_BATCH):
            batch = [dict(record) for record in records[start : start + WRITE_BATCH]]
            body = self._written(self._send("POST", name, body=batch), name)
            answered = body if isinstance(body, list) else [body]
            saved.extend(item for item in answered if isinstance(item, dict))
        return saved

    def _written(self, response: httpx.Response, name: str) -> Any:
        """The JSON a successful write answered; an answer that cannot be read leaves the
        write's outcome unknown (it was accepted: :mod:`reconciler.write_resolve` resolves it)."""
        try:
            return self._json(response, "POST", name)
        except ServerMisbehaved as odd:
            raise UnknownOutcome(
                f"{odd.message.removeprefix('HaloPSA: ')}; the write was accepted "
                f"({response.status_code}) but what it did is unknown",
                system=SYSTEM,
                method="POST",
                path=odd.path,
                status=response.status_code,
            ) from None

    def set_custom_fields(
        self, resource: Resource | str, record_id: int, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Set the custom fields named in ``values`` (by name) on one record, keeping every
        other custom field as it is: the record's whole array is read and re-posted."""
        name = _resource(resource).name
        current = self.get(name, record_id)
        if current is None:
            raise NotFoundError(
                f"{name} {record_id} does not exist",
                system=SYSTEM,
                method="GET",
                path=f"/api/{name}/{record_id}",
                status=404,
            )
        fields = [dict(f) for f in current.get("customfields") or () if isinstance(f, Mapping)]
        remaining = dict(values)
        for field in fields:
            if field.get("name") in remaining:
                field["value"] = remaining.pop(str(field["name"]))
        fields.extend({"name": key, "value": value} for key, value in remaining.items())
        saved = self._post(name, [{"id": record_id, "customfields": fields}])
        return saved[0] if saved else {}

    def delete(self, resource: Resource | str, record_id: int | str) -> bool:
        """DELETE one record; False when it was already gone (404)."""
        name = _resource(resource).name
        response = self._send("DELETE", f"{name}/{record_id}", ok=(404,))
        return response.status_code != 404


def _source(method: str, name: str) -> Source:
    return Source(SYSTEM, "HaloPSA", method, f"/api/{name}")


def _resource(resource: Resource | str) -> Resource:
    if isinstance(resource, Resource):
        return resource
    return RESOURCES.get(resource) or Resource(resource)
