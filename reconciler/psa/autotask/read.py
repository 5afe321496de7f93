"""Autotask collections <-> resources: reference tables for the catalog, and live resources.

Every table is one bulk query (500 rows a page, ``IncludeFields``) or one metadata call; webhook
children are read with one root query per child collection for all webhooks of an entity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.kinds.catalog import Catalog, Entry, NameTable
from reconciler.kinds.names import fold
from reconciler.psa.autotask.client import AutotaskClient, UdfDefinition, in_
from reconciler.psa.autotask.kinds import tables as t
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.webhooks import WEBHOOK
from reconciler.state import Resource

WEBHOOK_ENTITY_PREFIX = {
    "company": "Company",
    "contact": "Contact",
    "configuration_item": "ConfigurationItem",
    "ticket": "Ticket",
    "ticket_note": "TicketNote",
}

WEBHOOK_FIELDS = [
    "id",
    "name",
    "webhookUrl",
    "deactivationUrl",
    "isActive",
    "isReady",
    "isSubscribedToCreateEvents",
    "isSubscribedToUpdateEvents",
    "isSubscribedToDeleteEvents",
    "sendThresholdExceededNotification",
    "notificationEmailAddress",
    "ownerResourceID",
    "webhookGUID",
]

UDF_TABLES = {
    t.AT_COMPANY_UDFS: ("Company", "company UDF"),
    t.AT_OPPORTUNITY_UDFS: ("Opportunity", "opportunity UDF"),
}
"""UDF tables: entity label (``udfType`` picklist label) and what an entry is called."""

TICKET_PICKLISTS = {
    t.AT_TICKET_QUEUES: ("queueID", "ticket queue"),
    t.AT_TICKET_PRIORITIES: ("priority", "ticket priority"),
    t.AT_TICKET_ISSUE_TYPES: ("issueType", "issue type"),
    t.AT_TICKET_SUB_ISSUE_TYPES: ("subIssueType", "sub-issue type"),
    t.AT_TICKET_CATEGORIES: ("ticketCategory", "ticket category"),
    t.AT_TICKET_SOURCES: ("source", "ticket source"),
}


def _picklist_table(client: AutotaskClient, entity: str, field: str, what: str) -> NameTable:
    return NameTable(
        what,
        [
            Entry(id=v.value, name=v.label, active=v.is_active, parent=v.parent_value)
            for v in client.picklist(entity, field)
        ],
    )


def _named_rows(
    client: AutotaskClient, entity: str, what: str, fields: list[str], name: Callable[[Any], str]
) -> NameTable:
    rows = client.query(entity, include_fields=fields)
    return NameTable(
        what,
        [
            Entry(id=row["id"], name=name(row), active=bool(row.get("isActive", True)))
            for row in rows
        ],
    )


def _udf_entries(what: str, definitions: Iterable[UdfDefinition]) -> NameTable:
    return NameTable(
        what,
        [
            Entry(
                id=d.name,
                name=d.name,
                active=d.is_active,
                extra={t.MULTI_SELECT: d.is_multi_select, "id": d.id},
            )
            for d in definitions
        ],
    )


def _udf_table(client: AutotaskClient, entity_label: str, what: str) -> NameTable:
    return _udf_entries(what, client.udf_definitions(entity_label))


def read_udf_tables(client: AutotaskClient, names: Iterable[str]) -> dict[str, NameTable]:
    """The UDF tables among ``names`` (:data:`UDF_TABLES`) from one ``UserDefinedFieldDefinitions``
    query (``udfType in [...]``) instead of one query per entity."""
    chosen = [name for name in names if name in UDF_TABLES]
    if not chosen:
        return {}
    entity = "UserDefinedFieldDefinitions"
    udf_types = {v.label.lower(): v.value for v in client.picklist(entity, "udfType")}
    data_types = {v.value: v.label for v in client.picklist(entity, "dataType")}
    codes = {name: udf_types.get(UDF_TABLES[name][0].lower()) for name in chosen}
    wanted = sorted({int(code) for code in codes.values() if code is not None})
    rows = (
        client.query(
            entity,
            in_("udfType", wanted),
            include_fields=["id", "name", "udfType", "dataType", "isActive"],
        )
        if wanted
        else []
    )
    tables: dict[str, NameTable] = {}
    for name, code in codes.items():
        label, what = UDF_TABLES[name]
        tables[name] = _udf_entries(
            what,
            [
                UdfDefinition(
                    id=int(row["id"]),
                    name=str(row.get("name") or ""),
                    entity=label,
                    data_type=data_types.get(str(row.get("dataType")), str(row.get("dataType"))),
                    is_active=bool(row.get("isActive", True)),
                )
                for row in rows
                if code is not None and str(row.get("udfType")) == code
            ],
        )
    return tables


def _picklist_sources() -> dict[str, tuple[str, str, str]]:
    """Reference tables that are one field's picklist: table -> (entity, field, what)."""
    sources = {
        t.AT_COMPANY_TYPES: ("Companies", "companyType", "Autotask company type"),
        t.AT_PRODUCT_CATEGORIES: ("Products", "productCategory", "product category"),
    }
    for name, (field, what) in TICKET_PICKLISTS.items():
        sources[name] = ("Tickets", field, what)
    for entity, prefix in WEBHOOK_ENTITY_PREFIX.items():
        sources[t.at_webhook_fields(entity)] = (
            f"{prefix}WebhookFields",
            "fieldID",
            f"{entity} webhook field",
        )
        sources[t.at_webhook_udf_fields(entity)] = (
            f"{prefix}WebhookUdfFields",
            "udfFieldID",
            f"{entity} webhook UDF field",
        )
    return sources


