"""Live ConnectWise settings as data and back: the Salesbuildr documents <-> resources, export
-> plan = zero changes, what export leaves out (and says), and the plan-time checks of the
ConnectWise writes against the vendor schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from language_fixtures import ISSUE_EXAMPLE, RECEIVER, catalog, load, plan, resolve
from test_language_kinds import callback_row

from reconciler.envvars import escape_literal
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.plan.model import Action, Change, Plan, Risk
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.config import SECTIONS
from reconciler.psa.connectwise.export import export_sections
from reconciler.psa.connectwise.kinds_callbacks import live_callbacks
from reconciler.psa.connectwise.kinds_documents import PAGES, document_body, live_resources
from reconciler.psa.connectwise.live_rules import CALLBACK_ENTRY, check_plan, field_rules
from reconciler.state import Resource, State

DOCUMENTS: dict[str, dict[str, Any]] = {
    "categories": {
        "mappings": [
            {"connectwiseCategoryId": 1, "connectwiseSubcategoryId": None, "categoryId": "c1"},
            {"connectwiseCategoryId": 1, "connectwiseSubcategoryId": 11, "categoryId": "c2"},
            {"connectwiseCategoryId": 2, "connectwiseSubcategoryId": 21, "categoryId": "c3"},
            {"connectwiseCategoryId": 5, "connectwiseSubcategoryId": None, "categoryId": "c1"},
        ],
        "dataSources": [
            {"productTypeId": 1, "source": "connectwise"},
            {"productTypeId": 2, "source": "salesbuildr"},
        ],
    },
    "companies": {
        "toSalesbuildr": [
            {"connectwiseCompanyTypeId": 1, "companyType": "customer"},
            {"connectwiseCompanyTypeId": 2, "companyType": "lead"},
        ],
        "toConnectwise": [{"companyType": "customer", "connectwiseCompanyTypeId": 1}],
        "typePriority": [3, 1, 2],
        "statusIds": [2, 1],
        "udfs": [{"udfId": 7, "dataPointId": "dp1"}],
        "manufacturerCompanyTypeId": 3,
    },
    "opportunity_statuses": {
        "toSalesbuildr": [{"connectwiseStatusId": 2, "status": "won"}],
        "toConnectwise": [{"status": "lost", "connectwiseStatusId": 3}],
    },
    "inventory": {"warehouseIds": [2, 1]},
    "ticket_settings": {
        "boardId": 20,
        "statusId": 201,
        "typeId": 211,
        "subtypeId": 221,
        "itemId": 231,
        "priorityId": 3,
    },
}
CALLBACKS = [
    callback_row(5, "Salesbuildr companies"),
    callback_row(6, "Monitoring", url="https://monitor.acme.example/cw", isSelfSuppressedFlag=None),
    callback_row(7, "Board 10 companies", level="Board", objectId=10, inactiveFlag=True),
    callback_row(8, "PSA tickets", type="Ticket"),
]


def live_state(cat: Catalog, documents: dict[str, dict[str, Any]] = DOCUMENTS) -> State:
    resources: list[Resource] = []
    for section, body in documents.items():
        resources.extend(live_resources(section, body, cat))
    resources.extend(live_callbacks(CALLBACKS))
    return State.of(resources)


def exported_yaml(state: State, cat: Catalog) -> str:
    exported = export_sections(state, cat, SECTIONS)
    return yaml.safe_dump(
        {"version": 1, "psa": "connectwise", **exported.sections}, sort_keys=False
    )


def test_every_document_reads_back_into_the_same_body() -> None:
    cat = catalog()
    for section, body in DOCUMENTS.items():
        resources = live_resources(section, body, cat)

        rebuilt = document_body(section, resources, base={})

        assert _canonical(rebuilt) == _canonical(body), section
    assert set(PAGES) == set(DOCUMENTS)


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """Rows in any order compare equal; the type priority keeps its order."""
    return {
        k: sorted(v, key=json.dumps) if isinstance(v, list) and k != "typePriority" else v
        for k, v in body.items()
    }


def test_export_reads_as_the_live_settings() -> None:
    cat = catalog()

    exported = export_sections(live_state(cat), cat, SECTIONS)

    sections = exported.sections
    assert sections["categories"]["mappings"] == {
        "Cables (#5)": "Hardware",
        "Hardware": "Hardware",
        "Hardware/Laptops": "Hardware/Laptops",
        "Software/Security\\/AV": "Software",
    }
    assert sections["companies"]["type_priority"] == ["Vendor", "Client", "Prospect"]
    assert sections["companies"]["statuses"] == ["Active", "Not-Approved"]
    assert sections["ticket_settings"] == {
        "board": "Help Desk",
        "status": "New",
        "type": "Procurement",
        "subtype": "Hardware",
        "item": "Order",
        "priority": "Priority 3 - Normal",
    }
    assert sections["callbacks"] == {
        "Board 10 companies": {
            "type": "company",
            "level": "board",
            "object_id": 10,
            "active": False,
            "payload_version": "2",
            "self_suppressed": True,
        },
        "Monitoring": {
            "type": "company",
            "level": "owner",
            "url": "https://monitor.acme.example/cw",
            "active": True,
            "payload_version": "2",
        },
        "Salesbuildr companies": {
            "type": "company",
            "level": "owner",
            "active": True,
            "payload_version": "2",
            "self_suppressed": True,
        },
    }
    assert exported.notes == []


def test_export_then_plan_is_zero_changes() -> None:
    cat = catalog()
    state = live_state(cat)
    text = exported_yaml(state, cat)

    result = plan(text, list(state), cat=cat)

    assert [c.address for c in result.pending] == []
    assert len(result.changes) == len(state)


def test_the_exported_file_validates_offline() -> None:
    cat = catalog()

    loaded = load(exported_yaml(live_state(cat), cat))

    assert loaded.config.present_sections() == list(SECTIONS)


def test_what_a_file_cannot_state_is_left_out_and_said() -> None:
    cat = catalog()
    documents = {
        **DOCUMENTS,
        "categories": {
            "mappings": [
                {"connectwiseCategoryId": 4, "connectwiseSubcategoryId": None, "categoryId": "c1"}
            ]
        },
        "inventory": {"warehouseIds": [3, 1]},
    }
    state = State.of(
        [
            *live_state(cat, documents),
            *live_callbacks(
                [callback_row(11, "Twice"), callback_row(12, "Twice"), callback_row(13, "")]
            ),
        ]
    )

    exported = export_sections(state, cat, SECTIONS)

    assert exported.sections["categories"]["mappings"] == {}
    assert exported.sections["inventory"] == {"warehouses": ["Main Warehouse"]}
    assert "Twice" not in exported.sections["callbacks"]
    notes = "\n".join(exported.notes)
    assert "'Legacy' is inactive" in notes
    assert "'Old Depot' is inactive" in notes
    assert "2 live callbacks are described 'Twice' (ids 11, 12)" in notes
    assert "callback 13 has no description" in notes


def test_the_callback_receiver_url_is_left_out_so_the_file_follows_it() -> None:
    cat = catalog()

    exported = export_sections(live_state(cat), cat, ["callbacks"])

    assert "url" not in exported.sections["callbacks"]["Salesbuildr companies"]
    assert RECEIVER not in json.dumps(exported.sections)


def _subset_document() -> dict[str, Any] | None:
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[2] / "reconciler/sandbox/connectwise/data/connectwise-openapi-subset.json",
        here.parents[3] / "shared/reference/connectwise-openapi-subset.json",
    ):
        if candidate.is_file():
            loaded: dict[str, Any] = json.loads(candidate.read_text())
            return loaded
    return None


def test_the_callback_constraints_are_the_vendor_documents() -> None:
    document = _subset_document()
    assert document is not None, "connectwise-openapi-subset.json not found"

    assert field_rules(document["components"]["schemas"]["CallbackEntry"]) == CALLBACK_ENTRY


def _create(key: str, after: dict[str, Any]) -> Plan:
    change = Change(
        address=f'callbacks["{key}"]',
        kind="callback",
        key=key,
        section="callbacks",
        owner="connectwise",
        action=Action.CREATE,
        before=None,
        after=after,
        diff=(),
        reason="not in the live system",
    )
    return Plan(changes=(change,), risk=Risk.SAFE)


@pytest.mark.parametrize(
    ("key", "after", "expected"),
    [
        (
            "x" * 101,
            {"type": "company", "level": "owner", "url": RECEIVER, "active": True, "object_id": 1},
            "CallbackEntry.description is at most 100 characters in ConnectWise; callback "
            f"'{'x' * 101}' gives 101",
        ),
        (
            "No url",
            {"type": "company", "level": "owner", "active": True, "object_id": 1},
            "CallbackEntry.url is required by ConnectWise, but callback 'No url' gives no value "
            "for it",
        ),
        (
            "Text id",
            {"type": "company", "level": "owner", "url": RECEIVER, "object_id": "1"},
            "CallbackEntry.objectId is a integer in ConnectWise; callback 'Text id' gives str",
        ),
    ],
)
def test_plan_time_checks_of_the_callback_writes(
    key: str, after: dict[str, Any], expected: str
) -> None:
    problems = check_plan(_create(key, after))

    assert [p.message for p in problems] == [expected]


def test_a_plan_of_valid_callbacks_passes_the_write_checks() -> None:
    result = plan(
        "version: 1\npsa: connectwise\ncallbacks:\n  Salesbuildr companies: {type: company}\n"
    )

    assert [c.action for c in result.pending] == [Action.CREATE]
    assert check_plan(result) == []


def _escaped(value: Any) -> Any:
    """What the core's dumper does to every string (``${`` is written ``$${``)."""
    if isinstance(value, str):
        return escape_literal(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


HOSTILE = "${env:SALESBUILDR_API_KEY}\nversion: 2 \u202e"


def test_hostile_live_names_are_data_the_exported_file_plans_to_zero() -> None:
    cat = catalog()
    cat.tables[t.CW_WAREHOUSES] = NameTable(
        "ConnectWise warehouse", [Entry(1, HOSTILE), Entry(2, "Old", active=False)]
    )
    state = State.of(
        [
            *live_resources("inventory", {"warehouseIds": [1, 2]}, cat),
            *live_callbacks([callback_row(5, HOSTILE, level="Ticket\nx")]),
        ]
    )

    exported = export_sections(state, cat, ["inventory", "callbacks"])
    text = yaml.safe_dump(
        _escaped({"version": 1, "psa": "connectwise", **exported.sections}), sort_keys=False
    )
    result = plan(text, list(state), cat=cat)

    assert exported.sections == {"inventory": {"warehouses": [HOSTILE]}, "callbacks": {}}
    # The inactive warehouse is left out (and said), so the plan drops it; nothing else moves.
    (change,) = result.pending
    assert (change.address, change.after) == ("inventory", {"warehouses": [HOSTILE]})
    assert len(exported.notes) == 2
    assert all(note.isprintable() for note in exported.notes)


def test_the_documents_a_plan_writes_hold_the_resolved_ids() -> None:
    desired, problems = resolve(ISSUE_EXAMPLE)
    assert [p for p in problems if p.severity == "error"] == []
    base = {"unmanagedField": True}

    bodies = {section: document_body(section, desired, base) for section in PAGES}

    assert bodies["ticket_settings"] == {
        "unmanagedField": True,
        "boardId": 10,
        "statusId": 101,
        "typeId": 111,
        "subtypeId": 121,
        "itemId": 131,
        "priorityId": 3,
    }
    assert bodies["companies"]["typePriority"] == [1, 2, 3]
    assert bodies["companies"]["statusIds"] == [1]
    assert bodies["companies"]["toConnectwise"] == [
        {"companyType": "customer", "connectwiseCompanyTypeId": 1}
    ]
    assert bodies["categories"]["mappings"] == [
        {"connectwiseCategoryId": 1, "connectwiseSubcategoryId": 11, "categoryId": "c2"}
    ]
    assert bodies["inventory"] == {"unmanagedField": True, "warehouseIds": [1]}


CONTRACT = (
    Path(__file__).resolve().parents[2] / "reconciler/psa/connectwise/salesbuildr_documents.json"
)


def _page_schema(page: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CONTRACT.read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return {"$defs": document["$defs"], "$ref": f"#/$defs/{page}"}


@pytest.mark.parametrize("section", sorted(PAGES))
def test_every_body_the_kinds_read_and_write_holds_the_contract(section: str) -> None:
    schema = _page_schema(PAGES[section])
    desired, _ = resolve(ISSUE_EXAMPLE)
    defaults = {
        name: prop.get("default")
        for name, prop in schema["$defs"][PAGES[section]]["properties"].items()
    }

    for body in (DOCUMENTS[section], defaults, document_body(section, desired, defaults)):
        jsonschema.validate(body, schema)


def test_the_contract_has_one_document_per_page_and_no_other() -> None:
    document = json.loads(CONTRACT.read_text())

    # and the Callbacks page's read-only receiver (where callbacks without a url point)
    assert set(document["$defs"]) == {*PAGES.values(), "callback-receiver"}
    receiver = document["$defs"]["callback-receiver"]
    assert all(p.get("readOnly") for p in receiver["properties"].values())
