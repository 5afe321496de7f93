"""The Halo resources the seven Salesbuildr pages use, and how each one's list comes back.

Lists whose GET documents ``pageinate`` (SPEC-H) come in an envelope ``{"record_count": N,
"<plural>": [...]}`` and are paged; the other lookups answer a bare array in one request
(halopsa-api.md §3: ``clients`` is [C C-CIPP], the other keys and which lookups are bare are [I]).
The client accepts either shape from any resource, so a wrong guess costs a request, not a read.
The simulator keeps its own copy of this table; a test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Resource:
    """One Halo resource: its path under ``/api`` and, for a paged list, its envelope key."""

    name: str
    plural: str | None = None

    @property
    def paged(self) -> bool:
        return self.plural is not None


ASSET_TYPE: Final = Resource("AssetType")
ASSET_GROUP: Final = Resource("AssetGroup")
ITEM_GROUP: Final = Resource("ItemGroup")
ITEM: Final = Resource("Item", "items")
TICKET_TYPE: Final = Resource("TicketType")
CATEGORY: Final = Resource("Category")
STATUS: Final = Resource("Status")
TEAM: Final = Resource("Team")
LOOKUP: Final = Resource("Lookup")
FIELD_INFO: Final = Resource("FieldInfo")
CLIENT: Final = Resource("Client", "clients")
SITE: Final = Resource("Site", "sites")
OPPORTUNITY: Final = Resource("Opportunities", "tickets")
QUOTATION: Final = Resource("Quotation", "quotes")
WEBHOOK: Final = Resource("Webhook")
WEBHOOK_EVENT: Final = Resource("WebhookEvent", "webhookevents")

RESOURCES: Final[Mapping[str, Resource]] = {
    r.name: r
    for r in (
        ASSET_TYPE,
        ASSET_GROUP,
        ITEM_GROUP,
        ITEM,
        TICKET_TYPE,
        CATEGORY,
        STATUS,
        TEAM,
        LOOKUP,
        FIELD_INFO,
        CLIENT,
        SITE,
        OPPORTUNITY,
        QUOTATION,
        WEBHOOK,
        WEBHOOK_EVENT,
    )
}

#: Lookup lists by purpose -> ``lookupid`` (assumed [I]: SPEC-H enumerates no lookup lists; where
#: Halo keeps client types and quote statuses is a gap in salesbuildr-halopsa-configuration.md §9).
LOOKUP_LISTS: Final[Mapping[str, int]] = {"client_types": 33, "quote_statuses": 71}
