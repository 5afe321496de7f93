"""Autotask webhooks, matched on (entity, name), with their fields, UDF fields and excluded
resources compared as part of the webhook. The secret is write-only: never read back, so it is
sent when the webhook is created and re-sent only with --rotate-secrets.

Only what the YAML states is managed: ``entity``, ``name``, ``url`` (unstated: Salesbuildr's
receiver), ``fields``, ``events`` and ``active`` always are (CONFIG documents their defaults); any
other attribute the YAML leaves out keeps its live value, and a new webhook gets
:data:`CREATE_DEFAULTS`. A webhook whose secret the YAML does not state keeps its live secret;
only a create needs one (:meth:`WebhookKind.check`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.hosts import shown_value
from reconciler.kinds.base import (
    ApplyStage,
    KindDefaults,
    Problem,
    address,
    resolution_problem,
    sort_set_like,
)
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import PlannedChange, WireWrite
from reconciler.kinds.matching import index_live, match_key
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.webhook_wire import webhook_access, webhook_writes
from reconciler.state import DeletePolicy, Resource, canonical_json

SECTION = "webhooks"
RECEIVER_URL = "salesbuildr.receiver_url"
"""Catalog fact: where webhooks without a url point (Salesbuildr's receiver)."""

LIST_TABLES = {
    "fields": t.at_webhook_fields,
    "always_send": t.at_webhook_fields,
    "udf_fields": t.at_webhook_udf_fields,
}

ALWAYS_MANAGED = frozenset({"entity", "name", "url", "active", "events", "fields"})
"""Attributes compared even when the YAML leaves them out (the model's defaults apply)."""

CREATE_DEFAULTS: Mapping[str, Any] = {
    "always_send": [],
    "udf_fields": [],
    "excluded_resources": [],
    "notification_email": None,
    "threshold_notification": False,
}
"""What a new webhook gets for an attribute the YAML does not state (``deactivation_url``: the
url, as Autotask requires one)."""


def stated(attributes: Mapping[str, Any], given: frozenset[str] | set[str]) -> dict[str, Any]:
    """The attributes of a YAML webhook that are managed: the always-managed ones and those the
    document states (``given``); the rest is left as it is live."""
    return {k: v for k, v in attributes.items() if k in ALWAYS_MANAGED or k in given}


def natural_key(entity: str, name: str) -> str:
    return f"{entity}/{name}"


@dataclass(frozen=True)
class WebhookKind(KindDefaults):
    name: str = "webhook"
    section: str = SECTION
    owner: str = "autotask"
    delete_policy: DeletePolicy = DeletePolicy.DELETE
    sensitive: frozenset[str] = frozenset({"secret"})
    set_like: frozenset[str] = frozenset(
        {"events", "fields", "always_send", "udf_fields", "excluded_resources"}
    )
    tables: frozenset[str] = frozenset({t.AT_RESOURCES})
    stage: ApplyStage = ApplyStage.OBJECT

    def tables_for(self, entities: Sequence[str]) -> frozenset[str]:
        found = {t.AT_RESOURCES}
        for entity in entities:
            found.add(t.at_webhook_fields(entity))
            if entity != "ticket_note":
                found.add(t.at_webhook_udf_fields(entity))
        return frozenset(found)

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return sort_set_like(attributes, self.set_like)

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        return webhook_writes(change)

    def autotask_access(self, desired: Sequence[Resource]) -> dict[str, frozenset[str]]:
        return webhook_access(desired)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        attributes = dict(resource.attributes)
        entity = str(attributes["entity"])
        problems: list[Problem] = []
        ids: dict[str, Any] = {}
        if attributes.get("url") is None:
            receiver = catalog.facts.get(RECEIVER_URL)
            if not receiver:
                problems.append(
                    Problem(
                        resource.address,
                        "Salesbuildr did not report its webhook receiver URL",
                        "give this webhook a url, or check the webhook-receiver settings",
                    )
                )
            attributes["url"] = receiver
        if "deactivation_url" in attributes and attributes["deactivation_url"] is None:
            attributes["deactivation_url"] = attributes["url"]
        for attr, table_of in LIST_TABLES.items():
            if attr not in attributes:
                continue  # unstated: unmanaged, so neither resolved nor written
            table = catalog.table(table_of(entity))
            shown: list[str] = []
            resolved_ids: dict[str, Any] = {}
            for ref in attributes.get(attr) or []:
                outcome = table.resolve(ref)
                if outcome.entry is None:
                    problems.append(resolution_problem(resource, attr, outcome))
                    continue
                label = table.display(outcome.entry.id)
                shown.append(label)
                resolved_ids[label] = outcome.entry.id
            attributes[attr] = shown
            ids[attr] = resolved_ids
        if "excluded_resources" in attributes:
            people = catalog.table(t.AT_RESOURCES)
            excluded: list[str] = []
            excluded_ids: dict[str, Any] = {}
            for ref in attributes["excluded_resources"] or []:
                outcome = people.resolve(ref)
                if outcome.entry is None:
                    problems.append(resolution_problem(resource, "excluded_resources", outcome))
                    continue
                label = people.display(outcome.entry.id)
                excluded.append(label)
                excluded_ids[label] = outcome.entry.id
            attributes["excluded_resources"] = excluded
            ids["excluded_resources"] = excluded_ids
        if problems:
            return None, problems
        return replace(resource, attributes=self.normalise(attributes), ids=ids), []

    def with_defaults(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """A create writes every attribute: the unstated ones get :data:`CREATE_DEFAULTS`."""
        created = {**CREATE_DEFAULTS, **attributes}
        if created.get("deactivation_url") is None:
            created["deactivation_url"] = created.get("url")
        return self.normalise(created)

    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """A webhook to create needs a secret (Autotask signs every callout with it); one that
        exists keeps its live secret when the YAML states none."""
        existing = index_live(r for r in live if r.kind == self.name)
        problems: list[Problem] = []
        for resource in desired:
            if resource.kind != self.name or "secret" in resource.secret_refs:
                continue
            if existing.get(match_key(resource)):
                continue
            to_receiver = resource.attributes.get("url") == catalog.facts.get(RECEIVER_URL)
            name = resource.attributes.get("name")
            problems.append(
                Problem(
                    resource.address,
                    f"webhook '{name}' does not exist in Autotask yet, and a new webhook "
                    "needs a secret (Autotask signs every callout with it); the file states none",
                    "add webhook_receiver: {secret: ${env:SALESBUILDR_WEBHOOK_SECRET}} (this "
                    "webhook posts to Salesbuildr's receiver)"
                    if to_receiver
                    else "add secret: ${env:NAME} to this webhook",
                    attribute="secret",
                )
            )
        return problems

    def live(
        self,
        *,
        entity: str,
        row: Mapping[str, Any],
        fields: Sequence[Mapping[str, Any]],
        udf_fields: Sequence[Mapping[str, Any]],
        excluded: Sequence[Mapping[str, Any]],
        catalog: Catalog,
        address_key: str,
    ) -> Resource:
        """A live webhook and its children, shown through the same tables as the YAML side."""
        field_table = catalog.table(t.at_webhook_fields(entity))
        udf_table = catalog.table(t.at_webhook_udf_fields(entity))
        people = catalog.table(t.AT_RESOURCES)
        events = [
            event
            for event, flag in (
                ("create", "isSubscribedToCreateEvents"),
                ("update", "isSubscribedToUpdateEvents"),
                ("delete", "isSubscribedToDeleteEvents"),
            )
            if row.get(flag)
        ]
        subscribed = [f for f in fields if f.get("isSubscribedField")]
        always = [f for f in fields if f.get("isDisplayAlwaysField")]
        udf_subscribed = [f for f in udf_fields if f.get("isSubscribedField")]
        attributes = {
            "entity": entity,
            "name": str(row.get("name") or ""),
            "url": shown_value(row.get("webhookUrl")),
            "deactivation_url": shown_value(row.get("deactivationUrl")),
            "active": bool(row.get("isActive")),
            "events": events,
            "fields": [field_table.display(f.get("fieldID")) for f in subscribed],
            "always_send": [field_table.display(f.get("fieldID")) for f in always],
            "udf_fields": [udf_table.display(f.get("udfFieldID")) for f in udf_subscribed],
            "excluded_resources": [people.display(x.get("resourceID")) for x in excluded],
            "notification_email": row.get("notificationEmailAddress"),
            "threshold_notification": bool(row.get("sendThresholdExceededNotification")),
        }
        ids = {
            "id": row.get("id"),
            "children": {
                "fields": {
                    str(f.get("fieldID")): {
                        "id": f.get("id"),
                        "subscribed": bool(f.get("isSubscribedField")),
                        "always": bool(f.get("isDisplayAlwaysField")),
                    }
                    for f in fields
                },
                "udf_fields": {
                    str(f.get("udfFieldID")): {
                        "id": f.get("id"),
                        "subscribed": bool(f.get("isSubscribedField")),
                        "always": bool(f.get("isDisplayAlwaysField")),
                    }
                    for f in udf_fields
                },
                "excluded_resources": {str(x.get("resourceID")): x.get("id") for x in excluded},
            },
        }
        return Resource(
            address=address(SECTION, address_key),
            kind=self.name,
            section=SECTION,
            key=natural_key(entity, str(row.get("name") or "")),
            attributes=self.normalise(attributes),
            owner=self.owner,
            ids=ids,
            sensitive=self.sensitive,
            raw={
                "webhook": dict(row),
                "fields": _by_id(fields),
                "udf_fields": _by_id(udf_fields),
                "excluded_resources": _by_id(excluded),
            },
        )


def _by_id(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Children in id order: the API lists them in no promised order, and the fingerprint of
    the webhook must not change when only the listing order does."""
    return sorted((dict(r) for r in rows), key=lambda r: canonical_json(r.get("id")))


WEBHOOK = WebhookKind()
