"""Offline rules and model checks through parse_config: what passes, what is refused, and where."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.config import parse_config
from reconciler.config.rules import fold_name_path
from reconciler.errors import ConfigError, Diagnostic
from reconciler.psa.autotask.models import SECTIONS, Config, ManageMode, WebhookEntity, WebhookEvent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mappings.yaml"
ENV = {"RT_SECRET": "s3cret", "SALESBUILDR_WEBHOOK_SECRET": "example-secret"}


def parse(text: str, **environ: str) -> Config:
    raw = textwrap.dedent(text).lstrip("\n").encode()
    return parse_config(raw, file="m.yaml", environ={**ENV, **environ}).config


def problems(text: str) -> list[str]:
    """Every error as `LINE:COL message`."""
    raw = textwrap.dedent(text).lstrip("\n").encode()
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, file="m.yaml", environ=ENV)
    return [f"{d.line}:{d.column} {d.message}" for d in raised.value.diagnostics]


def test_the_example_parses_into_the_models() -> None:
    loaded = parse_config(EXAMPLE.read_bytes(), file="mappings.yaml", environ=ENV)
    config = loaded.config

    assert config.present_sections() == list(SECTIONS)
    assert loaded.warnings == []
    assert config.manage_mode("webhooks") is ManageMode.FULL
    assert config.manage_mode("inventory") is ManageMode.ADDITIVE
    assert config.manage_mode("billing_codes") is ManageMode.ADDITIVE
    assert config.policy.max_deletes == 5
    assert config.webhooks is not None
    companies = config.webhooks["sb-companies"]
    assert companies.entity is WebhookEntity.COMPANY
    assert companies.events == [WebhookEvent.CREATE, WebhookEvent.UPDATE, WebhookEvent.DELETE]
    assert config.webhooks["sb-tickets"].events == [WebhookEvent.CREATE, WebhookEvent.UPDATE]
    assert config.salesbuildr is not None
    assert config.salesbuildr.url == "https://acme.salesbuildr.com/public-api"


def test_defaults_of_a_minimal_document() -> None:
    config = parse("version: 1\n")

    assert config.present_sections() == []
    assert config.policy.max_change_fraction == 0.3
    assert config.policy.max_deletes == 10
    assert config.policy.min_remaining_autotask_requests == 1000
    assert config.after_apply == []


def test_models_are_frozen() -> None:
    config = parse("version: 1\n")

    with pytest.raises(ValueError, match="frozen"):
        config.version = 1  # type: ignore[misc]


def test_webhook_defaults() -> None:
    config = parse("""
        version: 1
        webhook_receiver: {secret: "${env:RT_SECRET}"}
        webhooks:
          notes:
            entity: ticket_note
            fields: [Title]
    """)

    assert config.webhooks is not None
    hook = config.webhooks["notes"]
    assert hook.active is True
    assert hook.events == [WebhookEvent.CREATE, WebhookEvent.UPDATE, WebhookEvent.DELETE]
    assert (hook.url, hook.secret, hook.name, hook.threshold_notification) == (
        None,
        None,
        None,
        False,
    )


def test_id_references_stand_where_names_do() -> None:
    config = parse("""
        version: 1
        billing_codes:
          default: {id: 29683}
          categories:
            Hardware: {id: "abc-123"}
    """)

    assert config.billing_codes is not None
    assert config.billing_codes.default is not None
    assert config.billing_codes.default.id == 29683  # type: ignore[union-attr]
    assert config.billing_codes.categories["Hardware"].id == "abc-123"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "hooks",
    [
        # url with secret, and a deactivation_url
        """
          monitoring:
            entity: ticket
            url: https://monitor.acme.example/autotask
            deactivation_url: https://monitor.acme.example/gone
            secret: ${env:RT_SECRET}
            fields: [Status]
        """,
        # udf_fields alone fire a webhook
        """
          udf-only:
            entity: company
            udf_fields: [Contract Tier]
        """,
        # the same name on two entities, and one name reused through `name:`
        """
          sb-companies:
            entity: company
            fields: [CompanyName]
          other-key:
            name: sb-companies
            entity: contact
            fields: [FirstName]
        """,
        # deactivation_url without url: callouts to the receiver, notice elsewhere
        """
          sb-contacts:
            entity: contact
            deactivation_url: https://monitor.acme.example/gone
            fields: [FirstName]
        """,
    ],
    ids=["url-with-secret", "udf-fields-only", "same-name-other-entity", "deactivation-url-only"],
)
def test_valid_webhooks(hooks: str) -> None:
    body = "webhooks:\n" + textwrap.indent(textwrap.dedent(hooks).strip("\n"), "  ") + "\n"
    text = 'version: 1\nwebhook_receiver: {secret: "${env:RT_SECRET}"}\n' + body

    config = parse(text)

    assert config.webhooks


def test_same_level_names_in_different_tables_do_not_collide() -> None:
    config = parse("""
        version: 1
        company_types:
          to_salesbuildr: {Customer: Customer}
          to_autotask: {Customer: Customer}
        company_udfs:
          Customer: {Contract Tier: Contract tier}
          Lead: {Contract Tier: Contract tier}
        opportunity:
          udfs:
            Sales/Expected margin: Quote Margin
            Sales\\/Expected margin: Margin Percent
    """)

    assert config.opportunity is not None
    assert len(config.opportunity.udfs) == 2


def test_errors_come_in_file_order() -> None:
    found = problems("""
        version: 1
        webhooks:
          b-hook:
            entity: ticket_note
            fields: [Title, Title]
            url: https://monitor.acme.example/autotask
            udf_fields: [X]
        inventory:
          locations:
            A: {default: true}
            B: {default: true, active: false}
    """)

    assert found == [
        "5:21 field 'Title' is listed twice",
        "7:5 ticket_note webhooks have no UDF fields in Autotask",
        "11:18 'B' is marked default, and so is 'A'; Autotask has one default inventory location",
        "11:32 'B' is the default location but inactive",
    ]


def test_schema_errors_and_rule_errors_are_reported_together() -> None:
    found = problems("""
        version: 1
        policy: {max_deletes: -1}
        inventory:
          locations:
            A: {default: true}
            B: {default: true}
    """)

    assert found == [
        "2:23 policy.max_deletes: must be at least 0, found -1",
        "6:18 'B' is marked default, and so is 'A'; Autotask has one default inventory location",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hardware/Laptops", "hardware / laptops"),
        ("Sales/Expected margin", " SALES/expected   margin "),
        ("I\\/O", "i\\/o"),
    ],
)
def test_fold_name_path_matches_equivalent_paths(a: str, b: str) -> None:
    assert fold_name_path(a) == fold_name_path(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("I\\/O", "I/O"), ("Hardware/Laptops", "Hardware Laptops"), ("A/B", "B/A")],
)
def test_fold_name_path_keeps_different_paths_apart(a: str, b: str) -> None:
    assert fold_name_path(a) != fold_name_path(b)


def test_fold_name_path_of_a_malformed_path_is_its_folded_text() -> None:
    assert fold_name_path("Hardware//Laptops") == "hardware//laptops"


def test_literal_secrets_warn_with_their_location() -> None:
    raw = textwrap.dedent("""\
        version: 1
        webhook_receiver: {secret: literal}
        webhooks:
          monitoring:
            entity: ticket
            url: https://monitor.acme.example/autotask
            secret: also-literal
            fields: [Status]
    """).encode()

    loaded = parse_config(raw, file="m.yaml", environ={})

    assert loaded.warnings == [
        Diagnostic(
            "a secret is written literally in the file",
            file="m.yaml",
            line=line,
            column=column,
            hint="write ${env:NAME} and keep the value out of git",
            severity="warning",
            id="literal_secret",
        )
        for line, column in ((2, 28), (7, 13))
    ]
