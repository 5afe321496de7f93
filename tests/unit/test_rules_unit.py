"""config/rules.py, rule by rule, as pure unit tests: YAML text in, diagnostics (line:col, message,
hint) out through ``parse_config``. Every duplicate and every broken rule is reported, not the
first only; names and name paths compare folded ("A/B" is "a / b")."""

from __future__ import annotations

import textwrap

import pytest

from reconciler.config import parse_config
from reconciler.errors import ConfigError, Diagnostic

ENV = {"SALESBUILDR_WEBHOOK_SECRET": "receiver-secret", "MONITOR_SECRET": "monitor-secret"}
RECEIVER = "webhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"


def _raw(text: str) -> bytes:
    """A document: ``version: 1``, the receiver section where the text says ``RECEIVER``."""
    body = textwrap.dedent(text).lstrip("\n").replace("RECEIVER\n", RECEIVER)
    return ("version: 1\n" + body).encode()


def diagnostics(text: str) -> list[Diagnostic]:
    raw = _raw(text)
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, file="m.yaml", environ=ENV)
    return list(raised.value.diagnostics)


def found(text: str) -> list[str]:
    """Every error as ``LINE:COL message``, in file order."""
    return [f"{d.line}:{d.column} {d.message}" for d in diagnostics(text)]


def accepted(text: str) -> list[Diagnostic]:
    """The warnings of a valid document."""
    raw = _raw(text)
    return list(parse_config(raw, file="m.yaml", environ=ENV).warnings)


TWICE = "names are matched case-insensitively"


# --- duplicate names, per table ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "what", "first", "second"),
    [
        ("roles", "role", "Engineer", "ENGINEER"),
        ("product_categories", "product category", "Hardware", " hardware"),
        ("services", "service", "Managed Workstation", "managed  workstation"),
    ],
)
def test_product_import_tables_refuse_names_listed_twice(
    table: str, what: str, first: str, second: str
) -> None:
    problems = found(
        f"""
        product_import:
          {table}:
            "{first}": Labor
            Other: Labor
            "{second}": Labor
        """
    )
    assert problems == [
        f"6:5 {what} '{second}' is listed twice (as '{first}' too); {TWICE}",
    ]


def test_every_duplicate_is_reported_with_the_first_spelling() -> None:
    problems = found(
        """
        product_import:
          roles:
            Engineer: Labor
            engineer: Labor
            ENGINEER: Labor
          services:
            Managed Server: Labor
            managed server: Labor
        """
    )
    assert problems == [
        f"5:5 role 'engineer' is listed twice (as 'Engineer' too); {TWICE}",
        f"6:5 role 'ENGINEER' is listed twice (as 'Engineer' too); {TWICE}",
        f"9:5 service 'managed server' is listed twice (as 'Managed Server' too); {TWICE}",
    ]


def test_a_duplicate_name_says_keep_one_and_points_at_the_key() -> None:
    (problem,) = diagnostics(
        """
        product_import:
          roles:
            Engineer: Labor
            engineer: Labor
        """
    )
    assert problem.hint == "keep one of them"
    assert (problem.line, problem.column) == (5, 5)


def test_company_udfs_refuse_company_types_and_udfs_listed_twice() -> None:
    problems = found(
        """
        company_udfs:
          Customer:
            Contract Tier: Contract tier
            contract tier: Onboarding/Start date
          customer:
            Onboarding Date: Onboarding/Start date
        """
    )
    assert problems == [
        f"5:5 UDF 'contract tier' is listed twice (as 'Contract Tier' too); {TWICE}",
        f"6:3 company type 'customer' is listed twice (as 'Customer' too); {TWICE}",
    ]


def test_company_types_refuse_names_listed_twice_in_each_direction() -> None:
    problems = found(
        """
        company_types:
          to_salesbuildr:
            Customer: Customer
            CUSTOMER: Lead
          to_autotask:
            Lead: Lead
            lead: Customer
        """
    )
    assert problems == [
        f"5:5 company type 'CUSTOMER' is listed twice (as 'Customer' too); {TWICE}",
        f"8:5 company type 'lead' is listed twice (as 'Lead' too); {TWICE}",
    ]


def test_the_same_name_in_two_tables_or_two_company_types_is_fine() -> None:
    assert not accepted(
        """
        product_import:
          roles: {Hardware: Labor}
          product_categories: {Hardware: Labor}
          services: {Hardware: Labor}
        company_udfs:
          Customer: {Contract Tier: Contract tier}
          Lead: {Contract Tier: Contract tier}
        """
    )


