"""Builders for ConnectWise's ``conditions`` / ``childConditions`` and ``fields`` parameters.

The language (``shared/reference/connectwise-api.md`` section 4): ``field op value`` joined with
``and`` / ``or``, parentheses, strings in double quotes, dates in ``[...]``, bare ``true`` /
``false`` / ``null``. Every value passes through :func:`literal`, so a live name such as
``Acme" or id > 0 or name = "`` stays one string: inside the quotes a backslash escapes ``"`` and
``\\`` (the sources show no escape rule; this is the one the simulator reads, marked [inferred]
there). Field names are checked (``name``, ``status/name``), never quoted: a field is code, never
data. ``like`` keeps ``%`` and ``*`` as wildcards (use :func:`eq` for an exact name).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

_FIELD: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*$")

Value = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class Condition:
    """One ``conditions`` expression; ``text`` is what goes into the query parameter."""

    text: str

    def __str__(self) -> str:
        return self.text


def field_name(name: str) -> str:
    """``name`` if it is a property path (``id``, ``status/name``); ValueError otherwise."""
    if not _FIELD.match(name):
        raise ValueError(f"{name!r} is not a ConnectWise property name")
    return name


def literal(value: Value) -> str:
    """``value`` as a conditions literal: quoted and escaped strings, ``[ISO-8601]`` dates."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a conditions number must be finite")
        return repr(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return f"[{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}]"
    if isinstance(value, date):
        return f"[{value.isoformat()}]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot write a {type(value).__name__} in conditions")


def _compare(name: str, op: str, value: Value) -> Condition:
    return Condition(f"{field_name(name)} {op} {literal(value)}")


def eq(name: str, value: Value) -> Condition:
    return _compare(name, "=", value)


def ne(name: str, value: Value) -> Condition:
    return _compare(name, "!=", value)


def lt(name: str, value: Value) -> Condition:
    return _compare(name, "<", value)


def le(name: str, value: Value) -> Condition:
    return _compare(name, "<=", value)


def gt(name: str, value: Value) -> Condition:
    return _compare(name, ">", value)


def ge(name: str, value: Value) -> Condition:
    return _compare(name, ">=", value)


def contains(name: str, value: str) -> Condition:
    return _compare(name, "contains", value)


def like(name: str, pattern: str) -> Condition:
    """``name like "pattern"``: ``%`` and ``*`` in ``pattern`` are wildcards."""
    return _compare(name, "like", pattern)


def in_(name: str, values: Iterable[Value]) -> Condition:
    items = [literal(v) for v in values]
    if not items:
        raise ValueError("in_() needs at least one value (ConnectWise has no empty list)")
    return Condition(f"{field_name(name)} in ({', '.join(items)})")


def not_(condition: Condition) -> Condition:
    return Condition(f"not ({condition.text})")


def and_(*conditions: Condition) -> Condition:
    return _join("and", conditions)


def or_(*conditions: Condition) -> Condition:
    return _join("or", conditions)


def _join(word: str, conditions: Sequence[Condition]) -> Condition:
    if not conditions:
        raise ValueError(f"{word}_() needs at least one condition")
    if len(conditions) == 1:
        return conditions[0]
    return Condition(f" {word} ".join(f"({c.text})" for c in conditions))


def fields_param(names: Iterable[str]) -> str:
    """``fields=id,name,...``: always with ``id`` (paging and de-duplication key on it)."""
    chosen = [field_name(n) for n in names]
    if "id" not in chosen:
        chosen.insert(0, "id")
    return ",".join(dict.fromkeys(chosen))
