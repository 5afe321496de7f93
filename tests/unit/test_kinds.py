"""Kinds on hand-built reference data: name resolution, canonical forms, live rules, locations.

No HTTP: the catalog is written out in ``kind_fixtures``; desired resources come from YAML through
the real config layer, so every problem must point at its FILE:LINE:COL.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kind_fixtures import (
    CATALOG,
    COMPANY_NAME,
    CONTRACT_TIER_UDF,
    HARDWARE_SALES,
    JANE,
    LABOR,
    RECEIVER,
    SALESBUILDR_API,
    SHIPPING_B,
    billing_default,
    billing_row,
    desired,
    load,
    location,
    purchase_order,
    to_salesbuildr_row,
    webhook,
)

from reconciler.errors import Diagnostic
from reconciler.kinds.base import Problem, address
from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.matching import match_key
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.mappings import BILLING_CODE_MAPPING, COMPANY_UDF_MAPPING
from reconciler.psa.autotask.kinds.registry import BY_NAME, KINDS, kinds_of
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.kinds.settings import PURCHASE_ORDER
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.state import DeletePolicy, Resource, State


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def only_error(diagnostics: list[Diagnostic]) -> Diagnostic:
    found = errors(diagnostics)
    assert len(found) == 1, [d.render() for d in diagnostics]
    return found[0]


# --- the registry ------------------------------------------------------------------------------


def test_every_kind_is_registered_once_with_a_delete_policy() -> None:
    names = [k.name for k in KINDS]
    assert len(names) == len(set(names))
    assert set(BY_NAME) == set(names)
    policies = {k.name: k.delete_policy for k in KINDS}
    assert policies["webhook"] is DeletePolicy.DELETE
    assert policies["inventory_location"] is DeletePolicy.DEACTIVATE
    for singleton in (
        "billing_code_default",
        "product_import_settings",
        "purchase_order_settings",
        "webhook_receiver",
    ):
        assert policies[singleton] is DeletePolicy.NEVER
    for mapping in ("billing_code_mapping", "company_udf_mapping", "role_mapping"):
        assert policies[mapping] is DeletePolicy.REMOVE


def test_kinds_of_a_section() -> None:
    assert {k.name for k in kinds_of("billing_codes")} == {
        "billing_code_default",
        "billing_code_mapping",
    }
    assert {k.name for k in kinds_of("product_import")} == {
        "product_import_settings",
        "role_mapping",
        "product_category_mapping",
        "service_mapping",
    }


def test_address_escapes_quotes_and_backslashes() -> None:
    assert address("webhooks", "sb-companies") == 'webhooks["sb-companies"]'
    assert address("a.b", 'x"y', "c\\d") == 'a.b["x\\"y"]["c\\\\d"]'


# --- NameTable ---------------------------------------------------------------------------------


def billing_codes() -> NameTable:
    return CATALOG.table(t.AT_BILLING_CODES)


@pytest.mark.parametrize("text", ["Hardware Sales", "hardware sales", "  HARDWARE   Sales "])
def test_names_match_case_and_whitespace_insensitively(text: str) -> None:
    resolved = billing_codes().resolve(text)
    assert resolved.entry is not None
    assert resolved.entry.id == HARDWARE_SALES


def test_unknown_name_says_did_you_mean() -> None:
    resolved = billing_codes().resolve("Hardwre Sales")
    assert resolved.entry is None
    assert resolved.message == "unknown billing code 'Hardwre Sales'"
    assert resolved.hint is not None
    assert "did you mean 'Hardware Sales'" in resolved.hint


def test_unknown_name_in_a_small_table_lists_the_valid_names() -> None:
    table = CATALOG.table(t.SB_COMPANY_TYPES)
    resolved = table.resolve("Reseller")
    assert resolved.entry is None
    assert resolved.hint == "valid names: 'Customer', 'Lead', 'Supplier'"


def test_inactive_name_is_named_as_inactive() -> None:
    resolved = billing_codes().resolve("legacy hardware")
    assert resolved.entry is None
    assert resolved.message == "billing code 'Legacy Hardware' is inactive"
    assert resolved.hint


def test_inactive_is_allowed_when_asked() -> None:
    resolved = billing_codes().resolve("Legacy Hardware", allow_inactive=True)
    assert resolved.entry is not None


def test_ambiguous_name_needs_an_id() -> None:
    resolved = billing_codes().resolve("Shipping")
    assert resolved.entry is None
    assert resolved.message is not None
    assert "2 billing codes are named 'Shipping'" in resolved.message
    assert resolved.hint == "write 'Shipping (#29683005)' to say which one"
    by_id = billing_codes().resolve({"id": SHIPPING_B})
    assert by_id.entry is not None
    assert by_id.entry.id == SHIPPING_B


def test_ambiguous_name_with_one_active_resolves_to_it() -> None:
    table = NameTable("role", [Entry(1, "Tech", active=False), Entry(2, "Tech")])
    resolved = table.resolve("tech")
    assert resolved.entry is not None
    assert resolved.entry.id == 2


def test_unknown_id() -> None:
    resolved = billing_codes().resolve({"id": 1})
    assert resolved.entry is None
    assert resolved.message == "no billing code has id 1"


def test_display_of_ids() -> None:
    table = billing_codes()
    assert table.display(HARDWARE_SALES) == "Hardware Sales"
    assert table.display(str(HARDWARE_SALES)) == "Hardware Sales"
    assert table.display(SHIPPING_B) == f"Shipping (#{SHIPPING_B})"
    assert table.display(42) == "#42"


def test_path_tables_resolve_escaped_slashes() -> None:
    categories = CATALOG.table(t.SB_CATEGORIES)
    resolved = categories.resolve("software / security\\/av")
    assert resolved.entry is not None
    assert resolved.entry.id == "c-sw-av"
    assert categories.display("c-sw-av") == "Software/Security\\/AV"
    bad = categories.resolve("Software//AV")
    assert bad.entry is None
    assert bad.message is not None
    assert "empty level" in bad.message


def test_missing_table_is_empty() -> None:
    assert Catalog().table("nothing").resolve("x").entry is None


# --- mapping kinds -----------------------------------------------------------------------------


def test_mapping_resolves_to_canonical_names_and_ids() -> None:
    state, diagnostics = desired(
        """
        version: 1
        billing_codes:
          default: Hardware Sales
          categories:
            "hardware / LAPTOPS ": hardware sales
            Software: {id: 29682801}
        """
    )
    assert not diagnostics
    laptops = state.get('billing_codes.categories["Hardware/Laptops"]')
    assert laptops is not None
    assert laptops.key == "Hardware/Laptops"
    assert laptops.attributes == {"billing_code": "Hardware Sales"}
    assert laptops.ids == {"keys": ["c-hw-laptops"], "billing_code": HARDWARE_SALES}
    software = state.get('billing_codes.categories["Software"]')
    assert software is not None
    assert software.attributes == {"billing_code": "Labor"}
    default = state.get("billing_codes.default")
    assert default is not None
    assert default.ids == {"billing_code": HARDWARE_SALES}


def test_mapping_with_ambiguous_value_and_id_shows_the_id() -> None:
    state, diagnostics = desired(
        """
        version: 1
        billing_codes:
          default: Hardware Sales
          categories:
            Software: {id: 29683006}
        """
    )
    assert not errors(diagnostics)
    software = state.get('billing_codes.categories["Software"]')
    assert software is not None
    assert software.attributes == {"billing_code": f"Shipping (#{SHIPPING_B})"}
    live = billing_row("c-sw", SHIPPING_B)
    assert live.attributes == software.attributes


def test_live_mapping_row_reads_through_the_same_tables() -> None:
    row = billing_row("c-hw-laptops", HARDWARE_SALES)
    assert row.address == 'billing_codes.categories["Hardware/Laptops"]'
    assert row.key == "Hardware/Laptops"
    assert row.owner == "salesbuildr"
    assert row.section == "billing_codes"
    unknown = BILLING_CODE_MAPPING.live(["c-gone"], 1, CATALOG, raw={})
    assert unknown.address == 'billing_codes.categories["#c-gone"]'
    assert unknown.attributes == {"billing_code": "#1"}


def test_company_types_are_matched_by_salesbuildr_name_in_any_case() -> None:
    state, diagnostics = desired(
        """
        version: 1
        company_types:
          to_salesbuildr: {customer: CUSTOMER, Prospect: lead}
          to_autotask: {CUSTOMER: customer, lead: Prospect}
        """
    )
    assert not errors(diagnostics)
    assert state.get('company_types.to_salesbuildr["Customer"]') is not None
    prospect = state.get('company_types.to_salesbuildr["Prospect"]')
    assert prospect is not None
    assert prospect.attributes == {"company_type": "Lead"}
    assert prospect.ids == {"keys": ["3"], "company_type": "lead"}
    assert prospect.attributes == to_salesbuildr_row("3", "lead").attributes
    assert state.get('company_types.to_autotask["Lead"]') is not None


def test_company_types_to_autotask_warns_about_unmapped_types() -> None:
    _, diagnostics = desired(
        """
        version: 1
        company_types:
          to_autotask: {Customer: Customer}
        """
    )
    assert not errors(diagnostics)
    (warning,) = diagnostics
    assert warning.severity == "warning"
    assert "'Lead', 'Supplier'" in warning.message
    assert warning.location == "mappings.yaml:2:1"


def test_company_udf_keys_two_levels() -> None:
    state, diagnostics = desired(
        """
        version: 1
        company_udfs:
          customer:
            contract tier: Contract Tier
            Onboarding Date: onboarding / start date
        """
    )
    assert not diagnostics
    tier = state.get('company_udfs["Customer"]["Contract Tier"]')
    assert tier is not None
    assert tier.key == "Customer/Contract Tier"
    assert tier.ids == {"keys": ["customer", "Contract Tier"], "data_point": "dp-c-tier"}
    start = state.get('company_udfs["Customer"]["Onboarding Date"]')
    assert start is not None
    assert start.attributes == {"data_point": "Onboarding/Start date"}
    live = COMPANY_UDF_MAPPING.live(["customer", "Onboarding Date"], "dp-c-start", CATALOG, raw={})
    assert (live.address, live.attributes) == (start.address, start.attributes)


def test_multi_select_udf_key_is_refused_at_the_key() -> None:
    _, diagnostics = desired(
        """
        version: 1
        company_udfs:
          Customer:
            Industry Tags: Contract tier
        """
    )
    error = only_error(diagnostics)
    assert "company UDF 'Industry Tags' is multi-select" in error.message
    assert "does not support multi-select" in error.message
    assert error.location == "mappings.yaml:4:5"


def test_multi_select_data_point_is_refused_at_the_value() -> None:
    _, diagnostics = desired(
        """
        version: 1
        company_udfs:
          Customer:
            Contract Tier: Tags
        """
    )
    error = only_error(diagnostics)
    assert "data point 'Tags' is multi-select" in error.message
    assert error.location == "mappings.yaml:4:20"


def test_multi_select_opportunity_udf_is_refused() -> None:
    _, diagnostics = desired(
        """
        version: 1
        opportunity:
          udfs:
            Sales/Expected margin: Competitors
        """
    )
    error = only_error(diagnostics)
    assert "opportunity UDF 'Competitors' is multi-select" in error.message
    assert error.location == "mappings.yaml:4:28"


def test_two_references_to_the_same_object_are_reported() -> None:
    """A name and an explicit id of the same role: the second is a duplicate, located."""
    from reconciler.kinds.resolve import resolve_desired  # noqa: PLC0415
    from reconciler.psa.autotask.kinds.mappings import ROLE_MAPPING  # noqa: PLC0415

    def role(ref: Any, line: int) -> Resource:
        return Resource(
            address=ROLE_MAPPING.address_of([str(ref)]),
            kind=ROLE_MAPPING.name,
            section=ROLE_MAPPING.section,
            key=str(ref),
            attributes={"category": "Labor/Engineering"},
            owner="salesbuildr",
            ids={"key_refs": [ref]},
            location=f"mappings.yaml:{line}:5",
        )

    state, diagnostics = resolve_desired(
        [role("Engineer", 4), role({"id": 29683301}, 5)],
        CATALOG,
        State.of([]),
        kinds=AUTOTASK_KINDS,
    )
    assert len(state) == 1
    error = only_error(diagnostics)
    assert "names the same role mapping as" in error.message
    assert "('Engineer')" in error.message
    assert error.location == "mappings.yaml:5:5"


# --- the billing-code rule ---------------------------------------------------------------------


def test_category_with_products_and_no_billing_code_is_an_error() -> None:
    _, diagnostics = desired(
        """
        version: 1
        billing_codes:
          categories:
            Hardware: Hardware Sales
        """
    )
    messages = sorted(d.message for d in errors(diagnostics))
    assert messages == [
        "category 'Hardware/Laptops' contains 40 product(s) but has no billing code",
        "category 'Software' contains 6 product(s) but has no billing code",
    ]
    for diagnostic in errors(diagnostics):
        assert diagnostic.location == "mappings.yaml:2:1"
        assert diagnostic.hint == (
            "map it under billing_codes.categories, or set billing_codes.default"
        )


def test_billing_code_rule_is_met_by_mappings_or_default() -> None:
    _, mapped = desired(
        """
        version: 1
        billing_codes:
          categories:
            Hardware: Hardware Sales
            Hardware/Laptops: Hardware Sales
            Software: Software Licensing
        """
    )
    assert not mapped
    _, by_default = desired(
        """
        version: 1
        billing_codes:
          default: Labor
        """
    )
    assert not by_default
    _, live_default = desired(
        """
        version: 1
        billing_codes:
          categories: {Hardware: Hardware Sales}
        """,
        [billing_default(LABOR)],
    )
    assert not errors(live_default)


def test_billing_code_rule_under_full_does_not_count_rows_apply_removes() -> None:
    """Under ``manage: full`` the live rows the YAML does not list are removed, so they cannot
    give a category its billing code."""
    from reconciler.config.desired import policy_settings  # noqa: PLC0415
    from reconciler.kinds.resolve import resolve_desired  # noqa: PLC0415
    from reconciler.psa.autotask.desired import desired_resources  # noqa: PLC0415

    text = """
        version: 1
        policy: {{manage: {{billing_codes: {mode}}}}}
        billing_codes:
          categories: {{Hardware: Hardware Sales}}
        """
    live = State.of(
        [billing_row("c-hw-laptops", HARDWARE_SALES), billing_row("c-sw", HARDWARE_SALES)]
    )
    for mode, expected in (("additive", 0), ("full", 2)):
        loaded = load(text.format(mode=mode))
        _, diagnostics = resolve_desired(
            desired_resources(loaded),
            CATALOG,
            live,
            policy=policy_settings(loaded.config),
            kinds=AUTOTASK_KINDS,
        )
        assert len(errors(diagnostics)) == expected, mode


# --- singletons --------------------------------------------------------------------------------


def test_singleton_keeps_only_what_the_yaml_states() -> None:
    state, diagnostics = desired(
        """
        version: 1
        product_import:
          mpn_enrichment: icecat
          manufacturer_company_type: supplier
        """
    )
    assert not diagnostics
    settings = state.get("product_import")
    assert settings is not None
    assert settings.attributes == {
        "mpn_enrichment": "icecat",
        "manufacturer_company_type": "Supplier",
    }
    assert settings.ids == {"manufacturer_company_type": "supplier"}


def test_sub_issue_type_is_resolved_within_its_issue_type() -> None:
    state, diagnostics = desired(
        """
        version: 1
        purchase_order:
          issue_type: hardware
          sub_issue_type: order HARDWARE
        """
    )
    assert not diagnostics
    po = state.get("purchase_order")
    assert po is not None
    assert po.ids == {"issue_type": "41", "sub_issue_type": "411"}
    assert po.attributes == {"issue_type": "Hardware", "sub_issue_type": "Order hardware"}
    live = purchase_order(issue_type="41", sub_issue_type="411")
    assert live.attributes["sub_issue_type"] == "Order hardware"


def test_sub_issue_type_of_another_issue_type_is_unknown_there() -> None:
    _, diagnostics = desired(
        """
        version: 1
        purchase_order:
          issue_type: Procurement
          sub_issue_type: Repair
        """
    )
    error = only_error(diagnostics)
    assert error.message == "unknown sub-issue type of 'Procurement' 'Repair'"
    assert error.hint == "valid names: 'Order hardware', 'Order software'"
    assert error.location == "mappings.yaml:4:19"


def test_repeated_sub_issue_label_without_issue_type_asks_for_it() -> None:
    _, diagnostics = desired(
        """
        version: 1
        purchase_order:
          sub_issue_type: Order hardware
        """
    )
    error = only_error(diagnostics)
    assert "2 sub-issue types are named 'Order hardware'" in error.message
    assert error.hint == "set issue_type: the sub-issue type is looked up within it"


def test_unique_sub_issue_label_resolves_without_issue_type() -> None:
    state, diagnostics = desired(
        """
        version: 1
        purchase_order:
          sub_issue_type: Repair
        """
    )
    assert not diagnostics
    po = state.get("purchase_order")
    assert po is not None
    assert po.ids == {"sub_issue_type": "412"}


def test_singleton_problems_are_all_reported_at_their_values() -> None:
    _, diagnostics = desired(
        """
        version: 1
        purchase_order:
          create_ticket: true
          billing_code: Legacy Hardware
          queue: Post Sail
          priority: {id: 9}
        """
    )
    found = {d.location: d.message for d in errors(diagnostics)}
    assert found == {
        "mappings.yaml:4:17": "billing code 'Legacy Hardware' is inactive",
        "mappings.yaml:5:10": "unknown ticket queue 'Post Sail'",
        "mappings.yaml:6:13": "no ticket priority has id 9",
    }


def test_live_singleton_fills_every_field() -> None:
    live = purchase_order(billing_code=HARDWARE_SALES, queue="6")
    assert set(live.attributes) == {spec.name for spec in PURCHASE_ORDER.fields}
    assert live.attributes["billing_code"] == "Hardware Sales"
    assert live.attributes["queue"] == "Post Sale"
    assert live.attributes["issue_type"] is None
    assert live.ids == {"billing_code": HARDWARE_SALES, "queue": "6"}


def test_webhook_receiver_is_write_only() -> None:
    state, diagnostics = desired(
        """
        version: 1
        webhook_receiver:
          secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
        """
    )
    assert not diagnostics
    receiver = state.get("webhook_receiver")
    assert receiver is not None
    assert receiver.attributes == {"secret_set": True}
    assert receiver.secret_refs == {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}
    assert "receiver-secret" not in repr(receiver)


# --- inventory ---------------------------------------------------------------------------------


def test_inventory_location_names_keep_their_spelling_and_match_folded() -> None:
    # Spelled as written (trimmed): two live locations may differ only in spacing, and the
    # YAML must be able to name each (issue 15 item 8); matching folds the spacing.
    state, diagnostics = desired(
        """
        version: 1
        inventory:
          locations:
            "Main   Warehouse ": {active: true, default: true, track_stock: true}
        """
    )
    assert not diagnostics
    (main,) = state
    assert main.address == 'inventory.locations["Main   Warehouse"]'
    assert main.key == "Main   Warehouse"
    assert main.attributes == {"active": True, "default": True, "track_stock": True}
    live = location("Main Warehouse", 5, default=True, track_stock=True)
    assert match_key(live) == match_key(main)
    assert live.attributes == main.attributes
    assert live.ids == {"id": 5}


def test_deactivated_location() -> None:
    live = location("Van", 7, default=True, track_stock=True)
    gone = INVENTORY_LOCATION.deactivated(live)
    assert gone.attributes == {"active": False, "default": False, "track_stock": False}


# --- webhooks ----------------------------------------------------------------------------------

HOOK = """
version: 1
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    events: [update, delete, create]
    fields: [phone, CompanyName, companytype]
    always_send: [CompanyNumber]
    udf_fields: [contract tier]
    excluded_resources: [salesbuildr api, {id: 29682886}]
    notification_email: ops@acme-it.example
    threshold_notification: true
