"""Edges of kinds/ that mutation testing found unpinned: what a problem carries, what live rows
keep, ambiguity messages, re-read lookups, the "valid names" hint bounds, locations."""

from __future__ import annotations

from typing import Any

import pytest
from kind_fixtures import CATALOG, desired, location, to_autotask_row

from reconciler.errors import AmbiguousMatch
from reconciler.kinds.base import sort_set_like
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.matching import index_live, live_id, lookup, pick
from reconciler.kinds.resolve import parse_location
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_UDF_MAPPING,
)
from reconciler.psa.autotask.kinds.settings import PURCHASE_ORDER
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.state import Resource


def mapping(kind: Any, keys: list[Any], value: Any) -> Resource:
    return Resource(
        address=kind.address_of([str(k) for k in keys]),
        kind=kind.name,
        section=kind.section,
        key=str(keys[-1]),
        attributes={kind.value_attr: value},
        owner="salesbuildr",
        ids={"key_refs": keys},
    )


# --- problems name their resource and attribute -----------------------------------------------


def test_an_unknown_key_is_a_problem_of_the_resource_at_the_key() -> None:
    resource = mapping(BILLING_CODE_MAPPING, ["Nowhere"], "Labor")
    outcome, (problem,) = BILLING_CODE_MAPPING.resolve(resource, CATALOG)
    assert outcome is None
    assert (problem.address, problem.attribute) == (resource.address, "")
    assert problem.message == "unknown Salesbuildr category 'Nowhere'"


def test_a_refused_key_and_a_refused_value_name_the_resource() -> None:
    key = mapping(COMPANY_UDF_MAPPING, ["Customer", "Industry Tags"], "Contract tier")
    _, (key_problem,) = COMPANY_UDF_MAPPING.resolve(key, CATALOG)
    assert (key_problem.address, key_problem.attribute) == (key.address, "")
    assert key_problem.message == (
        "company UDF 'Industry Tags' is multi-select; the Autotask API does not support "
        "multi-select UDFs, so it cannot be mapped"
    )
    value = mapping(COMPANY_UDF_MAPPING, ["Customer", "Contract Tier"], "Tags")
    _, (value_problem,) = COMPANY_UDF_MAPPING.resolve(value, CATALOG)
    assert (value_problem.address, value_problem.attribute) == (value.address, "data_point")


def test_a_missing_receiver_url_is_a_problem_of_the_webhook() -> None:
    hook = Resource(
        address='webhooks["sb"]',
        kind="webhook",
        section="webhooks",
        key="company/sb",
        attributes={"entity": "company", "name": "sb", "url": None, "fields": ["Phone"]},
        owner="autotask",
    )
    _, (problem,) = WEBHOOK.resolve(hook, Catalog(tables=dict(CATALOG.tables)))
    assert problem.address == 'webhooks["sb"]'
    assert problem.hint == "give this webhook a url, or check the webhook-receiver settings"


# --- live rows keep what they were read from --------------------------------------------------


def test_live_constructors_keep_the_raw_row() -> None:
    raw = {"categoryId": "c-hw", "billingCodeId": 1}
    assert BILLING_CODE_MAPPING.live(["c-hw"], 1, CATALOG, raw=raw).raw is raw
    doc = {"create_ticket": False}
    assert PURCHASE_ORDER.live(doc, CATALOG, raw=doc).raw is doc
    row = {"id": 4, "locationName": "Van", "isActive": True}
    assert INVENTORY_LOCATION.live(row, False, raw=row).raw is row


def test_a_live_location_or_webhook_without_a_name_has_an_empty_name() -> None:
    unnamed = INVENTORY_LOCATION.live({"id": 4}, False, raw={})
    assert unnamed.key == "" and unnamed.address == 'inventory.locations[""]'
    hook = WEBHOOK.live(
        entity="company",
        row={"id": 9},
        fields=[],
        udf_fields=[],
        excluded=[],
        catalog=CATALOG,
        address_key="k",
    )
    assert hook.attributes["name"] == "" and hook.key == "company/"
    assert hook.ids["id"] == 9


