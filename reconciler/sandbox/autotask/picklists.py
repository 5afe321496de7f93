"""Picklists of the Autotask simulator: the sandbox tenant's codes and recorded real values.

Picklist codes are instance data in Autotask, so they come from ``tenant.py`` (shared with the
Salesbuildr simulator) where the tenant defines them, from the recorded real-tenant responses in
``data/`` (Tickets, webhook fields; see ``data/SOURCES.md``) merged with the tenant's values, and
a few small invented lists for fields nothing else defines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from reconciler.sandbox.common import tenant

#: The five entities that support webhooks, and the REST name of the entity each watches.
WEBHOOK_KINDS: Final = ("Company", "Contact", "ConfigurationItem", "Ticket", "TicketNote")
WATCHED_ENTITY: Final = {
    "Company": "Companies",
    "Contact": "Contacts",
    "ConfigurationItem": "ConfigurationItems",
    "Ticket": "Tickets",
    "TicketNote": "TicketNotes",
}
#: tenant.UDF_TYPES code of the UDFs each webhook kind can carry (TicketNote: none).
WEBHOOK_UDF_TYPE: Final = {"Company": 1, "Contact": 2, "ConfigurationItem": 6, "Ticket": 4}


def load_data(name: str) -> Any:
    """A JSON file from ``reconciler/sandbox/autotask/data``, or one the tenant shares with the
    Salesbuildr simulator (:data:`tenant.SHARED_DATA`, in ``reconciler/sandbox/common/data``)."""
    if name in tenant.SHARED_DATA:
        return tenant.load_shared_data(name)
    package = resources.files("reconciler.sandbox.autotask")
    return json.loads(package.joinpath("data", name).read_text("utf-8"))


@dataclass(frozen=True)
class PickValue:
    """One picklist entry, rendered exactly like the real ``PickListValue`` (value is a string)."""

    value: str
    label: str
    is_active: bool = True
    is_default: bool = False
    sort_order: int = 0
    parent: str = ""
    is_system: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "isDefaultValue": self.is_default,
            "sortOrder": self.sort_order,
            "parentValue": self.parent,
            "isActive": self.is_active,
            "isSystem": self.is_system,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PickValue:
        return cls(
            value=str(raw["value"]),
            label=str(raw["label"]),
            is_active=bool(raw.get("isActive", True)),
            is_default=bool(raw.get("isDefaultValue", False)),
            sort_order=int(raw.get("sortOrder") or 0),
            parent=str(raw.get("parentValue") or ""),
            is_system=bool(raw.get("isSystem", False)),
        )


# --- picklists -----------------------------------------------------------------------------------


def _simple(pairs: tuple[tuple[int, str], ...], default: int | None = None) -> list[PickValue]:
    return [
        PickValue(str(v), label, is_default=v == default, sort_order=i)
        for i, (v, label) in enumerate(pairs, start=1)
    ]


def _from_tenant(rows: Any, *, system: bool = False) -> list[PickValue]:
    return [
        PickValue(str(row[0]), row[1], is_active=row[2], sort_order=i, is_system=system)
        for i, row in enumerate(rows, start=1)
    ]


def _merge(base: list[PickValue], extra: list[PickValue]) -> list[PickValue]:
    """``base`` with ``extra`` merged in; an extra value replaces a base value with its code."""
    codes = {v.value: v for v in extra}
    merged = [codes.pop(v.value, v) for v in base]
    return merged + list(codes.values())


def static_picklists() -> dict[str, list[PickValue]]:
    lists: dict[str, list[PickValue]] = {
        "Companies.companyType": _from_tenant(tenant.COMPANY_TYPES),
        "Companies.classification": _simple(((1, "Gold"), (2, "Silver"), (3, "Bronze"))),
        "Companies.companyCategoryID": _simple(((1, "Standard"), (2, "Enterprise")), 1),
        "Companies.territoryID": _simple(((1, "North"), (2, "South"), (3, "East"), (4, "West"))),
        "Companies.marketSegmentID": _simple(((1, "SMB"), (2, "Mid-market"), (3, "Public sector"))),
        "Products.productCategory": _from_tenant(tenant.PRODUCT_CATEGORIES),
        "Products.billingType": _simple(((1, "Standard"), (2, "Per Contact"), (3, "Per Asset")), 1),
        "periodType": _simple(
            ((1, "One-Time"), (2, "Monthly"), (3, "Quarterly"), (4, "Semi-Annual"), (5, "Yearly"))
        ),
        "Products.priceCostMethod": _simple(((1, "Flat"), (2, "Markup"), (3, "Percent of MSRP"))),
        "BillingCodes.useType": _simple(
            (
                (1, "Work Type"),
                (2, "Internal Time"),
                (3, "Material"),
                (4, "Expense Category"),
                (5, "Recurring Contract Service"),
                (6, "Milestone"),
            )
        ),
        "BillingCodes.billingCodeType": _simple(((0, "Standard"), (1, "System"))),
        "Roles.roleType": _simple(((0, "Standard"), (1, "Ticket"), (2, "Task"))),
        "Opportunities.status": _simple(
            ((0, "Inactive"), (1, "Active"), (2, "Lost"), (3, "Closed"), (4, "Implemented")), 1
        ),
        "Opportunities.stage": _simple(
            ((1, "Qualification"), (2, "Proposal"), (3, "Negotiation"), (4, "Closing")), 1
        ),
        "Opportunities.rating": _simple(((1, "Hot"), (2, "Warm"), (3, "Cold"))),
        "Opportunities.leadSource": _simple(((1, "Referral"), (2, "Website"), (3, "Salesbuildr"))),
        "Resources.userType": _simple(((1, "Full access"), (7, "API User"))),
        "Resources.licenseType": _simple(((1, "Professional"), (7, "API User"))),
        "UserDefinedFieldDefinitions.udfType": [
            PickValue(str(v), label, sort_order=i)
            for i, (v, label) in enumerate(tenant.UDF_TYPES, start=1)
        ],
        "UserDefinedFieldDefinitions.dataType": [
            PickValue(str(v), label, sort_order=i)
            for i, (v, label) in enumerate(tenant.UDF_DATA_TYPES, start=1)
        ],
        "UserDefinedFieldDefinitions.displayFormat": _simple(
            ((1, "Default"), (2, "Single line"), (3, "Multi line")), 1
        ),
    }
    for kind, values in webhook_field_picklists().items():
        lists[f"webhookfield:{kind}"] = values
    return lists | ticket_picklists()


@cache
def webhook_field_picklists() -> dict[str, list[PickValue]]:
    """The ``fieldID`` picklist of each ``{Kind}WebhookFields`` entity.

    Company and Ticket are the recorded real lists; Contact, ConfigurationItem and TicketNote are
    invented the same way (PascalCase property names of the model, numbered in document order).
    """
    lists: dict[str, list[PickValue]] = {}
    for kind in ("Company", "Ticket"):
        raw = load_data(f"{kind}WebhookFields.fieldID-picklist.derived.json")["fieldID_picklist"]
        lists[kind] = [
            PickValue(str(r["value"]), r["label"], sort_order=i) for i, r in enumerate(raw)
        ]
    models = load_data("autotask-models.json")["entities"]
    for kind in ("Contact", "ConfigurationItem", "TicketNote"):
        names = [
            p[0] for p in models[WATCHED_ENTITY[kind]]["properties"] if p[0] not in _NOT_WATCHED
        ]
        lists[kind] = [
            PickValue(str(i), name[0].upper() + name[1:], sort_order=i - 1)
            for i, name in enumerate(names, start=1)
        ]
    return lists


_NOT_WATCHED: Final = frozenset({"id", "userDefinedFields"})


def ticket_picklists() -> dict[str, list[PickValue]]:
    """The recorded Tickets picklists with the sandbox tenant's values merged over them."""
    lists = {
        f"Tickets.{raw['name']}": [PickValue.from_dict(v) for v in raw["picklistValues"]]
        for raw in load_data("Tickets.entityInformation.fields.json")["fields"]
        if raw["isPickList"]
    }

    def extra(rows: Any) -> list[PickValue]:
        return [
            PickValue(str(v), label, is_active=active, parent="" if parent is None else str(parent))
            for v, label, active, parent in rows
        ]

    lists["Tickets.issueType"] = _merge(
        lists["Tickets.issueType"], extra(tenant.TICKET_ISSUE_TYPES)
    )
    lists["Tickets.subIssueType"] = _merge(
        lists["Tickets.subIssueType"], extra(tenant.TICKET_SUB_ISSUE_TYPES)
    )
    lists["Tickets.source"] = _merge(lists["Tickets.source"], extra(tenant.TICKET_SOURCES_EXTRA))
    return lists
