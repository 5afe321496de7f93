"""The ConnectWise kinds at plan time, pure: names resolved in the tenant's tables (did you
mean, inactive, ambiguous, {id: N}), ticket fields within their board, callbacks keyed by
description, and the plans the kinds make."""

from __future__ import annotations

from language_fixtures import (
    ISSUE_EXAMPLE,
    RECEIVER,
    catalog,
    messages,
    plan,
    resolve,
)

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.plan.live_rules import planned
from reconciler.plan.model import Action
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.kinds import CATEGORY_MAPPING, COMPANY_SETTINGS, INVENTORY_SETTINGS
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK, live_callbacks
from reconciler.psa.connectwise.kinds_registry import KINDS
from reconciler.psa.connectwise.kinds_ticket import TICKET_SETTINGS
from reconciler.state import DeletePolicy, Resource

BOARD_CHILD_TABLES = (
    t.CW_BOARD_STATUSES,
    t.CW_BOARD_TYPES,
    t.CW_BOARD_SUBTYPES,
    t.CW_BOARD_ITEMS,
    t.CW_BOARD_ASSOCIATIONS,
)

HEAD = "version: 1\npsa: connectwise\n"


def callback_row(ident: int, description: str, **extra: object) -> dict[str, object]:
    return {
        "id": ident,
        "description": description,
        "url": RECEIVER,
        "objectId": 1,
        "type": "Company",
        "level": "Owner",
        "inactiveFlag": False,
        "payloadVersion": "2",
        "isSelfSuppressedFlag": True,
        **extra,
    }


def live_callback(ident: int, description: str, **extra: object) -> Resource:
    found = CALLBACK.live(callback_row(ident, description, **extra))
    assert found is not None
    return found


def test_the_issue_illustration_resolves_to_ids() -> None:
    desired, problems = resolve(ISSUE_EXAMPLE)

    assert [p for p in problems if p.severity == "error"] == []
    by_address = {r.address: r for r in desired}
    laptops = by_address['categories.mappings["Hardware/Laptops"]']
    assert laptops.ids == {"keys": ["1/11"], "category": "c2"}
    assert by_address['categories.data_source["Hardware"]'].attributes == {"source": "connectwise"}
    companies = by_address["companies"]
    assert companies.attributes["type_priority"] == ["Client", "Prospect", "Vendor"]
    assert companies.ids["statuses"] == {"Active": 1}
    assert companies.ids["manufacturer_company_type"] == 3
    ticket = by_address["ticket_settings"]
    assert ticket.ids == {
        "board": 10,
        "status": 101,
        "type": 111,
        "subtype": 121,
        "item": 131,
        "priority": 3,
    }
    callback = by_address['callbacks["Salesbuildr companies"]']
    assert callback.attributes == {
        "type": "company",
        "level": "owner",
        "url": RECEIVER,
        "active": True,
    }


def test_unmapped_salesbuildr_company_types_are_a_warning() -> None:
    _, problems = resolve(ISSUE_EXAMPLE)

    warnings = [p for p in problems if p.severity == "warning"]
    assert [w.id for w in warnings] == ["unmapped_company_types"]
    assert "'Lead', 'Supplier'" in warnings[0].message


def test_unknown_names_say_did_you_mean_at_their_line() -> None:
    _, problems = resolve(
        HEAD
        + "categories:\n  mappings: {Hardwre/Laptops: Hardware}\n"
        + "companies:\n  statuses: [Activ]\n"
        + "opportunity_statuses:\n  to_connectwise: {Won: Wonn}\n"
    )

    assert [(p.line, p.message, (p.hint or "").split(",")[0]) for p in problems] == [
        (4, "unknown ConnectWise category 'Hardwre/Laptops'", "did you mean 'Hardware/Laptops'"),
        (6, "unknown ConnectWise company status 'Activ'", "did you mean 'Active'?"),
        (8, "unknown ConnectWise opportunity status 'Wonn'", "did you mean 'Won'?"),
    ]


def test_a_subcategory_whose_name_holds_a_slash_is_written_escaped() -> None:
    desired, problems = resolve(
        HEAD + "categories: {mappings: {'Software/Security\\/AV': Software}}\n"
    )

    assert problems == []
    assert [r.ids["keys"] for r in desired] == [["2/21"]]