def test_locations_differing_only_in_case_are_two_locations_but_spacing_around_is_one() -> None:
    """Location names are live objects' own names: ``Van`` and ``VAN`` may both exist; only
    the same spelling (after trimming) is listed twice."""
    assert not accepted(
        """
        inventory:
          locations:
            Van: {}
            VAN: {}
        """
    )
    problems = found(
        """
        inventory:
          locations:
            Van: {}
            " Van ": {}
        """
    )
    assert problems == [f"5:5 location ' Van ' is listed twice (as 'Van' too); {TWICE}"]


# --- name paths fold ---------------------------------------------------------------------------


def test_category_paths_fold_levels_and_spacing() -> None:
    problems = found(
        """
        billing_codes:
          categories:
            Hardware/Laptops: Hardware Sales
            hardware / laptops: Hardware Sales
            Hardware\\/Laptops: Hardware Sales
        """
    )
    # "Hardware\/Laptops" is one level with a slash in it: another category.
    assert problems == [
        "5:5 category 'hardware / laptops' is listed twice (as 'Hardware/Laptops' too); " + TWICE,
    ]


def test_opportunity_data_point_paths_fold_and_targets_are_one_to_one() -> None:
    problems = found(
        """
        opportunity:
          udfs:
            Sales/Expected margin: Quote Margin
            sales / expected margin: Quote Reference
            Sales/Quote reference: quote margin
        """
    )
    assert problems == [
        "5:5 data point 'sales / expected margin' is listed twice (as 'Sales/Expected margin' "
        f"too); {TWICE}",
        "6:28 opportunity UDF 'quote margin' is targeted twice (also by 'Sales/Expected margin'); "
        "Salesbuildr maps each UDF once",
    ]


def test_company_udf_data_points_are_one_to_one_per_company_type_by_folded_path() -> None:
    problems = found(
        """
        company_udfs:
          Customer:
            Contract Tier: Onboarding/Start date
            Onboarding Date: onboarding / start date
            Industry Tags: Contract tier
          Lead:
            Contract Tier: Onboarding/Start date
        """
    )
    assert problems == [
        "5:22 data point 'onboarding / start date' is mapped twice for this company type (also "
        "from 'Contract Tier'); each data point takes one UDF",
    ]


def test_id_targets_are_one_to_one_too() -> None:
    problems = found(
        """
        opportunity:
          udfs:
            Sales/Expected margin: {id: 5}
            Sales/Quote reference: {id: 5}
            Other: {id: 6}
        """
    )
    assert problems == [
        "5:28 opportunity UDF '{id: 5}' is targeted twice (also by 'Sales/Expected margin'); "
        "Salesbuildr maps each UDF once",
    ]


def test_malformed_paths_are_refused_where_they_are_written() -> None:
    problems = diagnostics(
        """
        billing_codes:
          categories:
            Hardware//Laptops: Hardware Sales
        product_import:
          roles: {Engineer: Labor/}
          services: {Server: "Bad\\\\x"}
        company_udfs:
          Customer: {Contract Tier: /Start}
        opportunity:
          udfs: {"Sales/": Quote Margin}
        """
    )
    assert [(d.line, d.column) for d in problems] == [(4, 5), (6, 21), (7, 22), (9, 29), (11, 10)]
    assert all(
        d.hint == "levels are separated by /; write a literal slash as \\/" for d in problems
    )
    assert "has an empty level" in problems[0].message
    assert "a backslash must be followed by" in problems[2].message


# --- inventory ---------------------------------------------------------------------------------


def test_every_extra_default_location_is_reported_against_the_first() -> None:
    problems = found(
        """
        inventory:
          locations:
            Main: {default: true}
            Van: {default: true}
            Depot: {}
            Annex: {default: true}
        """
    )
    assert problems == [
        "5:20 'Van' is marked default, and so is 'Main'; Autotask has one default inventory "
        "location",
        "7:22 'Annex' is marked default, and so is 'Main'; Autotask has one default inventory "
        "location",
    ]


def test_the_default_location_must_be_active() -> None:
    (problem,) = diagnostics(
        """
        inventory:
          locations:
            Main: {default: true, active: false}
            Old: {active: false}
        """
    )
    assert (problem.line, problem.column) == (4, 35)
    assert problem.message == "'Main' is the default location but inactive"
    assert problem.hint == "the default location must be active"


# --- webhooks ----------------------------------------------------------------------------------


