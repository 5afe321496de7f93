"""compute_plan on hand-built states: every kind under every manage mode, normalisation that must
not diff, ignore_fields, thresholds and risk, write-only secrets, and properties of plans.

Desired states come from YAML (``kind_fixtures.plan``), live states from the kinds' ``live``
constructors; no HTTP anywhere.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kind_fixtures import (
    CATALOG,
    COMPANY_NAME,
    COMPANY_NUMBER,
    COMPANY_TYPE,
    CONTRACT_TIER_UDF,
    HARDWARE_SALES,
    JANE,
    LABOR,
    MANAGED_SERVICES,
    PHONE,
    SALESBUILDR_API,
    SOFTWARE_LICENSING,
    billing_default,
    billing_row,
    company_udf_row,
    location,
    opportunity_row,
    plan,
    product_category_row,
    product_import,
    purchase_order,
    receiver,
    role_row,
    service_row,
    to_autotask_row,
    to_salesbuildr_row,
    webhook,
    yaml,
)

from reconciler.plan import SENSITIVE, Action, Change, FieldDiff, Plan, Risk, compute_plan
from reconciler.psa.autotask.kinds.registry import BY_NAME
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.state import (
    DeletePolicy,
    ManageMode,
    PolicySettings,
    Resource,
    SectionSnapshot,
    State,
)

# --- one case per kind: the YAML of a section and live objects around it -----------------------


@dataclass(frozen=True)
class KindCase:
    """``body`` is the section's YAML (``{mode}`` is replaced by the manage mode); the target is
    ``address``; ``same``/``other`` are the live target equal to / differing from the YAML in
    ``field``; ``extra`` a live object the YAML does not list, removed as ``removal`` under
    ``manage: full`` (None: never removed); ``base`` live objects every variant has."""

    kind: str
    section: str
    body: str
    address: str
    field: str
    same: Callable[[], Resource]
    other: Callable[[], Resource]
    extra: Callable[[], Resource] | None
    removal: Action | None
    base: Callable[[], list[Resource]] = list
    creatable: bool = True


CASES = [
    KindCase(
        "billing_code_mapping",
        "billing_codes",
        """
        billing_codes:
          default: Hardware Sales
          categories:
            Software: Software Licensing
        """,
        'billing_codes.categories["Software"]',
        "billing_code",
        lambda: billing_row("c-sw", SOFTWARE_LICENSING),
        lambda: billing_row("c-sw", LABOR),
        lambda: billing_row("c-ms", MANAGED_SERVICES),
        Action.DELETE,
        base=lambda: [billing_default(HARDWARE_SALES)],
    ),
    KindCase(
        "billing_code_default",
        "billing_codes",
        """
        billing_codes:
          default: Hardware Sales
        """,
        "billing_codes.default",
        "billing_code",
        lambda: billing_default(HARDWARE_SALES),
        lambda: billing_default(LABOR),
        None,
        None,
        creatable=False,
    ),
    KindCase(
        "company_type_to_salesbuildr",
        "company_types",
        """
        company_types:
          to_salesbuildr:
            Prospect: Lead
        """,
        'company_types.to_salesbuildr["Prospect"]',
        "company_type",
        lambda: to_salesbuildr_row("3", "lead"),
        lambda: to_salesbuildr_row("3", "customer"),
        lambda: to_salesbuildr_row("6", "supplier"),
        Action.DELETE,
    ),
    KindCase(
        "company_type_to_autotask",
        "company_types",
        """
        company_types:
          to_autotask:
            Lead: Prospect
        """,
        'company_types.to_autotask["Lead"]',
        "company_type",
        lambda: to_autotask_row("lead", "3"),
        lambda: to_autotask_row("lead", "2"),
        lambda: to_autotask_row("supplier", "6"),
        Action.DELETE,
    ),
    KindCase(
        "company_udf_mapping",
        "company_udfs",
        """
        company_udfs:
          Customer:
            Contract Tier: Contract tier
        """,
        'company_udfs["Customer"]["Contract Tier"]',
        "data_point",
        lambda: company_udf_row("customer", "Contract Tier", "dp-c-tier"),
        lambda: company_udf_row("customer", "Contract Tier", "dp-c-start"),
        lambda: company_udf_row("customer", "Onboarding Date", "dp-c-start"),
        Action.DELETE,
    ),
    KindCase(
        "product_import_settings",
        "product_import",
        """
        product_import:
          synchronize_to_autotask: true
          mpn_enrichment: icecat
        """,
        "product_import",
        "mpn_enrichment",
        lambda: product_import(synchronize_to_autotask=True, mpn_enrichment="icecat"),
        lambda: product_import(synchronize_to_autotask=True, mpn_enrichment="onetrail"),
        None,
        None,
        creatable=False,
    ),
    KindCase(
        "role_mapping",
        "product_import",
        """
        product_import:
          roles:
            Engineer: Labor/Engineering
        """,
        'product_import.roles["Engineer"]',
        "category",
        lambda: role_row(29683301, "c-labor-eng"),
        lambda: role_row(29683301, "c-labor"),
        lambda: role_row(29683303, "c-labor"),
        Action.DELETE,
        base=lambda: [product_import()],
    ),
    KindCase(
        "product_category_mapping",
        "product_import",
        """
        product_import:
          product_categories:
            Hardware: Hardware
        """,
        'product_import.product_categories["Hardware"]',
        "category",
        lambda: product_category_row("1", "c-hw"),
        lambda: product_category_row("1", "c-hw-laptops"),
        lambda: product_category_row("2", "c-sw"),
        Action.DELETE,
        base=lambda: [product_import()],
    ),
    KindCase(
        "service_mapping",
        "product_import",
        """
        product_import:
          services:
            Managed Workstation: Managed Services
        """,
        'product_import.services["Managed Workstation"]',
        "category",
        lambda: service_row(12, "c-ms"),
        lambda: service_row(12, "c-hw"),
        lambda: service_row(13, "c-ms"),
        Action.DELETE,
        base=lambda: [product_import()],
    ),
    KindCase(
        "inventory_location",
        "inventory",
        """
        inventory:
          locations:
            Main Warehouse: {active: true, default: true, track_stock: true}
        """,
        'inventory.locations["Main Warehouse"]',
        "track_stock",
        lambda: location("Main Warehouse", 1, default=True, track_stock=True),
        lambda: location("Main Warehouse", 1, default=True, track_stock=False),
        lambda: location("Old Stockroom", 2, track_stock=True),
        Action.DEACTIVATE,
    ),
    KindCase(
        "opportunity_udf_mapping",
        "opportunity",
        """
        opportunity:
          udfs:
            Sales/Expected margin: Quote Margin
        """,
        'opportunity.udfs["Sales/Expected margin"]',
        "udf",
        lambda: opportunity_row("dp-o-margin", "Quote Margin"),
        lambda: opportunity_row("dp-o-margin", "Quote Reference"),
        lambda: opportunity_row("dp-o-ref", "Quote Reference"),
        Action.DELETE,
    ),
    KindCase(
        "purchase_order_settings",
        "purchase_order",
        """
        purchase_order:
          create_ticket: true
          queue: Post Sale
          due_date_offset_days: 5
        """,
        "purchase_order",
        "due_date_offset_days",
        lambda: purchase_order(create_ticket=True, queue="6", due_date_offset_days=5),
        lambda: purchase_order(create_ticket=True, queue="6", due_date_offset_days=3),
        None,
        None,
        creatable=False,
    ),
    KindCase(
        "webhook_receiver",
        "webhook_receiver",
        """
        webhook_receiver:
          secret: ${{env:SALESBUILDR_WEBHOOK_SECRET}}
        """,
        "webhook_receiver",
        "secret_set",
        lambda: receiver(True),
        lambda: receiver(False),
        None,
        None,
        creatable=False,
    ),
    KindCase(
        "webhook",
        "webhooks",
        """
        webhook_receiver:
          secret: ${{env:SALESBUILDR_WEBHOOK_SECRET}}
        webhooks:
          sb-companies:
            entity: company
            fields: [CompanyName, CompanyType, Phone]
            always_send: [CompanyNumber]
            udf_fields: [Contract Tier]
            excluded_resources: [Salesbuildr API]
            notification_email: ops@acme-it.example
            threshold_notification: true
        """,
        'webhooks["sb-companies"]',
        "fields",
        lambda: webhook("sb-companies", 31),
        lambda: webhook("sb-companies", 31, fields=(COMPANY_NAME, COMPANY_TYPE)),
        lambda: webhook("stray", 32),
        Action.DELETE,
        base=lambda: [receiver(True)],
    ),
]

IDS = [case.kind for case in CASES]


def document(case: KindCase, mode: str = "additive") -> str:
    policy = f"policy:\n  manage: {{{case.section}: {mode}}}\n"
    return "version: 1\n" + policy + yaml(case.body).replace("{{", "{").replace("}}", "}")


def target(result: Plan, case: KindCase) -> Change:
    found = [c for c in result.changes if c.address == case.address]
    assert len(found) == 1, [c.address for c in result.changes]
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_op_when_live_matches(case: KindCase) -> None:
    result = plan(document(case), [*case.base(), case.same()])
    assert not result.has_changes, [(c.address, c.diff) for c in result.pending]
    change = target(result, case)
    assert change.action is Action.NO_OP
    assert change.kind == case.kind
    assert result.risk is Risk.SAFE
    assert result.summary["no_op"] == len(result.changes)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_update_names_the_differing_field(case: KindCase) -> None:
    result = plan(document(case), [*case.base(), case.other()])
    (change,) = result.pending
    assert change.address == case.address
    assert change.action is Action.UPDATE
    assert [d.path for d in change.diff] == [case.field]
    (diff,) = change.diff
    assert diff.before == case.other().attributes[case.field]
    assert diff.after == case.same().attributes[case.field]
    assert change.reason == f"{case.field} differs"
    assert change.before == dict(case.other().attributes)
    assert result.risk is Risk.SAFE
    assert result.summary["update"] == 1


@pytest.mark.parametrize("case", [c for c in CASES if c.creatable], ids=lambda c: c.kind)
def test_create_when_live_lacks_it(case: KindCase) -> None:
    result = plan(document(case), case.base())
    (change,) = result.pending
    assert change.address == case.address
    assert change.action is Action.CREATE
    assert change.before is None
    assert change.after is not None
    assert change.after[case.field] == case.same().attributes[case.field]
    assert {d.path for d in change.diff} == set(change.after)
    assert all(d.before is None for d in change.diff)
    assert change.reason == "not in the live system"
    assert result.risk is Risk.SAFE


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_additive_never_removes(case: KindCase) -> None:
    extra = [case.extra()] if case.extra else []
    result = plan(document(case, "additive"), [*case.base(), case.same(), *extra])
    assert not result.has_changes
    assert not result.drift
    # ... but says what it keeps: every live object the YAML does not list (singletons aside).
    removable = BY_NAME[case.kind].delete_policy is not DeletePolicy.NEVER
    expected = [(e.address, e.section, e.kind, e.key) for e in extra if removable]
    assert [(k.address, k.section, k.kind, k.key) for k in result.kept] == expected


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_removes_what_the_yaml_does_not_list(case: KindCase) -> None:
    extra = [case.extra()] if case.extra else []
    result = plan(document(case, "full"), [*case.base(), case.same(), *extra])
    assert not result.kept  # under full nothing is kept: it is removed
    if case.removal is None:
        assert not result.has_changes
        return
    (change,) = result.pending
    assert extra
    assert change.address == extra[0].address
    assert change.action is case.removal
    assert change.before == dict(extra[0].attributes)
    assert change.ids == {"live": dict(extra[0].ids)}
    assert change.reason.startswith("not in the YAML (manage: full)")
    assert result.risk is Risk.DESTRUCTIVE
    if case.removal is Action.DEACTIVATE:
        assert change.after == {"active": False, "default": False, "track_stock": False}
        assert {d.path for d in change.diff} == {"active", "track_stock"}
    else:
        assert change.after is None
        assert all(d.after is None for d in change.diff)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_observe_reports_drift_and_never_changes(case: KindCase) -> None:
    extra = [case.extra()] if case.extra else []
    result = plan(document(case, "observe"), [*case.base(), case.other(), *extra])
    assert not result.has_changes
    assert result.risk is Risk.SAFE
    drift = {d.address: d for d in result.drift}
    differs = drift.pop(case.address)
    assert differs.state == "differs"
    assert [d.path for d in differs.diff] == [case.field]
    change = target(result, case)
    assert change.action is Action.NO_OP
    assert change.reason == "observed only"
    if extra:
        unlisted = drift.pop(extra[0].address)
        assert unlisted.state == "unlisted"
    assert not drift
    assert not result.kept  # observed sections report "unlisted" drift instead


@pytest.mark.parametrize("case", [c for c in CASES if c.creatable], ids=lambda c: c.kind)
def test_observe_reports_missing_objects(case: KindCase) -> None:
    result = plan(document(case, "observe"), case.base())
    assert not result.has_changes
    (drift,) = result.drift
    assert drift.address == case.address
    assert drift.state == "missing"


def test_singletons_the_yaml_does_not_state_are_neither_removed_nor_drift() -> None:
    live = [billing_default(HARDWARE_SALES), billing_row("c-hw", HARDWARE_SALES)]
    for mode in ("full", "observe"):
        result = plan(
            f"""
            version: 1
            policy: {{manage: {{billing_codes: {mode}}}}}
            billing_codes:
              categories: {{Hardware: Hardware Sales}}
            """,
            live,
        )
        assert not result.has_changes, mode
        assert not result.drift, mode


def test_inventory_location_already_inactive_is_left_alone() -> None:
    result = plan(
        """
        version: 1
        policy: {manage: {inventory: full}}
        inventory:
          locations: {}
        """,
        [location("Old Stockroom", 2, active=False), location("Van", 3, track_stock=True)],
    )
    (change,) = result.pending
    assert change.address == 'inventory.locations["Van"]'
    assert change.action is Action.DEACTIVATE


def test_full_with_an_empty_section_removes_everything() -> None:
    result = plan(
        """
        version: 1
        policy: {manage: {webhooks: full}, max_deletes: 5}
        webhooks: {}
        """,
        [webhook("a", 1), webhook("b", 2, entity="ticket", fields=(), always_send=())],
    )
    assert [c.action for c in result.pending] == [Action.DELETE, Action.DELETE]
    assert result.summary == {"create": 0, "update": 0, "delete": 2, "deactivate": 0, "no_op": 0}
    assert result.risk is Risk.DESTRUCTIVE


def test_sections_absent_from_the_yaml_are_not_compared() -> None:
    result = plan(
        """
        version: 1
        opportunity:
          udfs: {Sales/Expected margin: Quote Margin}
        """,
        [webhook("stray", 1), opportunity_row("dp-o-margin", "Quote Margin")],
    )
    assert [c.address for c in result.changes] == ['opportunity.udfs["Sales/Expected margin"]']
    assert set(result.observed) == {'opportunity.udfs["Sales/Expected margin"]'}


# --- normalisation that must not diff ----------------------------------------------------------


def test_names_with_other_case_and_whitespace_do_not_diff() -> None:
    result = plan(
        """
        version: 1
        billing_codes:
          default: hardware sales
          categories:
            "Hardware ": "Hardware  Sales"
            hardware/LAPTOPS: HARDWARE SALES
            Software: software licensing
        """,
        [
            billing_default(HARDWARE_SALES),
            billing_row("c-hw", HARDWARE_SALES),
            billing_row("c-hw-laptops", HARDWARE_SALES),
            billing_row("c-sw", SOFTWARE_LICENSING),
        ],
    )
    assert not result.has_changes
    assert len(result.changes) == 4


def test_salesbuildr_company_type_names_in_any_case_do_not_diff() -> None:
    result = plan(
        """
        version: 1
        company_types:
          to_salesbuildr: {Customer: CUSTOMER, prospect: lead}
          to_autotask: {customer: Customer, LEAD: prospect}
        company_udfs:
          CUSTOMER: {contract tier: contract TIER}
        product_import:
          manufacturer_company_type: supplier
        """,
        [
            to_salesbuildr_row("1", "customer"),
            to_salesbuildr_row("3", "lead"),
            to_autotask_row("customer", "1"),
            to_autotask_row("lead", "3"),
            company_udf_row("customer", "Contract Tier", "dp-c-tier"),
            product_import(manufacturer_company_type="supplier"),
        ],
    )
    assert not result.has_changes, [(c.address, c.diff) for c in result.pending]


def test_webhook_set_like_lists_in_any_order_do_not_diff() -> None:
    result = plan(
        """
        version: 1
        webhook_receiver:
          secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
        webhooks:
          sb-companies:
            entity: company
            events: [update, delete, create]
            fields: [Phone, CompanyType, CompanyName]
            always_send: [CompanyNumber]
            udf_fields: [Contract Tier]
            excluded_resources: [Salesbuildr API, Jane Admin]
            notification_email: ops@acme-it.example
            threshold_notification: true
        """,
        [
            receiver(True),
            webhook(
                "sb-companies",
                31,
                events=("delete", "create", "update"),
                fields=(PHONE, COMPANY_NAME, COMPANY_TYPE),
                excluded=(JANE, SALESBUILDR_API),
            ),
        ],
    )
    assert not result.has_changes, [(c.address, c.diff) for c in result.pending]


def test_api_filled_singleton_attributes_the_yaml_does_not_state_do_not_diff() -> None:
    result = plan(
        """
        version: 1
        product_import:
          synchronize_to_autotask: true
        purchase_order:
          issue_type: Procurement
          sub_issue_type: Order hardware
        """,
        [
            product_import(
                synchronize_to_autotask=True,
                mpn_enrichment="icecat",
                manufacturer_company_type="supplier",
            ),
            purchase_order(
                create_ticket=True, issue_type="40", sub_issue_type="401", priority="2", queue="6"
            ),
        ],
    )
    assert not result.has_changes
    po = next(c for c in result.changes if c.address == "purchase_order")
    assert po.after is not None
    assert po.after["priority"] == "Medium"


def test_inventory_name_with_other_whitespace_and_case_matches() -> None:
    result = plan(
        """
        version: 1
        inventory:
          locations:
            "main  warehouse": {active: true, default: true, track_stock: true}
        """,
        [location("Main Warehouse ", 9, default=True, track_stock=True)],
    )
    assert not result.has_changes


def test_sub_issue_type_under_another_issue_type_is_an_update_of_the_issue_type() -> None:
    result = plan(
        """
        version: 1
        purchase_order:
          issue_type: Procurement
          sub_issue_type: Order hardware
        """,
        [purchase_order(issue_type="41", sub_issue_type="411")],
    )
    (change,) = result.pending
    assert [d.path for d in change.diff] == ["issue_type"]
    assert change.ids["desired"] == {"issue_type": "40", "sub_issue_type": "401"}


# --- ignore_fields -----------------------------------------------------------------------------

HOOK_YAML = """
version: 1
policy:
  manage: {webhooks: full}
  ignore_fields: {webhooks: [notification_email, threshold_notification]}
