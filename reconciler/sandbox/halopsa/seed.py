"""The HaloPSA simulator's seeds: ``empty``, ``demo`` (a small MSP tenant), ``large`` (paging).

Names are what the seven Salesbuildr pages map (salesbuildr-halopsa-configuration.md): asset types
and groups, item groups, a shipping item, ticket types, categories, statuses, teams, client types
and quote statuses, clients with sites and custom fields. Where Halo keeps client types and quote
statuses is not documented; here they are Lookup lists (:data:`LOOKUP_LISTS`, ids assumed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from reconciler.sandbox.halopsa.store import Store

#: Lookup lists the seeds fill: name -> ``lookupid``. Both ids are assumed [I]: the document
#: has ``Lookup.lookupid`` but enumerates no lists.
LOOKUP_LISTS: Final[Mapping[str, int]] = {"client_types": 33, "quote_statuses": 71}
TICKET_STATUS_TYPE: Final = 1
"""``TStatus.type`` of ticket statuses (not enumerated in SPEC-H) [I]."""
SALESBUILDR_ID_FIELD: Final = "CFSalesbuildrId"


def _custom(field_id: int, name: str, value: Any) -> dict[str, Any]:
    return {"id": field_id, "name": name, "label": name[2:], "type": 0, "value": value}


def _names(store: Store, resource: str, names: list[str], **extra: Any) -> None:
    for name in names:
        store.insert(resource, {"name": name, **extra})


def _demo(store: Store) -> None:
    _names(store, "AssetGroup", ["Hardware", "Software", "Services", "Labour", "Shipping"])
    for name, group in [
        ("Laptops", 1),
        ("Desktops", 1),
        ("Servers", 1),
        ("Licences", 2),
        ("Managed Services", 3),
    ]:
        store.insert("AssetType", {"name": name, "assetgroup_id": group})
    _names(store, "ItemGroup", ["General", "Hardware", "Software", "Services"])
    _names(store, "Team", ["Sales", "Service Desk", "Projects"])
    for name in ["Opportunity", "Quote Request", "Incident", "Service Request"]:
        store.insert("TicketType", {"name": name})
    for value in ["Sales", "Renewals", "Support"]:
        store.insert("Category", {"value": value, "category_name": value, "type_id": 1})
    for name in ["New", "In Progress", "Won", "Lost", "Closed"]:
        store.insert("Status", {"name": name, "type": TICKET_STATUS_TYPE})
    for kind, values in [
        ("client_types", ["Customer", "Prospect", "Supplier"]),
        ("quote_statuses", ["Draft", "Sent", "Accepted", "Declined", "Expired"]),
    ]:
        _names(store, "Lookup", values, lookupid=LOOKUP_LISTS[kind])
    store.insert("FieldInfo", {"name": SALESBUILDR_ID_FIELD, "label": "Salesbuildr Id", "type": 0})
    store.insert("Item", {"name": "Shipping", "assetgroup_id": 5, "baseprice": 15.0})
    store.insert(
        "Item",
        {
            "name": "Dell Latitude 5440",
            "assetgroup_id": 1,
            "assettype_id": 1,
            "costprice": 900.0,
            "baseprice": 1150.0,
            "customfields": [_custom(1, SALESBUILDR_ID_FIELD, "sb-prod-1")],
        },
    )
    for name in ["Acme Ltd", "Globex Corporation"]:
        client = store.insert(
            "Client",
            {"name": name, "customfields": [_custom(1, SALESBUILDR_ID_FIELD, None)]},
        )
        store.insert(
            "Site",
            {
                "name": "Main",
                "client_id": client["id"],
                "delivery_address": {"line1": "1 High Street", "line2": "", "line3": "London"},
            },
        )
    store.insert(
        "Opportunities",
        {"summary": "Laptop refresh", "client_id": 1, "tickettype_id": 1, "status_id": 1},
    )
    store.insert("Quotation", {"title": "Laptop refresh", "client_id": 1, "ticket_id": 1})
    store.insert(
        "Webhook",
        {
            "name": "Accounting sync",
            "url": "https://accounting.example.invalid/halo",
            "type": 0,
            "method": 0,
            "active": True,
            "events": [{"id": 1, "eventno": 22}],
        },
    )


LARGE_ITEMS: Final = 2500
LARGE_CLIENTS: Final = 1200


def _large(store: Store) -> None:
    _demo(store)
    for index in range(LARGE_ITEMS):
        store.insert(
            "Item",
            {"name": f"Item {index:05d}", "assetgroup_id": 1 + index % 4, "baseprice": 10.0},
        )
    for index in range(LARGE_CLIENTS):
        store.insert("Client", {"name": f"Client {index:05d}"})
    for index in range(60):
        store.insert("AssetType", {"name": f"Asset type {index:02d}", "assetgroup_id": 1})


SEEDS: Final[Mapping[str, Callable[[Store], None]]] = {
    "empty": lambda store: None,
    "demo": _demo,
    "large": _large,
}
SEED_NAMES: Final = tuple(SEEDS)


def fill(store: Store, seed: str) -> Store:
    """Fill a fresh store with ``seed``; ValueError for an unknown seed."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; expected one of {', '.join(SEED_NAMES)}")
    SEEDS[seed](store)
    return store
