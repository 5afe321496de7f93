"""Autotask's query language: the ``QueryModel`` body, filters, ``IncludeFields`` and paging.

A query body is ``{"MaxRecords": n, "IncludeFields": [...], "Filter": [...]}`` with keys in any
case and at least one filter. Filters are ANDed at the top level; ``and``/``or`` group ``items``;
``udf: true`` filters on a UDF by name (one per query). String comparisons ignore case, as
Autotask's do. Errors raise :class:`QueryError`, answered 400 ``{"errors": [...]}``.

Paging is keyset: rows come sorted by id, and the opaque ``paging`` token of ``nextPageUrl`` holds
the last id served, so rows created between pages neither repeat nor go missing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from reconciler.sandbox.autotask.entities import EntityDef

MAX_PAGE: Final = 500
MAX_OR_CONDITIONS: Final = 500

COMPARISONS: Final = frozenset({"eq", "noteq", "gt", "gte", "lt", "lte"})
STRING_OPS: Final = frozenset({"beginswith", "endswith", "contains"})
EXISTENCE: Final = frozenset({"exist", "notexist"})
LISTS: Final = frozenset({"in", "notin"})
GROUPS: Final = frozenset({"and", "or"})

Getter = Callable[[str], Any]
"""Reads one value of a record: a model property, or ``udf:<name lower>`` for a UDF."""

Predicate = Callable[[Getter], bool]


class QueryError(Exception):
    """A malformed query; the message is what the client reads."""


@dataclass(frozen=True)
class Query:
    """A parsed ``QueryModel``."""

    max_records: int
    include_fields: tuple[str, ...] | None
    filters: tuple[dict[str, Any], ...]
    raw: dict[str, Any]


def parse_query(body: Any) -> Query:
    """Parse a ``QueryModel`` (keys matched case-insensitively)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise QueryError("The query must be a JSON object.")
    keys = {str(k).lower(): v for k, v in body.items()}
    max_records = keys.get("maxrecords")
    if max_records is None:
        max_records = MAX_PAGE
    if isinstance(max_records, str) and max_records.strip().isdigit():
        max_records = int(max_records)
    if not isinstance(max_records, int) or isinstance(max_records, bool):
        raise QueryError("MaxRecords must be an integer between 1 and 500.")
    if not 1 <= max_records <= MAX_PAGE:
        raise QueryError(f"MaxRecords must be between 1 and 500; {max_records} was requested.")
    include = keys.get("includefields")
    if include is not None and (
        not isinstance(include, list) or not all(isinstance(f, str) for f in include)
    ):
        raise QueryError("IncludeFields must be an array of field names.")
    filters = keys.get("filter")
    if filters is None:
        filters = []
    if not isinstance(filters, list):
        raise QueryError("Filter must be an array of filter expressions.")
    if not filters:
        # Autotask has no "all rows" query: clients send e.g. {"op": "exist", "field": "id"}.
        raise QueryError("At least one filter is required.")
    return Query(
        max_records=max_records,
        include_fields=tuple(include) if include else None,
        filters=tuple(filters),
        raw=body,
    )


def parse_search(search: str | None) -> Query:
    """The ``search`` parameter of the GET query forms (a ``QueryModel`` as JSON)."""
    if search is None:
        raise QueryError("The search parameter is required.")
    try:
        body = json.loads(search)
    except ValueError:
        raise QueryError("The search parameter is not valid JSON.") from None
    return parse_query(body)


def compile_filters(
    entity: EntityDef, filters: tuple[dict[str, Any], ...], udf_types: Mapping[str, str]
) -> Predicate:
    """A predicate over rows for ``filters``; ``udf_types`` maps UDF names (lower) to data types."""
    counts = {"udf": 0, "or": 0}
    predicates = [_compile(entity, f, udf_types, counts) for f in filters]
    if counts["udf"] > 1:
        raise QueryError("Only one UDF filter is allowed per query.")
    if counts["or"] > MAX_OR_CONDITIONS:
        raise QueryError(f"A query may have at most {MAX_OR_CONDITIONS} OR conditions.")
    return lambda row: all(p(row) for p in predicates)


