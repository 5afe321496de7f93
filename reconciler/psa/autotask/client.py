"""Autotask REST (ATServicesRest v1.0): the documented protocol, in as few requests as possible.

* Auth: the headers ``ApiIntegrationCode``, ``UserName`` and ``Secret`` on every call.
* Zone: ``GET /V1.0/ZoneInformation?user=`` on the generic host unless a URL is configured.
* Reads: ``POST /{Entity}/query`` with a filter, ``IncludeFields`` (always with ``id``) and
  ``MaxRecords`` 500, following ``pageDetails.nextPageUrl`` to the end (guarded: a repeated URL,
  a page of nothing new or the page ceiling stops the read); child collections by one root query
  (``CompanyWebhookFields/query`` with ``webhookID in [...]``), never per parent.
* Writes: ``POST /{Entity}`` -> ``itemId``; ``PATCH /{Entity}`` with the id in the body; ``DELETE``
  where the document allows it; children through ``/{Parent}/{parentId}/{Child}``.
* Metadata (``entityInformation/fields`` and ``/userDefinedFields``) once per client, cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from reconciler.errors import NotFoundError, ProviderError, ServerMisbehaved
from reconciler.psa.autotask import CREDENTIALS
from reconciler.psa.autotask.auth import auth_failure_hint
from reconciler.psa.autotask.fields import FieldInfo, PicklistValue, parse_fields
from reconciler.psa.autotask.filters import (
    ALL,
    Filter,
    and_,
    begins_with,
    contains,
    eq,
    exist,
    gt,
    in_,
    noteq,
    or_,
)
from reconciler.psa.autotask.zone import DISCOVERY_URL, discover_zone, normalise_zone_url
from reconciler.transport.credentials import require_credentials
from reconciler.transport.http import ApiClient, RetryPolicy, Source, answered_id, json_body
from reconciler.transport.paging import PageGuard, page_ceiling

log = logging.getLogger(__name__)

__all__ = [  # re-exported: the query filters and zone discovery have their own modules
    "ALL",
    "DISCOVERY_URL",
    "FieldInfo",
    "Filter",
    "PicklistValue",
    "and_",
    "begins_with",
    "contains",
    "discover_zone",
    "eq",
    "exist",
    "gt",
    "in_",
    "normalise_zone_url",
    "noteq",
    "or_",
    "parse_fields",
]

SYSTEM = "autotask"
PAGE_SIZE = 500
MAX_IN_LIST = 500  # Autotask allows at most 500 OR conditions per query
Record = dict[str, Any]


# --- metadata -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UdfDefinition:
    """A row of UserDefinedFieldDefinitions with its picklist codes resolved to labels."""

    id: int
    name: str
    entity: str
    data_type: str
    is_active: bool

    @property
    def is_multi_select(self) -> bool:
        """Multi-select UDFs cannot be read or written through the API (they cannot be mapped)."""
        folded = self.data_type.casefold().replace("-", " ")
        return "multi" in folded and "select" in folded


@dataclass(frozen=True)
class Threshold:
    """ThresholdInformation: the tenant's hourly request budget, shared by all integrations."""

    limit: int
    timeframe_minutes: int
    used: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


THRESHOLD_REUSE_S = 60.0
"""How old a ThresholdInformation reading may be and still serve apply's budget check."""


# --- connection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AutotaskCredentials:
    username: str
    secret: SecretStr
    integration_code: SecretStr

    def headers(self) -> dict[str, str]:
        return {
            "ApiIntegrationCode": self.integration_code.get_secret_value(),
            "UserName": self.username,
            "Secret": self.secret.get_secret_value(),
        }


def credentials_from_env(environ: Mapping[str, str]) -> AutotaskCredentials:
    """Read the three credentials from the environment, naming every one that is missing."""
    require_credentials(environ, psa=CREDENTIALS, salesbuildr=False)
    return AutotaskCredentials(
        username=environ["AUTOTASK_API_USERNAME"],
        secret=SecretStr(environ["AUTOTASK_API_SECRET"]),
        integration_code=SecretStr(environ["AUTOTASK_API_INTEGRATION_CODE"]),
    )


