"""Salesbuildr: the published API for reference data, and our proposed settings contract.

The integration settings (Admin > Integrations > Autotask) have no published endpoint; this module
speaks the contract in ``shared/design/SALESBUILDR-SETTINGS-API.md`` and is the one place to
re-point when Salesbuildr publishes its own. Everything goes through :class:`ApiClient`, so the
error classes and retry rules are the Autotask client's.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from reconciler.errors import (
    ConflictError,
    NotFoundError,
    ProviderError,
    UnknownOutcome,
)
from reconciler.salesbuildr.category_tree import category_paths
from reconciler.salesbuildr.listing import pages_together
from reconciler.salesbuildr.models import (
    Category,
    CategoryUsage,
    CompanyType,
    DataPoint,
    Job,
    LockHeld,
    LockHolder,
    Section,
    lock_owner,
    process_is_alive,
)
from reconciler.salesbuildr.window import (
    RATE_WINDOW_S,
    RateWindow,
    WindowSeen,
)
from reconciler.transport.body import (
    Source,
    count_field,
    json_object,
    list_field,
    object_of,
    rows_of,
    text_field,
)
from reconciler.transport.credentials import check_salesbuildr_url, require_credentials
from reconciler.transport.http import ApiClient, RetryPolicy, SlidingWindowBudget
from reconciler.transport.paging import PageGuard, page_ceiling
from reconciler.transport.rate_wait import rate_wait_cap
from reconciler.warning_ids import LOCK_TAKEN_OVER, labelled

__all__ = [  # the values it returns live in .models (re-exported: imported from here by many)
    "PAGE_CONCURRENCY",
    "SETTINGS_SECTIONS",
    "Category",
    "CategoryUsage",
    "CompanyType",
    "DataPoint",
    "Job",
    "LockHeld",
    "LockHolder",
    "SalesbuildrClient",
    "Section",
    "lock_owner",
    "process_is_alive",
    "settings_from_env",
]

log = logging.getLogger(__name__)

SYSTEM = "salesbuildr"
PAGE_SIZE = 100
# Stay under the server's 500 per 10 minutes with room for a person clicking in the UI meanwhile.
CLIENT_BUDGET = 450
# Salesbuildr's requests in flight (the client's per-endpoint limit) and pages fetched at once.
PAGE_CONCURRENCY = 4

SETTINGS_SECTIONS = (
    "billing-codes",
    "company-types",
    "company-udfs",
    "product-import",
    "inventory",
    "opportunity-udfs",
    "webhook-receiver",
    "purchase-order",
)


def _ended(results: Sequence[Any], start: int, total: Any) -> bool:
    return not results or (isinstance(total, int) and start >= total)


def settings_from_env(environ: Mapping[str, str], url: str | None) -> tuple[str, SecretStr]:
    """The API URL (SALESBUILDR_API_URL wins over the YAML) and key, or a UsageError."""
    chosen = environ.get("SALESBUILDR_API_URL") or url
    require_credentials(environ, salesbuildr=True, salesbuildr_url=url)
    what = "SALESBUILDR_API_URL" if environ.get("SALESBUILDR_API_URL") else "salesbuildr.url"
    return check_salesbuildr_url(str(chosen), what=what), SecretStr(environ["SALESBUILDR_API_KEY"])


class SalesbuildrClient:
    """Reference data, settings sections, actions, reports and the apply lock."""

    def __init__(
        self,
        http: ApiClient,
        *,
        max_pages: int | None = None,
        page_concurrency: int = PAGE_CONCURRENCY,
        window: RateWindow | None = None,
        integration: str = "autotask",
    ):
        self.http = http
        self.integration = integration
        """The PSA integration whose pages, lock and jobs this client works with: every path is
        under ``integration/<integration>/`` (the YAML's PSA)."""
        self._window = window
        self.max_pages = max_pages  # pages per listing; None: the process's ceiling
        self.page_concurrency = page_concurrency  # pages of one listing fetched at once

    @classmethod
    def connect(
        cls,
        url: str,
        api_key: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        budget: SlidingWindowBudget | None = None,
        max_rate_wait: float | None = None,
        integration: str = "autotask",
    ) -> SalesbuildrClient:
        window = RateWindow()
        http = ApiClient(
            system=SYSTEM,
            base_url=url,
            headers={"api-key": api_key.get_secret_value()},
            transport=transport,
            retry=retry,
            timeout=timeout,
            max_in_flight=PAGE_CONCURRENCY,
            budget=budget or SlidingWindowBudget(CLIENT_BUDGET, RATE_WINDOW_S),
            on_response=window,
            validation_500=False,  # refused input is a 422; a 500 is a server fault
            max_rate_wait=rate_wait_cap() if max_rate_wait is None else max_rate_wait,
        )
        return cls(http, window=window, integration=integration)

    @property
    def calls(self) -> int:
        return self.http.calls

    @property
    def window(self) -> WindowSeen | None:
        """The rate window as the last answer told it (None: no answer carried the header)."""
        return self._window.seen if self._window is not None else None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SalesbuildrClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reference data --

    def _pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a listing, in the API's order. Page 1 first; once its total is known the
        remaining offsets are fetched together (at most ``page_concurrency`` at once), never more
        pages than the ceiling allows. A listing that never ends (no total, or a total that is
        never reached) or repeats itself stops at the page guard, as before."""
        guard = PageGuard(SYSTEM, "GET", f"/{path}", max_pages=self.max_pages or page_ceiling())

        def fetch(start: int) -> dict[str, Any]:
            query = {**(params or {}), "from": start, "size": PAGE_SIZE}
            body = self._object("GET", path, params=query)
            body["results"] = rows_of(body.get("results"), _at("GET", path), "'results'")
            return body

        body = fetch(0)
        results = body["results"]
        yield from guard.page(results)
        start = len(results)
        total = body.get("total")
        if _ended(results, start, total):
            return
        if isinstance(total, int) and self.page_concurrency > 1:
            start, results = yield from pages_together(
                fetch, guard, start, total, results, concurrency=self.page_concurrency
            )
            if not results or start >= total:
                return
        while True:
            body = fetch(start)
            results = body["results"]
            yield from guard.page(results)
            start += len(results)
            if _ended(results, start, body.get("total")):
                return

    def listing(self, path: str) -> list[dict[str, Any]]:
        """Every row of a reference listing (``from``/``size`` over ``{"results", "total"}``),
        page-guarded and checked as every listing is; ``path`` as ``integration/<psa>/...``."""
        return list(self._pages(path))

    def categories(self) -> list[Category]:
        """Every category, with its path of names built from ``parentId``."""
        at = _at("GET", "category")
        raw = {text_field(item, "id", at): item for item in self._pages("category")}
        paths = category_paths(raw)
        return [
            Category(
                id=cid,
                name=str(item.get("name") or ""),
                parent_id=str(item["parentId"]) if item.get("parentId") is not None else None,
                path=paths[cid],
            )
            for cid, item in sorted(raw.items())
        ]

    # Reference lists come back sorted by their id whatever order the API pages them in, so that
    # everything built from them (names in messages, "did you mean", plans) is deterministic.

    def company_types(self) -> list[CompanyType]:
        path = f"integration/{self.integration}/company-types"
        at = _at("GET", path)
        found = [
            CompanyType(
                key=text_field(item, "key", at),
                name=text_field(item, "name", at),
            )
            for item in self._pages(path)
        ]
        return sorted(found, key=lambda c: c.key)

    def data_points(self, entity: str) -> list[DataPoint]:
        path = f"integration/{self.integration}/data-points"
        at = _at("GET", path)
        found = [
            DataPoint(
                id=text_field(item, "id", at),
                name=str(item.get("name") or ""),
                group=str(item["group"]) if item.get("group") else None,
                type=str(item.get("type") or ""),
                multi_select=bool(item.get("multiSelect")),
                company_types=tuple(str(t) for t in list_field(item, "companyTypes", at)),
                entity=entity,
            )
            for item in self._pages(path, {"entity": entity})
        ]
        return sorted(found, key=lambda d: d.id)

    def category_usage(self) -> list[CategoryUsage]:
        path = f"integration/{self.integration}/category-usage"
        at = _at("GET", path)
        found = [
            CategoryUsage(
                category_id=text_field(item, "categoryId", at),
                product_count=count_field(item, "productCount", at),
                service_count=count_field(item, "serviceCount", at),
            )
            for item in self._pages(path)
        ]
        return sorted(found, key=lambda u: u.category_id)

    # -- settings --

    def read_section(self, name: str) -> Section:
        path = f"integration/{self.integration}/settings/{name}"
        response = self.http.request("GET", path)
        etag = response.headers.get("ETag", "")
        return Section(name=name, body=json_object(response, _at("GET", path)), etag=etag)

    def write_section(self, name: str, body: Mapping[str, Any], etag: str) -> Section:
        """PUT the whole section with If-Match; a 412 names the section that moved."""
        try:
            response = self.http.request(
                "PUT",
                f"integration/{self.integration}/settings/{name}",
                json=dict(body),
                headers={"If-Match": etag},
                read=False,
            )
        except ConflictError as error:
            if error.status == 412:
                raise ConflictError(
                    f"the Salesbuildr settings section '{name}' changed since it was read",
                    system=SYSTEM,
                    method="PUT",
                    path=error.path,
                    status=412,
                    hint="run `reconcile plan` again and review the new plan",
                ) from None
            raise
        body = json_object(response, _at("PUT", f"integration/{self.integration}/settings/{name}"))
        return Section(name=name, body=body, etag=response.headers.get("ETag", ""))

    # -- actions and reports --

    def start_sync(self, mode: str) -> str:
        path = f"integration/{self.integration}/sync"
        body = self._object("POST", path, json={"mode": mode}, read=False)
        return text_field(body, "jobId", _at("POST", path))

    def start_import(self, category_ids: Sequence[str] | None = None) -> str:
        payload: dict[str, Any] = (
            {"scope": "categories", "categoryIds": list(category_ids)}
            if category_ids
            else {"scope": "mapped"}
        )
        path = f"integration/{self.integration}/import"
        body = self._object("POST", path, json=payload, read=False)
        return text_field(body, "jobId", _at("POST", path))

    def job(self, job_id: str) -> Job:
        path = f"integration/{self.integration}/jobs/{job_id}"
        body = self._object("GET", path)
        counts = object_of(body.get("counts") or {}, _at("GET", path), "the job's 'counts'")
        error = body.get("error")
        return Job(
            id=job_id,
            status=str(body.get("status")),
            counts=counts,
            error=error if isinstance(error, str) or error is None else str(error),
        )

    def wait_for_job(
        self,
        job_id: str,
        *,
        timeout_s: float = 600.0,
        interval_s: float = 1.0,
        on_progress: Callable[[Job], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Job:
        """Poll until the job ends; raise ProviderError when it does not end in ``timeout_s``."""
        deadline = clock() + timeout_s
        while True:
            job = self.job(job_id)
            if on_progress is not None:
                on_progress(job)
            if job.done:
                return job
            if clock() >= deadline:
                raise ProviderError(
                    f"job {job_id} did not finish in {timeout_s:.0f} s (last status: {job.status})",
                    system=SYSTEM,
                    method="GET",
                    path=f"/integration/{self.integration}/jobs/{job_id}",
                    hint="it may still finish; check the Synchronize page in Salesbuildr",
                )
            sleep(interval_s)

    def deliveries(self, since: datetime | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if since is not None:
            params["since"] = since.isoformat()
        return list(self._pages(f"integration/{self.integration}/webhook-deliveries", params))

    # -- the apply lock --

    def acquire_lock(self, owner: str, ttl_seconds: int = 900) -> LockHolder:
        """Take the lock, or raise :class:`LockHeld` naming the holder."""
        try:
            response = self.http.request(
                "PUT",
                f"integration/{self.integration}/lock",
                json={"owner": owner, "ttlSeconds": ttl_seconds},
                read=False,
                ok=(409,),
            )
        except UnknownOutcome as lost:
            # The answer was lost: whoever holds the lock now is the answer.
            try:
                current = self.lock_holder()
            except ProviderError:
                raise lost from None
            if current is not None and current.owner == owner:
                return current
            if current is not None:
                raise LockHeld(current) from None
            return self.acquire_lock(owner, ttl_seconds)
        holder = _holder(self._lock_body(response, "PUT"))
        if response.status_code == 409:
            raise LockHeld(holder)
        return holder

    def lock_holder(self) -> LockHolder | None:
        try:
            response = self.http.request("GET", f"integration/{self.integration}/lock")
        except NotFoundError:
            return None
        return _holder(self._lock_body(response, "GET"))

    def _lock_body(self, response: httpx.Response, method: str) -> dict[str, Any]:
        return json_object(response, _at(method, f"integration/{self.integration}/lock"))

    def _object(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        """``method path`` (``options``: those of :meth:`ApiClient.request`); its JSON object."""
        return json_object(self.http.request(method, path, **options), _at(method, path))

    def release_lock(self, owner: str, *, force: bool = False) -> None:
        self.http.request(
            "DELETE",
            f"integration/{self.integration}/lock",
            params={"force": "true"} if force else None,
            headers={"X-Lock-Owner": owner},
            read=False,
        )

    def acquire_lock_or_take_over(
        self,
        owner: str,
        *,
        ttl_seconds: int = 900,
        wait_s: float = 0.0,
        interval_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        alive: Callable[[int], bool] = process_is_alive,
        on_wait: Callable[[LockHolder], None] | None = None,
    ) -> LockHolder:
        """Acquire; take over a lock whose owner is a dead process on this host; wait up to
        ``wait_s`` for a live holder; then raise :class:`LockHeld`. ``on_wait`` is told each
        holder this run starts waiting for (once per holder, not once per poll)."""
        deadline = clock() + wait_s
        here = socket.gethostname()
        waited_for: tuple[str, str] | None = None  # (owner, acquired_at): one acquisition
        while True:
            try:
                return self.acquire_lock(owner, ttl_seconds)
            except LockHeld as held:
                holder = held.holder
                if holder.is_dead(here=here, alive=alive):
                    log.warning(
                        "%s: taking over the lock of %s: that process is gone",
                        labelled(LOCK_TAKEN_OVER),
                        holder.owner,
                    )
                    self.release_lock(owner, force=True)
                    continue
                if clock() >= deadline:
                    raise
                if on_wait is not None and (holder.owner, holder.acquired_at) != waited_for:
                    on_wait(holder)
                waited_for = (holder.owner, holder.acquired_at)
                log.debug("lock held by %s; waiting", holder.owner)
                sleep(interval_s)


def _at(method: str, path: str) -> Source:
    return Source(SYSTEM, "Salesbuildr", method, "/" + path.lstrip("/"))


def _holder(body: Any) -> LockHolder:
    body = body if isinstance(body, dict) else {}
    return LockHolder(
        owner=str(body.get("owner", "?")),
        acquired_at=str(body.get("acquiredAt", "?")),
        expires_at=str(body.get("expiresAt", "?")),
    )