def _compile(
    entity: EntityDef, spec: Any, udf_types: Mapping[str, str], counts: dict[str, int]
) -> Predicate:
    if not isinstance(spec, dict):
        raise QueryError("Each filter must be a JSON object.")
    spec = {str(k).lower(): v for k, v in spec.items()}
    op = str(spec.get("op") or "").lower()
    if op in GROUPS:
        items = spec.get("items")
        if not isinstance(items, list) or not items:
            raise QueryError(f"The {op} operator needs a non-empty items array.")
        subs = [_compile(entity, item, udf_types, counts) for item in items]
        if op == "or":
            counts["or"] += len(subs)
            return lambda row: any(p(row) for p in subs)
        return lambda row: all(p(row) for p in subs)
    if op not in COMPARISONS | STRING_OPS | EXISTENCE | LISTS:
        raise QueryError(f"Unknown filter operator '{spec.get('op')}'.")
    name = spec.get("field")
    if not isinstance(name, str) or not name:
        raise QueryError(f"The {op} filter needs a field.")
    udf = spec.get("udf") is True
    if udf:
        counts["udf"] += 1
        data_type = udf_types.get(name.lower())
        if data_type is None:
            raise QueryError(f"Unable to find the user-defined field '{name}' on {entity.name}.")
        key = "udf:" + name.lower()
    else:
        field = entity.field(name)
        prop = entity.prop(name)
        if field is None or prop is None:
            raise QueryError(f"Unable to find the field '{name}' on {entity.name}.")
        if not field.queryable:
            raise QueryError(f"The field '{name}' cannot be queried.")
        data_type = field.data_type
        key = prop
    value = spec.get("value")
    if op in EXISTENCE:
        present = op == "exist"
        return lambda row: (row(key) not in (None, "")) is present
    if op in LISTS:
        if not isinstance(value, list):
            raise QueryError(f"The {op} filter on '{name}' needs an array value.")
        wanted = [_operand(v, data_type, name) for v in value]
        negate = op == "notin"
        return lambda row: _in_list(_stored(row(key), data_type), wanted) is not negate
    if op in STRING_OPS:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise QueryError(f"The {op} filter on '{name}' needs a string value.")
        needle = str(value).lower()
        test = {
            "beginswith": str.startswith,
            "endswith": str.endswith,
            "contains": str.__contains__,
        }[op]
        return lambda row: row(key) is not None and test(str(row(key)).lower(), needle)
    operand = _operand(value, data_type, name)
    return lambda row: _compare(op, _stored(row(key), data_type), operand)


def _operand(value: Any, data_type: str, name: str) -> Any:
    """A filter value converted to the field's type (raises QueryError when it cannot be)."""
    if data_type == "boolean":
        if not isinstance(value, bool):
            raise QueryError(f"The value for boolean field '{name}' must be true or false.")
        return value
    if value is None or isinstance(value, list | dict):
        raise QueryError(f"Invalid value for field '{name}'.")
    if data_type in ("integer", "long", "decimal"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise QueryError(f"The value '{value}' is not a number (field '{name}').") from None
        return number
    if data_type == "datetime":
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise QueryError(f"The value '{value}' is not a date/time (field '{name}').")
        return parsed
    return str(value).lower()


def _stored(value: Any, data_type: str) -> Any:
    """A stored value in the comparable form :func:`_operand` produces."""
    if value is None:
        return None
    if data_type == "boolean":
        return bool(value)
    if data_type in ("integer", "long", "decimal"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if data_type == "datetime":
        return parse_datetime(str(value))
    return str(value).lower()


def _compare(op: str, stored: Any, operand: Any) -> bool:
    # SQL semantics: a comparison with a null never matches (use exist/notExist for that).
    if stored is None:
        return False
    try:
        if op == "eq":
            return bool(stored == operand)
        if op == "noteq":
            return bool(stored != operand)
        if op == "gt":
            return bool(stored > operand)
        if op == "gte":
            return bool(stored >= operand)
        if op == "lt":
            return bool(stored < operand)
        return bool(stored <= operand)
    except TypeError:
        return False


def _in_list(stored: Any, wanted: list[Any]) -> bool:
    return stored is not None and stored in wanted


def parse_datetime(text: str) -> datetime | None:
    """Parse Autotask's date-times (ISO 8601, with or without ``Z``), naive UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None) - (parsed.utcoffset() or timedelta(0))
    return parsed


def encode_paging(after_id: int) -> str:
    """The opaque ``paging`` token of a ``nextPageUrl``."""
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_paging(token: str) -> int:
    """The last id served before the page a ``paging`` token asks for."""
    try:
        padded = token + "=" * (-len(token) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded))["after"]
    except (ValueError, KeyError, TypeError):
        raise QueryError("The paging token is not valid.") from None
    if not isinstance(after, int):
        raise QueryError("The paging token is not valid.")
    return after
