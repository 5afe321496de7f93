"""Autotask query filters (``{"op", "field", "value"}``), as the REST API's ``filter`` takes
them; :data:`ALL` matches every row (Autotask requires a filter on every query)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Filter = dict[str, Any]


def eq(field_name: str, value: Any, *, udf: bool = False) -> Filter:
    return _condition("eq", field_name, value, udf)


def noteq(field_name: str, value: Any) -> Filter:
    return _condition("noteq", field_name, value, False)


def in_(field_name: str, values: Iterable[Any]) -> Filter:
    return _condition("in", field_name, list(values), False)


def contains(field_name: str, value: str) -> Filter:
    return _condition("contains", field_name, value, False)


def begins_with(field_name: str, value: str) -> Filter:
    return _condition("beginsWith", field_name, value, False)


def exist(field_name: str) -> Filter:
    return {"op": "exist", "field": field_name}


def gt(field_name: str, value: Any) -> Filter:
    return _condition("gt", field_name, value, False)


def and_(*items: Filter) -> Filter:
    return {"op": "and", "items": list(items)}


def or_(*items: Filter) -> Filter:
    return {"op": "or", "items": list(items)}


def _condition(op: str, field_name: str, value: Any, udf: bool) -> Filter:
    condition: Filter = {"op": op, "field": field_name, "value": value}
    if udf:
        condition["udf"] = True
    return condition


ALL = gt("id", 0)
"""The filter that matches every row (Autotask requires a filter on every query)."""
