"""Autotask's value formats and write rules, as the simulator's store applies them.

Coercion of incoming values (the string forms Autotask accepts), its date format, and the checks
that need no store of their own: UDF values against their definitions, uniqueness and the
per-entity rules against an entity's rows. :class:`WriteError` carries every problem at once.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.sandbox.autotask.entities import EntityDef, FieldDef
from reconciler.sandbox.autotask.query import parse_datetime
from reconciler.sandbox.common import tenant

UDF_ENTITY: Final = "UserDefinedFieldDefinitions"
MULTI_SELECT_CODE: Final = next(
    v for v, label in tenant.UDF_DATA_TYPES if label == "Multi-select List"
)
# tenant.UDF_DATA_TYPES code -> the ``type`` a UDF has in ``/entityInformation/userDefinedFields``.
UDF_VALUE_TYPES: Final = {1: "string", 2: "decimal", 3: "datetime", 4: "decimal", 5: "string"}
UDF_LIST_TYPES: Final = frozenset({5, 6})


class WriteError(Exception):
    """A rejected write: every message is shown to the client."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def now_text() -> str:
    """The current UTC time the way Autotask writes it (no ``Z``, milliseconds)."""
    return format_datetime(datetime.now(UTC).replace(tzinfo=None))


def format_datetime(value: datetime) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{value.microsecond // 1000:03d}" if value.microsecond else text


def coerce(spec: FieldDef, value: Any) -> Any:
    """``value`` as the field's type, accepting the string forms Autotask accepts."""
    if value is None:
        return None
    kind = spec.data_type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(f"The value '{value}' is not valid for boolean field {spec.name}.")
    if kind in ("integer", "long"):
        number = as_int(value)
        if number is None:
            raise ValueError(f"The value '{value}' is not valid for integer field {spec.name}.")
        return number
    if kind == "decimal":
        if isinstance(value, bool):
            raise ValueError(f"The value '{value}' is not valid for decimal field {spec.name}.")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"The value '{value}' is not valid for decimal field {spec.name}."
            ) from None
    if kind == "datetime":
        parsed = parse_datetime(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise ValueError(f"The value '{value}' is not valid for date field {spec.name}.")
        return format_datetime(parsed)
    if isinstance(value, dict | list):
        raise ValueError(f"The value of {spec.name} must be a string.")
    return value if isinstance(value, str) else str(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def udf_errors(
    entity: EntityDef,
    udfs: dict[int, str | None],
    udf_values: list[tuple[str, Any]] | None,
    definitions: list[dict[str, Any]],
    list_values: dict[int, list[str]],
) -> list[str]:
    """The problems of the UDF values sent in one write (numbers, list items, dates)."""
    if not udf_values or entity.udf_type is None:
        return []
    sent = {name.lower() for name, _ in udf_values}
    errors: list[str] = []
    for definition in definitions:
        value = udfs.get(definition["id"])
        if definition["name"].lower() not in sent or value is None:
            continue
        if definition["dataType"] in (2, 4):
            try:
                float(value)
            except ValueError:
                errors.append(
                    f"The value of user-defined field '{definition['name']}' is not a number."
                )
        elif definition["dataType"] in UDF_LIST_TYPES and definition["id"] in list_values:
            allowed = {v.lower() for v in list_values[definition["id"]]}
            parts = value.split(",") if definition["dataType"] == MULTI_SELECT_CODE else [value]
            if any(part.strip().lower() not in allowed for part in parts):
                errors.append(
                    f"The value '{value}' is not in the list of user-defined field "
                    f"'{definition['name']}'."
                )
        elif definition["dataType"] == 3 and parse_datetime(value) is None:
            errors.append(f"The value of user-defined field '{definition['name']}' is not a date.")
    return errors


def rule_errors(
    entity: EntityDef,
    record: dict[str, Any],
    old: dict[str, Any] | None,
    rows: Iterable[dict[str, Any]],
) -> list[str]:
    """Uniqueness and per-entity rules, against the entity's ``rows``."""
    others = [r for r in rows if old is None or r["id"] != old["id"]]
    if entity.webhook_kind and entity.parent is None:
        name = str(record.get("name") or "").lower()
        if name and any(str(r["name"] or "").lower() == name for r in others):
            return [f"A {entity.info_name} named '{record['name']}' already exists."]
    if entity.parent is not None and entity.parent_field is not None:
        key = next(p for p in ("fieldID", "udfFieldID", "resourceID") if p in record)
        same = [
            r
            for r in others
            if r[entity.parent_field] == record[entity.parent_field] and r[key] == record[key]
        ]
        if same:
            return [f"{key} {record[key]} is already on webhook {record[entity.parent_field]}."]
    if entity.name == "InventoryLocations":
        name = str(record.get("locationName") or "").lower()
        if any(str(r["locationName"] or "").lower() == name for r in others):
            return [f"An inventory location named '{record['locationName']}' already exists."]
    if entity.name == UDF_ENTITY:
        if old is None and record.get("dataType") == MULTI_SELECT_CODE:
            return ["Multi-select user-defined fields cannot be created through the API."]
        name = str(record.get("name") or "").lower()
        if any(
            str(r["name"]).lower() == name and r["udfType"] == record["udfType"] for r in others
        ):
            return [f"A user-defined field named '{record['name']}' already exists."]
    return []


def incoming_udfs(raw: Any, errors: list[str]) -> list[tuple[str, Any]]:
    """The ``userDefinedFields`` of a body as (name, value) pairs; problems go to ``errors``."""
    if not isinstance(raw, list):
        errors.append("userDefinedFields must be an array of {name, value} objects.")
        return []
    pairs: list[tuple[str, Any]] = []
    for item in raw:
        lowered = {str(k).lower(): v for k, v in item.items()} if isinstance(item, dict) else {}
        if not isinstance(lowered.get("name"), str):
            errors.append("Each user-defined field needs a name.")
            continue
        pairs.append((lowered["name"], lowered.get("value")))
    return pairs


class GuidSource:
    """Deterministic webhook GUIDs, so a seed renders the same every time."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(f"guid-{seed}")

    def next(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
