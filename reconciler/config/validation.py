"""Turn pydantic's validation errors into located, human diagnostics."""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.config.loader import PathKey, SourceDocument
from reconciler.errors import Diagnostic
from reconciler.kinds.names import did_you_mean

DISCRIMINATOR = "psa"
"""The top-level key that names the document's PSA (reconciler.config.union)."""

_TYPE_MISMATCH = {
    "string_type",
    "model_type",
    "model_attributes_type",
    "dict_type",
    "list_type",
    "int_type",
    "int_parsing",
    "float_type",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "is_instance_of",
}

_UNION_EXPECTED = {"model_type": "{id: N}", "model_attributes_type": "{id: N}"}

_EXPECTED = {
    "string_type": "a name (text)",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def describe(value: Any) -> str:
    """How a YAML value reads to a person: 'a list', 'the number 3', "the text 'x'"."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def translate(
    error: ValidationError,
    source: SourceDocument,
    root: type[BaseModel],
    *,
    misplaced: Misplaced | None = None,
) -> list[Diagnostic]:
    """Every pydantic error as a Diagnostic at the position of the offending node
    (``misplaced``: says when an unknown key is another PSA's)."""
    grouped: dict[PathKey, list[tuple[ErrorDetails, tuple[Any, ...]]]] = defaultdict(list)
    for detail in error.errors(include_url=False):
        path, rest = _split_loc(source.data, detail["loc"])
        grouped[path].append((detail, rest))
    diagnostics: list[Diagnostic] = []
    for path, details in grouped.items():
        meaningful = [(d, r) for d, r in details if d["type"] not in _TYPE_MISMATCH]
        if len(details) > 1 and not meaningful:
            expected = sorted(
                {
                    _UNION_EXPECTED.get(d["type"], _EXPECTED.get(d["type"], d["type"]))
                    for d, _ in details
                },
            )
            value = _value_at(source.data, path)
            diagnostics.append(
                source.diagnostic(
                    path,
                    f"{_label(path)}: expected {' or '.join(expected)}, found {describe(value)}",
                )
            )
            continue
        seen: set[str] = set()
        for detail, rest in meaningful or details:
            diagnostic = _one(_Error(detail, path, rest, source, root, misplaced))
            if diagnostic.render() not in seen:
                seen.add(diagnostic.render())
                diagnostics.append(diagnostic)
    return sorted(diagnostics, key=lambda d: (d.line, d.column, d.message))


def located_paths(data: Any, error: ValidationError) -> list[PathKey]:
    """The path in ``data`` of each node ``error`` complains about (deepest existing node)."""
    return [_split_loc(data, detail["loc"])[0] for detail in error.errors(include_url=False)]


def _split_loc(data: Any, loc: tuple[int | str, ...]) -> tuple[PathKey, tuple[Any, ...]]:
    """The part of ``loc`` that exists in the data, and what is left (union branch tags...)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if found:
            path.append(part)
            node = node[part]
        else:
            return tuple(path), tuple(loc[index:])
    return tuple(path), ()


def _value_at(data: Any, path: PathKey) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _label(path: PathKey) -> str:
    if not path:
        return "the document"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}" if part.isidentifier() else f'["{part}"]'
        else:
            text = part
    return text


Misplaced = Callable[[PathKey], tuple[str, str] | None]
"""An unknown key's path -> (message, hint) when it belongs to another PSA (None: it does not)."""


@dataclass(frozen=True)
class _Error:
    """One pydantic error at ``path`` (``rest``: the part of its loc below the data)."""

    detail: ErrorDetails
    path: PathKey
    rest: tuple[Any, ...]
    source: SourceDocument
    root: type[BaseModel]
    misplaced: Misplaced | None

    @property
    def ctx(self) -> dict[str, Any]:
        return self.detail.get("ctx", {}) or {}

    @property
    def value(self) -> Any:
        return self.detail.get("input")

    @property
    def label(self) -> str:
        return _label(self.path)

    @property
    def named(self) -> list[str]:
        return [part for part in self.rest if isinstance(part, str) and not _is_branch_tag(part)]

    def at(self, message: str, *, hint: str | None = None, key: bool = False) -> Diagnostic:
        return self.source.diagnostic(self.path, message, hint=hint, key=key)


def _one(error: _Error) -> Diagnostic:
    detail = error.detail
    kind = detail["type"]
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(error)
    if kind in _EXPECTED:
        return error.at(f"{error.label}: expected {_EXPECTED[kind]}, found {describe(error.value)}")
    return error.at(f"{error.label}: {detail['msg']}")


def _missing(e: _Error) -> Diagnostic:
    key = e.named[-1] if e.named else str(e.detail["loc"][-1])
    where = f" in {e.label}" if e.path else ""
    return e.at(f"missing required key '{key}'{where}", key=True, hint=_missing_hint(key))


def _extra(e: _Error) -> Diagnostic:
    key = e.named[-1] if e.named else str(e.path[-1] if e.path else "")
    full = (*e.path, key) if e.named else e.path
    elsewhere = e.misplaced(full) if e.misplaced is not None else None
    if elsewhere is not None:
        return e.source.diagnostic(full, elsewhere[0], key=True, hint=elsewhere[1])
    allowed = _allowed_keys(e.root, full[:-1])
    parent = _label(full[:-1])
    where = f" in {parent}" if full[:-1] else " at the top level"
    hint: str | None = did_you_mean(key, allowed)
    # The discriminator is offered when close to what was typed, never listed: it is not a
    # section, and every Autotask file leaves it out.
    listed = [name for name in allowed if full[:-1] or name != DISCRIMINATOR]
    if hint is None and listed:
        hint = "allowed keys: " + ", ".join(listed)
    return e.source.diagnostic(full, f"unknown key '{key}'{where}", key=True, hint=hint)


def _choice(e: _Error) -> Diagnostic:
    expected = str(e.ctx.get("expected", ""))
    path, value = e.path, e.value
    if "[key]" in e.rest:
        return e.at(
            f"{_label(path[:-1])}: '{path[-1]}' is not allowed as a key; expected one of: "
            f"{expected}",
            hint=did_you_mean(str(path[-1]), _choices(expected)),
            key=True,
        )
    if path == ("version",):
        return e.at(
            f"unsupported version {value!r}; this reconcile understands version 1",
            hint="write `version: 1`",
        )
    hint = did_you_mean(str(value), _choices(expected)) if isinstance(value, str) else None
    return e.at(
        f"{e.label}: {describe(value)} is not allowed; expected one of: {expected}", hint=hint
    )


def _too_long(e: _Error) -> Diagnostic:
    # "too_long" is what a length limit on an Annotated name (validated first) reports.
    value = e.value
    unit = "characters" if isinstance(value, str) else "items"
    length = len(value) if isinstance(value, str | list | dict) else "?"
    return e.at(f"{e.label}: at most {e.ctx.get('max_length')} {unit} allowed, found {length}")


def _at_least(e: _Error) -> Diagnostic:
    return e.at(f"{e.label}: must be at least {e.ctx.get('ge', e.ctx.get('gt'))}, found {e.value}")


def _at_most(e: _Error) -> Diagnostic:
    return e.at(f"{e.label}: must be at most {e.ctx.get('le', e.ctx.get('lt'))}, found {e.value}")


def _value_error(e: _Error) -> Diagnostic:
    message = str(e.ctx.get("error", e.detail["msg"]))
    return e.at(f"{e.label}: {message}", key="[key]" in e.rest)


_HANDLERS: dict[str, Callable[[_Error], Diagnostic]] = {
    "missing": _missing,
    "extra_forbidden": _extra,
    "literal_error": _choice,
    "enum": _choice,
    "string_too_long": _too_long,
    "too_long": _too_long,
    "string_too_short": lambda e: e.at(f"{e.label}: must not be empty"),
    "too_short": lambda e: e.at(
        f"{e.label}: must list at least {e.ctx.get('min_length', 1)} item(s)"
    ),
    "greater_than_equal": _at_least,
    "greater_than": _at_least,
    "less_than_equal": _at_most,
    "less_than": _at_most,
    "value_error": _value_error,
}


def _choices(expected: str) -> list[str]:
    return [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",")]


def _is_branch_tag(part: str) -> bool:
    return part in ("str", "int", "IdRef", "bool", "float") or part.startswith(
        ("function-", "literal[", "list[", "dict[", "nullable[", "union[")
    )


def _missing_hint(key: str) -> str | None:
    if key == "version":
        return "start the document with `version: 1`"
    if key == "entity":
        return "one of: company, contact, configuration_item, ticket, ticket_note"
    if key == "secret":
        return "write it as ${env:NAME} and set NAME in the environment"
    return None


def _allowed_keys(root: type[BaseModel], path: PathKey) -> list[str]:
    """The keys a mapping at ``path`` may hold, when it is a model (not a name-keyed map)."""
    current: Any = root
    for part in path:
        model = _as_model(current)
        if model is not None:
            if not isinstance(part, str) or part not in model.model_fields:
                return []
            current = model.model_fields[part].annotation
            continue
        current = _container_item(current)
        if current is None:
            return []
    model = _as_model(current)
    return list(model.model_fields) if model is not None else []


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = _as_model(arg)
            if model is not None:
                return model
    if origin is typing.Annotated:
        return _as_model(typing.get_args(annotation)[0])
    return None


def _container_item(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            item = _container_item(arg)
            if item is not None:
                return item
        return None
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin is list:
        return typing.get_args(annotation)[0]
    return None
