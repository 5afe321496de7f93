"""The JSON Schema of mappings.yaml, generated from the config models (for editors and CI)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.config.models import Config

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def mappings_schema() -> dict[str, Any]:
    """The schema as a dict: every key has a title, a description and an example."""
    schema = Config.model_json_schema(mode="validation")
    schema = {"$schema": SCHEMA_DIALECT, **schema}
    schema["description"] = (
        "Salesbuildr <-> Autotask integration settings as code (reconcile). "
        "Absent sections are not managed."
    )
    return schema


def mappings_schema_text() -> str:
    """The schema as the exact text committed under schemas/ (stable key order, newline)."""
    return json.dumps(mappings_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
