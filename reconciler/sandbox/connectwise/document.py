"""The vendor document the ConnectWise simulator serves: routes, schemas and write rules from it.

``data/connectwise-openapi-subset.json`` is the subset of the ConnectWise Manage REST API 3.0
(version 2025.1) that Salesbuildr's seven ConnectWise pages need, reconstructed from a client
generated from the vendor document (``shared/reference/psa-specs-SOURCES.md`` section 1 names the
source and its sha256; the tests pin it). The simulator serves exactly its paths and verbs, so a
route is served because the document lists it, not because our client calls it.

What the document cannot say (enums, readOnly flags, error responses) is the simulator's choice,
written where it is made: :mod:`.store` and :mod:`.app`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

DOCUMENT_PATH: Final = Path(__file__).resolve().parent / "data" / "connectwise-openapi-subset.json"
API_VERSION: Final = "2025.1"
MEDIA_TYPE: Final = f"application/vnd.connectwise.com+json; version={API_VERSION}"


@cache
def load_document() -> dict[str, Any]:
    """The subset document (parsed once per process)."""
    document: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text("utf-8"))
    return document


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = load_document()["components"]["schemas"]
    return found


def ref_name(node: dict[str, Any]) -> str | None:
    """``Company`` for ``{"$ref": "#/components/schemas/Company"}`` (None for an inline type)."""
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


@dataclass(frozen=True)
class Operation:
    """One documented path + verb, and what the simulator needs to serve it."""

    method: str
    template: str
    schema: str | None
    """The response's model (list items for a list), None for DELETE / 204."""
    status: int


def operations() -> list[Operation]:
    """Every documented path and verb, in document order."""
    found: list[Operation] = []
    for template, verbs in load_document()["paths"].items():
        for method, spec in verbs.items():
            status_text, response = next(iter(spec["responses"].items()))
            schema: str | None = None
            for media in (response.get("content") or {}).values():
                node = media["schema"]
                schema = ref_name(node.get("items", node) if node.get("type") == "array" else node)
            found.append(Operation(method.upper(), template, schema, int(status_text)))
    return found


@dataclass(frozen=True)
class FieldRule:
    """What a write may put in one property of a model."""

    kind: str | None
    """JSON type: string, integer, number, boolean, array, object; None: a reference model."""
    ref: str | None
    max_length: int | None
    nullable: bool


@dataclass(frozen=True)
class ModelRules:
    name: str
    fields: dict[str, FieldRule]
    required: tuple[str, ...]


@cache
def model_rules(name: str) -> ModelRules:
    """The write rules of the model ``name``: its properties, their types and maxLength, and
    the properties it requires."""
    model = schemas()[name]
    fields = {
        prop: FieldRule(
            kind=spec.get("type"),
            ref=ref_name(spec),
            max_length=spec.get("maxLength"),
            nullable=bool(spec.get("nullable")),
        )
        for prop, spec in model.get("properties", {}).items()
    }
    return ModelRules(name, fields, tuple(model.get("required", ())))


def reference_fields(name: str) -> dict[str, str]:
    """``{property: reference model}`` of the model ``name`` (e.g. ``board -> BoardReference``)."""
    return {prop: rule.ref for prop, rule in model_rules(name).fields.items() if rule.ref}


def write_errors(name: str, record: dict[str, Any]) -> list[dict[str, str]]:
    """What is wrong with ``record`` as a ``name``: missing required properties, wrong types,
    strings over their maxLength. One CW ``errors`` entry each (``code``, ``message``,
    ``resource``, ``field``)."""
    rules = model_rules(name)
    problems: list[dict[str, str]] = []

    def problem(code: str, field: str, message: str) -> None:
        problems.append({"code": code, "message": message, "resource": name, "field": field})

    for prop in rules.required:
        value = record.get(prop)
        if value is None or value == "" or (rules.fields[prop].ref and not _has_id(value)):
            if prop in rules.fields and rules.fields[prop].nullable and prop in record:
                continue
            problem("MissingRequiredField", prop, f"{prop} is required")
    for prop, value in record.items():
        rule = rules.fields.get(prop)
        if rule is None or value is None:
            continue
        if not _type_ok(rule, value):
            problem("InvalidField", prop, f"{prop} has the wrong type")
        elif (
            isinstance(value, str)
            and rule.max_length is not None
            and (len(value) > rule.max_length)
        ):
            problem(
                "InvalidField", prop, f"{prop} may be at most {rule.max_length} characters long"
            )
    return problems


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), int)


_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
}


def _type_ok(rule: FieldRule, value: Any) -> bool:
    if rule.ref is not None:
        return isinstance(value, dict)
    if rule.kind in (None, "object"):
        return True  # the generator typed "any JSON" as object (CustomFieldValue.value)
    wanted = _TYPES.get(rule.kind or "", (object,))
    if rule.kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, wanted)