webhook_receiver:
  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}
webhooks:
  sb-companies:
    entity: company
    fields: [CompanyName, CompanyType, Phone]
    always_send: [CompanyNumber]
    udf_fields: [Contract Tier]
    excluded_resources: [Salesbuildr API]
    notification_email: ops@acme-it.example
    threshold_notification: true
"""


def test_ignored_fields_never_diff() -> None:
    live = webhook(
        "sb-companies", 31, notification_email="someone@else.example", threshold_notification=False
    )
    result = plan(HOOK_YAML, [receiver(True), live])
    assert not result.has_changes


def test_ignored_fields_are_left_out_of_an_update() -> None:
    live = webhook(
        "sb-companies",
        31,
        notification_email="someone@else.example",
        fields=(COMPANY_NAME,),
    )
    result = plan(HOOK_YAML, [receiver(True), live])
    (change,) = result.pending
    assert [d.path for d in change.diff] == ["fields"]


def test_ignored_fields_are_still_set_on_create() -> None:
    result = plan(HOOK_YAML, [receiver(True)])
    (change,) = result.pending
    assert change.after is not None
    assert change.after["notification_email"] == "ops@acme-it.example"


# --- secrets -----------------------------------------------------------------------------------


def test_create_shows_secrets_as_sensitive() -> None:
    result = plan(HOOK_YAML, [receiver(False)])
    by_address = {c.address: c for c in result.pending}
    hook = by_address['webhooks["sb-companies"]']
    assert hook.after is not None
    assert hook.after["secret"] == SENSITIVE
    assert hook.sensitive_paths == ("secret",)
    assert hook.secret_refs == {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}
    assert FieldDiff("secret", None, SENSITIVE) in hook.diff
    text = json.dumps(result.to_dict())
    assert "receiver-secret" not in text


def test_secret_set_live_means_no_diff_without_rotate() -> None:
    result = plan(HOOK_YAML, [receiver(True), webhook("sb-companies", 31)])
    assert not result.has_changes


def test_rotate_secrets_updates_every_managed_secret() -> None:
    result = plan(HOOK_YAML, [receiver(True), webhook("sb-companies", 31)], rotate_secrets=True)
    by_address = {c.address: c for c in result.pending}
    assert set(by_address) == {"webhook_receiver", 'webhooks["sb-companies"]'}
    for change in by_address.values():
        assert change.action is Action.UPDATE
        assert change.diff == (FieldDiff("secret", SENSITIVE, SENSITIVE),)
        assert change.sensitive_paths == ("secret",)
        assert change.secret_refs["secret"] == "${env:SALESBUILDR_WEBHOOK_SECRET}"
    assert "receiver-secret" not in json.dumps(result.to_dict())


def test_setting_the_receiver_secret_needs_the_secret() -> None:
    """The receiver's secret shows only as ``secret_set``: turning it on sends the secret, so
    the change names it (apply of a saved plan checks the variable before any write)."""
    result = plan(HOOK_YAML, [receiver(False), webhook("sb-companies", 31)])
    (change,) = result.pending
    assert change.address == "webhook_receiver"
    assert change.diff == (FieldDiff("secret_set", False, True),)
    assert change.sensitive_paths == ("secret",)
    assert change.secret_refs == {"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}


def test_rotate_does_not_touch_webhooks_without_a_managed_secret() -> None:
    result = plan(
        """
        version: 1
        webhooks:
          monitor:
            entity: ticket
            url: https://monitor.acme.example/hook
            secret: ${env:MONITOR_SECRET}
            fields: [Status]
            always_send: []
        """,
        [
            webhook(
                "monitor",
                5,
                entity="ticket",
                url="https://monitor.acme.example/hook",
                events=("create", "update", "delete"),
                fields=(5,),
                always_send=(),
                udf_fields=(),
                excluded=(),
                notification_email=None,
                threshold_notification=False,
            )
        ],
        rotate_secrets=True,
    )
    (change,) = result.pending
    assert change.sensitive_paths == ("secret",)
    assert change.secret_refs == {"secret": "${env:MONITOR_SECRET}"}


def test_an_update_with_rotate_keeps_its_other_diffs() -> None:
    live = webhook("sb-companies", 31, fields=(COMPANY_NAME,))
    result = plan(HOOK_YAML, [receiver(True), live], rotate_secrets=True)
    hook = next(c for c in result.pending if c.kind == "webhook")
    assert [d.path for d in hook.diff] == ["fields", "secret"]


# --- thresholds and risk -----------------------------------------------------------------------

ROLE_IDS = [29683301 + n for n in range(12)]


def policy(**values: Any) -> PolicySettings:
    return PolicySettings(**values)


def role_resource(role_id: int, category: str, *, desired: bool = False) -> Resource:
    row = role_row(role_id, category)
    if desired:
        return Resource(
            address=row.address,
            kind=row.kind,
            section=row.section,
            key=row.key,
            attributes=row.attributes,
            owner=row.owner,
            ids={"keys": [role_id], "category": category},
        )
    return row


def role_plan(live_count: int, changed: int, **policy_values: Any) -> Plan:
    """``live_count`` live role rows; the desired state changes the category of ``changed``."""
    live = [role_resource(r, "c-labor") for r in ROLE_IDS[:live_count]]
    desired = [
        role_resource(r, "c-labor-eng" if n < changed else "c-labor", desired=True)
        for n, r in enumerate(ROLE_IDS[:live_count])
    ]
    return compute_plan(
        State.of(desired),
        State.of(live),
        policy(**policy_values),
        sections=["product_import"],
        kinds=AUTOTASK_KINDS,
    )


def test_change_fraction_over_a_large_collection_blocks() -> None:
    result = role_plan(10, 4, max_change_fraction=0.3)
    assert result.risk is Risk.BLOCKED
    (reason,) = result.blocked_reasons
    assert reason == (
        "4 of 10 live role_mapping objects would change (40% > policy.max_change_fraction 30%)"
    )


def test_change_fraction_at_the_limit_is_safe() -> None:
    result = role_plan(10, 3, max_change_fraction=0.3)
    assert result.risk is Risk.SAFE
    assert result.blocked_reasons == ()


def test_change_fraction_ignores_collections_under_ten() -> None:
    result = role_plan(9, 9, max_change_fraction=0.1)
    assert result.risk is Risk.SAFE


def test_creates_do_not_count_toward_the_change_fraction() -> None:
    live = [role_resource(r, "c-labor") for r in ROLE_IDS[:10]]
    desired = [role_resource(r, "c-labor", desired=True) for r in ROLE_IDS[:10]]
    extra = [
        Resource(
            address=f'product_import.roles["new {n}"]',
            kind="role_mapping",
            section="product_import",
            key=f"new {n}",
            attributes={"category": "Labor"},
            owner="salesbuildr",
        )
        for n in range(8)
    ]
    result = compute_plan(
        State.of([*desired, *extra]),
        State.of(live),
        policy(max_change_fraction=0.1),
        sections=["product_import"],
        kinds=AUTOTASK_KINDS,
    )
    assert result.summary["create"] == 8
    assert result.risk is Risk.SAFE


def test_deletes_count_toward_the_change_fraction() -> None:
    live = [role_resource(r, "c-labor") for r in ROLE_IDS[:10]]
    desired = [role_resource(r, "c-labor", desired=True) for r in ROLE_IDS[:6]]
    result = compute_plan(
        State.of(desired),
        State.of(live),
        policy(manage={"product_import": ManageMode.FULL}, max_change_fraction=0.3, max_deletes=10),
        sections=["product_import"],
        kinds=AUTOTASK_KINDS,
    )
    assert result.summary["delete"] == 4
    assert result.risk is Risk.BLOCKED
    assert result.blocked_reasons == (
        "4 of 10 live role_mapping objects would change (40% > policy.max_change_fraction 30%)",
    )


def test_max_deletes_blocks() -> None:
    hooks = [webhook(f"hook-{n}", 100 + n) for n in range(3)]
    result = compute_plan(
        State.of([]),
        State.of(hooks),
        policy(manage={"webhooks": ManageMode.FULL}, max_deletes=2),
        sections=["webhooks"],
        kinds=AUTOTASK_KINDS,
    )
    assert result.summary["delete"] == 3
    assert result.risk is Risk.BLOCKED
    assert result.blocked_reasons == ("3 deletes/deactivations exceed policy.max_deletes (2)",)
    at_limit = compute_plan(
        State.of([]),
        State.of(hooks),
        policy(manage={"webhooks": ManageMode.FULL}, max_deletes=3),
        sections=["webhooks"],
        kinds=AUTOTASK_KINDS,
    )
    assert at_limit.risk is Risk.DESTRUCTIVE


def test_deactivations_count_as_deletes() -> None:
    places = [location(f"Van {n}", 10 + n) for n in range(3)]
    result = compute_plan(
        State.of([]),
        State.of(places),
        policy(manage={"inventory": ManageMode.FULL}, max_deletes=2),
        sections=["inventory"],
        kinds=AUTOTASK_KINDS,
    )
    assert result.summary["deactivate"] == 3
    assert result.risk is Risk.BLOCKED


def test_risk_levels() -> None:
    safe = role_plan(2, 1)
    assert safe.risk is Risk.SAFE
    none = role_plan(2, 0)
    assert none.risk is Risk.SAFE
    assert not none.has_changes


# --- the plan as data --------------------------------------------------------------------------


def test_changes_are_ordered_by_section_then_address() -> None:
    result = plan(
        """
        version: 1
        billing_codes:
          default: Hardware Sales
          categories: {Software: Software Licensing, Hardware: Hardware Sales}
        inventory:
          locations: {Van: {active: true}}
        opportunity:
          udfs: {Sales/Expected margin: Quote Margin}
        """,
        [billing_default(LABOR)],
    )
    assert [c.address for c in result.changes] == [
        'billing_codes.categories["Hardware"]',
        'billing_codes.categories["Software"]',
        "billing_codes.default",
        'inventory.locations["Van"]',
        'opportunity.udfs["Sales/Expected margin"]',
    ]
    assert result.sections == ("billing_codes", "inventory", "opportunity")


def test_observed_fingerprints_every_compared_live_object_and_document() -> None:
    live = [billing_default(HARDWARE_SALES), billing_row("c-sw", LABOR)]
    snapshot = SectionSnapshot("billing-codes", {"categories": []}, '"v7"')
    loaded_plan = compute_plan(
        State.of([]),
        State.of(live, [snapshot]),
        policy(),
        sections=["billing_codes"],
        kinds=AUTOTASK_KINDS,
    )
    assert loaded_plan.observed == {
        "billing_codes.default": live[0].fingerprint(),
        'billing_codes.categories["Software"]': live[1].fingerprint(),
        "salesbuildr:billing-codes": 'etag:"v7"',
    }


@pytest.mark.parametrize(
    ("yaml_key", "name_line", "live_address"),
    [
        ("companies", "    name: sb-companies\n", 'webhooks["sb-companies"]'),
        ("sb-companies", "", 'webhooks["sb-companies@company"]'),
    ],
)
def test_every_touched_object_has_its_fingerprint_under_the_change_address(
    yaml_key: str, name_line: str, live_address: str
) -> None:
    """The stale check looks fingerprints up by the change's address: a webhook whose YAML key
    is not its live address (``name:`` given, or a name two entities share) must be found."""
    live = webhook("sb-companies", 31, fields=(COMPANY_NAME,), address_key=live_address[10:-2])
    result = plan(
        "version: 1\n"
        "webhook_receiver:\n  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\n"
        "webhooks:\n"
        f"  {yaml_key}:\n"
        f"{name_line}"
        "    entity: company\n"
        "    fields: [CompanyName, CompanyType, Phone]\n"
        "    always_send: [CompanyNumber]\n"
        "    udf_fields: [Contract Tier]\n"
        "    excluded_resources: [Salesbuildr API]\n"
        "    notification_email: ops@acme-it.example\n"
        "    threshold_notification: true\n",
        [receiver(True), live],
    )
    (change,) = result.pending
    assert live.address == live_address
    assert change.address == f'webhooks["{yaml_key}"]'
    assert result.observed[change.address] == live.fingerprint()


def test_inventory_location_with_other_spelling_keeps_its_fingerprint() -> None:
    live = location("Main Warehouse ", 9, default=True)
    result = plan(
        """
        version: 1
        inventory:
          locations:
            main warehouse: {active: true, default: true, track_stock: true}
        """,
        [live],
    )
    (change,) = result.pending
    assert result.observed[change.address] == live.fingerprint()


def test_plan_round_trips_through_its_dict_form() -> None:
    result = plan(HOOK_YAML, [receiver(False), webhook("stray", 5)]).with_meta(
        targets={"autotask": "http://127.0.0.1:1/atservicesrest"},
        config_sha256="abc",
        config_file="mappings.yaml",
        generated_at="2026-01-01T00:00:00Z",
        tool_version="0.1.0",
        api_calls={"autotask": 3, "salesbuildr": 2},
        policy={"max_deletes": 5},
    )
    data = result.to_dict()
    again = Plan.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert again == Plan.from_dict(data)
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "deactivate": 0, "no_op": 0}
    assert data["risk"] == "destructive"


# --- properties --------------------------------------------------------------------------------

NAMES = st.text(alphabet=st.sampled_from("abcdefghij KLMNOP-/"), min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)
CATEGORY_IDS = ["c-hw", "c-hw-laptops", "c-sw", "c-ms", "c-labor", "c-labor-eng", "c-gone"]
FIELD_IDS = [COMPANY_NAME, COMPANY_TYPE, PHONE, COMPANY_NUMBER, 99]


@st.composite
def live_states(draw: st.DrawFn) -> list[Resource]:
    """A random live state over every kind (names unique per kind, as the APIs keep them)."""
    resources: list[Resource] = [
        billing_default(draw(st.sampled_from([None, HARDWARE_SALES, LABOR, 12345]))),
        product_import(
            synchronize_to_autotask=draw(st.booleans()),
            mpn_enrichment=draw(st.sampled_from(["none", "icecat"])),
        ),
        purchase_order(
            create_ticket=draw(st.booleans()),
            queue=draw(st.sampled_from([None, "6", "77"])),
            issue_type="41",
            sub_issue_type=draw(st.sampled_from(["411", "412"])),
        ),
        receiver(draw(st.booleans())),
    ]
    for category in draw(st.lists(st.sampled_from(CATEGORY_IDS), unique=True)):
        code = draw(st.sampled_from([HARDWARE_SALES, LABOR, SOFTWARE_LICENSING, 777]))
        resources.append(billing_row(category, code))
    for role in draw(st.lists(st.sampled_from(ROLE_IDS), unique=True, max_size=6)):
        resources.append(role_row(role, draw(st.sampled_from(CATEGORY_IDS))))
    names = draw(st.lists(NAMES, unique_by=lambda s: " ".join(s.split()).casefold(), max_size=5))
    for n, name in enumerate(names):
        resources.append(
            location(
                name,
                500 + n,
                active=draw(st.booleans()),
                default=draw(st.booleans()),
                track_stock=draw(st.booleans()),
            )
        )
    hooks = draw(st.lists(NAMES, unique_by=lambda s: s.casefold(), max_size=4))
    for n, name in enumerate(hooks):
        resources.append(
            webhook(
                name,
                900 + n,
                entity=draw(st.sampled_from(["company", "ticket"])),
                active=draw(st.booleans()),
                events=draw(st.lists(st.sampled_from(["create", "update", "delete"]), unique=True)),
                fields=draw(st.lists(st.sampled_from(FIELD_IDS), unique=True)),
                always_send=draw(st.lists(st.sampled_from(FIELD_IDS), unique=True)),
                excluded=draw(st.lists(st.sampled_from([JANE, SALESBUILDR_API]), unique=True)),
                udf_fields=draw(st.lists(st.just(CONTRACT_TIER_UDF), max_size=1)),
            )
        )
    return resources


SECTIONS = ["billing_codes", "product_import", "inventory", "purchase_order", "webhook_receiver"]
ALL_SECTIONS = [*SECTIONS, "webhooks"]
MODES = st.fixed_dictionaries(
    {section: st.sampled_from(list(ManageMode)) for section in ALL_SECTIONS}
)


@settings(max_examples=60, deadline=None)
@given(live_states(), MODES)
def test_a_state_planned_against_itself_has_no_changes(
    resources: list[Resource], modes: dict[str, ManageMode]
) -> None:
    state = State.of(resources)
    result = compute_plan(
        state,
        state,
        PolicySettings(manage=modes, max_deletes=0),
        sections=ALL_SECTIONS,
        kinds=AUTOTASK_KINDS,
    )
    assert not result.has_changes, [(c.address, c.diff) for c in result.pending]
    assert result.drift == ()
    assert result.risk is Risk.SAFE
    assert len(result.changes) == len(state)


def shuffled_webhook(resource: Resource, rng: random.Random) -> Resource:
    """The same webhook read again with its children listed in another order."""
    from reconciler.psa.autotask.kinds.webhooks import WEBHOOK  # noqa: PLC0415

    raw = resource.raw
    children = {k: list(raw[k]) for k in ("fields", "udf_fields", "excluded_resources")}
    for rows in children.values():
        rng.shuffle(rows)
    return WEBHOOK.live(
        entity=str(resource.attributes["entity"]),
        row=raw["webhook"],
        fields=children["fields"],
        udf_fields=children["udf_fields"],
        excluded=children["excluded_resources"],
        catalog=CATALOG,
        address_key=resource.address[10:-2],
    )


@settings(max_examples=60, deadline=None)
@given(live_states(), live_states(), MODES, st.randoms(use_true_random=False))
def test_plans_do_not_depend_on_the_order_of_live_listings(
    wanted: list[Resource],
    live: list[Resource],
    modes: dict[str, ManageMode],
    rng: random.Random,
) -> None:
    desired = State.of(r for r in wanted if BY_NAME[r.kind].delete_policy.value != "never")

    def planned(resources: Sequence[Resource]) -> dict[str, Any]:
        return compute_plan(
            desired,
            State.of(resources),
            PolicySettings(manage=modes),
            sections=ALL_SECTIONS,
            kinds=AUTOTASK_KINDS,
        ).to_dict()

    reordered = [shuffled_webhook(r, rng) if r.kind == "webhook" else r for r in live]
    rng.shuffle(reordered)
    assert planned(reordered) == planned(live)


@settings(max_examples=40, deadline=None)
@given(live_states(), live_states(), MODES, st.booleans())
def test_plans_round_trip_through_json(
    wanted: list[Resource], live: list[Resource], modes: dict[str, ManageMode], rotate: bool
) -> None:
    result = compute_plan(
        State.of(wanted),
        State.of(live),
        PolicySettings(manage=modes, max_deletes=2),
        sections=ALL_SECTIONS,
        rotate_secrets=rotate,
        kinds=AUTOTASK_KINDS,
    )
    data = json.loads(json.dumps(result.to_dict()))
    again = Plan.from_dict(data)
    assert again.to_dict() == data
    assert again.summary == result.summary
    assert again.pending == [Change.from_dict(c.to_dict()) for c in result.pending]
