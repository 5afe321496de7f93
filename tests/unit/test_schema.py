"""The committed JSON Schema: current, self-explaining, and in agreement with the example."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError

from reconciler.config import parse_config
from reconciler.errors import ConfigError
from reconciler.psa.autotask.models import SECTIONS, Config, Policy
from reconciler.schema import SCHEMA_DIALECT, mappings_schema, mappings_schema_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "mappings.schema.json"
EXAMPLE = REPO / "examples" / "mappings.yaml"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_committed_schema_is_current() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == mappings_schema_text(), (
        "schemas/mappings.schema.json is stale: run `make schema` and commit the result"
    )


def test_schema_text_is_stable_and_parses_back() -> None:
    text = mappings_schema_text()

    assert text == mappings_schema_text()
    assert text.endswith("}\n")
    assert json.loads(text) == mappings_schema()


def test_schema_header(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == SCHEMA_DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/mappings.schema.json")
    assert schema["required"] == ["version"]
    assert schema["properties"]["psa"]["enum"] == ["autotask", "connectwise", "halopsa"]
    assert schema["properties"]["psa"]["default"] == "autotask"


def test_the_schema_is_the_union_of_the_psas_documents(schema: dict[str, Any]) -> None:
    """One if/then per PSA on `psa`; only the default PSA's branch also takes a file without it."""
    branches = {branch["if"]["properties"]["psa"]["const"]: branch for branch in schema["allOf"]}
    members = {psa: branch["then"]["$ref"].split("/")[-1] for psa, branch in branches.items()}

    assert members == {
        "autotask": "AutotaskConfig",
        "connectwise": "ConnectWiseConfig",
        "halopsa": "HaloConfig",
    }
    assert "required" not in branches["autotask"]["if"]
    assert branches["connectwise"]["if"]["required"] == ["psa"]
    autotask = schema["$defs"]["AutotaskConfig"]
    assert autotask["additionalProperties"] is False
    assert set(autotask["properties"]) == set(Config.model_fields)
    assert autotask["properties"]["psa"]["default"] == "autotask"
    for member in members.values():
        assert schema["$defs"][member]["additionalProperties"] is False
        assert schema["$defs"][member]["required"] == (
            ["version"] if member == "AutotaskConfig" else ["version", "psa"]
        )
    assert not [name for name in schema["$defs"] if "__" in name], "readable definition names"


def properties(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (location, property schema) under `properties`, in $defs and nested alike."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield f"{where}/properties/{name}", sub
        for key, value in node.items():
            if key != "if":  # a branch's condition on `psa`, not a key a person types
                yield from properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from properties(value, f"{where}/{index}")


def test_every_property_has_a_description_and_examples(schema: dict[str, Any]) -> None:
    found = list(properties(schema))
    missing = [
        f"{where}: {attribute}"
        for where, sub in found
        for attribute in ("description", "examples")
        if not sub.get(attribute)
    ]

    assert len(found) > 50, "the walk should see every key of every section"
    assert "#/$defs/Webhook/properties/udf_fields" in {where for where, _ in found}
    assert missing == [], "editors explain each key from these: " + ", ".join(missing)


def test_every_definition_says_what_it_is(schema: dict[str, Any]) -> None:
    undescribed = [
        name
        for name, definition in schema["$defs"].items()
        if definition.get("type") == "object" and not definition.get("description")
    ]

    assert undescribed == []


def test_the_property_walk_notices_a_missing_description() -> None:
    broken = {"$defs": {"X": {"properties": {"a": {"examples": [1]}}}}}

    assert [where for where, sub in properties(broken) if "description" not in sub] == [
        "#/$defs/X/properties/a"
    ]


def test_each_example_in_the_schema_is_valid_for_its_property(schema: dict[str, Any]) -> None:
    root = Draft202012Validator(schema)
    wrong: list[str] = []
    for where, sub in properties(schema):
        scoped = {**sub, "$defs": schema["$defs"]}
        for example in sub.get("examples", []):
            if not root.evolve(schema=scoped).is_valid(example):
                wrong.append(f"{where}: {example!r}")

    assert wrong == []


def test_example_uses_every_section(example_data: dict[str, Any]) -> None:
    assert set(SECTIONS) <= set(example_data)
    assert {"version", "salesbuildr", "after_apply", "policy"} <= set(example_data)
    assert set(example_data) <= set(Config.model_fields)
    assert set(example_data["policy"]) == set(Policy.model_fields)


@pytest.fixture(scope="module")
def example_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def test_example_is_valid_against_the_schema(
    validator: Draft202012Validator, example_data: dict[str, Any]
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example_data)]

    assert errors == []


def test_example_points_editors_at_the_schema() -> None:
    first_line = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]

    assert first_line == "# yaml-language-server: $schema=../schemas/mappings.schema.json"


