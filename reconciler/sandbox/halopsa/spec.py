"""The vendor's document the HaloPSA simulator is held to, and the routes it serves outside it.

``data/halopsa-openapi-subset.json`` is a byte-for-byte copy of
``shared/reference/halopsa-openapi-subset.json`` (the vendor's "Halo API" v2 cut to the paths
Salesbuildr's seven HaloPSA pages need; sources and normalisations in ``psa-specs-SOURCES.md``).
Only POST bodies are typed in it, so request bodies are validated here and responses follow the
fact sheet (``halopsa-api.md``).

The document's schemas are OpenAPI 3.0 (``nullable``, ``#/components/schemas``);
:func:`body_validator` turns them into JSON Schema once and checks a body against a POST
schema.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonschema

SUBSET_PATH: Final = Path(__file__).resolve().parent / "data" / "halopsa-openapi-subset.json"
SUBSET_SHA256: Final = "c9d378e5443517a0451155bc3850aa2c5c0394c27240fca83e906c3a6b88149e"
"""As recorded in ``psa-specs-SOURCES.md`` §2 (a test checks the copy against it)."""

API_PREFIX: Final = "/api"
"""The document's ``servers: [{"url": "/api"}]``: every documented path is served under it."""


@dataclass(frozen=True)
class OutOfSubsetRoute:
    """A route the simulator serves that the vendor document does not list, and why."""

    method: str
    path: str
    source: str


OUT_OF_SUBSET: Final[tuple[OutOfSubsetRoute, ...]] = (
    OutOfSubsetRoute(
        "POST",
        "/auth/token",
        "OAuth2 client-credentials token endpoint on Halo's authorisation server, outside /api "
        "(halopsa-api.md §2 [C]: C-SKILL, C-FIRE, C-HAPI; psa-specs-SOURCES.md §2 'not present "
        "in the vendor document')",
    ),
)
"""The one list of served routes outside the subset (the ``/_sandbox/`` control surface aside)."""


@functools.cache
def document() -> dict[str, Any]:
    """The subset document (parsed once per process)."""
    loaded: dict[str, Any] = json.loads(SUBSET_PATH.read_text("utf-8"))
    return loaded


def operations() -> list[tuple[str, str]]:
    """Every ``(METHOD, template)`` the document lists, templates without the ``/api`` prefix."""
    found: list[tuple[str, str]] = []
    for template, item in document()["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), template))
    return found


@functools.cache
def query_parameters(method: str, template: str) -> frozenset[str]:
    """The query parameter names the document gives ``method template``."""
    operation = document()["paths"][template][method.lower()]
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query")


def request_model(template: str) -> str | None:
    """The model name of ``POST template``'s array body (``Area`` for ``/Client``), if typed."""
    operation = document()["paths"].get(template, {}).get("post")
    if operation is None:
        return None
    for content in operation.get("requestBody", {}).get("content", {}).values():
        ref = content.get("schema", {}).get("items", {}).get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[1]
    return None


_DROPPED_KEYWORDS: Final = frozenset({"nullable", "example", "x-original-type", "description"})

_INT_RANGES: Final = {"int32": 2**31, "int64": 2**63}

FORMATS: Final = jsonschema.FormatChecker(formats=())
"""The formats a body is held to: the ones Halo's .NET model binding refuses a body for (an
integer outside ``int32``/``int64``, a ``uuid`` that is not a GUID) [I: ASP.NET binds to the
typed model; the document states the formats]. Others (``date-time``, ``double``...) are not
checked."""


def _in_range(fmt: str) -> Any:
    bound = _INT_RANGES[fmt]

    def check(value: object) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return True  # the type keyword judges other types
        return -bound <= value < bound

    return check


def _guid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


for _fmt in _INT_RANGES:
    FORMATS.checks(_fmt)(_in_range(_fmt))
FORMATS.checks("uuid")(_guid)


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable`` becomes a ``null`` type, refs move."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            # Property names are data, not keywords: a property may be called "description".
            converted[key] = {name: _to_json_schema(sub) for name, sub in value.items()}
        elif key not in _DROPPED_KEYWORDS:
            converted[key] = _to_json_schema(value)
    ref = converted.get("$ref")
    if isinstance(ref, str):
        converted["$ref"] = ref.replace("#/components/schemas/", "#/definitions/")
    if node.get("nullable") is True:
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        elif "$ref" in converted:
            converted = {"anyOf": [{"$ref": converted.pop("$ref")}, {"type": "null"}], **converted}
    return converted


@functools.cache
def _definitions() -> dict[str, Any]:
    converted: dict[str, Any] = _to_json_schema(document()["components"]["schemas"])
    return converted


@functools.cache
def body_validator(model: str) -> jsonschema.Draft7Validator:
    """A validator of a POST body: an array of ``model`` (as the document types every POST)."""
    schema = {"type": "array", "items": {"$ref": f"#/definitions/{model}"}}
    schema["definitions"] = _definitions()
    return jsonschema.Draft7Validator(schema, format_checker=FORMATS)


def body_errors(model: str, body: Any, *, limit: int = 5) -> list[str]:
    """Readable reasons ``body`` does not fit ``[model]`` (empty when it does)."""
    found: list[str] = []
    for error in body_validator(model).iter_errors(body):
        where = "/".join(str(part) for part in error.absolute_path) or "(body)"
        found.append(f"{where}: {error.message[:200]}")
        if len(found) >= limit:
            break
    return found