def _entity_endpoint(method: str, path: str) -> str:
    """Thread limits are per object endpoint: the entity after /V1.0/. A child path
    (``CompanyWebhooks/{id}/Fields``) is the child's endpoint (``CompanyWebhookFields``), the
    same one its root query (``CompanyWebhookFields/query``) counts against."""
    parts = [p for p in path.split("/") if p]
    for index, part in enumerate(parts):
        if part.lower() == "v1.0" and index + 1 < len(parts):
            rest = parts[index + 1 :]
            if len(rest) >= 3 and rest[1].isdigit() and rest[2].lower() != "query":
                return (rest[0].removesuffix("s") + rest[2]).lower()
            return rest[0].lower()
    return parts[0].lower() if parts else ""


# --- the client -----------------------------------------------------------------------------------


@dataclass
class _MetadataCache:
    fields: dict[str, list[FieldInfo]] = field(default_factory=dict)
    udfs: dict[str, list[FieldInfo]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fetching: dict[str, threading.Lock] = field(default_factory=dict)


class AutotaskClient:
    """Typed access to the Autotask entities reconcile reads and writes."""

    def __init__(
        self,
        http: ApiClient,
        *,
        max_pages: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.http = http
        self.max_pages = max_pages
        """Pages per collection before a read stops (None: the process's ceiling)."""
        self._metadata = _MetadataCache()
        self._clock = clock
        self._threshold_seen: tuple[Threshold, int, float] | None = None

    @classmethod
    def connect(
        cls,
        credentials: AutotaskCredentials,
        *,
        url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        discovery_transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> AutotaskClient:
        """A client for the configured zone URL, or the zone ZoneInformation names."""
        base = (
            normalise_zone_url(url)
            if url
            else discover_zone(
                credentials.username, transport=discovery_transport or transport, retry=retry
            )
        )
        http = ApiClient(
            system=SYSTEM,
            base_url=f"{base}/V1.0",
            headers=credentials.headers(),
            transport=transport,
            retry=retry,
            timeout=timeout,
            max_in_flight=3,
            endpoint_key=_entity_endpoint,
            auth_hint=auth_failure_hint,
        )
        return cls(http)

    @property
    def calls(self) -> int:
        return self.http.calls

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AutotaskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads --

    def query(
        self,
        entity: str,
        filter_: Filter | Sequence[Filter] = ALL,
        *,
        include_fields: Sequence[str] | None = None,
    ) -> list[Record]:
        """Every row of ``entity`` matching the filter, all pages, in id order whatever order the
        API lists them in (so that everything built from them, plans included, is deterministic)."""
        return sorted(self.iter_query(entity, filter_, include_fields=include_fields), key=_by_id)

    def iter_query(
        self,
        entity: str,
        filter_: Filter | Sequence[Filter] = ALL,
        *,
        include_fields: Sequence[str] | None = None,
    ) -> Iterator[Record]:
        body = _query_body(filter_, include_fields)
        ceiling = self.max_pages or page_ceiling()
        guard = PageGuard(SYSTEM, "POST", f"/V1.0/{entity}/query", max_pages=ceiling)
        response = self.http.request("POST", f"{entity}/query", json=body, read=True)
        while True:
            page = response.json()
            items = page.get("items") or []
            yield from guard.page(items)
            next_url = (page.get("pageDetails") or {}).get("nextPageUrl")
            if not next_url:
                return
            if not items:
                raise guard.empty_page_with_more()
            guard.next_url(str(next_url))
            response = self._next_page(str(next_url), body)

    def _next_page(self, url: str, body: Mapping[str, Any]) -> httpx.Response:
        # The credentials travel with every request: follow only pages on our own origin.
        own, offered = httpx.URL(self.http.base_url), httpx.URL(url)
        if (offered.scheme, offered.host, offered.port) != (own.scheme, own.host, own.port):
            raise ProviderError(
                f"Autotask offered a next page on another origin ({offered.scheme}://"
                f"{offered.host}); not following it with our credentials",
                system=SYSTEM,
                method="GET",
                path=offered.path,
            )
        # Clients disagree on whether /query/next is a GET or a POST with the original body; GET
        # is what most send, and a 405 tells us to POST instead.
        response = self.http.request("GET", url, read=True, ok=(405,))
        if response.status_code == 405:
            response = self.http.request("POST", url, json=body, read=True)
        return response

    def query_children(
        self,
        child_entity: str,
        parent_field: str,
        parent_ids: Iterable[int],
        *,
        include_fields: Sequence[str] | None = None,
    ) -> list[Record]:
        """Children of many parents with one root query per 500 parents (never one per parent)."""
        ids = sorted(set(parent_ids))
        rows: list[Record] = []
        for start in range(0, len(ids), MAX_IN_LIST):
            chunk = ids[start : start + MAX_IN_LIST]
            rows.extend(
                self.query(child_entity, in_(parent_field, chunk), include_fields=include_fields)
            )
        return rows

    def count(self, entity: str, filter_: Filter | Sequence[Filter] = ALL) -> int:
        body = _query_body(filter_, None)
        body.pop("MaxRecords", None)
        response = self.http.request("POST", f"{entity}/query/count", json=body, read=True)
        return int(response.json().get("queryCount", 0))

    def get(self, entity: str, item_id: int) -> Record | None:
        """One row by id; None when Autotask answers ``{"item": null}`` or 404."""
        try:
            response = self.http.request("GET", f"{entity}/{item_id}")
        except NotFoundError:
            return None
        item = response.json().get("item")
        return item if isinstance(item, dict) else None

    def threshold(self) -> Threshold:
        """``ThresholdInformation`` now (one request); kept for :meth:`remaining_requests`."""
        body = self.http.request("GET", "ThresholdInformation").json()
        threshold = Threshold(
            limit=int(body.get("externalRequestThreshold") or 10_000),
            timeframe_minutes=int(body.get("requestThresholdTimeframe") or 60),
            used=int(body.get("currentTimeframeRequestCount") or 0),
        )
        with self._metadata.lock:
            self._threshold_seen = (threshold, self.calls, self._clock())
        return threshold

    def remaining_requests(self, *, max_age_s: float = THRESHOLD_REUSE_S) -> int:
        """What is left of the hourly budget. A ``ThresholdInformation`` this client read at
        most ``max_age_s`` ago (the plan's, when apply follows it in one run) serves, less the
        requests sent since; otherwise it is read now. So a pipeline's plan-and-apply asks once,
        and an apply that waited for a person's answer asks again."""
        with self._metadata.lock:
            seen = self._threshold_seen
        if seen is not None and self._clock() - seen[2] <= max_age_s:
            threshold, calls_then, _ = seen
            return max(threshold.remaining - (self.calls - calls_then), 0)
        return self.threshold().remaining

    # -- metadata --

    def fields(self, entity: str) -> list[FieldInfo]:
        """``{entity}/entityInformation/fields``, read once per client."""
        return self._cached(self._metadata.fields, entity, "entityInformation/fields")

    def udfs(self, entity: str) -> list[FieldInfo]:
        """``{entity}/entityInformation/userDefinedFields``, read once per client."""
        return self._cached(self._metadata.udfs, entity, "entityInformation/userDefinedFields")

    def field(self, entity: str, name: str) -> FieldInfo:
        for info in self.fields(entity):
            if info.name.lower() == name.lower():
                return info
        raise ProviderError(
            f"{entity} has no field {name!r} in its metadata",
            system=SYSTEM,
            method="GET",
            path=f"/V1.0/{entity}/entityInformation/fields",
        )

    def picklist(self, entity: str, name: str) -> tuple[PicklistValue, ...]:
        return self.field(entity, name).picklist

    def _cached(
        self, table: dict[str, list[FieldInfo]], entity: str, suffix: str
    ) -> list[FieldInfo]:
        key = entity.lower()
        with self._metadata.lock:
            if key in table:
                return table[key]
            # One lock per endpoint, so concurrent readers of the same metadata wait for one call.
            fetch_lock = self._metadata.fetching.setdefault(f"{key}/{suffix}", threading.Lock())
        with fetch_lock:
            with self._metadata.lock:
                if key in table:
                    return table[key]
            parsed = parse_fields(self.http.request("GET", f"{entity}/{suffix}").json())
            with self._metadata.lock:
                table[key] = parsed
                return parsed

    def udf_definitions(self, entity_label: str) -> list[UdfDefinition]:
        """UDF definitions of one entity (``udfType`` label, e.g. ``Company``), with data types.

        Multi-select UDFs are recognised by the label of their ``dataType`` code in the
        UserDefinedFieldDefinitions picklist, never by a hard-coded number.
        """
        udf_types = {
            v.label.lower(): v.value
            for v in self.picklist("UserDefinedFieldDefinitions", "udfType")
        }
        data_types = {
            v.value: v.label for v in self.picklist("UserDefinedFieldDefinitions", "dataType")
        }
        code = udf_types.get(entity_label.lower())
        if code is None:
            return []
        rows = self.query(
            "UserDefinedFieldDefinitions",
            eq("udfType", int(code)),
            include_fields=["id", "name", "udfType", "dataType", "isActive"],
        )
        return [
            UdfDefinition(
                id=int(row["id"]),
                name=str(row.get("name") or ""),
                entity=entity_label,
                data_type=data_types.get(str(row.get("dataType")), str(row.get("dataType"))),
                is_active=bool(row.get("isActive", True)),
            )
            for row in rows
        ]

    # -- writes --

    def create(self, entity: str, body: Mapping[str, Any]) -> int:
        response = self.http.request("POST", entity, json=dict(body), read=False)
        return _item_id(response, entity)

    def update(self, entity: str, body: Mapping[str, Any]) -> int:
        """PATCH: only the sent fields change; the id travels in the body."""
        if "id" not in body:
            raise ValueError("an Autotask update needs the id in the body")
        response = self.http.request("PATCH", entity, json=dict(body), read=False)
        return _item_id(response, entity)

    def delete(self, entity: str, item_id: int) -> None:
        self.http.request("DELETE", f"{entity}/{item_id}", read=False)

    def create_child(self, parent: str, parent_id: int, child: str, body: Mapping[str, Any]) -> int:
        response = self.http.request(
            "POST", f"{parent}/{parent_id}/{child}", json=dict(body), read=False
        )
        return _item_id(response, f"{parent}/{child}")

    def update_child(self, parent: str, parent_id: int, child: str, body: Mapping[str, Any]) -> int:
        response = self.http.request(
            "PATCH", f"{parent}/{parent_id}/{child}", json=dict(body), read=False
        )
        return _item_id(response, f"{parent}/{child}")

    def delete_child(self, parent: str, parent_id: int, child: str, item_id: int) -> None:
        self.http.request("DELETE", f"{parent}/{parent_id}/{child}/{item_id}", read=False)


def _by_id(row: Record) -> tuple[int, int, str]:
    value = row.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _query_body(
    filter_: Filter | Sequence[Filter], include_fields: Sequence[str] | None
) -> dict[str, Any]:
    filters = [filter_] if isinstance(filter_, dict) else list(filter_)
    body: dict[str, Any] = {"MaxRecords": PAGE_SIZE, "filter": filters}
    if include_fields:
        names = list(dict.fromkeys(["id", *include_fields]))
        body["IncludeFields"] = names
    return body


def _item_id(response: httpx.Response, what: str) -> int:
    """The ``itemId`` a successful write answered. An answer without a usable one (none, not
    a number, not JSON) leaves the write's outcome unknown: it was accepted, and the apply
    layer resolves it by natural key (:mod:`reconciler.write_resolve`)."""
    source = Source(SYSTEM, "Autotask", response.request.method, response.request.url.path)
    try:
        body = json_body(response, source)
    except ServerMisbehaved:
        body = None
    found: int = answered_id(body, "itemId", source)
    return found