PICKLIST_SOURCES = _picklist_sources()


def read_table(client: AutotaskClient, name: str) -> NameTable | None:
    """Build one Autotask reference table, or None when the name is not an Autotask table."""
    if name == t.AT_BILLING_CODES:
        return _named_rows(
            client,
            "BillingCodes",
            "billing code",
            ["name", "isActive"],
            lambda r: str(r.get("name")),
        )
    if name == t.AT_ROLES:
        return _named_rows(
            client, "Roles", "role", ["name", "isActive"], lambda r: str(r.get("name"))
        )
    if name == t.AT_SERVICES:
        return _named_rows(
            client, "Services", "service", ["name", "isActive"], lambda r: str(r.get("name"))
        )
    if name == t.AT_RESOURCES:
        return _named_rows(
            client,
            "Resources",
            "resource",
            ["firstName", "lastName", "isActive"],
            lambda r: " ".join(str(r.get(k) or "") for k in ("firstName", "lastName")).strip(),
        )
    if name in PICKLIST_SOURCES:
        return _picklist_table(client, *PICKLIST_SOURCES[name])
    if name in UDF_TABLES:
        return _udf_table(client, *UDF_TABLES[name])
    return None


def table_groups(names: Iterable[str]) -> list[tuple[str, ...]]:
    """The tables among ``names`` in the groups one read job serves, each group one chain of
    requests: the UDF tables together (one ``UserDefinedFieldDefinitions`` query), the picklists
    of one entity together (one metadata call: a job per table would park a reader on the
    metadata cache's lock for each), every other table alone. Groups come in ``names`` order."""
    groups: dict[str, list[str]] = {}
    for name in names:
        if name in UDF_TABLES:
            key = "udf"
        elif name in PICKLIST_SOURCES:
            key = "fields:" + PICKLIST_SOURCES[name][0]
        else:
            key = "table:" + name
        groups.setdefault(key, []).append(name)
    return [tuple(group) for group in groups.values()]


def read_tables(client: AutotaskClient, names: Iterable[str]) -> dict[str, NameTable]:
    """One group of :func:`table_groups`: its tables by name (names that are not Autotask
    tables are left out)."""
    chosen = list(names)
    found = read_udf_tables(client, [n for n in chosen if n in UDF_TABLES])
    for name in chosen:
        if name not in UDF_TABLES:
            table = read_table(client, name)
            if table is not None:
                found[name] = table
    return found


