"""The ConnectWise language offline: the section models (strict, described, [inferred] marked)
and the rules over several fields, each finding at its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from language_fixtures import ISSUE_EXAMPLE, load

from reconciler.config.types import IdRef
from reconciler.errors import ConfigError
from reconciler.psa.connectwise.config import (
    SECTION_MODELS,
    SECTIONS,
    CallbackLevel,
    CallbackType,
    ConnectWiseConfig,
    DataSource,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "connectwise" / "mappings.yaml"


def problems(text: str, environ: dict[str, str] | None = None) -> list[tuple[int, str]]:
    with pytest.raises(ConfigError) as caught:
        load(text, environ)
    return [(d.line or 0, f"{d.message} ({d.hint})") for d in caught.value.diagnostics]


def test_the_issue_illustration_is_valid_and_reads_as_written() -> None:
    config = load(ISSUE_EXAMPLE).config

    assert config.present_sections() == list(SECTIONS)
    assert config.categories is not None
    assert config.categories.data_source == {
        "Hardware": DataSource.CONNECTWISE,
        "Services": DataSource.SALESBUILDR,
    }
    assert config.companies is not None and config.companies.types is not None
    assert config.companies.types.to_connectwise == {"Customer": "Client"}
    assert config.companies.type_priority == ["Client", "Prospect", "Vendor"]
    assert config.callbacks is not None
    callback = config.callbacks["Salesbuildr companies"]
    assert (callback.type, callback.level, callback.url) == (
        CallbackType.COMPANY,
        CallbackLevel.OWNER,
        None,
    )
    assert config.ticket_settings is not None
    assert config.ticket_settings.priority == "Priority 3 - Normal"


def test_the_example_file_uses_every_section_and_is_valid() -> None:
    loaded = load(EXAMPLE.read_text(), {"SALESBUILDR_API_URL": "http://127.0.0.1:8081"})

    assert loaded.config.present_sections() == list(SECTIONS)
    assert loaded.config.salesbuildr is not None
    assert loaded.config.salesbuildr.url == "http://127.0.0.1:8081"


def test_an_id_stands_where_a_name_is_ambiguous() -> None:
    config = load(
        """\
        version: 1
        psa: connectwise
        categories: {mappings: {Cables: {id: c9}}}
        companies: {statuses: [{id: 3}, Active], manufacturer_company_type: {id: 3}}
        """
    ).config

    assert config.categories is not None and config.companies is not None
    assert config.categories.mappings == {"Cables": IdRef(id="c9")}
    assert config.companies.statuses == [IdRef(id=3), "Active"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("categoies: {}", "categories"),
        ("companies: {type: {}}", "types"),
        ("callbacks: {A: {type: ticket}}", "company"),
        ("callbacks: {A: {type: company, object_id: '1'}}", "whole number"),
        ("callbacks: {A: {type: company, active: 'yes'}}", "true or false"),
        ("ticket_settings: {board: Sales, queue: Post Sale}", "queue"),
        ("inventory: {warehouses: Main Warehouse}", "list"),
        ("policy: {manage: {webhooks: full}}", "webhooks"),
    ],
)
def test_the_models_are_strict(text: str, expected: str) -> None:
    found = problems(f"version: 1\npsa: connectwise\n{text}\n")

    assert found and found[0][0] == 3
    assert any(expected in message for _, message in found), found


def test_env_references_stand_only_in_the_salesbuildr_url() -> None:
    found = problems(
        "version: 1\npsa: connectwise\ncallbacks:\n  A: {type: company, url: '${env:HOOK_URL}'}\n",
        {"HOOK_URL": "https://x.example"},
    )

    assert found[0][0] == 4


def _described(schema: dict[str, Any], path: str, out: list[str]) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if "description" not in prop:
            out.append(f"{path}.{name}")


def test_every_field_of_every_section_is_described_for_the_json_schema() -> None:
    schema = ConnectWiseConfig.model_json_schema()
    missing: list[str] = []
    _described(schema, "", missing)
    for name, definition in schema["$defs"].items():
        _described(definition, name, missing)

    assert missing == []
    assert set(SECTION_MODELS) == set(SECTIONS)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("Categories", "data_source"),
        ("Companies", "udfs"),
        ("Inventory", "warehouses"),
        ("TicketSettings", "status"),
        ("TicketSettings", "type"),
        ("TicketSettings", "subtype"),
        ("TicketSettings", "item"),
        ("TicketSettings", "priority"),
    ],
)
def test_the_inferred_settings_say_so_in_the_schema(model: str, field: str) -> None:
    definitions = ConnectWiseConfig.model_json_schema()["$defs"]

    assert "[inferred]" in definitions[model]["properties"][field]["description"]


def test_the_documented_settings_are_not_marked_inferred() -> None:
    definitions = ConnectWiseConfig.model_json_schema()["$defs"]

    assert "[inferred]" not in definitions["TicketSettings"]["properties"]["board"]["description"]
    assert "[inferred]" not in definitions["Categories"]["properties"]["mappings"]["description"]


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        (
            "categories:\n  mappings:\n    Hardware: Hardware\n    hardware : Hardware\n",
            6,
            "listed twice",
        ),
        ("categories:\n  mappings:\n    A/B/C: Hardware\n", 5, "3 levels"),
        ("categories:\n  mappings:\n    A//B: Hardware\n", 5, "empty level"),
        ("companies:\n  type_priority: [Client, client]\n", 4, "listed twice"),
        ("companies:\n  statuses: [{id: 1}, {id: 1}]\n", 4, "listed twice"),
        (
            "companies:\n  udfs:\n    Contract Tier: Tier\n    Account Region: tier\n",
            6,
            "mapped twice",
        ),
        ("inventory:\n  warehouses: [Main, main]\n", 4, "listed twice"),
        ("callbacks:\n  " + "x" * 101 + ": {type: company}\n", 4, "ConnectWise allows 100"),
        ("callbacks:\n  A:\n    type: company\n    level: board\n", 6, "object_id"),
        ("ticket_settings:\n  status: New\n", 4, "board is not set"),
        ("ticket_settings:\n  board: B\n  item: Order\n", 5, "type is not set"),
    ],
)
def test_the_rules_over_several_fields(body: str, line: int, expected: str) -> None:
    found = problems("version: 1\npsa: connectwise\n" + body)

    assert any(at == line and expected in message for at, message in found), found


def test_a_callback_at_a_level_below_owner_with_its_object_is_valid() -> None:
    config = load(
        "version: 1\npsa: connectwise\ncallbacks:\n"
        "  Board 10 tickets: {type: company, level: board, object_id: 10}\n"
    ).config

    assert config.callbacks is not None
    assert config.callbacks["Board 10 tickets"].object_id == 10


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    found = problems(
        "version: 1\npsa: connectwise\n"
        "ticket_settings: {status: New}\n"
        "inventory: {warehouses: [A, a]}\n"
        "callbacks: {B: {type: company, level: type}}\n"
    )

    assert [line for line, _ in found] == [3, 4, 5]


def test_after_apply_takes_only_the_jobs_connectwise_pages_start() -> None:
    found = problems("version: 1\npsa: connectwise\nafter_apply: [sync_fields, sync_inventory]\n")
    assert len(found) == 1
    line, message = found[0]
    assert line == 3 and "'sync_inventory' is not allowed" in message
    assert "'sync_fields', 'sync_full' or 'import_products'" in message
    fine = load("version: 1\npsa: connectwise\nafter_apply: [sync_full, import_products]\n")
    assert [action.value for action in fine.config.after_apply] == ["sync_full", "import_products"]
