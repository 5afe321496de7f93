"""The vendor's Swagger document for the Autotask conformance tests, and Swagger -> JSON Schema.

The full document (``shared/reference/autotask-openapi-v1.json``, 3 MB) is not part of the
repository; ``autotask-openapi-subset.json`` next to this file is extracted from it: every path of
the entities the simulator serves (their served child paths included; per operation only the 200
response), the definitions those reference, and the models the invented webhook field picklists
are named from. ``test_autotask_conformance`` checks the subset against the full document when
that is available (``AUTOTASK_OPENAPI`` or ``../shared/reference`` from the repository).
Regenerate it with ``.venv/bin/python tests/sandbox/autotask_openapi.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from reconciler.sandbox.autotask.entities import catalog

HERE = Path(__file__).resolve().parent
SUBSET = HERE / "autotask-openapi-subset.json"
EXTRA_DEFINITIONS = ("ContactModel", "ConfigurationItemModel", "TicketNoteModel")
META = ("ZoneInformation", "ThresholdInformation", "Version")


def full_document_path() -> Path | None:
    """Where the full vendor document is, if it is on this machine."""
    candidates = [os.environ.get("AUTOTASK_OPENAPI", "")]
    candidates.append(str(HERE.parents[2] / "shared" / "reference" / "autotask-openapi-v1.json"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def load_subset() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SUBSET.read_text("utf-8"))
    return document


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value.rsplit("/", 1)[1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def extract_subset(full: dict[str, Any]) -> dict[str, Any]:
    """The part of the full document the conformance tests need (see the module docstring)."""
    entities = catalog().entities.values()
    names = {e.name for e in entities} | set(META)
    children = {(e.parent, e.child_path) for e in entities if e.parent}

    def wanted(path: str) -> bool:
        parts = path.split("/")
        if path == "/VersionInformation":
            return True
        if len(parts) < 3 or parts[1] != "V1.0" or parts[2] not in names:
            return False
        if len(parts) > 4 and parts[3] == "{parentId}":
            return (parts[2], parts[4]) in children
        return True

    paths = {
        path: {
            method: {"responses": {"200": operation["responses"]["200"]}}
            for method, operation in sorted(operations.items())
        }
        for path, operations in sorted(full["paths"].items())
        if wanted(path)
    }
    pending: set[str] = set(EXTRA_DEFINITIONS)
    _refs(paths, pending)
    definitions: dict[str, Any] = {}
    while pending:
        name = pending.pop()
        if name in definitions:
            continue
        definitions[name] = full["definitions"][name]
        more: set[str] = set()
        _refs(definitions[name], more)
        pending |= more - set(definitions)
    return {
        "_source": "extracted from Autotask's Swagger document; see autotask_openapi.py",
        "basePath": full["basePath"],
        "paths": paths,
        "definitions": dict(sorted(definitions.items())),
    }


# --- Swagger 2.0 -> JSON Schema ------------------------------------------------------------------

# Values the document types as its empty ``Object`` model, narrowed to what they really are.
NARROWED = {
    ("OperationResultModel", "itemId"): {"type": "integer"},
    ("FieldInformationModel", "isSupportedWebhookField"): {"type": "boolean"},
    ("Field", "isSupportedWebhookField"): {"type": "boolean"},
}


def _is_any(node: dict[str, Any]) -> bool:
    """An empty object model (``Object``, ``RestUserAccessLevel``): any value at all."""
    return (
        node.get("type", "object") == "object"
        and not node.get("properties")
        and "items" not in node
    )


def response_schema(document: dict[str, Any], swagger_schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (2020-12) for a Swagger response schema.

    ``#/definitions/...`` refs become ``$defs``; every type is widened to allow null (Autotask
    returns null for empty values); objects allow no properties the document does not list; an
    empty object model accepts any value, except where :data:`NARROWED` says better.
    """
    defs: dict[str, Any] = {}

    def convert(node: dict[str, Any], owner: str | None = None) -> dict[str, Any]:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            target = document["definitions"][name]
            if _is_any(target):
                return {}
            key = re.sub(r"\W", "_", name)
            if key not in defs:
                defs[key] = {}
                defs[key] = convert(target, owner=name)
            return {"$ref": f"#/$defs/{key}"}
        kind = node.get("type")
        if kind == "array":
            return {"type": ["array", "null"], "items": convert(node.get("items", {}))}
        if kind == "object" or "properties" in node:
            if _is_any(node):
                return {}
            properties = {}
            for prop, spec in node["properties"].items():
                narrowed = NARROWED.get((owner or "", prop))
                if narrowed is not None:
                    properties[prop] = {"type": [narrowed["type"], "null"]}
                else:
                    properties[prop] = convert(spec)
            return {
                "type": ["object", "null"],
                "properties": properties,
                "additionalProperties": False,
            }
        if kind in ("integer", "number", "string", "boolean"):
            return {"type": [kind, "null"]}
        return {}

    root = convert(swagger_schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


def main() -> None:
    """Regenerate the subset from the full document."""
    source = full_document_path()
    if source is None:
        raise SystemExit("the full Autotask Swagger document was not found (set AUTOTASK_OPENAPI)")
    subset = extract_subset(json.loads(source.read_text("utf-8")))
    SUBSET.write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
