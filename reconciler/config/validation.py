"""Turn pydantic's validation errors into located, human diagnostics."""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.config.loader import PathKey, SourceDocument
from reconciler.errors import Diagnostic
from reconciler.kinds.names import did_you_mean

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
    error: ValidationError, source: SourceDocument, root: type[BaseModel]
) -> list[Diagnostic]:
    """Every pydantic error as a Diagnostic at the position of the offending node."""
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
            diagnostic = _one(detail, path, rest, source, root)
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


def _one(
    detail: ErrorDetails,
    path: PathKey,
    rest: tuple[Any, ...],
    source: SourceDocument,
    root: type[BaseModel],
) -> Diagnostic:
    kind = detail["type"]
    ctx = detail.get("ctx", {}) or {}
    value = detail.get("input")
    label = _label(path)
    named = [part for part in rest if isinstance(part, str) and not _is_branch_tag(part)]
    if kind == "missing":
        key = named[-1] if named else str(detail["loc"][-1])
        where = f" in {label}" if path else ""
        return source.diagnostic(
            path, f"missing required key '{key}'{where}", key=True, hint=_missing_hint(key)
        )
    if kind == "extra_forbidden":
        key = named[-1] if named else str(path[-1] if path else "")
        full = (*path, key) if named else path
        allowed = _allowed_keys(root, full[:-1])
        parent = _label(full[:-1])
        where = f" in {parent}" if full[:-1] else " at the top level"
        hint = did_you_mean(key, allowed)
        if hint is None and allowed:
            hint = "allowed keys: " + ", ".join(allowed)
        return source.diagnostic(full, f"unknown key '{key}'{where}", key=True, hint=hint)
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        if "[key]" in rest:
            return source.diagnostic(
                path,
                f"{_label(path[:-1])}: '{path[-1]}' is not allowed as a key; expected one of: "
                f"{expected}",
                hint=did_you_mean(str(path[-1]), _choices(expected)),
                key=True,
            )
        if path == ("version",):
            return source.diagnostic(
                path,
                f"unsupported version {value!r}; this reconcile understands version 1",
                hint="write `version: 1`",
            )
        hint = did_you_mean(str(value), _choices(expected)) if isinstance(value, str) else None
        return source.diagnostic(
            path,
            f"{label}: {describe(value)} is not allowed; expected one of: {expected}",
            hint=hint,
        )
    if kind in _EXPECTED:
        return source.diagnostic(
            path, f"{label}: expected {_EXPECTED[kind]}, found {describe(value)}"
        )
    if kind in ("string_too_long", "too_long"):
        # "too_long" is what a length limit on an Annotated name (validated first) reports.
        limit = ctx.get("max_length")
        unit = "characters" if isinstance(value, str) else "items"
        length = len(value) if isinstance(value, str | list | dict) else "?"
        return source.diagnostic(path, f"{label}: at most {limit} {unit} allowed, found {length}")
    if kind == "string_too_short":
        return source.diagnostic(path, f"{label}: must not be empty")
    if kind == "too_short":
        return source.diagnostic(
            path, f"{label}: must list at least {ctx.get('min_length', 1)} item(s)"
        )
    if kind in ("greater_than_equal", "greater_than"):
        return source.diagnostic(
            path, f"{label}: must be at least {ctx.get('ge', ctx.get('gt'))}, found {value}"
        )
    if kind in ("less_than_equal", "less_than"):
        return source.diagnostic(
            path, f"{label}: must be at most {ctx.get('le', ctx.get('lt'))}, found {value}"
        )
    if kind == "value_error":
        message = str(ctx.get("error", detail["msg"]))
        return source.diagnostic(path, f"{label}: {message}", key="[key]" in rest)
    return source.diagnostic(path, f"{label}: {detail['msg']}")


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
