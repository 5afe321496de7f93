"""The Autotask simulator's metadata answers and its hourly request counter.

``/entityInformation`` (what an entity allows), ``/entityInformation/fields`` (fields and
picklists, in the shapes of the recorded real responses) and
``/entityInformation/userDefinedFields`` (UDFs, which carry ``type`` where fields carry
``dataType``); and the rolling-hour counter ``ThresholdInformation`` reports.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.autotask.entities import EntityDef
from reconciler.sandbox.autotask.rules import UDF_LIST_TYPES, UDF_VALUE_TYPES
from reconciler.sandbox.autotask.store import Store

#: Requests per rolling hour per database (shared by all integrations of a tenant).
HOURLY_THRESHOLD: Final = 10_000


class HourlyCounter:
    """Requests in the rolling hour, plus a preset (``POST /_sandbox/usage``) that lasts an hour."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: deque[float] = deque()
        self._preset = 0
        self._preset_at = 0.0

    def hit(self) -> int:
        """Count one request; the count including it."""
        with self._lock:
            self._hits.append(time.monotonic())
            return self._count()

    def count(self) -> int:
        with self._lock:
            return self._count()

    def preset(self, count: int) -> None:
        """Pretend ``count`` requests were made just now (by this or other integrations)."""
        with self._lock:
            self._hits.clear()
            self._preset = count
            self._preset_at = time.monotonic()

    def _count(self) -> int:
        now = time.monotonic()
        while self._hits and self._hits[0] < now - 3600:
            self._hits.popleft()
        preset = self._preset if now - self._preset_at < 3600 else 0
        return preset + len(self._hits)


ACCESS_LEVELS: Final = ("All", "Restricted", "None")
OPERATIONS: Final = ("create", "update", "delete", "query")


class Permissions:
    """The API user's security level, as ``entityInformation`` reports it and writes enforce it.

    By default the user may do everything an entity allows (``All``). ``POST /_sandbox/permissions``
    ``{"entities": {"InventoryLocations": {"create": "None"}}, "read_only": {"CompanyWebhooks":
    ["name"]}}`` plays a restricted user (``{}`` restores the default; a reset does too):
    a ``None`` operation is refused (HTTP 500 with an ``errors`` array, as Autotask answers a
    refused write), and ``read_only`` fields show ``isReadOnly: true`` in ``/fields``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._levels: dict[str, dict[str, str]] = {}
        self._read_only: dict[str, set[str]] = {}

    def clear(self) -> None:
        with self._lock:
            self._levels.clear()
            self._read_only.clear()

    def configure(self, body: object) -> str | None:
        """Replace the settings with ``body``; an error message when it is malformed."""
        if not isinstance(body, dict) or set(body) - {"entities", "read_only"}:
            return 'expected {"entities": {ENTITY: {OPERATION: LEVEL}}, "read_only": {...}}'
        levels: dict[str, dict[str, str]] = {}
        for entity, ops in (body.get("entities") or {}).items():
            if not isinstance(ops, dict):
                return f"entities.{entity} must be an object"
            for op, level in ops.items():
                if op not in OPERATIONS or level not in ACCESS_LEVELS:
                    return f"entities.{entity}.{op}: operation {OPERATIONS}, level {ACCESS_LEVELS}"
                levels.setdefault(str(entity).lower(), {})[op] = level
        read_only: dict[str, set[str]] = {}
        for entity, names in (body.get("read_only") or {}).items():
            if not isinstance(names, list):
                return f"read_only.{entity} must be a list of field names"
            read_only[str(entity).lower()] = {str(n).lower() for n in names}
        with self._lock:
            self._levels, self._read_only = levels, read_only
        return None

    def level(self, entity: str, operation: str, allowed: bool) -> str:
        if not allowed:
            return "None"
        with self._lock:
            return self._levels.get(entity.lower(), {}).get(operation, "All")

    def denies(self, entity: str, operation: str) -> bool:
        return self.level(entity, operation, True) == "None"

    def read_only(self, entity: str, field: str) -> bool:
        with self._lock:
            return field.lower() in self._read_only.get(entity.lower(), set())


def permissions_route(permissions: Permissions) -> Route:
    async def post(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        error = permissions.configure(body)
        if error is not None:
            return JSONResponse({"errors": [error]}, status_code=400)
        return JSONResponse(body)

    return Route("/_sandbox/permissions", post, methods=["POST"])


def entity_information(entity: EntityDef, permissions: Permissions | None = None) -> dict[str, Any]:
    """The ``info`` of ``GET …/entityInformation``."""
    user = permissions or Permissions()

    def access(allowed: bool, operation: str = "query") -> str:
        return user.level(entity.name, operation, allowed)

    return {
        "name": entity.info_name,
        "canCreate": entity.can_create,
        "canDelete": entity.can_delete,
        "canQuery": True,
        "canUpdate": entity.can_update,
        "userAccessForCreate": access(entity.can_create, "create"),
        "userAccessForDelete": access(entity.can_delete, "delete"),
        "userAccessForQuery": access(True, "query"),
        "userAccessForUpdate": access(entity.can_update, "update"),
        "hasUserDefinedFields": entity.has_udfs,
        "supportsWebhookCallouts": entity.watched_by is not None,
    }


def field_information(
    store: Store, entity: EntityDef, permissions: Permissions | None = None
) -> list[dict[str, Any]]:
    """The ``fields`` of ``GET …/entityInformation/fields``.

    Recorded entities (Tickets, webhooks) keep the recorded order; the others are sorted by name
    ignoring case, as the recorded responses are.
    """
    recorded = entity.name == "Tickets" or (entity.webhook_kind and entity.parent is None)
    fields = entity.fields if recorded else sorted(entity.fields, key=lambda f: f.name.lower())
    found = [
        f.metadata(store.picklist(f.picklist) if f.picklist is not None else None) for f in fields
    ]
    if permissions is not None:
        for item in found:
            if permissions.read_only(entity.name, item["name"]):
                item["isReadOnly"] = True
    return found


def udf_information(store: Store, entity: EntityDef) -> list[dict[str, Any]]:
    """The ``fields`` of ``GET …/entityInformation/userDefinedFields``: the active UDFs."""
    if entity.udf_type is None:
        return []
    webhook = entity.watched_by is not None
    return [
        _udf(d, store.udf_list_values.get(d["id"]), webhook=webhook)
        for d in store.udf_definitions(entity.udf_type)
    ]


def _udf(definition: dict[str, Any], items: list[str] | None, *, webhook: bool) -> dict[str, Any]:
    data_type = definition["dataType"]
    value_type = UDF_VALUE_TYPES.get(data_type, "string")
    is_list = data_type in UDF_LIST_TYPES
    picklist = [
        {
            "value": item,
            "label": item,
            "isDefaultValue": False,
            "sortOrder": i,
            "parentValue": "",
            "isActive": True,
            "isSystem": False,
        }
        for i, item in enumerate(items or [])
    ]
    return {
        "name": definition["name"],
        "label": definition["name"],
        "type": value_type,
        "length": 8000 if value_type == "string" else 0,
        "description": definition["description"],
        "isRequired": bool(definition["isRequired"]),
        "isReadOnly": False,
        "isQueryable": True,
        "isReference": False,
        "referenceEntityType": None,
        "isPickList": is_list,
        "picklistValues": picklist if is_list else None,
        "picklistParentValueField": None,
        "defaultValue": definition["defaultValue"] or "",
        "isSupportedWebhookField": webhook,
    }
