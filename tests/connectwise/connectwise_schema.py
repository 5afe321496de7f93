"""The subset document of the ConnectWise conformance tests, and OpenAPI 3.0 -> JSON Schema.

The document is the simulator's own copy (``reconciler/sandbox/connectwise/data``), pinned here by
the sha256 that ``shared/reference/psa-specs-SOURCES.md`` records for it, so neither side can
drift from the reference unnoticed. :func:`response_schema` is strict: an object may carry no
property its model does not list, and ``nullable`` is the only way to null. A property the
generator typed ``object`` without properties (``PatchOperation.value``,
``CustomFieldValue.value``) takes any JSON value, as the fact sheet says it does.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Final

from reconciler.sandbox.connectwise.document import DOCUMENT_PATH

DOCUMENT_SHA256: Final = "0c47d2f8979eeb59589565009abada5d70b994a9016f2d5b19a47325167d78a7"
REFERENCE_COPY: Final = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "connectwise-openapi-subset.json"
)


def document_bytes() -> bytes:
    return DOCUMENT_PATH.read_bytes()


def document_sha256() -> str:
    return hashlib.sha256(document_bytes()).hexdigest()


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(document_bytes())
    return document


def _convert(node: dict[str, Any], document: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        key = re.sub(r"\W", "_", name)
        if key not in defs:
            defs[key] = {}
            defs[key] = _convert(document["components"]["schemas"][name], document, defs)
        return {"$ref": f"#/$defs/{key}"}
    nullable = bool(node.get("nullable"))
    kind = node.get("type")
    converted: dict[str, Any]
    if kind == "array":
        converted = {"type": "array", "items": _convert(node.get("items", {}), document, defs)}
    elif kind == "object" or "properties" in node:
        if "properties" in node:
            converted = {
                "type": "object",
                "properties": {
                    prop: _convert(spec, document, defs)
                    for prop, spec in node["properties"].items()
                },
                "additionalProperties": False,
            }
        elif "additionalProperties" in node:
            converted = {
                "type": "object",
                "additionalProperties": _convert(node["additionalProperties"], document, defs),
            }
        else:
            return {}  # "object" with nothing said: any JSON value
    elif kind in ("integer", "number", "string", "boolean"):
        converted = {"type": kind}
        if "maxLength" in node:
            converted["maxLength"] = node["maxLength"]
    else:
        return {}
    if nullable:
        converted["type"] = [converted["type"], "null"]
    return converted


def response_schema(document: dict[str, Any], method: str, template: str) -> tuple[int, Any]:
    """The documented success status of ``method template`` and its body's JSON Schema (None
    for a response without a body)."""
    operation = document["paths"][template][method.lower()]
    status, response = next(iter(operation["responses"].items()))
    content = response.get("content")
    if not content:
        return int(status), None
    defs: dict[str, Any] = {}
    schema = _convert(next(iter(content.values()))["schema"], document, defs)
    return int(status), {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$defs": defs,
    }
