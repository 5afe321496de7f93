"""The ``conditions``, ``childConditions``, ``fields`` and ``orderBy`` query parameters.

The language, as the fact sheet (``connectwise-api.md`` section 4, community-sourced) gives it:
``field op value`` joined with ``and`` / ``or`` (any case), parentheses, a leading ``not``;
operators ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``contains``, ``like`` (``%`` or ``*``
wildcards), ``in (v, ...)``, ``not in``, ``not like``, ``not contains``, ``between a and b``;
strings in double quotes, dates in square brackets, bare ``true`` / ``false`` / ``null``, numbers;
child fields with ``/`` (``status/name``).

Simulator choices where the sources are silent [inferred]: inside a string a backslash escapes
the next character (``\\"``, ``\\\\``); string comparison ignores case, as SQL Server's default
collation (which ConnectWise runs on) does; a malformed expression is a 400. ``childConditions``
matches when any element of the named array matches (``types/name = "Client"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN: Final = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<date>\[[^\]]*\])
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),])
      | (?P<number>-?\d+(?:\.\d+)?(?![\w/]))
      | (?P<word>[A-Za-z_][\w]*(?:/[A-Za-z_][\w]*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "like", "contains", "between", "true", "false", "null"}
)
_MISSING: Final = object()


class ConditionsError(ValueError):
    """A ``conditions`` (or ``fields`` / ``orderBy``) value that does not parse."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    value: Any = None


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConditionsError(f"cannot read the conditions from {text[position:][:20]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "string":
            found.append(_Token("value", raw, re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.S)))
        elif kind == "date":
            found.append(_Token("value", raw, raw[1:-1].strip()))
        elif kind == "number":
            found.append(_Token("value", raw, float(raw) if "." in raw else int(raw)))
        elif kind == "word" and raw.lower() in _KEYWORDS:
            word = raw.lower()
            literal = {"true": True, "false": False, "null": None}
            if word in literal:
                found.append(_Token("value", raw, literal[word]))
            else:
                found.append(_Token("keyword", word))
        else:
            found.append(_Token(kind, raw))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            shown = token.text if token else "the end"
            raise ConditionsError(f"expected {text or kind} in the conditions, found {shown!r}")
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (text is None or token.text == text)

    def parse(self) -> Predicate:
        predicate = self.expression()
        if self.peek() is not None:
            raise ConditionsError(f"unexpected {self.peek().text!r} in the conditions")  # type: ignore[union-attr]
        return predicate

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.at("keyword", "or"):
            self.index += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.factor()]
        while self.at("keyword", "and"):
            self.index += 1
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def factor(self) -> Predicate:
        if self.at("keyword", "not"):
            self.index += 1
            inner = self.factor()
            return lambda row: not inner(row)
        if self.at("punct", "("):
            self.index += 1
            inner = self.expression()
            self.take("punct", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        path = self.take("word").text
        negate = False
        if self.at("keyword", "not"):
            self.index += 1
            negate = True
        token = self.peek()
        if token is None:
            raise ConditionsError(f"{path}: an operator is missing")
        self.index += 1
        test: Callable[[Any], bool]
        if token.kind == "op":
            test = _operator(token.text, self.take("value").value)
        elif token.text == "in":
            test = _one_of(self.value_list())
        elif token.text in ("like", "contains"):
            test = _pattern(token.text, self.take("value").value)
        elif token.text == "between":
            low = self.take("value").value
            self.take("keyword", "and")
            high = self.take("value").value
            test = lambda v: _ordered(v, low) >= 0 and _ordered(v, high) <= 0  # noqa: E731
        else:
            raise ConditionsError(f"{path}: unknown operator {token.text!r}")
        if negate and token.kind == "op":
            raise ConditionsError(f"{path}: 'not' cannot stand before {token.text}")
        return _at_path(path, test, negate)

    def value_list(self) -> list[Any]:
        self.take("punct", "(")
        values = [self.take("value").value]
        while self.at("punct", ","):
            self.index += 1
            values.append(self.take("value").value)
        self.take("punct", ")")
        return values


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _ordered(left: Any, right: Any) -> int:
    """-1, 0, 1; a type mismatch (or null) orders as unequal and never between."""
    left, right = _fold(left), _fold(right)
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return 0 if left == right else 2
    try:
        return int(left > right) - int(left < right)
    except TypeError:
        return 2


def _operator(op: str, wanted: Any) -> Callable[[Any], bool]:
    if op == "=":
        return lambda v: _fold(v) == _fold(wanted)
    if op == "!=":
        return lambda v: _fold(v) != _fold(wanted)
    checks: dict[str, Callable[[int], bool]] = {
        "<": lambda c: c == -1,
        "<=": lambda c: c in (-1, 0),
        ">": lambda c: c == 1,
        ">=": lambda c: c in (0, 1),
    }
    check = checks[op]
    return lambda v: check(_ordered(v, wanted))


def _one_of(values: Iterable[Any]) -> Callable[[Any], bool]:
    folded = [_fold(v) for v in values]
    return lambda v: _fold(v) in folded


def _pattern(op: str, wanted: Any) -> Callable[[Any], bool]:
    text = str(wanted)
    if op == "contains":
        needle = text.casefold()
        return lambda v: isinstance(v, str) and needle in v.casefold()
    regex = re.compile(
        "".join(".*" if ch in "%*" else re.escape(ch) for ch in text), re.IGNORECASE | re.DOTALL
    )
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


def _at_path(path: str, test: Callable[[Any], bool], negate: bool) -> Predicate:
    steps = path.split("/")

    def predicate(row: Mapping[str, Any]) -> bool:
        values = _values_at(row, steps)
        hit = any(test(v) for v in values) if values else test(None)
        return hit != negate

    return predicate


def _values_at(node: Any, steps: list[str]) -> list[Any]:
    """Every value at ``steps`` below ``node``; arrays fan out (``types/name``)."""
    if not steps:
        return [node]
    if isinstance(node, list):
        return [v for item in node for v in _values_at(item, steps)]
    if not isinstance(node, Mapping):
        return []
    value = node.get(steps[0], _MISSING)
    if value is _MISSING:
        return []
    return _values_at(value, steps[1:])


def parse_conditions(text: str | None) -> Predicate:
    """The row predicate of a ``conditions`` (or ``childConditions``) value; empty: every row."""
    if text is None or not text.strip():
        return lambda row: True
    return _Parser(text).parse()


_FIELD_PATH: Final = re.compile(r"^[A-Za-z_]\w*(?:/[A-Za-z_]\w*)*$")


def parse_fields(text: str | None) -> list[list[str]] | None:
    """The property paths ``fields=id,name,status/name`` keeps (None: all of them)."""
    if text is None or not text.strip():
        return None
    paths = [part.strip() for part in text.split(",") if part.strip()]
    for path in paths:
        if not _FIELD_PATH.match(path):
            raise ConditionsError(f"fields: {path!r} is not a property name")
    return [path.split("/") for path in paths]


def project(row: Mapping[str, Any], paths: list[list[str]] | None) -> dict[str, Any]:
    """``row`` with only the properties ``paths`` name (nested objects cut the same way)."""
    if paths is None:
        return dict(row)
    kept: dict[str, Any] = {}
    for steps in paths:
        _copy_path(row, kept, steps)
    return kept


def _copy_path(source: Mapping[str, Any], target: dict[str, Any], steps: list[str]) -> None:
    head = steps[0]
    if head not in source:
        return
    value = source[head]
    if len(steps) == 1 or not isinstance(value, Mapping):
        target[head] = value
        return
    nested = target.setdefault(head, {})
    if isinstance(nested, dict):
        _copy_path(value, nested, steps[1:])


def parse_order_by(text: str | None) -> list[tuple[list[str], bool]]:
    """``orderBy=name asc, id desc`` as ``[(path, descending)]`` (empty: by id)."""
    keys: list[tuple[list[str], bool]] = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or not _FIELD_PATH.match(words[0]):
            raise ConditionsError(f"orderBy: cannot read {part.strip()!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ConditionsError(f"orderBy: {words[1]!r} is neither asc nor desc")
        keys.append((words[0].split("/"), direction == "desc"))
    return keys


def sort_rows(
    rows: list[dict[str, Any]], keys: list[tuple[list[str], bool]]
) -> list[dict[str, Any]]:
    """``rows`` in ``keys`` order, then by id (nulls first, as SQL Server sorts them)."""
    ordered = sorted(rows, key=lambda row: row.get("id") or 0)
    for steps, descending in reversed(keys):

        def key(row: dict[str, Any], steps: list[str] = steps) -> tuple[int, str, float]:
            values = _values_at(row, steps)
            value = values[0] if values else None
            if value is None:
                return (0, "", 0.0)
            if isinstance(value, bool | int | float):
                return (1, "", float(value))
            return (2, str(value).casefold(), 0.0)

        ordered.sort(key=key, reverse=descending)
    return ordered
