"""Plan passes => apply succeeds, for the ConnectWise writes: every request a plan sends to
ConnectWise checked, before any write, against what the vendor document states of its schema
(``maxLength``, ``required``, the type and its ``format``: an ``int32`` holds 32 bits). The
names the other attributes use are checked at
resolution (they exist, are active, a subtype belongs to its type on the board:
:mod:`.kinds_ticket`).

Pure. The constraints are data (:data:`SCHEMAS`), taken from ``connectwise-openapi-subset.json``
by :func:`field_rules` (a unit test holds the two equal), so the session needs no read for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from reconciler.kinds.base import Kind, Problem
from reconciler.kinds.constraints import PARENT_ID, SECRET_VALUE, WireWrite
from reconciler.plan.live_rules import planned
from reconciler.plan.model import Plan
from reconciler.psa.connectwise.kinds_registry import BY_NAME


@dataclass(frozen=True)
class SchemaField:
    """One property of a vendor schema as far as a write can break it."""

    name: str
    data_type: str = "string"
    max_length: int = 0
    required: bool = False
    nullable: bool = False
    format: str = ""
    """``int32``: a 32-bit signed integer (the only ``format`` the written schema states)."""


SchemaRules = Mapping[str, SchemaField]
"""Property name -> its rule, for one schema."""


def field_rules(schema: Mapping[str, object]) -> dict[str, SchemaField]:
    """The rules an OpenAPI ``components.schemas`` entry states (object properties only)."""
    required = set(schema.get("required") or ())  # type: ignore[call-overload]
    rules: dict[str, SchemaField] = {}
    properties = schema.get("properties") or {}
    assert isinstance(properties, Mapping)
    for name, spec in properties.items():
        if not isinstance(spec, Mapping) or "$ref" in spec:
            continue
        rules[name] = SchemaField(
            name=name,
            data_type=str(spec.get("type", "object")),
            max_length=int(spec.get("maxLength", 0)),
            required=name in required,
            nullable=bool(spec.get("nullable", False)),
            format=str(spec.get("format", "")),
        )
    return rules


CALLBACK_ENTRY: dict[str, SchemaField] = {
    "id": SchemaField("id", "integer", format="int32"),
    "description": SchemaField("description", "string", max_length=100),
    "url": SchemaField("url", "string", required=True),
    "objectId": SchemaField("objectId", "integer", required=True, nullable=True, format="int32"),
    "type": SchemaField("type", "string", required=True),
    "level": SchemaField("level", "string", required=True),
    "memberId": SchemaField("memberId", "integer", nullable=True, format="int32"),
    "payloadVersion": SchemaField("payloadVersion", "string"),
    "inactiveFlag": SchemaField("inactiveFlag", "boolean", nullable=True),
    "isSoapCallbackFlag": SchemaField("isSoapCallbackFlag", "boolean", nullable=True),
    "isSelfSuppressedFlag": SchemaField("isSelfSuppressedFlag", "boolean", nullable=True),
    "connectWiseID": SchemaField("connectWiseID", "string"),
    "_info": SchemaField("_info", "object"),
}
"""``CallbackEntry`` of the vendor document, version 2025.1 (the only schema the ConnectWise
kinds write: every other page is a Salesbuildr document)."""

SCHEMAS: dict[str, SchemaRules] = {"CallbackEntry": CALLBACK_ENTRY}

INT32: Final = range(-(2**31), 2**31)
"""The values of an ``int32`` (ConnectWise's ids are .NET ``int``)."""
_PYTHON_TYPES = {"string": (str,), "integer": (int,), "boolean": (bool,), "number": (int, float)}


def _value_problem(write: WireWrite, spec: SchemaField, value: object) -> tuple[str, str] | None:
    """(message, hint) when ConnectWise would refuse ``value`` for ``spec``; None: it takes it."""
    field = f"{write.entity}.{spec.name}"
    if value is None:
        if spec.required and not spec.nullable:
            return f"{field} is required by ConnectWise, but {write.what} sets it to nothing", (
                "set it in the YAML"
            )
        return None
    expected = _PYTHON_TYPES.get(spec.data_type)
    wrong_bool = isinstance(value, bool) and spec.data_type in ("integer", "number")
    if expected is not None and (not isinstance(value, expected) or wrong_bool):
        return (
            f"{field} is a {spec.data_type} in ConnectWise; {write.what} gives "
            f"{type(value).__name__}",
            "fix the value in the YAML",
        )
    if spec.format == "int32" and isinstance(value, int) and value not in INT32:
        return (
            f"{field} is a 32-bit integer in ConnectWise (at most {INT32.stop - 1}); "
            f"{write.what} gives {value}",
            "use the id as ConnectWise shows it",
        )
    if spec.data_type == "string" and spec.max_length and len(str(value)) > spec.max_length:
        return (
            f"{field} is at most {spec.max_length} characters in ConnectWise; {write.what} "
            f"gives {len(str(value))}",
            f"shorten it to {spec.max_length} characters or fewer",
        )
    return None


def check_write(write: WireWrite, rules: SchemaRules) -> list[tuple[str, str, str]]:
    """(message, hint, attribute) for everything ``rules`` says ConnectWise would refuse."""
    problems: list[tuple[str, str, str]] = []
    if write.operation == "delete":
        return problems
    for name, value in write.values.items():
        spec = rules.get(name)
        if spec is None or value is SECRET_VALUE or value is PARENT_ID:
            continue
        found = _value_problem(write, spec, value)
        if found is not None:
            problems.append((*found, write.attributes.get(name, "")))
    if write.operation == "create":
        for spec in rules.values():
            if spec.required and spec.name not in write.values:
                problems.append(
                    (
                        f"{write.entity}.{spec.name} is required by ConnectWise, but "
                        f"{write.what} gives no value for it",
                        "set it in the YAML",
                        write.attributes.get(spec.name, ""),
                    )
                )
    return problems


def check_plan(
    plan: Plan,
    kinds: Mapping[str, Kind] = BY_NAME,
    schemas: Mapping[str, SchemaRules] = SCHEMAS,
) -> list[Problem]:
    """What ConnectWise would refuse of the plan's writes, one problem per (object, attribute,
    message)."""
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for change in plan.pending:
        kind = kinds.get(change.kind)
        if kind is None or not change.is_change:
            continue
        for write in kind.wire_writes(planned(change)):
            rules = schemas.get(write.entity)
            if rules is None:
                continue
            for message, hint, attribute in check_write(write, rules):
                key = (change.address, attribute, message)
                if key not in seen:
                    seen.add(key)
                    problems.append(Problem(change.address, message, hint, attribute))
    return problems