def read_inventory_locations(client: AutotaskClient) -> list[dict[str, Any]]:
    return client.query(
        "InventoryLocations", include_fields=["locationName", "isActive", "isDefault", "resourceID"]
    )


def inventory_resources(
    rows: Iterable[Mapping[str, Any]], tracked: Mapping[str, bool]
) -> list[Resource]:
    """Live inventory locations with Salesbuildr's tracking flag (by location id) beside them."""
    return [
        INVENTORY_LOCATION.live(row, tracked.get(str(row.get("id")), False), raw=dict(row))
        for row in rows
    ]


def read_webhooks(client: AutotaskClient, entity: str) -> dict[str, list[dict[str, Any]]]:
    """One entity's webhooks and all their children: at most four bulk queries, the three child
    queries at once (they depend on the webhook ids only, not on each other)."""
    prefix = WEBHOOK_ENTITY_PREFIX[entity]
    hooks = client.query(f"{prefix}Webhooks", include_fields=WEBHOOK_FIELDS)
    result: dict[str, list[dict[str, Any]]] = {
        "webhooks": hooks,
        "fields": [],
        "udf_fields": [],
        "excluded": [],
    }
    ids = [int(h["id"]) for h in hooks]
    if not ids:
        return result
    children = {"fields": "Fields", "excluded": "ExcludedResources"}
    if entity != "ticket_note":
        children["udf_fields"] = "UdfFields"
    with ThreadPoolExecutor(max_workers=len(children), thread_name_prefix="read-child") as pool:
        jobs = {
            key: pool.submit(client.query_children, f"{prefix}Webhook{child}", "webhookID", ids)
            for key, child in children.items()
        }
        for key, job in jobs.items():
            result[key] = job.result()
    return result


def webhook_resources(
    entity: str, data: Mapping[str, list[dict[str, Any]]], catalog: Catalog, taken: set[str]
) -> list[Resource]:
    """Live webhooks of one entity. A name shared by two entities gets ``name@entity``."""
    by_parent: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for child in ("fields", "udf_fields", "excluded"):
        for row in data.get(child, []):
            by_parent.setdefault(str(row.get("webhookID")), {}).setdefault(child, []).append(row)
    resources = []
    for row in data.get("webhooks", []):
        children = by_parent.get(str(row["id"]), {})
        name = str(row.get("name") or "")
        key = _unique_address_key(name, entity, row.get("id"), taken)
        resources.append(
            WEBHOOK.live(
                entity=entity,
                row=row,
                fields=children.get("fields", []),
                udf_fields=children.get("udf_fields", []),
                excluded=children.get("excluded", []),
                catalog=catalog,
                address_key=key,
            )
        )
    return resources


def _unique_address_key(name: str, entity: str, ident: Any, taken: set[str]) -> str:
    """``name``; ``name@entity`` when another entity's webhook folds alike; ``name@entity#id``
    when one of the same entity does too. ``taken`` holds the folded keys given so far."""
    for key in (name, f"{name}@{entity}", f"{name}@{entity}#{ident}"):
        if fold(key) not in taken:
            taken.add(fold(key))
            return key
    return f"{name}@{entity}#{ident}"


def find_webhook(client: AutotaskClient, entity: str, name: str) -> list[dict[str, Any]]:
    """Webhooks of ``entity`` named ``name`` (natural-key lookup after an unknown outcome)."""
    prefix = WEBHOOK_ENTITY_PREFIX[entity]
    rows = client.query(f"{prefix}Webhooks", in_("name", [name]), include_fields=WEBHOOK_FIELDS)
    exact = [r for r in rows if str(r.get("name", "")) == name]
    return exact or [r for r in rows if fold(str(r.get("name", ""))) == fold(name)]
