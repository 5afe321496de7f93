"""Halo webhooks: a keyed Halo collection (``/Webhook``, UUID ids) matched by ``name``.

[assumed] The Webhooks page's content is not documented past its heading (CONF §7); what is
managed is our reading of the ``Webhook`` model: ``name`` (the YAML key), ``url`` (unstated:
Salesbuildr's receiver), ``active`` and ``events`` (the ``events[]`` subscriptions, by the event
names of :mod:`reconciler.psa.halopsa.events`). Every other attribute keeps its live value: a
write re-posts the subscriptions whole (Halo replaces array fields), keeping each kept event's
own record so its conditions survive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from reconciler.hosts import shown_value
from reconciler.kinds.base import ApplyStage, KindDefaults, Problem, address, sort_set_like
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.halopsa.events import EVENT_NAMES, EVENT_NUMBERS
from reconciler.state import DeletePolicy, Resource

SECTION: Final = "webhooks"
MANAGED: Final = ("name", "url", "active", "events")
"""The attributes compared (the model's defaults apply when the YAML leaves one out)."""


def event_label(eventno: Any) -> str:
    """How a live subscription reads: its YAML name, or ``eventno N`` for a number the table
    does not know (export comments those out: they cannot be written back)."""
    try:
        return EVENT_NAMES[int(eventno)]
    except (KeyError, TypeError, ValueError):
        return f"eventno {eventno}"


@dataclass(frozen=True)
class HaloWebhookKind(KindDefaults):
    name: str = "halo_webhook"
    section: str = SECTION
    owner: str = "halopsa"
    delete_policy: DeletePolicy = DeletePolicy.DELETE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset({"events"})
    tables: frozenset[str] = frozenset()
    stage: ApplyStage = ApplyStage.OBJECT  # a Halo write of its own, not a document's part

    def address_of(self, key: str) -> str:
        return address(SECTION, key)

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return sort_set_like(attributes, self.set_like)

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        attributes = dict(resource.attributes)
        if attributes.get("url") is None:
            receiver = catalog.facts.get(RECEIVER_URL)
            if not receiver:
                return None, [
                    Problem(
                        resource.address,
                        "Salesbuildr did not report its HaloPSA webhook receiver URL",
                        "give this webhook a url, or check Salesbuildr's HaloPSA integration",
                        attribute="url",
                    )
                ]
            attributes["url"] = receiver
        unknown = [e for e in attributes.get("events") or [] if e not in EVENT_NUMBERS]
        if unknown:
            return None, [
                Problem(
                    resource.address,
                    f"unknown Halo webhook event '{unknown[0]}'",
                    "valid events: " + ", ".join(sorted(EVENT_NUMBERS)),
                    attribute="events",
                )
            ]
        ids = {"eventnos": [EVENT_NUMBERS[e] for e in attributes.get("events") or []]}
        name = resource.key.strip()
        return (
            replace(
                resource,
                key=name,
                attributes=self.normalise({**attributes, "name": name}),
                ids=ids,
            ),
            [],
        )

    def live(self, row: Mapping[str, Any], address_key: str | None = None) -> Resource:
        """A live ``/Webhook`` record (with its ``events``), keyed by its name."""
        name = str(row.get("name") or "")
        events = [e for e in row.get("events") or [] if isinstance(e, Mapping)]
        attributes = {
            "name": name,
            "url": shown_value(row.get("url")),
            "active": bool(row.get("active")),
            "events": [event_label(e.get("eventno")) for e in events],
        }
        return Resource(
            address=self.address_of(address_key or name),
            kind=self.name,
            section=SECTION,
            key=name,
            attributes=self.normalise(attributes),
            owner=self.owner,
            ids={
                "id": row.get("id"),
                "events": {str(e.get("eventno")): dict(e) for e in events},
            },
            raw=dict(row),
        )

    def body(
        self, after: Mapping[str, Any], live_ids: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The element of ``POST /Webhook`` that makes the live webhook ``after``: with its id
        for an update, without for a create; ``events`` re-posted whole, kept ones as read."""
        kept: Mapping[str, Any] = (live_ids or {}).get("events") or {}
        events = []
        for event in sorted(after.get("events") or [], key=str.casefold):
            number = EVENT_NUMBERS[event]
            events.append(dict(kept.get(str(number)) or {"eventno": number}))
        element: dict[str, Any] = {
            "name": after.get("name"),
            "url": after.get("url"),
            "active": bool(after.get("active", True)),
            "events": events,
        }
        ident = (live_ids or {}).get("id")
        if ident is not None:
            element = {"id": ident, **element}
        return element


HALO_WEBHOOK = HaloWebhookKind()


def live_webhooks(rows: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """The live webhooks of ``GET /Webhook``, each at its own address: its name, or
    ``name (#id)`` where several share the name. A State holds one resource per address, so
    without this one of two namesakes would vanish and plan would create a third instead of
    reporting the ambiguity; their keys stay the name, so matching sees both."""
    listed = [row for row in rows if isinstance(row, Mapping)]
    counts: dict[str, int] = {}
    for row in listed:
        name = str(row.get("name") or "")
        counts[name] = counts.get(name, 0) + 1
    found: list[Resource] = []
    for row in listed:
        name = str(row.get("name") or "")
        shared = counts[name] > 1
        found.append(HALO_WEBHOOK.live(row, f"{name} (#{row.get('id')})" if shared else None))
    return found