def test_set_like_lists_sort_case_insensitively_and_by_text() -> None:
    sorted_ = sort_set_like(
        {"a": ["b", "B2", "a", "A1"], "n": [10, 9], "s": "kept"}, ["a", "n", "s"]
    )
    assert sorted_ == {"a": ["a", "A1", "b", "B2"], "n": [10, 9], "s": "kept"}


# --- ambiguity and re-reads ---------------------------------------------------------------------


TWINS = [location("Van", 1), location("VAN", 2), location("Depot", 3)]


def test_an_ambiguity_names_every_candidate_and_says_how_to_choose() -> None:
    wanted = location("van", 0)
    with pytest.raises(AmbiguousMatch) as raised:
        pick(wanted, index_live(TWINS)[("inventory_location", "van")])
    assert raised.value.message == (
        '2 live inventory locations match inventory.locations["van"] after folding case, width '
        "and spacing, and not exactly one is spelled 'van': 'VAN' (id 2), 'Van' (id 1)"
    )
    assert raised.value.hint == (
        "write the name exactly as the one you mean is spelled ('VAN' or 'Van'), or rename one "
        "of them in the admin UI"
    )


def test_an_ambiguity_of_identical_spellings_says_to_rename() -> None:
    same = [location("Van", 1), location("Van", 2)]
    with pytest.raises(AmbiguousMatch) as raised:
        pick(location("Van", 0), same)
    assert raised.value.hint == (
        "these are spelled exactly alike, so no name can say which: rename one of them in the "
        "admin UI, then plan again"
    )


def test_an_ambiguous_desired_location_is_reported_at_its_line_and_the_rest_resolves() -> None:
    state, diagnostics = desired(
        """
        version: 1
        inventory:
          locations:
            van: {}
            Depot: {}
            vAn: {}
        """,
        TWINS,
    )
    assert [(d.location, d.message.split(" after ")[0]) for d in diagnostics] == [
        ("mappings.yaml:4:5", '2 live inventory locations match inventory.locations["van"]'),
        ("mappings.yaml:6:5", '2 live inventory locations match inventory.locations["vAn"]'),
    ]
    assert diagnostics[0].hint is not None and "'VAN' or 'Van'" in diagnostics[0].hint
    assert [r.key for r in state] == ["Depot"]


def test_fold_twins_in_the_yaml_are_two_objects_only_when_each_is_spelled_like_a_live_one() -> None:
    both, diagnostics = desired(
        """
        version: 1
        inventory:
          locations: {Van: {}, VAN: {}}
        """,
        TWINS,
    )
    assert not diagnostics and sorted(r.key for r in both) == ["VAN", "Van"]
    _, duplicate = desired(
        """
        version: 1
        inventory:
          locations: {Van: {}, VAN: {}}
        """,
        [location("Van", 1)],
    )
    (error,) = duplicate
    assert error.message == (
        "this names the same inventory location as inventory.locations[\"Van\"] ('VAN')"
    )
    assert error.hint == "keep one of the two" and error.location == "mappings.yaml:3:24"


def test_lookup_prefers_the_spelling_then_a_single_fold_and_never_guesses() -> None:
    index = index_live(TWINS)
    found = lookup(index, "inventory_location", "VAN")
    assert found is not None and found.ids["id"] == 2
    assert lookup(index, "inventory_location", "van") is None  # two fold alike
    depot = lookup(index, "inventory_location", "depot")
    assert depot is not None and depot.ids["id"] == 3
    assert lookup(index, "inventory_location", "Nowhere") is None
    assert lookup(index, "webhook", "Van") is None


def test_live_id_falls_back_to_the_address() -> None:
    assert live_id(location("Van", 7)) == "7"
    no_id = Resource(address="a", kind="k", section="s", key="a", attributes={}, owner="x")
    assert live_id(no_id) == "a"


# --- company types without an Autotask type -------------------------------------------------


