"""The pure helpers of the operations (reconciler.jobs, psa.autotask.operations*): durations,
polling, names, grouping, selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from reconciler import jobs
from reconciler.apply_workflow import after_apply_actions as actions_of
from reconciler.errors import UsageError
from reconciler.kinds.catalog import Entry, NameTable
from reconciler.plan import Action, FieldDiff, Plan, Risk
from reconciler.psa.autotask import operations as at_ops
from reconciler.psa.autotask import operations_deliveries as at_deliveries
from reconciler.psa.autotask import operations_uninstall as at_uninstall
from reconciler.psa.autotask import operations_webhooks as at_webhooks
from reconciler.psa.autotask.kinds import tables as t
from reconciler.salesbuildr.client import Category

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def hook(entity: str, name: str, hook_id: int, guid: str | None = None, **extra: Any) -> Any:
    return at_webhooks.InstalledWebhook(
        entity=entity,
        id=hook_id,
        name=name,
        guid=guid,
        url=extra.get("url"),
        active=extra.get("active", True),
        ready=True,
    )


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("30s", 30), ("10m", 600), ("24h", 86400), ("7d", 604800), (" 1.5H ", 5400)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert jobs.parse_duration(text, option="--timeout") == seconds


@pytest.mark.parametrize("text", ["", "soon", "10 minutes", "-5m", "5w", "0", "0s"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(UsageError, match=r"^--timeout '.*': expected a positive duration"):
        jobs.parse_duration(text, option="--timeout")


def test_zero_is_a_duration_where_allowed() -> None:
    assert jobs.parse_duration("0s", option="--lock-timeout", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("24h", NOW - timedelta(days=1)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-11-25T08:00:00Z", datetime(2026, 11, 25, 8, tzinfo=UTC)),
        ("2026-11-25T08:00:00", datetime(2026, 11, 25, 8, tzinfo=UTC)),
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        (
            "2026-11-25T09:00:00+01:00",
            datetime(2026, 11, 25, 9, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    since = jobs.parse_since(text, now=NOW)

    assert since == expected
    assert since.tzinfo is UTC


def test_parse_since_refuses_other_text() -> None:
    with pytest.raises(UsageError, match=r"expected a duration .* or an ISO-8601 timestamp"):
        jobs.parse_since("yesterday", now=NOW)


def test_poll_schedule_starts_short_and_levels_off() -> None:
    slept: list[float] = []
    schedule = jobs.PollSchedule(sleep=slept.append)

    for _ in range(8):
        schedule(1.0)

    assert slept == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


# --- after_apply ----------------------------------------------------------------------------


def after_apply_actions(plan: Plan) -> list[str]:
    return actions_of(plan, at_ops.AFTER_APPLY)


def plan_with(policy: dict[str, Any]) -> Plan:
    return Plan(changes=(), risk=Risk.SAFE, policy=policy)


def test_after_apply_actions_come_from_the_plan_policy() -> None:
    assert after_apply_actions(plan_with({})) == []
    assert after_apply_actions(plan_with({"after_apply": ["sync_fields", "import_products"]})) == [
        "sync_fields",
        "import_products",
    ]


def test_an_unknown_after_apply_action_in_a_plan_is_refused() -> None:
    with pytest.raises(UsageError, match=r"unknown action.*: sync_everything"):
        after_apply_actions(plan_with({"after_apply": ["sync_everything"]}))


def test_every_after_apply_action_of_the_yaml_has_a_job() -> None:
    from reconciler.psa.autotask.models import AfterApplyAction  # noqa: PLC0415

    assert set(at_ops.AFTER_APPLY) == {a.value for a in AfterApplyAction}


# --- product import -------------------------------------------------------------------------


CATEGORIES = jobs.category_table(
    [
        Category("c-hw", "Hardware", None, ("Hardware",)),
        Category("c-lap", "Laptops", "c-hw", ("Hardware", "Laptops")),
        Category("c-sw", "Software", None, ("Software",)),
        Category("c-av", "Security/AV", "c-sw", ("Software", "Security/AV")),
    ]
)


def test_categories_resolve_by_path_case_insensitively() -> None:
    found = jobs.resolve_categories(
        CATEGORIES, ["hardware/LAPTOPS", "Software/Security\\/AV", "Hardware/Laptops"]
    )

    assert [e.id for e in found] == ["c-lap", "c-av"]
    assert [CATEGORIES.label(e) for e in found] == ["Hardware/Laptops", "Software/Security\\/AV"]


def test_an_unknown_category_names_the_closest() -> None:
    with pytest.raises(UsageError) as raised:
        jobs.resolve_categories(CATEGORIES, ["Hardware/Laptop"])

    assert raised.value.message == "--category: unknown Salesbuildr category 'Hardware/Laptop'"
    assert raised.value.hint is not None
    assert "did you mean 'Hardware/Laptops'" in raised.value.hint


def test_every_unknown_category_is_reported_at_once() -> None:
    with pytest.raises(UsageError) as raised:
        jobs.resolve_categories(CATEGORIES, ["Hardwre", "Laptops", "Software"])

    assert raised.value.message.splitlines() == [
        "--category: 2 paths name no Salesbuildr category:",
        "  unknown Salesbuildr category 'Hardwre' (did you mean 'Hardware', 'Hardware/Laptops'?)",
        "  unknown Salesbuildr category 'Laptops' (did you mean 'Hardware/Laptops'?)",
    ]


COUNTS = {
    "roles": {"29683301": 12, "29683302": 3},
    "productCategories": {"3": 40},
    "services": {"99": 1},
    "total": 56,
}


def test_import_lines_name_the_mapped_autotask_objects() -> None:
    tables = {
        t.AT_ROLES: NameTable("role", [Entry(29683301, "Engineer"), Entry(29683302, "Admin")]),
        t.AT_PRODUCT_CATEGORIES: NameTable("product category", [Entry("3", "Hardware")]),
    }

    lines = at_ops.import_lines(COUNTS, tables)

    assert [(line.kind, line.name, line.imported) for line in lines] == [
        ("role", "Admin", 3),
        ("role", "Engineer", 12),
        ("product category", "Hardware", 40),
        ("service", None, 1),  # no services table: shown by id
    ]
    assert lines[-1].id == "99"
    assert at_ops.import_total(COUNTS) == 56
    assert at_ops.import_total({k: v for k, v in COUNTS.items() if k != "total"}) == 56


def test_only_the_tables_an_import_counted_in_are_read() -> None:
    assert at_ops.tables_for_counts(COUNTS) == [t.AT_ROLES, t.AT_PRODUCT_CATEGORIES, t.AT_SERVICES]
    assert at_ops.tables_for_counts({"roles": {"1": 2}, "services": {}, "total": 2}) == [t.AT_ROLES]
    assert at_ops.tables_for_counts({}) == []


# --- webhooks: diff, deliveries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "text"),
    [
        (FieldDiff("fields", ["A", "B"], ["A", "B", "Phone"]), "fields +Phone"),
        (FieldDiff("events", ["create", "update"], ["create"]), "events -update"),
        (FieldDiff("active", True, False), "active true -> false"),
        (FieldDiff("notification_email", None, "ops@x"), "notification_email null -> ops@x"),
    ],
)
def test_describe_diff(diff: FieldDiff, text: str) -> None:
    assert at_webhooks.describe_diff(diff) == text


def delivery(guid: str | None, status: str, at: str, error: str | None = None) -> dict[str, Any]:
    return {
        "webhookGuid": guid,
        "entity": "company",
        "action": "update",
        "receivedAt": at,
        "status": status,
        "error": error,
    }


def test_deliveries_are_grouped_per_webhook_by_guid() -> None:
    companies = hook("company", "sb-companies", 1, "GUID-1")
    tickets = hook("ticket", "sb-tickets", 2, "guid-2")
    deliveries = [
        delivery("guid-1", "delivered", "2026-11-25T10:00:00.000Z"),
        delivery("guid-1", "bad_signature", "2026-11-25T10:05:00.000Z", "signature mismatch"),
        delivery("guid-1", "delivered", "2026-11-25T10:10:00.000Z"),
        delivery("stranger", "failed", "2026-11-25T09:00:00.000Z", "not JSON"),
        delivery(None, "failed", "2026-11-25T09:30:00.000Z", "the body is not JSON"),
    ]

    groups = at_deliveries.group_deliveries(deliveries, [companies, tickets], always=[tickets])

    assert [(g.entity, g.name, g.guid) for g in groups] == [
        ("company", "sb-companies", "guid-1"),
        ("ticket", "sb-tickets", "guid-2"),
        ("company", None, "stranger"),
        ("company", None, None),
    ]
    first = groups[0]
    assert first.counts == {"delivered": 2, "failed": 0, "bad_signature": 1}
    assert first.last_received == "2026-11-25T10:10:00.000Z"
    assert first.last_error == "signature mismatch"
    assert groups[1].counts == {"delivered": 0, "failed": 0, "bad_signature": 0}
    assert groups[1].last_received is None
    assert not groups[2].known
    assert groups[2].to_dict()["failed"] == 1


def test_the_last_error_is_the_newest_one() -> None:
    deliveries = [
        delivery("g", "failed", "2026-11-25T11:00:00Z", "newest"),
        delivery("g", "failed", "2026-11-25T10:00:00Z", "older, listed later"),
    ]

    [group] = at_deliveries.group_deliveries(deliveries, [])

    assert group.last_error == "newest"
    assert group.last_received == "2026-11-25T11:00:00Z"


def test_a_webhook_points_at_the_receiver_by_url() -> None:
    at = hook("company", "a", 1, url="https://acme.salesbuildr.com/webhooks/autotask/")

    assert at_deliveries.points_at(at, "https://ACME.salesbuildr.com/webhooks/autotask")
    assert not at_deliveries.points_at(at, None)
    assert not at_deliveries.points_at(hook("company", "b", 2), "https://acme.salesbuildr.com/x")


# --- webhooks: what uninstall deletes -------------------------------------------------------

INSTALLED = [
    hook("company", "sb-companies", 1),
    hook("company", "shared", 2),
    hook("ticket", "shared", 3),
    hook("ticket", "monitoring", 4),
]


def test_names_select_webhooks_case_insensitively() -> None:
    chosen = at_uninstall.select_webhooks(
        INSTALLED, ["SB-Companies", "ticket/shared", "sb-companies"]
    )

    assert [h.id for h in chosen] == [1, 3]


def test_an_ambiguous_name_asks_for_the_entity() -> None:
    with pytest.raises(UsageError) as raised:
        at_uninstall.select_webhooks(INSTALLED, ["shared"])

    assert raised.value.message == "2 webhooks are named 'shared': company/shared, ticket/shared"
    assert raised.value.hint == "write one of company/shared, ticket/shared"


def test_an_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UsageError) as raised:
        at_uninstall.select_webhooks(INSTALLED, ["sb-company", "monitoring"])

    assert raised.value.message == "no installed webhook is named 'sb-company'"
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("did you mean 'sb-companies'")


def test_managed_webhooks_are_matched_on_entity_and_name() -> None:
    chosen, absent = at_uninstall.select_managed(
        INSTALLED, [("company", "SB-companies"), ("ticket", "shared"), ("contact", "sb-contacts")]
    )

    assert [h.id for h in chosen] == [1, 3]
    assert absent == ["contact/sb-contacts"]


def test_removals_address_webhooks_as_the_plan_does() -> None:
    changes = at_uninstall.removals([INSTALLED[2], INSTALLED[1], INSTALLED[0]])

    assert [c.address for c in changes] == [
        'webhooks["sb-companies"]',
        'webhooks["shared"]',
        'webhooks["shared@ticket"]',
    ]
    assert all(c.action is Action.DELETE for c in changes)
    assert changes[2].ids == {"live": {"id": 3}}
    assert changes[2].before is not None
    assert changes[2].before["entity"] == "ticket"
    assert changes[2].key == "ticket/shared"


class FakeAutotask:
    """Answers the root queries `leftovers` makes from a dict of rows per collection."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]):
        self.rows = rows
        self.queries: list[str] = []

    def query(self, entity: str, filter_: Any = None, **_: Any) -> list[dict[str, Any]]:
        self.queries.append(entity)
        ids = set(filter_["value"])
        return [r for r in self.rows.get(entity, []) if r["id"] in ids]

    def query_children(
        self, entity: str, parent_field: str, parent_ids: Any, **_: Any
    ) -> list[dict[str, Any]]:
        self.queries.append(entity)
        ids = set(parent_ids)
        return [r for r in self.rows.get(entity, []) if r[parent_field] in ids]