def test_inactive_objects_are_refused_with_an_active_alternative() -> None:
    _, problems = resolve(
        HEAD
        + "categories: {mappings: {Legacy: Hardware}, data_source: {Old: salesbuildr}}\n"
        + "inventory: {warehouses: [Old Depot]}\n"
        + "ticket_settings: {board: Archive}\n"
    )

    assert messages(problems) == [
        "ConnectWise category 'Legacy' is inactive",
        "ConnectWise product type 'Old' is inactive",
        "ConnectWise warehouse 'Old Depot' is inactive",
        "ConnectWise board 'Archive' is inactive",
    ]


def test_an_ambiguous_name_asks_for_an_id_and_the_id_resolves() -> None:
    _, problems = resolve(HEAD + "categories: {mappings: {Cables: Hardware}}\n")
    desired, fine = resolve(HEAD + "categories: {mappings: {'Cables (#6)': Hardware}}\n")

    assert messages(problems) == ["2 ConnectWise categories are named 'Cables' (ids 5, 6)"]
    assert problems[0].hint == "write 'Cables (#5)' to say which one"
    assert fine == [] and [r.ids["keys"] for r in desired] == [[6]]


def test_a_value_given_by_id() -> None:
    desired, problems = resolve(
        HEAD + "companies: {statuses: [{id: 2}], manufacturer_company_type: {id: 4}}\n"
    )

    assert problems == []
    (companies,) = desired
    assert companies.attributes == {
        "statuses": ["Not-Approved"],
        "manufacturer_company_type": "Partner",
    }


def test_ticket_fields_are_looked_up_on_their_board() -> None:
    desired, problems = resolve(
        HEAD + "ticket_settings: {board: Help Desk, status: New, type: Procurement,"
        " subtype: Hardware, item: Order}\n"
    )

    assert problems == []
    assert desired.get("ticket_settings") is not None
    ticket = desired.get("ticket_settings")
    assert ticket is not None
    assert ticket.ids == {"board": 20, "status": 201, "type": 211, "subtype": 221, "item": 231}
    assert ticket.attributes["status"] == "New"  # shown by label: the board is beside it


def test_a_status_of_another_board_is_unknown_on_this_one() -> None:
    _, problems = resolve(HEAD + "ticket_settings: {board: Help Desk, status: In Progress}\n")

    assert messages(problems) == ["unknown status 'In Progress' on board 'Help Desk'"]
    assert problems[0].hint == "valid names: 'New'"


def test_an_inactive_status_of_the_board_is_refused() -> None:
    _, problems = resolve(
        HEAD + "ticket_settings: {board: Professional Services, status: Closed}\n"
    )

    assert messages(problems) == ["status 'Closed' is inactive on board 'Professional Services'"]


def test_a_subtype_the_type_does_not_allow_is_refused() -> None:
    _, problems = resolve(
        HEAD + "ticket_settings: {board: Professional Services, type: Procurement,"
        " subtype: Consulting}\n"
    )

    assert messages(problems) == [
        "subtype 'Consulting' is not one type 'Procurement' allows on board 'Professional Services'"
    ]


def test_a_subtype_allowed_only_through_the_associations_is_accepted() -> None:
    _, problems = resolve(
        HEAD + "ticket_settings: {board: Professional Services, type: Project, subtype: Consulting,"
        " item: Install}\n"
    )

    assert problems == []


def test_an_item_not_associated_with_type_and_subtype_is_refused() -> None:
    _, problems = resolve(
        HEAD + "ticket_settings: {board: Professional Services, type: Procurement,"
        " subtype: Hardware, item: Install}\n"
    )

    assert messages(problems) == [
        "item 'Install' is not one type 'Procurement' and subtype 'Hardware' allow on board "
        "'Professional Services'"
    ]


def test_a_new_board_with_a_live_status_of_the_old_board_is_refused() -> None:
    live = TICKET_SETTINGS.live({"board": 10, "status": 101, "priority": 3}, catalog(), raw={})

    _, problems = resolve(HEAD + "ticket_settings: {board: Help Desk}\n", [live])

    assert messages(problems) == [
        "the live status 'New' is of another board than 'Help Desk'; ConnectWise would refuse "
        "the ticket"
    ]
    assert problems[0].line == 3