def test_a_webhook_key_longer_than_autotask_allows_needs_a_name() -> None:
    key = "k" * 51
    problems = found(
        f"""
        RECEIVER
        webhooks:
          {key}: {{entity: company, fields: [Phone]}}
          {"j" * 50}: {{entity: company, fields: [Phone]}}
        """
    )
    assert problems == [f"5:3 webhook name '{key}' is 51 characters; Autotask allows 50"]
    assert not accepted(
        f"""
        RECEIVER
        webhooks:
          {key}: {{entity: company, name: Short, fields: [Phone]}}
        """
    )


def test_two_webhooks_of_one_entity_with_one_name_are_refused() -> None:
    problems = diagnostics(
        """
        RECEIVER
        webhooks:
          a: {entity: company, name: Sync, fields: [Phone]}
          b: {entity: ticket, name: Sync, fields: [Status]}
          Sync: {entity: company, fields: [Phone]}
          c: {entity: company, name: Sync, fields: [Phone]}
          d: {entity: company, name: SYNC, fields: [Phone]}
        """
    )
    assert [(d.line, d.message) for d in problems] == [
        (7, "two company webhooks are named 'Sync' (also 'a')"),
        (8, "two company webhooks are named 'Sync' (also 'a')"),
    ]
    assert problems[0].hint is not None and "different `name:`" in problems[0].hint


def test_webhook_shape_rules() -> None:
    problems = found(
        """
        RECEIVER
        webhooks:
          silent: {entity: company}
          notes: {entity: ticket_note, fields: [Title], udf_fields: [X]}
          external: {entity: company, url: "https://hooks.example/x", fields: [Phone]}
          stray: {entity: company, secret: "${env:MONITOR_SECRET}", fields: [Phone]}
          repeats: {entity: company, fields: [Phone, CompanyName, phone, PHONE]}
        """
    )
    assert problems == [
        "5:3 webhook 'silent' has neither fields nor udf_fields, so Autotask never fires it",
        "6:49 ticket_note webhooks have no UDF fields in Autotask",
        "8:28 webhook 'stray' has a secret but no url",
        "9:59 field 'phone' is listed twice",
        "9:66 field 'PHONE' is listed twice",
    ]


def test_udf_fields_alone_fire_a_webhook() -> None:
    assert not accepted(
        """
        RECEIVER
        webhooks:
          tiers: {entity: company, udf_fields: [Contract Tier]}
        """
    )


def test_unstated_secrets_are_not_an_offline_error() -> None:
    """A url without secret, or a receiver webhook without webhook_receiver, keeps the live
    secret (issue 16): only a create needs one, and that is refused at plan time."""
    assert not accepted(
        """
        webhooks:
          sb: {entity: company, fields: [Phone]}
          own: {entity: company, url: https://hooks.example/x, fields: [Phone]}
        """
    )


def test_a_deactivation_url_without_url_is_fine() -> None:
    assert not accepted(
        """
        RECEIVER
        webhooks:
          sb: {entity: company, deactivation_url: "https://hooks.example/gone", fields: [Phone]}
        """
    )


# --- secrets -----------------------------------------------------------------------------------


def test_every_literal_secret_warns_where_it_is_written() -> None:
    warnings = accepted(
        """
        webhook_receiver:
          secret: literal-one
        webhooks:
          own:
            entity: company
            url: https://hooks.example/x
            secret: literal-two
            fields: [Phone]
          ref:
            entity: company
            url: https://hooks.example/y
            secret: ${env:MONITOR_SECRET}
            fields: [Phone]
        """
    )
    assert [(w.line, w.severity, w.message) for w in warnings] == [
        (3, "warning", "a secret is written literally in the file"),
        (8, "warning", "a secret is written literally in the file"),
    ]
    assert all(w.hint == "write ${env:NAME} and keep the value out of git" for w in warnings)
    assert all(w.file == "m.yaml" and w.column > 0 for w in warnings)


def test_webhook_rules_say_what_to_do_at_the_key() -> None:
    problems = diagnostics(
        """
        RECEIVER
        webhooks:
          silent: {entity: company}
          notes: {entity: ticket_note, fields: [Title], udf_fields: [X]}
          external: {entity: company, url: "https://hooks.example/x", fields: [Phone]}
          stray: {entity: company, secret: "${env:MONITOR_SECRET}", fields: [Phone]}
          kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: {entity: company, fields: [Phone]}
        """
    )
    assert [(d.line, d.column, d.hint) for d in problems] == [
        (5, 3, "list at least one field whose change should fire it, e.g. fields: [CompanyName]"),
        (6, 49, "remove udf_fields from this webhook"),
        (
            8,
            28,
            "webhooks without url post to Salesbuildr's receiver and use webhook_receiver.secret; "
            "remove this secret or add the url it belongs to",
        ),
        (9, 3, "shorten the key, or keep it and set a shorter `name:`"),
    ]