"""


def test_webhook_resolves_labels_and_sorts_set_like_lists() -> None:
    state, diagnostics = desired(HOOK)
    assert not diagnostics
    hook = state.get('webhooks["sb-companies"]')
    assert hook is not None
    assert hook.key == "company/sb-companies"
    assert hook.attributes["events"] == ["create", "delete", "update"]
    assert hook.attributes["fields"] == ["CompanyName", "CompanyType", "Phone"]
    assert hook.attributes["udf_fields"] == ["Contract Tier"]
    assert hook.attributes["excluded_resources"] == ["Jane Admin", "Salesbuildr API"]
    assert hook.attributes["url"] == RECEIVER
    assert "deactivation_url" not in hook.attributes  # unstated: kept as live
    assert WEBHOOK.with_defaults(hook.attributes)["deactivation_url"] == RECEIVER
    assert hook.ids["fields"] == {"CompanyName": "7", "CompanyType": "24", "Phone": "14"}
    assert hook.ids["excluded_resources"] == {
        "Salesbuildr API": SALESBUILDR_API,
        "Jane Admin": JANE,
    }
    assert hook.secret_refs == {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}


def test_live_webhook_matches_the_resolved_yaml() -> None:
    state, _ = desired(HOOK)
    hook = state.get('webhooks["sb-companies"]')
    assert hook is not None
    live = webhook("sb-companies", 31, excluded=(JANE, SALESBUILDR_API))
    for name, value in hook.attributes.items():
        assert WEBHOOK.normalise(live.attributes)[name] == value, name
    children = live.ids["children"]
    assert children["fields"][str(COMPANY_NAME)]["subscribed"] is True
    assert children["udf_fields"][str(CONTRACT_TIER_UDF)]["subscribed"] is True
    assert set(children["excluded_resources"]) == {str(JANE), str(SALESBUILDR_API)}


def test_live_webhook_fingerprint_ignores_listing_order_of_children() -> None:
    first = webhook("sb-companies", 31, fields=(7, 24, 14), excluded=(JANE, SALESBUILDR_API))
    assert isinstance(first.raw, dict)
    raw: dict[str, Any] = first.raw
    reordered = WEBHOOK.live(
        entity="company",
        row=raw["webhook"],
        fields=list(reversed(raw["fields"])),
        udf_fields=list(reversed(raw["udf_fields"])),
        excluded=list(reversed(raw["excluded_resources"])),
        catalog=CATALOG,
        address_key="sb-companies",
    )
    assert reordered.attributes == first.attributes
    assert reordered.fingerprint() == first.fingerprint()


def test_webhook_with_an_explicit_url_keeps_it() -> None:
    state, diagnostics = desired(
        """
        version: 1
        webhooks:
          monitoring:
            entity: ticket
            name: Monitoring Tickets
            url: https://monitor.acme.example/autotask
            secret: ${env:MONITOR_SECRET}
            fields: [Status]
        """
    )
    assert not diagnostics
    hook = state.get('webhooks["monitoring"]')
    assert hook is not None
    assert hook.key == "ticket/Monitoring Tickets"
    assert hook.attributes["url"] == "https://monitor.acme.example/autotask"
    created = WEBHOOK.with_defaults(hook.attributes)
    assert created["deactivation_url"] == "https://monitor.acme.example/autotask"
    assert hook.secret_refs == {"secret": "${env:MONITOR_SECRET}"}


def test_webhook_problems_name_the_field_and_are_located() -> None:
    _, diagnostics = desired(
        """
        version: 1
        webhook_receiver:
          secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
        webhooks:
          sb-companies:
            entity: company
            fields: [CompanyNme, Phone]
            udf_fields: [Industry]
            excluded_resources: [Old Integration]
        """
    )
    found = {d.location: (d.message, d.hint) for d in errors(diagnostics)}
    message, hint = found["mappings.yaml:7:13"]
    assert message == "unknown company webhook field 'CompanyNme'"
    assert hint is not None
    assert hint.startswith("did you mean 'CompanyName'")
    assert found["mappings.yaml:8:17"][0] == "unknown company webhook UDF field 'Industry'"
    assert found["mappings.yaml:9:25"][0] == "unknown resource 'Old Integration'"


def test_webhook_without_url_needs_the_receiver_url() -> None:
    bare = Catalog(tables=dict(CATALOG.tables), facts={})
    _, diagnostics = desired(HOOK, cat=bare)
    error = only_error(diagnostics)
    assert error.message == "Salesbuildr did not report its webhook receiver URL"
    assert error.location == "mappings.yaml:5:3"
    assert RECEIVER_URL not in bare.facts


def test_webhook_live_address_of_a_name_shared_by_two_entities() -> None:
    hook = webhook("shared", 40, entity="ticket", address_key="shared@ticket")
    assert hook.address == 'webhooks["shared@ticket"]'
    assert hook.key == "ticket/shared"


# --- resolve_desired ---------------------------------------------------------------------------


def test_resolve_collects_every_problem_of_every_section() -> None:
    _, diagnostics = desired(
        """
        version: 1
        billing_codes:
          default: Hardwre Sales
          categories:
            Hardware: Shipping
        company_types:
          to_salesbuildr: {Customer: Client}
        product_import:
          roles: {Enginer: Labor/Engineering}
        """
    )
    found = {d.location: d for d in errors(diagnostics)}
    assert found["mappings.yaml:3:12"].message == "unknown billing code 'Hardwre Sales'"
    assert found["mappings.yaml:3:12"].hint == "did you mean 'Hardware Sales'?"
    assert "2 billing codes are named 'Shipping'" in found["mappings.yaml:5:15"].message
    assert found["mappings.yaml:7:30"].message == "unknown Salesbuildr company type 'Client'"
    assert found["mappings.yaml:9:11"].message == "unknown role 'Enginer'"
    assert found["mappings.yaml:9:11"].hint == "did you mean 'Engineer'?"


def test_kind_check_problems_without_a_resource_are_located_at_the_section() -> None:
    problem = Problem("billing_codes", "x")
    resource = Resource(
        address="billing_codes",
        kind="billing_code_mapping",
        section="billing_codes",
        key="billing_codes",
        attributes={},
        owner="salesbuildr",
        location="f.yaml:3:1",
    )
    from reconciler.kinds.resolve import diagnostic_for, parse_location  # noqa: PLC0415

    assert diagnostic_for(problem, resource).location == "f.yaml:3:1"
    assert diagnostic_for(problem, None).location == ""
    assert parse_location("c:/dir/f.yaml:12:5") == ("c:/dir/f.yaml", 12, 5)
    assert parse_location("f.yaml") == ("f.yaml", 0, 0)
    assert parse_location(None) == ("", 0, 0)


def test_resolving_an_empty_document() -> None:
    state, diagnostics = desired("version: 1\n")
    assert state == State.of([])
    assert diagnostics == []


@given(st.lists(st.text(), min_size=1, max_size=3))
def test_an_address_is_one_visible_line_and_gives_its_keys_back(keys: list[str]) -> None:
    """A live name with a line break or ESC never starts a line of its own where an address is
    quoted (errors during apply list addresses), and export reads the keys back exactly."""
    from reconciler.kinds.base import address, address_keys  # noqa: PLC0415

    text = address("webhooks", *keys)
    hidden = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    assert not [ch for ch in text if unicodedata.category(ch) in hidden]
    assert address_keys(text) == keys