def test_leftovers_finds_remaining_webhooks_and_orphaned_children() -> None:
    client = FakeAutotask(
        {
            "CompanyWebhooks": [{"id": 1, "name": "sb-companies"}, {"id": 9, "name": "other"}],
            "CompanyWebhookFields": [{"id": 70, "webhookID": 1}, {"id": 71, "webhookID": 9}],
            "TicketWebhookExcludedResources": [{"id": 80, "webhookID": 3}],
        }
    )

    found = at_uninstall.leftovers(client, [INSTALLED[0], INSTALLED[2]])  # type: ignore[arg-type]

    assert found == [
        "company/sb-companies (id 1) still exists",
        "CompanyWebhookFields id 70 of webhook 1 is orphaned",
        "TicketWebhookExcludedResources id 80 of webhook 3 is orphaned",
    ]
    assert client.queries == [
        "CompanyWebhooks",
        "CompanyWebhookFields",
        "CompanyWebhookUdfFields",
        "CompanyWebhookExcludedResources",
        "TicketWebhooks",
        "TicketWebhookFields",
        "TicketWebhookUdfFields",
        "TicketWebhookExcludedResources",
    ]


def test_leftovers_asks_nothing_of_ticket_notes_udf_fields() -> None:
    client = FakeAutotask({})

    assert at_uninstall.leftovers(client, [hook("ticket_note", "notes", 5)]) == []  # type: ignore[arg-type]
    assert "TicketNoteWebhookUdfFields" not in client.queries


class FailingWriter:
    def __init__(self, fail_at: int):
        self.fail_at = fail_at
        self.calls = 0

    def remove(self, change: Any, journal: Any) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise UsageError("the API said no")


def test_a_failure_after_a_delete_is_a_partial_uninstall() -> None:
    from reconciler.errors import PartialApplyError  # noqa: PLC0415

    changes = at_uninstall.removals(INSTALLED[:3])

    with pytest.raises(PartialApplyError) as raised:
        at_uninstall.remove_webhooks(FailingWriter(2), changes, lambda record: None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="the API said no"):
        at_uninstall.remove_webhooks(FailingWriter(1), changes, lambda record: None)  # type: ignore[arg-type]

    assert raised.value.exit_code == 4
    assert 'deleted: webhooks["sb-companies"]' in raised.value.message
    assert 'not deleted: webhooks["shared"], webhooks["shared@ticket"]' in raised.value.message
