"""The sandbox's MSP tenant: reference data both simulators agree on.

One realistic managed-service provider ("Acme IT") as it exists in Autotask and Salesbuildr. The
Autotask simulator serves the Autotask side (billing codes, picklists, UDFs, roles, services,
resources); the Salesbuildr simulator serves the Salesbuildr side (categories, company types, data
points) and its settings reference the Autotask ids below. ``examples/mappings.yaml`` is written
against these names. Ids look like real Autotask ids (large integers) on purpose: nothing may
assume small or dense ids.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

SHARED_DATA: Final = frozenset({"Tickets.entityInformation.fields.json"})
"""Recorded Autotask metadata both simulators read (``common/data/``; sources in
``autotask/data/SOURCES.md``): the Autotask simulator serves it, the Salesbuildr simulator's cache
of Autotask picklists is built from it."""


def load_shared_data(name: str) -> Any:
    """One of :data:`SHARED_DATA`, parsed."""
    if name not in SHARED_DATA:
        raise ValueError(f"{name!r} is not tenant data shared by the simulators")
    text = resources.files("reconciler.sandbox.common").joinpath("data", name).read_text("utf-8")
    return json.loads(text)


# --- Autotask ------------------------------------------------------------------------------------

# (id, name, isActive, useType). useType 1 = Work Type, 3 = Material (Autotask allocation types).
BILLING_CODES: Final = (
    (29682801, "Labor", True, 1),
    (29682802, "After Hours Labor", True, 1),
    (29683001, "Hardware Sales", True, 3),
    (29683002, "Software Licensing", True, 3),
    (29683003, "Managed Services", True, 3),
    (29683004, "Cloud Subscriptions", True, 3),
    (29683005, "Shipping & Handling", True, 3),
    (29683099, "Hardware Sales (legacy)", False, 3),
)

# Companies.companyType picklist: (value, label, isActive). Codes are instance data in Autotask.
COMPANY_TYPES: Final = (
    (1, "Customer", True),
    (2, "Lead", True),
    (3, "Prospect", True),
    (4, "Dead", True),
    (5, "Cancellation", True),
    (6, "Vendor", True),
    (7, "Partner", True),
    (8, "Former Customer", False),
)

# Products.productCategory picklist: (value, label, isActive).
PRODUCT_CATEGORIES: Final = (
    (1, "Hardware", True),
    (2, "Software", True),
    (3, "Accessories", True),
    (4, "Networking", True),
    (5, "Cloud", True),
    (6, "Consumables", False),
)

# Roles: (id, name, isActive, hourlyRate).
ROLES: Final = (
    (29683301, "Engineer", True, 125.0),
    (29683302, "Senior Engineer", True, 160.0),
    (29683303, "Project Manager", True, 150.0),
    (29683304, "Consultant", True, 175.0),
    (29683305, "Helpdesk Technician", True, 95.0),
    (29683399, "Legacy Technician", False, 80.0),
)

# Services: (id, name, isActive, billing code id).
SERVICES: Final = (
    (12, "Managed Workstation", True, 29683003),
    (13, "Managed Server", True, 29683003),
    (14, "Backup as a Service", True, 29683003),
    (15, "Microsoft 365 Support", True, 29683004),
    (16, "Firewall Management", True, 29683003),
    (19, "Legacy Antivirus", False, 29683003),
)

# Resources: (id, first name, last name, email, isActive). "Salesbuildr API" is the API user whose
# own changes Salesbuildr excludes from webhooks.
RESOURCES: Final = (
    (29682885, "Salesbuildr", "API", "salesbuildr-api@acme-it.example", True),
    (29682886, "Jane", "Admin", "jane.admin@acme-it.example", True),
    (29682887, "Tom", "Technician", "tom.technician@acme-it.example", True),
    (29682888, "Sam", "Sales", "sam.sales@acme-it.example", True),
    (29682889, "Old", "Integration", "old-integration@acme-it.example", False),
)

# UserDefinedFieldDefinitions.dataType picklist (value, label). Multi-select UDFs are recognised by
# this label, as CONFIG.md says.
UDF_DATA_TYPES: Final = (
    (1, "String"),
    (2, "Number"),
    (3, "Date"),
    (4, "Currency"),
    (5, "List"),
    (6, "Multi-select List"),
    (7, "Hyperlink"),
)
MULTI_SELECT_LABEL: Final = "Multi-select List"

# UserDefinedFieldDefinitions.udfType picklist (value, label): which entity a UDF belongs to.
UDF_TYPES: Final = (
    (1, "Company"),
    (2, "Contact"),
    (3, "Opportunity"),
    (4, "Ticket"),
    (5, "Product"),
    (6, "Configuration Item"),
)

# UDF definitions: (id, udfType, name, dataType, isActive).
UDFS: Final = (
    (29684001, 1, "Contract Tier", 5, True),
    (29684002, 1, "Onboarding Date", 3, True),
    (29684003, 1, "Account Manager Notes", 1, True),
    (29684004, 1, "Industry Tags", 6, True),  # multi-select: cannot be mapped
    (29684005, 1, "Legacy Customer Code", 1, False),
    (29684006, 1, "Employee Count", 2, True),
    (29684101, 3, "Quote Margin", 2, True),
    (29684102, 3, "Quote Reference", 1, True),
    (29684103, 3, "Competitors", 6, True),  # multi-select: cannot be mapped
    (29684104, 3, "Expected Close Quarter", 5, True),
    (29684201, 4, "Customer PO Number", 1, True),
    (29684301, 2, "Preferred Contact Method", 5, True),
    (29684401, 6, "Warranty Expiry", 3, True),
)

# Picklists of the Tickets entity used by the purchase-order settings, on top of the real tenant
# sample (queue "Post Sale" is value 6 there). (value, label, isActive, parentValue).
TICKET_ISSUE_TYPES: Final = (
    (40, "Procurement", True, None),
    (41, "Hardware", True, None),
    (19, "Account Management", True, None),
)
TICKET_SUB_ISSUE_TYPES: Final = (
    (401, "Order hardware", True, 40),
    (402, "Order software", True, 40),
    (403, "Return to vendor", True, 40),
    (411, "Order hardware", True, 41),  # the same label under another issue type
    (412, "Repair", True, 41),
)
TICKET_SOURCES_EXTRA: Final = ((20, "Salesbuildr", True, None),)

# --- Salesbuildr -------------------------------------------------------------------------------

# Categories: (id, name, parentId).
CATEGORIES: Final = (
    ("c-hw", "Hardware", None),
    ("c-hw-laptops", "Laptops", "c-hw"),
    ("c-hw-desktops", "Desktops", "c-hw"),
    ("c-hw-net", "Networking", "c-hw"),
    ("c-hw-acc", "Accessories", "c-hw"),
    ("c-sw", "Software", None),
    ("c-sw-lic", "Licenses", "c-sw"),
    ("c-sw-av", "Security/AV", "c-sw"),  # a literal slash: written Software/Security\/AV in YAML
    ("c-ms", "Managed Services", None),
    ("c-labor", "Labor", None),
    ("c-labor-eng", "Engineering", "c-labor"),
    ("c-labor-pm", "Project Management", "c-labor"),
    ("c-cloud", "Cloud", None),
)

# Which categories contain products / services (for the billing-code rule).
CATEGORY_USAGE: Final = (
    ("c-hw", 12, 0),
    ("c-hw-laptops", 40, 0),
    ("c-hw-desktops", 18, 0),
    ("c-hw-net", 9, 0),
    ("c-sw", 6, 0),
    ("c-sw-lic", 22, 0),
    ("c-ms", 0, 7),
    ("c-cloud", 0, 4),
)

# Salesbuildr company types: (key, name).
SALESBUILDR_COMPANY_TYPES: Final = (
    ("customer", "Customer"),
    ("lead", "Lead"),
    ("supplier", "Supplier"),
    ("partner", "Partner"),
)

# Data points: (id, entity, group, name, type, multiSelect, companyTypes).
DATA_POINTS: Final = (
    ("dp-c-tier", "company", None, "Contract tier", "select", False, ("customer",)),
    ("dp-c-start", "company", "Onboarding", "Start date", "date", False, ("customer",)),
    ("dp-c-notes", "company", None, "Account notes", "text", False, ("customer", "lead")),
    ("dp-c-size", "company", None, "Employee count", "number", False, ("customer", "lead")),
    ("dp-c-tags", "company", None, "Tags", "select", True, ("customer", "lead", "partner")),
    ("dp-o-margin", "opportunity", "Sales", "Expected margin", "number", False, ()),
    ("dp-o-ref", "opportunity", "Sales", "Quote reference", "text", False, ()),
    ("dp-o-quarter", "opportunity", "Forecast", "Close quarter", "select", False, ()),
)