def test_a_live_status_of_a_board_whose_children_were_not_read_is_refused_by_id() -> None:
    """The reads bring the children of the YAML's board only: the old board's status is not in
    the catalog, so it is shown by id, and still refused."""
    full = catalog()
    only_new_board = {
        name: NameTable(table.what, [e for e in table.entries if e.parent in (None, 20)])
        if name in BOARD_CHILD_TABLES
        else table
        for name, table in full.tables.items()
    }
    read = Catalog(tables=only_new_board, facts=dict(full.facts))
    live = TICKET_SETTINGS.live({"board": 10, "status": 101, "priority": 3}, read, raw={})

    _, problems = resolve(HEAD + "ticket_settings: {board: Help Desk}\n", [live], cat=read)

    assert messages(problems) == [
        "the live status #101 is of another board than 'Help Desk'; ConnectWise would refuse "
        "the ticket"
    ]
    _, fine = resolve(HEAD + "ticket_settings: {board: Help Desk, status: New}\n", [live], cat=read)
    assert [p for p in fine if "status" in p.message] == []


def test_a_callback_without_url_posts_to_salesbuildrs_receiver_which_must_be_known() -> None:
    _, problems = resolve(
        HEAD + "callbacks:\n  Salesbuildr companies: {type: company}\n", cat=catalog(receiver=None)
    )

    assert messages(problems) == [
        "Salesbuildr did not report its ConnectWise callback receiver URL"
    ]


def test_two_live_callbacks_with_one_description_are_an_ambiguity_error() -> None:
    live = live_callbacks(
        [callback_row(5, "Salesbuildr companies"), callback_row(9, "Salesbuildr companies")]
    )

    _, problems = resolve(HEAD + "callbacks:\n  Salesbuildr companies: {type: company}\n", live)

    assert len(problems) == 1
    assert "2 live callbacks match" in problems[0].message
    assert "(id 5)" in problems[0].message and "(id 9)" in problems[0].message
    assert problems[0].line == 4


def test_a_callback_matches_its_live_twin_by_folded_description() -> None:
    live = [live_callback(5, "salesbuildr  COMPANIES")]

    result = plan(HEAD + "callbacks:\n  Salesbuildr companies: {type: company}\n", live)

    assert [c.action for c in result.changes] == [Action.NO_OP]


def test_callbacks_of_types_salesbuildr_does_not_use_are_never_read() -> None:
    assert CALLBACK.live(callback_row(3, "PSA tickets", type="Ticket")) is None


def test_a_new_callback_gets_object_id_1_and_only_stated_fields_are_sent() -> None:
    result = plan(HEAD + "callbacks:\n  Salesbuildr contacts: {type: contact}\n")

    (change,) = result.changes
    assert change.action is Action.CREATE
    assert change.after == {
        "type": "contact",
        "level": "owner",
        "url": RECEIVER,
        "active": True,
        "object_id": 1,
    }


def test_a_callback_update_patches_only_what_changed_and_unstated_fields_are_kept() -> None:
    live = [live_callback(5, "Salesbuildr companies", inactiveFlag=True, payloadVersion="1")]

    result = plan(HEAD + "callbacks:\n  Salesbuildr companies: {type: company}\n", live)

    (change,) = result.changes
    assert change.action is Action.UPDATE
    assert [d.path for d in change.diff] == ["active"]
    (write,) = CALLBACK.wire_writes(planned(change))
    assert (write.entity, write.operation, dict(write.values)) == (
        "CallbackEntry",
        "update",
        {"inactiveFlag": False},
    )


def test_manage_full_deletes_unlisted_callbacks_and_leaves_other_sections_alone() -> None:
    live = [live_callback(5, "Salesbuildr companies"), live_callback(6, "Old integration")]

    result = plan(
        HEAD
        + "policy: {manage: {callbacks: full}}\n"
        + "callbacks:\n  Salesbuildr companies: {type: company}\n",
        live,
    )

    assert [(c.action, c.address) for c in result.pending] == [
        (Action.DELETE, 'callbacks["Old integration"]')
    ]