def test_unmapped_salesbuildr_company_types_are_one_warning_naming_each() -> None:
    _, diagnostics = desired(
        """
        version: 1
        company_types:
          to_autotask:
            customer: Customer
        """,
        [to_autotask_row("lead", "2")],
    )
    (warning,) = diagnostics
    assert warning.severity == "warning"
    assert warning.message == (
        "Salesbuildr company type(s) 'Supplier' have no Autotask company type; Salesbuildr "
        "cannot create such companies in Autotask"
    )
    assert warning.hint == "map them under company_types.to_autotask if they should sync"
    assert warning.location == "mappings.yaml:2:1"
    assert COMPANY_TYPE_TO_AUTOTASK.section == "company_types"


# --- name tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "listed"), [(1, True), (8, True), (9, False)])
def test_an_unknown_name_lists_the_valid_names_of_a_table_of_up_to_eight(
    count: int, listed: bool
) -> None:
    table = NameTable("thing", [Entry(i, f"n{i:02}") for i in range(count)])
    resolved = table.resolve("zzzzzz")
    assert resolved.entry is None
    assert (resolved.hint is not None and resolved.hint.startswith("valid names: ")) is listed


def test_a_listed_name_of_megabytes_is_cut_in_the_hint() -> None:
    table = NameTable("board", [Entry(1, "x" * 2_000_000), Entry(2, "Service")])
    hint = table.resolve("Professional Services").hint or ""
    assert hint.startswith("valid names: 'Service', 'xxx")
    assert len(hint) < 200 and hint.endswith("…'")
    exact = NameTable("board", [Entry(1, "y" * 80)]).resolve("zzz").hint or ""
    assert exact == "valid names: '" + "y" * 80 + "'"  # 80 characters are shown whole


def test_an_unknown_name_in_an_empty_table_has_no_hint() -> None:
    assert NameTable("thing", []).resolve("x").hint is None


def test_a_pinned_name_with_an_unknown_id_is_read_as_a_name() -> None:
    table = NameTable("thing", [Entry(1, "Box (#9)"), Entry(2, "Box")])
    found = table.resolve("Box (#9)").entry
    assert found is not None and found.id == 1


def test_path_twins_resolve_to_the_exact_spelling() -> None:
    table = NameTable(
        "category",
        [
            Entry("a", "Laptops", path=("Hardware", "Laptops")),
            Entry("b", "laptops", path=("hardware", "laptops")),
        ],
        paths=True,
    )
    exact = table.resolve("hardware / laptops").entry
    assert exact is not None and exact.id == "b"
    assert table.display("a") == "Hardware/Laptops (#a)"
    assert table.resolve("HARDWARE/LAPTOPS").entry is None


def test_an_inactive_name_suggests_an_active_look_alike() -> None:
    table = NameTable("code", [Entry(1, "Shipping", active=False), Entry(2, "Shipping 2")])
    resolved = table.resolve("Shipping")
    assert resolved.message == "code 'Shipping' is inactive"
    assert resolved.hint == "did you mean 'Shipping 2'?"


def test_a_table_knows_its_entries_by_folded_name_only_when_not_paths() -> None:
    table = NameTable("t", [Entry(1, "A/B")])
    found = table.resolve("a/b").entry
    assert found is not None and found.id == 1
    assert table.display(1) == "A/B"


def test_catalog_table_for_sub_issue_types_is_shared() -> None:
    assert CATALOG.table(t.AT_TICKET_SUB_ISSUE_TYPES).what == "sub-issue type"


# --- locations of problems ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m.yaml:3:5", ("m.yaml", 3, 5)),
        ("C:/x/m.yaml:3:5", ("C:/x/m.yaml", 3, 5)),
        ("m.yaml:x:5", ("m.yaml:x:5", 0, 0)),
        ("m.yaml:3:x", ("m.yaml:3:x", 0, 0)),
        ("m.yaml", ("m.yaml", 0, 0)),
        ("", ("", 0, 0)),
        (None, ("", 0, 0)),
    ],
)
def test_parse_location(text: str | None, expected: tuple[str, int, int]) -> None:
    assert parse_location(text) == expected
