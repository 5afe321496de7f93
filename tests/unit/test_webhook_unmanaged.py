"""Webhook attributes and secrets the YAML does not state are unmanaged (issue 16, item 4).

Offline: desired states from YAML through the config layer and name resolution, live states
built the way the providers build them (``kind_fixtures``).
"""

from __future__ import annotations

from kind_fixtures import (
    COMPANY_NAME,
    COMPANY_NUMBER,
    CONTRACT_TIER_UDF,
    RECEIVER,
    SALESBUILDR_API,
    desired,
    plan,
    receiver,
    webhook,
)

from reconciler.errors import Diagnostic
from reconciler.plan import SENSITIVE, Action, FieldDiff
from reconciler.psa.autotask.kinds.webhooks import CREATE_DEFAULTS, WEBHOOK

MONITOR = "https://monitor.acme.example/hook"

BARE_HOOK = """
version: 1
webhooks:
  monitor:
    entity: company
    url: https://monitor.acme.example/hook
    fields: [CompanyName]
"""
"""A webhook as `export` writes one that posts elsewhere: a url, no secret, few attributes."""


def live_monitor(**changes: object) -> object:
    values: dict[str, object] = {
        "url": MONITOR,
        "fields": (COMPANY_NAME,),
        "always_send": (COMPANY_NUMBER,),
        "udf_fields": (CONTRACT_TIER_UDF,),
        "excluded": (SALESBUILDR_API,),
        "notification_email": "ops@acme-it.example",
        "threshold_notification": True,
    }
    values.update(changes)
    return webhook("monitor", 7, **values)  # type: ignore[arg-type]


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def test_unstated_attributes_are_not_desired() -> None:
    state, diagnostics = desired(BARE_HOOK, [live_monitor()])  # type: ignore[list-item]
    assert errors(diagnostics) == []
    hook = state.get('webhooks["monitor"]')
    assert hook is not None
    assert set(hook.attributes) == {"entity", "name", "url", "active", "events", "fields"}
    assert hook.secret_refs == {}
    assert set(hook.ids) == {"fields"}  # unstated lists: neither resolved nor written


def test_an_existing_webhook_with_unstated_attributes_and_secret_plans_to_zero() -> None:
    result = plan(BARE_HOOK, [live_monitor()])  # type: ignore[list-item]
    assert not result.has_changes


def test_rotate_secrets_does_not_touch_a_secret_the_yaml_does_not_state() -> None:
    text = BARE_HOOK + (
        "  stated:\n"
        "    entity: company\n"
        "    url: https://monitor.acme.example/hook\n"
        "    secret: ${env:MONITOR_SECRET}\n"
        "    fields: [CompanyName]\n"
    )
    other = webhook("stated", 9, url=MONITOR, fields=(COMPANY_NAME,))
    result = plan(text, [live_monitor(), other], rotate_secrets=True)  # type: ignore[list-item]
    (change,) = result.pending
    assert change.address == 'webhooks["stated"]'
    assert change.diff == (FieldDiff("secret", SENSITIVE, SENSITIVE),)
    assert change.secret_refs == {"secret": "${env:MONITOR_SECRET}"}


def test_unstated_notification_email_is_kept_but_a_stated_null_clears_it() -> None:
    kept = plan(BARE_HOOK, [live_monitor()])  # type: ignore[list-item]
    assert not kept.has_changes
    cleared = plan(
        BARE_HOOK + "    notification_email: null\n",
        [live_monitor()],  # type: ignore[list-item]
    )
    (change,) = cleared.pending
    assert change.diff == (FieldDiff("notification_email", "ops@acme-it.example", None),)
    assert change.after is not None
    assert change.after["always_send"] == ["CompanyNumber"]  # unstated: the live value


def test_always_managed_attributes_take_their_defaults_when_unstated() -> None:
    """active (true) and events (all three) are managed even when the YAML leaves them out."""
    live = live_monitor(active=False, events=("create",))
    (change,) = plan(BARE_HOOK, [live]).pending  # type: ignore[list-item]
    assert {d.path: d.after for d in change.diff} == {
        "active": True,
        "events": ["create", "delete", "update"],
    }


def test_a_create_writes_the_documented_defaults_for_unstated_attributes() -> None:
    result = plan(
        BARE_HOOK.replace("fields: [CompanyName]", "fields: [CompanyName]\n    secret: x"),
    )
    (change,) = result.pending
    assert change.action is Action.CREATE
    assert change.after is not None
    for name, value in CREATE_DEFAULTS.items():
        assert change.after[name] == value, name
    assert change.after["deactivation_url"] == MONITOR
    assert change.after["secret"] == SENSITIVE


def test_with_defaults_keeps_stated_values() -> None:
    stated = {"url": MONITOR, "deactivation_url": "https://x.example/d", "udf_fields": ["B", "a"]}
    created = WEBHOOK.with_defaults(stated)
    assert created["deactivation_url"] == "https://x.example/d"
    assert created["udf_fields"] == ["a", "B"]
    assert created["notification_email"] is None


def test_a_create_with_a_url_and_no_secret_is_refused_where_the_webhook_is() -> None:
    _, diagnostics = desired(BARE_HOOK)
    (error,) = errors(diagnostics)
    assert error.location == "mappings.yaml:3:3"
    assert "does not exist in Autotask yet" in error.message
    assert "needs a secret" in error.message
    assert error.hint == "add secret: ${env:NAME} to this webhook"


def test_a_create_to_the_receiver_without_webhook_receiver_is_refused_with_its_hint() -> None:
    text = """
version: 1
webhooks:
  sb-companies:
    entity: company
    fields: [CompanyName]
"""
    _, diagnostics = desired(text)
    (error,) = errors(diagnostics)
    assert error.location == "mappings.yaml:3:3"
    assert error.hint is not None
    assert error.hint.startswith("add webhook_receiver: {secret: ${env:")
    # The same webhook existing live keeps its secret: no problem, nothing to change.
    live = webhook("sb-companies", 3, url=RECEIVER, fields=(COMPANY_NAME,))
    assert errors(desired(text, [live])[1]) == []
    assert not plan(text, [receiver(True), live]).has_changes


def test_manage_full_still_sees_the_matched_live_webhook() -> None:
    """Under manage: full the section rules see only live objects that survive apply; a webhook
    the YAML lists survives (it is updated), so it is no create needing a secret."""
    text = BARE_HOOK.replace("version: 1\n", "version: 1\npolicy: {manage: {webhooks: full}}\n")
    result = plan(text, [live_monitor(), webhook("stray", 8)])  # type: ignore[list-item]
    (change,) = result.pending
    assert change.action is Action.DELETE
    assert change.address == 'webhooks["stray"]'