def error_paths(errors: Iterable[ValidationError]) -> Iterator[list[str | int]]:
    """Where each error is, looking inside anyOf branches (a section may also be null)."""
    for error in errors:
        yield list(error.absolute_path)
        yield from error_paths(error.context or [])


BAD_FOR_SCHEMA = [
    ("version: 2\n", ["version"]),
    ("billing_codes: {}\n", []),
    ("version: 1\nbiling_codes: {}\n", []),
    ("version: 1\npolicy: {max_deltes: 3}\n", ["policy"]),
    ("version: 1\npolicy: {max_deletes: many}\n", ["policy", "max_deletes"]),
    ("version: 1\npolicy: {max_change_fraction: 1.5}\n", ["policy", "max_change_fraction"]),
    (
        "version: 1\nproduct_import: {mpn_enrichment: icecta}\n",
        ["product_import", "mpn_enrichment"],
    ),
    ("version: 1\npolicy: {manage: {webhoks: full}}\n", ["policy", "manage"]),
    ("version: 1\npurchase_order: {due_date_offset_days: 366}\n", ["purchase_order"]),
    ("version: 1\nwebhook_receiver: {}\n", ["webhook_receiver"]),
    ("version: 1\nwebhook_receiver: {secret: ''}\n", ["webhook_receiver", "secret"]),
    (f"version: 1\nwebhook_receiver: {{secret: {'s' * 65}}}\n", ["webhook_receiver", "secret"]),
    ("version: 1\nwebhooks: {a: {fields: [X]}}\n", ["webhooks", "a"]),
    ("version: 1\nwebhooks: {a: {entity: compnay, fields: [X]}}\n", ["webhooks", "a", "entity"]),
    ("version: 1\nwebhooks: {a: {entity: ticket, events: []}}\n", ["webhooks", "a", "events"]),
    ("version: 1\nbilling_codes: [a, b]\n", ["billing_codes"]),
]


@pytest.mark.parametrize(
    ("document", "path_prefix"),
    BAD_FOR_SCHEMA,
    ids=[f"{i:02d}-{doc.splitlines()[-1][:30]}" for i, (doc, _) in enumerate(BAD_FOR_SCHEMA)],
)
def test_bad_documents_are_rejected_by_the_schema_and_by_validate(
    validator: Draft202012Validator, document: str, path_prefix: list[str]
) -> None:
    data = yaml.safe_load(document)

    errors = list(validator.iter_errors(data))

    assert errors, f"the schema accepts {document!r}"
    assert any(path[: len(path_prefix)] == path_prefix for path in error_paths(errors)), [
        e.message for e in errors
    ]
    with pytest.raises(ConfigError):
        parse_config(document.encode(), file="m.yaml", environ={})


OTHER_PSAS = [
    REPO / "examples" / "connectwise" / "mappings.yaml",
    REPO / "examples" / "halopsa" / "mappings.yaml",
]


@pytest.mark.parametrize("example", OTHER_PSAS, ids=lambda p: p.parent.name)
def test_the_other_psas_examples_are_valid_against_the_schema(
    validator: Draft202012Validator, example: Path
) -> None:
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]

    assert errors == []


BAD_FOR_THE_PSA = [
    ("version: 1\ncallbacks: {A: {type: company}}\n", "callbacks"),  # ConnectWise's, no psa
    ("version: 1\npsa: connectwise\nwebhooks: {}\n", "webhooks"),  # Autotask's and Halo's
    ("version: 1\npsa: halopsa\nbilling_codes: {}\n", "billing_codes"),
    ("version: 1\npsa: connectwise\npolicy: {min_remaining_autotask_requests: 5}\n", "policy"),
    ("version: 1\npsa: conectwise\n", "psa"),
]


@pytest.mark.parametrize(("document", "where"), BAD_FOR_THE_PSA)
def test_a_section_of_another_psa_is_rejected_by_the_schema_and_by_validate(
    validator: Draft202012Validator, document: str, where: str
) -> None:
    errors = list(validator.iter_errors(yaml.safe_load(document)))

    assert errors, f"the schema accepts {document!r}"
    with pytest.raises(ConfigError) as raised:
        parse_config(document.encode(), file="m.yaml", environ={})
    assert where in raised.value.diagnostics[0].message


def test_a_minimal_document_is_valid_for_both(validator: Draft202012Validator) -> None:
    document = textwrap.dedent("""\
        version: 1
        webhook_receiver: {secret: "${env:X}"}
        webhooks:
          sb: {entity: company, fields: [CompanyName]}
    """)

    assert validator.is_valid(yaml.safe_load(document))
    assert parse_config(document.encode(), file="m.yaml", environ={"X": "x"}).config.webhooks
