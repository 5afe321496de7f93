"""The JSON Schema of mappings.yaml, generated from the config union (for editors and CI).

One definition per installed PSA's document (the union's members, :mod:`reconciler.config.union`)
and, at the root, one ``if``/``then`` per PSA on the ``psa`` key: an editor checks a file against
the sections of the PSA it names only (a ``oneOf`` would report every other PSA's complaints too).
Without ``psa`` a file is the default PSA's (Autotask), as the loader reads it.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.config import union
from reconciler.config.validation import DISCRIMINATOR

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://reconcile.dev/schemas/mappings.schema.json"
_DEFS = "#/$defs/"


def mappings_schema() -> dict[str, Any]:
    """The schema as a dict: every key has a title, a description and an example."""
    default = union.default()
    generated = union.adapter().json_schema(mode="validation")
    renames = _definition_names(generated["$defs"])
    definitions = {renames[k]: _renamed(v, renames) for k, v in generated["$defs"].items()}
    documents = union.documents()
    members = [(name, renames[model.__name__]) for name, model in documents.items()]
    branches = [_branch(name, definition) for name, definition in members]
    psas = union.installed()
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "reconcile mappings",
        "description": "Salesbuildr <-> PSA integration settings as code (reconcile): "
        + ", ".join(f"{psas[name].title} (psa: {name})" for name in documents)
        + f". Without psa, a file is {default}'s. Absent sections are not managed.",
        "type": "object",
        "required": ["version"],
        "properties": {
            DISCRIMINATOR: {
                "title": "Psa",
                "enum": list(documents),
                "default": default,
                "description": "The PSA this file configures; it decides which sections the "
                f"file may hold. Omitted: {default}.",
                "examples": [default],
            },
        },
        "allOf": branches,
        "$defs": definitions,
    }


def mappings_schema_text() -> str:
    """The schema as the exact text committed under schemas/ (stable key order, newline)."""
    return json.dumps(mappings_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _branch(name: str, definition: str) -> dict[str, Any]:
    named: dict[str, Any] = {
        "properties": {
            DISCRIMINATOR: {"const": name, "description": f"This branch: a psa: {name} file."}
        }
    }
    if name != union.default():
        named["required"] = [DISCRIMINATOR]  # the default PSA's branch also takes no psa
    return {"if": named, "then": {"$ref": _DEFS + definition}}


def _definition_names(definitions: dict[str, Any]) -> dict[str, str]:
    """Readable names for the definitions pydantic had to qualify by module (two PSAs each
    have a ``Companies`` model), and ``AutotaskConfig`` for the Autotask document."""
    renames: dict[str, str] = {}
    for name in definitions:
        if "__" in name:
            parts = name.split("__")
            package = parts[-3] if parts[-2] == "config" and len(parts) > 3 else parts[-2]
            renames[name] = _PREFIXES.get(package, package.title()) + parts[-1]
        else:
            renames[name] = name
    renames["Config"] = "AutotaskConfig"
    return renames


_PREFIXES = {"autotask": "Autotask", "connectwise": "ConnectWise", "halopsa": "Halo"}


def _renamed(node: Any, renames: dict[str, str]) -> Any:
    """``node`` with every definition key and ``$ref`` renamed."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_DEFS):
                out[key] = _DEFS + renames.get(value[len(_DEFS) :], value[len(_DEFS) :])
            else:
                out[key] = _renamed(value, renames)
        return out
    if isinstance(node, list):
        return [_renamed(item, renames) for item in node]
    return node
