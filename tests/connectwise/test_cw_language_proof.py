"""The ConnectWise language held to its sources: every [documented] setting of the reference
modelled, every [inferred] one listed in ``ASSUMED_SETTINGS`` with its reason, the desired
builder's addresses and keys, and export -> plan = zero changes with hostile live names in every
table a file names (values are data, never references)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from language_fixtures import HEAD, ISSUE_EXAMPLE, RECEIVER, catalog, load, plan, resolve
from test_language_export import exported_yaml, live_state
from test_language_kinds import callback_row

from reconciler.envvars import escape_literal
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.names import join_path
from reconciler.plan.model import Action
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.config import SECTIONS, ConnectWiseConfig
from reconciler.psa.connectwise.desired import desired_resources
from reconciler.psa.connectwise.export import export_sections
from reconciler.psa.connectwise.kinds import ASSUMED_SETTINGS
from reconciler.psa.connectwise.kinds_callbacks import live_callbacks
from reconciler.psa.connectwise.kinds_documents import live_resources
from reconciler.psa.connectwise.kinds_ticket import BOARD_SCOPED
from reconciler.state import Resource, State

# --- documented and assumed settings --------------------------------------------------------

DOCUMENTED = {
    # salesbuildr-connectwise-configuration.md row -> the YAML path that models it
    "2.1 category mapping": "categories.mappings",
    "2.5 data source per product type": "categories.data_source",
    "3.1 company types CW -> SB": "companies.types.to_salesbuildr",
    "3.2 company types SB -> CW": "companies.types.to_connectwise",
    "3.3 company type priority": "companies.type_priority",
    "3.4 enabled company statuses": "companies.statuses",
    "3.5 UDF mapping": "companies.udfs",
    "3.6 manufacturer company type": "companies.manufacturer_company_type",
    "4.1 opportunity statuses SB -> CW": "opportunity_statuses.to_connectwise",
    "4.2 opportunity statuses CW -> SB": "opportunity_statuses.to_salesbuildr",
    "5.1/5.2 callbacks of companies, contacts, opportunities": "callbacks.*.type",
    "7.2 ticket board": "ticket_settings.board",
}
"""2.2 (import), 1.x (sync) are actions, not settings: ``import-products`` and ``after_apply``.
2.3 and 2.4 (defaults and terms of imported products) are documented to exist without their
fields, so nothing is modelled for them (the reference's gap 4)."""


def _schema() -> dict[str, Any]:
    return ConnectWiseConfig.model_json_schema()


def _field(path: str) -> dict[str, Any]:
    """The JSON Schema of the field at a dotted YAML path (``*``: any key of a map)."""
    schema = _schema()
    defs = schema["$defs"]

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        for option in node.get("anyOf", [node]):
            if "$ref" in option:
                return dict(defs[option["$ref"].rsplit("/", 1)[-1]])
            if option.get("type") == "object":
                return option
        return node

    node: dict[str, Any] = schema
    for part in path.split("."):
        node = deref(node)
        node = node["additionalProperties"] if part == "*" else node["properties"][part]
    return node


@pytest.mark.parametrize("row", sorted(DOCUMENTED))
def test_every_documented_setting_is_modelled_and_described(row: str) -> None:
    assert _field(DOCUMENTED[row]).get("description")


def _marked(node: Any, path: str, found: set[str], defs: dict[str, Any]) -> None:
    if isinstance(node, dict):
        if "[inferred]" in str(node.get("description", "")):
            found.add(path)
        for key, value in node.items():
            if key == "properties":
                for name, spec in value.items():
                    _marked(spec, f"{path}.{name}".strip("."), found, defs)
            elif key == "$ref":
                _marked(defs[value.rsplit("/", 1)[-1]], path, found, defs)
            elif key in ("anyOf", "additionalProperties", "items"):
                suffix = ".*" if key == "additionalProperties" else ""
                for child in value if isinstance(value, list) else [value]:
                    _marked(child, path + suffix, found, defs)


def test_every_setting_marked_inferred_is_in_assumed_settings_with_a_reason() -> None:
    schema = _schema()
    marked: set[str] = set()
    _marked(schema, "", marked, schema["$defs"])

    assert marked <= set(ASSUMED_SETTINGS)
    assert "ticket_settings.item" in marked and "categories.data_source" in marked
    for key, reason in ASSUMED_SETTINGS.items():
        _field(key)
        assert len(reason) > 40, key
    documented = set(DOCUMENTED.values())
    assert not documented & (set(ASSUMED_SETTINGS) - {"categories.data_source", "companies.udfs"})


# --- the desired builder --------------------------------------------------------------------


def test_every_section_becomes_its_kinds_resources_at_yaml_addresses() -> None:
    loaded = load(ISSUE_EXAMPLE)

    found = [(r.address, r.kind, r.key) for r in desired_resources(loaded.config, loaded.source)]

    assert found == [
        ('categories.mappings["Hardware/Laptops"]', "category_mapping", "Hardware/Laptops"),
        ('categories.data_source["Hardware"]', "product_type_data_source", "Hardware"),
        ('categories.data_source["Services"]', "product_type_data_source", "Services"),
        ('companies.types.to_salesbuildr["Client"]', "company_type_to_salesbuildr", "Client"),
        ('companies.types.to_connectwise["Customer"]', "company_type_to_connectwise", "Customer"),
        ('companies.udfs["Contract Tier"]', "company_udf_mapping", "Contract Tier"),
        ("companies", "company_settings", "companies"),
        (
            'opportunity_statuses.to_salesbuildr["Won"]',
            "opportunity_status_to_salesbuildr",
            "Won",
        ),
        (
            'opportunity_statuses.to_connectwise["Won"]',
            "opportunity_status_to_connectwise",
            "Won",
        ),
        ('callbacks["Salesbuildr companies"]', "callback", "Salesbuildr companies"),
        ("inventory", "inventory_settings", "inventory"),
        ("ticket_settings", "ticket_settings", "ticket_settings"),
    ]


def test_every_resource_and_attribute_carries_its_line_and_column() -> None:
    loaded = load(ISSUE_EXAMPLE)
    by_address = {r.address: r for r in desired_resources(loaded.config, loaded.source)}

    udf = by_address['companies.udfs["Contract Tier"]']
    assert (udf.location, udf.locations["data_point"]) == (
        "mappings.yaml:10:10",
        "mappings.yaml:10:25",
    )
    assert by_address["companies"].locations["statuses"] == "mappings.yaml:9:13"
    assert by_address["ticket_settings"].locations["item"] == "mappings.yaml:17:25"


def test_salesbuildrs_opportunity_statuses_come_from_salesbuildr() -> None:
    _, problems = resolve(HEAD + "opportunity_statuses: {to_connectwise: {Pending: Won}}\n")

    (problem,) = problems
    assert problem.message == "unknown Salesbuildr opportunity status 'Pending'"
    assert problem.hint == "valid names: 'Lost', 'Open', 'Won'"


def test_a_callback_spelled_exactly_like_two_live_ones_cannot_be_told_apart() -> None:
    live = live_callbacks([callback_row(5, "Sync"), callback_row(9, "Sync")])

    (problem,) = resolve(HEAD + "callbacks:\n  Sync: {type: company}\n", live)[1]

    assert "not exactly one is spelled 'Sync'" in problem.message
    assert "spelled exactly alike" in (problem.hint or "")


def test_the_exact_spelling_picks_among_callbacks_that_fold_alike() -> None:
    live = live_callbacks([callback_row(5, "Sync"), callback_row(9, "SYNC")])

    result = plan(HEAD + "callbacks:\n  SYNC: {type: company, active: false}\n", live)

    (change,) = result.pending
    assert change.action is Action.UPDATE
    assert change.ids["live"]["id"] == 9


# --- export with hostile live names ---------------------------------------------------------

HOSTILE = [
    "${env:SALESBUILDR_API_KEY}",
    "line one\nversion: 2",
    "\x1b[31mred\x1b[0m \u202eevil",
    "**bold** | [link](https://evil.example) `code` <b>x</b>",
    "# not a comment: {a: b}",
]


def _escaped(value: Any) -> Any:
    """What the core's dumper does to every string (``${`` is written ``$${``)."""
    if isinstance(value, str):
        return escape_literal(value)
    if isinstance(value, dict):
        return {_escaped(key): _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def _named(what: str, names: list[str], **extra: Any) -> NameTable:
    return NameTable(what, [Entry(i, name, **extra) for i, name in enumerate(names, start=1)])


def _hostile_catalog() -> Catalog:
    cat = catalog()
    ids = range(1, len(HOSTILE) + 1)
    cat.tables[t.CW_CATEGORIES] = NameTable(
        "ConnectWise category",
        [Entry(i, name, path=(name,)) for i, name in zip(ids, HOSTILE, strict=True)],
        paths=True,
    )
    cat.tables[t.CW_COMPANY_TYPES] = _named("ConnectWise company type", HOSTILE)
    cat.tables[t.CW_COMPANY_UDFS] = _named("ConnectWise company UDF", HOSTILE)
    cat.tables[t.CW_WAREHOUSES] = _named("ConnectWise warehouse", HOSTILE)
    cat.tables[t.CW_BOARDS] = _named("ConnectWise board", HOSTILE)
    cat.tables[t.CW_PRIORITIES] = _named("ConnectWise priority", HOSTILE)
    cat.tables[t.SB_COMPANY_DATA_POINTS] = NameTable(
        "Salesbuildr company data point",
        [Entry(f"dp{i}", name, path=(name,)) for i, name in zip(ids, HOSTILE, strict=True)],
        paths=True,
    )
    return cat


def _hostile_state(cat: Catalog) -> State:
    ids = list(range(1, len(HOSTILE) + 1))
    documents: dict[str, dict[str, Any]] = {
        "categories": {
            "mappings": [
                {"connectwiseCategoryId": i, "connectwiseSubcategoryId": None, "categoryId": "c1"}
                for i in ids
            ]
        },
        "companies": {
            "toSalesbuildr": [
                {"connectwiseCompanyTypeId": i, "companyType": "customer"} for i in ids
            ],
            "typePriority": list(reversed(ids)),
            "udfs": [{"udfId": i, "dataPointId": f"dp{i}"} for i in ids],
            "manufacturerCompanyTypeId": 2,
        },
        "inventory": {"warehouseIds": ids},
        "ticket_settings": {"boardId": 3, "priorityId": 4},
    }
    resources: list[Resource] = []
    for section, body in documents.items():
        resources.extend(live_resources(section, body, cat))
    resources.extend(live_callbacks(callback_row(10 + i, name) for i, name in enumerate(HOSTILE)))
    return State.of(resources)


def test_hostile_live_names_in_every_table_are_data_the_exported_file_plans_to_zero() -> None:
    cat = _hostile_catalog()
    state = _hostile_state(cat)
    chosen = ["categories", "companies", "callbacks", "inventory", "ticket_settings"]
    exported = export_sections(state, cat, chosen)
    text = yaml.safe_dump(
        _escaped({"version": 1, "psa": "connectwise", **exported.sections}), sort_keys=False
    )

    loaded = load(text, {"SALESBUILDR_API_KEY": "leaked-secret"})
    result = plan(text, list(state), cat=cat)

    assert "leaked-secret" not in repr(loaded.config)
    assert loaded.config.callbacks is not None and loaded.config.companies is not None
    assert set(loaded.config.callbacks) == set(HOSTILE)
    assert set(loaded.config.companies.udfs) == set(HOSTILE)
    # Data points are paths: a slash in a live name is written escaped, as in the admin UI.
    assert set(loaded.config.companies.udfs.values()) == {join_path([n]) for n in HOSTILE}
    assert loaded.config.ticket_settings is not None
    assert loaded.config.ticket_settings.board == HOSTILE[2]
    assert exported.notes == []
    assert [c.address for c in result.pending] == []
    assert len(result.changes) == len(state)


def test_a_hostile_name_in_a_category_path_is_escaped_not_split() -> None:
    cat = catalog()
    cat.tables[t.CW_CATEGORIES] = NameTable(
        "ConnectWise category", [Entry(1, "A/B ${env:X}", path=("A/B ${env:X}",))], paths=True
    )
    state = State.of(
        live_resources(
            "categories",
            {
                "mappings": [
                    {
                        "connectwiseCategoryId": 1,
                        "connectwiseSubcategoryId": None,
                        "categoryId": "c3",
                    }
                ]
            },
            cat,
        )
    )

    exported = export_sections(state, cat, ["categories"])
    text = yaml.safe_dump(_escaped({"version": 1, "psa": "connectwise", **exported.sections}))

    assert exported.sections["categories"]["mappings"] == {"A\\/B ${env:X}": "Software"}
    assert plan(text, list(state), cat=cat).pending == []


def test_a_callback_whose_url_a_file_cannot_state_is_left_out_without_its_url() -> None:
    cat = catalog()
    rows = [
        callback_row(5, "Plain http", url="http://monitor.acme.example/cw"),
        callback_row(6, "With password", url="https://user:hunter2@monitor.acme.example/cw"),
        callback_row(7, "Loopback", url="http://127.0.0.1:8080/cw"),
    ]

    exported = export_sections(State.of(live_callbacks(rows)), cat, ["callbacks"])

    assert list(exported.sections["callbacks"]) == ["Loopback"]
    assert len(exported.notes) == 2
    assert all("its url is not one a file may state" in note for note in exported.notes)
    assert "hunter2" not in json.dumps(exported.notes)


@pytest.mark.parametrize("mode", ["additive", "full"])
def test_export_then_plan_is_zero_changes_under_every_mode(mode: str) -> None:
    cat = catalog()
    state = live_state(cat)
    text = exported_yaml(state, cat).replace(
        "psa: connectwise\n", f"psa: connectwise\npolicy: {{manage: {{callbacks: {mode}}}}}\n"
    )

    result = plan(text, list(state), cat=cat)

    assert [c.address for c in result.pending] == []
    assert sorted(SECTIONS) == sorted(load(text).config.present_sections())


def test_the_callback_receiver_is_the_default_url_of_a_new_callback() -> None:
    (change,) = plan(HEAD + "callbacks:\n  New: {type: opportunity}\n").pending

    assert change.after is not None
    assert change.after["url"] == RECEIVER


# --- what export cannot state so that it resolves -------------------------------------------

TICKET = {"boardId": 10, "statusId": 101, "typeId": 111, "subtypeId": 121, "itemId": 131}


def _export_then_plan(
    cat: Catalog, state: State, sections: list[str], *, changed: tuple[str, ...] = ()
) -> tuple[Any, list[str]]:
    """Export, then plan the exported file: only the ``changed`` addresses move (a list that
    lost an item export left out and said)."""
    exported = export_sections(state, cat, sections)
    text = yaml.safe_dump(
        _escaped({"version": 1, "psa": "connectwise", **exported.sections}), sort_keys=False
    )
    assert [c.address for c in plan(text, list(state), cat=cat).pending] == list(changed)
    return exported.sections, exported.notes


@pytest.mark.parametrize(
    ("changed", "left_out", "why"),
    [
        ({"subtypeId": 123}, "subtype", "the type does not allow it on the board"),
        ({"itemId": 132}, "item", "the type (and subtype) do not allow it on the board"),
    ],
)
def test_a_live_ticket_setting_connectwise_would_refuse_is_left_out_and_said(
    changed: dict[str, int], left_out: str, why: str
) -> None:
    cat = catalog()
    state = State.of(live_resources("ticket_settings", {**TICKET, **changed}, cat))

    sections, notes = _export_then_plan(cat, state, ["ticket_settings"])

    assert left_out not in sections["ticket_settings"]
    assert len(sections["ticket_settings"]) == 4
    assert notes == [f"ticket_settings.{left_out} left out: {why}"]


def test_a_live_status_of_another_board_is_left_out_and_plan_says_why() -> None:
    cat = catalog()
    state = State.of(live_resources("ticket_settings", {**TICKET, "statusId": 201}, cat))

    exported = export_sections(state, cat, ["ticket_settings"])
    text = yaml.safe_dump({"version": 1, "psa": "connectwise", **exported.sections})
    _, problems = resolve(text, list(state))

    assert "status" not in exported.sections["ticket_settings"]
    assert exported.notes == ["ticket_settings.status left out: it is not one of the board's"]
    # The live ticket settings are broken (ConnectWise would refuse the ticket): the exported
    # file cannot fix that by itself, and plan says what to state.
    assert [p.message for p in problems] == [
        "the live status 'New' is of another board than 'Professional Services'; ConnectWise "
        "would refuse the ticket"
    ]


def test_the_board_left_out_takes_its_status_type_subtype_and_item_along() -> None:
    cat = catalog()
    cat.tables[t.CW_BOARDS] = NameTable(
        "ConnectWise board", [Entry(10, "Professional Services", active=False)]
    )
    state = State.of(live_resources("ticket_settings", {**TICKET, "priorityId": 3}, cat))

    sections, notes = _export_then_plan(cat, state, ["ticket_settings"])

    assert sections["ticket_settings"] == {"priority": "Priority 3 - Normal"}
    assert notes == [
        "ticket_settings.board left out: 'Professional Services' is inactive",
        *(f"ticket_settings.{name} left out: its board is left out" for name in BOARD_SCOPED),
    ]


def test_an_id_the_tables_do_not_know_is_left_out_and_said() -> None:
    cat = catalog()
    body = {
        "mappings": [
            {"connectwiseCategoryId": 99, "connectwiseSubcategoryId": None, "categoryId": "c1"},
            {"connectwiseCategoryId": 1, "connectwiseSubcategoryId": None, "categoryId": "gone"},
        ]
    }
    state = State.of(
        [
            *live_resources("categories", body, cat),
            *live_resources("inventory", {"warehouseIds": [1, 42]}, cat),
        ]
    )

    sections, notes = _export_then_plan(
        cat, state, ["categories", "inventory"], changed=("inventory",)
    )

    assert sections["categories"]["mappings"] == {}
    assert sections["inventory"] == {"warehouses": ["Main Warehouse"]}
    assert "#99 is not a known ConnectWise category" in notes[0]
    assert "#gone is not a known Salesbuildr category" in notes[1]
    assert notes[2] == "inventory.warehouses: #42 is not a known ConnectWise warehouse, left out"


def test_callbacks_whose_descriptions_fold_alike_are_exported_apart_and_plan_to_zero() -> None:
    cat = catalog()
    state = State.of(live_callbacks([callback_row(5, "Sync"), callback_row(9, "SYNC")]))

    sections, notes = _export_then_plan(cat, state, ["callbacks"])

    assert set(sections["callbacks"]) == {"Sync", "SYNC"}
    assert notes == []


def test_a_type_of_another_board_takes_its_subtype_and_item_along() -> None:
    cat = catalog()
    state = State.of(live_resources("ticket_settings", {**TICKET, "typeId": 211}, cat))

    exported = export_sections(state, cat, ["ticket_settings"])

    assert exported.sections["ticket_settings"] == {
        "board": "Professional Services",
        "status": "New",
    }
    assert exported.notes == [
        "ticket_settings.type left out: it is not one of the board's",
        "ticket_settings.subtype left out: its type is left out",
        "ticket_settings.item left out: its type is left out",
    ]
    load(yaml.safe_dump({"version": 1, "psa": "connectwise", **exported.sections}))