def test_a_mapping_row_removed_under_manage_full_is_removed_from_the_document() -> None:
    cat = catalog()
    live = [
        CATEGORY_MAPPING.live([1], "c1", cat, {}),
        CATEGORY_MAPPING.live(["1/11"], "c1", cat, {}),
        CATEGORY_MAPPING.live([2], "c3", cat, {}),
    ]

    result = plan(
        HEAD + "policy: {manage: {categories: full}}\n"
        "categories: {mappings: {Hardware: Hardware, Hardware/Laptops: Hardware/Laptops}}\n",
        live,
        cat=cat,
    )

    assert [(c.action, c.address, [d.path for d in c.diff]) for c in result.pending] == [
        (Action.UPDATE, 'categories.mappings["Hardware/Laptops"]', ["category"]),
        (Action.DELETE, 'categories.mappings["Software"]', ["category"]),
    ]


def test_statuses_compare_as_a_set_and_the_type_priority_in_order() -> None:
    cat = catalog()
    live = [
        COMPANY_SETTINGS.live(
            {"type_priority": [1, 2, 3], "statuses": [2, 1], "manufacturer_company_type": 3},
            cat,
            raw={},
        )
    ]

    same = plan(HEAD + "companies: {statuses: [Active, Not-Approved]}\n", live, cat=cat)
    reordered = plan(
        HEAD + "companies: {type_priority: [Vendor, Client, Prospect]}\n", live, cat=cat
    )

    assert list(same.pending) == []
    (change,) = reordered.pending
    assert [d.path for d in change.diff] == ["type_priority"]


def test_the_kinds_declare_owner_delete_policy_and_tables() -> None:
    table = {k.name: (k.section, k.owner, k.delete_policy, sorted(k.tables)) for k in KINDS}

    assert table["callback"] == ("callbacks", "connectwise", DeletePolicy.DELETE, [])
    assert table["ticket_settings"][1:3] == ("salesbuildr", DeletePolicy.NEVER)
    assert "connectwise.board_associations" in table["ticket_settings"][3]
    assert table["category_mapping"] == (
        "categories",
        "salesbuildr",
        DeletePolicy.REMOVE,
        ["connectwise.categories", "salesbuildr.categories"],
    )
    assert table["product_type_data_source"][3] == ["connectwise.product_types"]
    assert {k.section for k in KINDS} == {
        "categories",
        "companies",
        "opportunity_statuses",
        "callbacks",
        "inventory",
        "ticket_settings",
    }


def test_nothing_resolves_against_an_empty_tenant_without_saying_why() -> None:
    _, problems = resolve(HEAD + "inventory: {warehouses: [Main Warehouse]}\n", cat=Catalog())

    assert messages(problems) == ["unknown connectwise.warehouses 'Main Warehouse'"]


def test_live_callbacks_sharing_a_description_keep_apart_and_other_types_stay_out() -> None:
    found = live_callbacks(
        [
            callback_row(5, "Twice"),
            callback_row(9, "Twice"),
            callback_row(3, "Tickets", type="Ticket"),
            callback_row(4, "Once"),
        ]
    )

    assert [(r.address, r.key) for r in found] == [
        ('callbacks["Twice (#5)"]', "Twice"),
        ('callbacks["Twice (#9)"]', "Twice"),
        ('callbacks["Once"]', "Once"),
    ]


def test_a_present_section_manages_only_the_settings_it_states() -> None:
    cat = catalog()
    live = [
        INVENTORY_SETTINGS.live({"warehouses": [1, 2]}, cat, raw={}),
        COMPANY_SETTINGS.live({"type_priority": [1], "statuses": [1]}, cat, raw={}),
    ]

    unstated = plan(HEAD + "inventory: {}\ncompanies: {}\n", live, cat=cat)
    emptied = plan(HEAD + "inventory: {warehouses: []}\n", live, cat=cat)

    assert list(unstated.pending) == []
    (change,) = emptied.pending
    assert (change.address, change.after) == ("inventory", {"warehouses": []})
