"""kinds.webhook_wire: the exact Autotask requests a webhook change needs (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kinds.constraints import PARENT_ID, SECRET_VALUE, PlannedChange, WireWrite
from reconciler.psa.autotask.webhook_wire import (
    MAIN,
    entities_of,
    webhook_access,
    webhook_writes,
)
from reconciler.state import Resource

ALL_MAIN_OFF = {
    "name": "sb",
    "webhookUrl": "https://in.example",
    "deactivationUrl": "https://off.example",
    "sendThresholdExceededNotification": False,
    "notificationEmailAddress": None,
    "isSubscribedToCreateEvents": False,
    "isSubscribedToUpdateEvents": False,
    "isSubscribedToDeleteEvents": False,
}
WHAT = "webhook 'company/sb'"
FIELD_ATTRS = {
    "fieldID": "fields",
    "isSubscribedField": "fields",
    "isDisplayAlwaysField": "always_send",
}
UDF_ATTRS = {
    "udfFieldID": "udf_fields",
    "isSubscribedField": "udf_fields",
    "isDisplayAlwaysField": "always_send",
}
RESOURCE_ATTRS = {"resourceID": "excluded_resources"}


def _change(action: str, key: str = "company/sb", **parts: Any) -> PlannedChange:
    return PlannedChange(
        action=action,
        address=f'webhooks["{key}"]',
        key=key,
        before=parts.get("before"),
        after=parts.get("after"),
        changed=frozenset(parts.get("changed", ())),
        ids=parts.get("ids", {}),
    )


def _hook(**attributes: Any) -> dict[str, Any]:
    return {
        "entity": "company",
        "name": "sb",
        "url": "https://in.example",
        "deactivation_url": "https://off.example",
        **attributes,
    }


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        (
            "company",
            {
                "webhook": "CompanyWebhooks",
                "fields": "CompanyWebhookFields",
                "excluded_resources": "CompanyWebhookExcludedResources",
                "udf_fields": "CompanyWebhookUdfFields",
            },
        ),
        (
            "contact",
            {
                "webhook": "ContactWebhooks",
                "fields": "ContactWebhookFields",
                "excluded_resources": "ContactWebhookExcludedResources",
                "udf_fields": "ContactWebhookUdfFields",
            },
        ),
        (
            "configuration_item",
            {
                "webhook": "ConfigurationItemWebhooks",
                "fields": "ConfigurationItemWebhookFields",
                "excluded_resources": "ConfigurationItemWebhookExcludedResources",
                "udf_fields": "ConfigurationItemWebhookUdfFields",
            },
        ),
        (
            "ticket",
            {
                "webhook": "TicketWebhooks",
                "fields": "TicketWebhookFields",
                "excluded_resources": "TicketWebhookExcludedResources",
                "udf_fields": "TicketWebhookUdfFields",
            },
        ),
        (
            "ticket_note",
            {
                "webhook": "TicketNoteWebhooks",
                "fields": "TicketNoteWebhookFields",
                "excluded_resources": "TicketNoteWebhookExcludedResources",
            },
        ),
    ],
)
def test_each_entity_names_its_webhook_parts(entity: str, expected: dict[str, str]) -> None:
    assert entities_of(entity) == expected


def test_main_maps_every_wire_field_to_its_yaml_attribute() -> None:
    assert MAIN == {
        "name": "name",
        "webhookUrl": "url",
        "deactivationUrl": "deactivation_url",
        "sendThresholdExceededNotification": "threshold_notification",
        "notificationEmailAddress": "notification_email",
        "isActive": "active",
        "secretKey": "secret",
        "isSubscribedToCreateEvents": "events",
        "isSubscribedToUpdateEvents": "events",
        "isSubscribedToDeleteEvents": "events",
    }


def test_a_create_sends_the_webhook_inactive_then_each_child_then_the_activation() -> None:
    after = _hook(
        active=True,
        events=["update", "delete"],
        threshold_notification=1,
        notification_email="ops@x.example",
        fields=["Name", "Phone"],
        always_send=["Phone", "Id"],
    )
    ids = {
        "desired": {
            "fields": {"Name": 12, "Phone": 3},
            "always_send": {"Phone": 3, "Id": 40},
            "udf_fields": {"Tier": "9", "Size": 10},
            "excluded_resources": {"Jane": 5},
        },
        "live": {"children": {"fields": {"12": {"subscribed": True, "always": False}}}},
    }
    writes = webhook_writes(_change("create", after=after, ids=ids))
    main = {
        **ALL_MAIN_OFF,
        "sendThresholdExceededNotification": True,
        "notificationEmailAddress": "ops@x.example",
        "isSubscribedToUpdateEvents": True,
        "isSubscribedToDeleteEvents": True,
    }
    field_entity, udf_entity = "CompanyWebhookFields", "CompanyWebhookUdfFields"
    assert writes == [
        WireWrite(
            "CompanyWebhooks",
            "create",
            WHAT,
            {**main, "isActive": False, "secretKey": SECRET_VALUE},
            MAIN,
        ),
        # children sorted by the id as text ("12" < "3" < "40"); a create ignores live children
        WireWrite(
            field_entity,
            "create",
            WHAT,
            {
                "webhookID": PARENT_ID,
                "fieldID": 12,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
            FIELD_ATTRS,
        ),
        WireWrite(
            field_entity,
            "create",
            WHAT,
            {
                "webhookID": PARENT_ID,
                "fieldID": 3,
                "isSubscribedField": True,
                "isDisplayAlwaysField": True,
            },
            FIELD_ATTRS,
        ),
        WireWrite(
            field_entity,
            "create",
            WHAT,
            {
                "webhookID": PARENT_ID,
                "fieldID": 40,
                "isSubscribedField": False,
                "isDisplayAlwaysField": True,
            },
            FIELD_ATTRS,
        ),
        WireWrite(
            udf_entity,
            "create",
            WHAT,
            {
                "webhookID": PARENT_ID,
                "udfFieldID": 10,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
            UDF_ATTRS,
        ),
        WireWrite(
            udf_entity,
            "create",
            WHAT,
            {
                "webhookID": PARENT_ID,
                "udfFieldID": 9,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
            UDF_ATTRS,
        ),
        WireWrite(
            "CompanyWebhookExcludedResources",
            "create",
            WHAT,
            {"webhookID": PARENT_ID, "resourceID": 5},
            RESOURCE_ATTRS,
        ),
        WireWrite("CompanyWebhooks", "update", WHAT, {"isActive": True}, MAIN),
    ]
    assert type(writes[4].values["udfFieldID"]) is int


def test_a_create_of_an_inactive_webhook_has_no_activation_and_active_defaults_on() -> None:
    inactive = webhook_writes(_change("create", after=_hook(active=False)))
    assert inactive == [
        WireWrite(
            "CompanyWebhooks",
            "create",
            WHAT,
            {**ALL_MAIN_OFF, "isActive": False, "secretKey": SECRET_VALUE},
            MAIN,
        )
    ]
    unstated = webhook_writes(_change("create", after=_hook()))
    assert [w.values for w in unstated][-1] == {"isActive": True}
    assert len(unstated) == 2


def test_a_delete_is_one_request_named_from_before() -> None:
    writes = webhook_writes(_change("delete", "ticket/t", before={"entity": "ticket"}))
    assert writes == [WireWrite("TicketWebhooks", "delete", "webhook 'ticket/t'", {}, MAIN)]


@pytest.mark.parametrize(
    ("changed", "after", "expected"),
    [
        ({"name"}, {}, {"name": "sb"}),
        ({"url"}, {}, {"webhookUrl": "https://in.example"}),
        ({"deactivation_url"}, {}, {"deactivationUrl": "https://off.example"}),
        (
            {"threshold_notification"},
            {"threshold_notification": True},
            {"sendThresholdExceededNotification": True},
        ),
        (
            {"notification_email"},
            {"notification_email": "a@b.example"},
            {"notificationEmailAddress": "a@b.example"},
        ),
        (
            {"events"},
            {"events": ["create"]},
            {
                "isSubscribedToCreateEvents": True,
                "isSubscribedToUpdateEvents": False,
                "isSubscribedToDeleteEvents": False,
            },
        ),
        ({"secret"}, {}, {"secretKey": SECRET_VALUE}),
        ({"secret", "name"}, {}, {"name": "sb", "secretKey": SECRET_VALUE}),
    ],
)
def test_an_update_patches_only_the_changed_attributes(
    changed: set[str], after: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = _hook(active=True)
    change = _change("update", before=before, after={**before, **after}, changed=changed)
    assert webhook_writes(change) == [WireWrite("CompanyWebhooks", "update", WHAT, expected, MAIN)]


def test_an_update_without_changed_main_attributes_sends_no_patch() -> None:
    before = _hook(active=True)
    assert webhook_writes(_change("update", before=before, after=before, changed={"fields"})) == []
    assert webhook_writes(_change("update", before=before, after=before)) == []


@pytest.mark.parametrize(
    ("was", "want", "expected"),
    [
        (True, True, []),
        (False, False, []),
        (None, False, []),
        (True, False, [{"isActive": False}]),
        (False, True, [{"isActive": True}]),
        (None, True, [{"isActive": True}]),
    ],
)
def test_an_update_activates_or_deactivates_only_when_active_changes(
    was: bool | None, want: bool, expected: list[dict[str, Any]]
) -> None:
    before = _hook() if was is None else _hook(active=was)
    change = _change("update", before=before, after=_hook(active=want), changed={"active"})
    writes = webhook_writes(change)
    assert [dict(w.values) for w in writes] == expected
    assert all(
        (w.entity, w.operation, w.attributes) == ("CompanyWebhooks", "update", MAIN) for w in writes
    )


def test_an_update_without_after_uses_before() -> None:
    before = _hook(entity="contact", active=False)
    writes = webhook_writes(_change("update", before=before, changed={"name"}))
    assert [(w.entity, dict(w.values)) for w in writes] == [("ContactWebhooks", {"name": "sb"})]


def test_an_update_creates_reflags_and_deletes_children_against_the_live_ones() -> None:
    after = _hook(active=True, fields=["Name", "Phone"], always_send=["Phone"])
    ids = {
        "desired": {
            "fields": {"Name": 1, "Phone": 2},
            "always_send": {"Phone": 2},
            "udf_fields": {"Tier": 7},
            "excluded_resources": {"Jane": 5, "Joe": 6},
        },
        "live": {
            "children": {
                "fields": {
                    "1": {"subscribed": 1, "always": 0},
                    "2": {"subscribed": True, "always": False},
                    "3": {"subscribed": True, "always": False},
                },
                "udf_fields": {"7": {"subscribed": 1, "always": 1}},
                "excluded_resources": {"5": {}, "8": {}},
            }
        },
    }
    writes = webhook_writes(
        _change("update", before=after, after=after, changed={"fields"}, ids=ids)
    )
    assert [(w.entity, w.operation, dict(w.values)) for w in writes] == [
        (
            "CompanyWebhookFields",
            "update",
            {
                "webhookID": PARENT_ID,
                "fieldID": 2,
                "isSubscribedField": True,
                "isDisplayAlwaysField": True,
            },
        ),
        ("CompanyWebhookFields", "delete", {}),
        (
            "CompanyWebhookUdfFields",
            "update",
            {
                "webhookID": PARENT_ID,
                "udfFieldID": 7,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
        ),
        ("CompanyWebhookExcludedResources", "create", {"webhookID": PARENT_ID, "resourceID": 6}),
        ("CompanyWebhookExcludedResources", "delete", {}),
    ]
    assert [w.attributes for w in writes] == [
        FIELD_ATTRS,
        FIELD_ATTRS,
        UDF_ATTRS,
        RESOURCE_ATTRS,
        RESOURCE_ATTRS,
    ]
    assert {w.what for w in writes} == {WHAT}


def test_children_matching_live_need_nothing_and_ticket_notes_have_no_udf_fields() -> None:
    after = _hook(entity="ticket_note", active=True, fields=["Text"])
    ids = {
        "desired": {"fields": {"Text": 4}, "udf_fields": {"Tier": 7}},
        "live": {"children": {"fields": {"4": {"subscribed": True, "always": False}}}},
    }
    change = _change("update", before=after, after=after, changed={"fields"}, ids=ids)
    assert webhook_writes(change) == []
    # without live children everything desired is created
    bare = _change("update", before=after, after=after, ids={"desired": ids["desired"]})
    assert [(w.entity, w.operation) for w in webhook_writes(bare)] == [
        ("TicketNoteWebhookFields", "create")
    ]
    # a ticket note has no UDF fields, but its excluded resources still count
    excluded = {"desired": {"excluded_resources": {"Jane": 5}}}
    with_resources = _change("update", before=after, after=after, ids=excluded)
    assert [(w.entity, w.operation) for w in webhook_writes(with_resources)] == [
        ("TicketNoteWebhookExcludedResources", "create")
    ]


def test_live_child_flags_are_compared_as_read() -> None:
    after = _hook(active=True, fields=["Name"], always_send=["Name"])
    ids = {
        "desired": {"fields": {"Name": 1}, "always_send": {"Name": 1}, "udf_fields": {"T": 7}},
        "live": {
            "children": {
                "fields": {"1": {"subscribed": True, "always": True}},
                "udf_fields": {"7": {"subscribed": True, "always": False}},
            }
        },
    }
    change = _change("update", before=after, after=after, changed={"fields"}, ids=ids)
    assert webhook_writes(change) == []


def test_a_removed_child_is_deleted_even_with_nothing_desired() -> None:
    after = _hook(active=True)
    ids = {"live": {"children": {"udf_fields": {"7": {"subscribed": True, "always": False}}}}}
    change = _change("update", before=after, after=after, ids=ids)
    assert webhook_writes(change) == [
        WireWrite("CompanyWebhookUdfFields", "delete", WHAT, {}, UDF_ATTRS)
    ]


def _resource(entity: object) -> Resource:
    return Resource(
        address="w",
        kind="webhook",
        section="webhooks",
        key="k",
        attributes={"entity": entity},
        owner="autotask",
    )


def test_access_names_every_part_of_each_entity_once() -> None:
    full = frozenset({"query", "create", "update", "delete"})
    no_update = frozenset({"query", "create", "delete"})
    needed = webhook_access(
        [_resource("ticket_note"), _resource("contact"), _resource("nope"), _resource("contact")]
    )
    assert needed == {
        "ContactWebhooks": full,
        "ContactWebhookFields": full,
        "ContactWebhookExcludedResources": no_update,
        "ContactWebhookUdfFields": full,
        "TicketNoteWebhooks": full,
        "TicketNoteWebhookFields": full,
        "TicketNoteWebhookExcludedResources": no_update,
    }
    assert list(needed)[:4] == [
        "ContactWebhooks",
        "ContactWebhookFields",
        "ContactWebhookExcludedResources",
        "ContactWebhookUdfFields",
    ]
    assert webhook_access([]) == {}
    assert webhook_access([_resource(None)]) == {}
