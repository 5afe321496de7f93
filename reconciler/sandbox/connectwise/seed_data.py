"""The records of the ``demo`` seed (:mod:`.seed` builds the stores from them)."""

from __future__ import annotations

from typing import Any, Final

LOCATION: Final = {"id": 1, "name": "Main"}
DEPARTMENT: Final = {"id": 10, "name": "Services"}
MEMBER: Final = {"id": 2, "identifier": "jsmith", "name": "John Smith"}

COMPANY_TYPES: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("Client", {"defaultFlag": True}),
    ("Prospect", {}),
    ("Vendor", {"vendorFlag": True}),
    ("Partner", {}),
    ("Competitor", {}),
)
COMPANY_STATUSES: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("Active", {"defaultFlag": True}),
    ("Inactive", {"inactiveFlag": True}),
    ("Not-Approved", {}),
    ("Credit Hold", {"disallowSavingFlag": False, "notifyFlag": True}),
)
CATEGORIES: Final = {
    "Hardware": ("Laptops", "Desktops", "Networking", "Peripherals"),
    "Software": ("Office", "Security", "Backup"),
    "Services": ("Managed", "Projects"),
    "Licensing": ("Microsoft 365", "Adobe"),
    "Shipping": ("Freight",),
}
PRODUCT_TYPES: Final = ("Hardware", "Services", "Software", "Fixed Cost Service", "Labour")
OPPORTUNITY_STATUSES: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("Open", {"defaultFlag": True}),
    ("Won", {"wonFlag": True, "closedFlag": True}),
    ("Lost", {"lostFlag": True, "closedFlag": True}),
    ("No Decision", {"closedFlag": True}),
    ("Stalled", {"inactiveFlag": True}),
)
OPPORTUNITY_TYPES: Final = ("New Business", "Renewal", "Upsell")
STAGES: Final = ("Prospect", "Qualified", "Proposal", "Negotiation", "Closed")
PRIORITIES: Final = (
    ("Priority 1 - Critical", "red"),
    ("Priority 2 - High", "orange"),
    ("Priority 3 - Normal", "yellow"),
    ("Priority 4 - Low", "green"),
)
BOARDS: Final = {
    "Professional Services": {
        "statuses": ("New", "In Progress", "Waiting on Client", "Completed", ">Closed"),
        "types": ("Procurement", "Project Work", "Onboarding"),
        "subtypes": ("Hardware", "Software", "Licensing"),
        "items": ("Order", "Install", "Configure"),
    },
    "Help Desk": {
        "statuses": ("New", "Assigned", "Resolved", ">Closed"),
        "types": ("Incident", "Request"),
        "subtypes": ("Email", "Network", "Printer"),
        "items": ("Troubleshoot", "Replace"),
    },
    "Procurement": {
        "statuses": ("New", "Ordered", "Received", ">Closed"),
        "types": ("Procurement",),
        "subtypes": ("Hardware", "Software"),
        "items": ("Order",),
    },
}
UDFS: Final = (
    ("Contract Tier", "Text"),
    ("Account Number", "Text"),
    ("Renewal Date", "Date"),
    ("Seats", "Number"),
)
WAREHOUSES: Final = {"Main Warehouse": ("Shelf A", "Shelf B"), "Remote Warehouse": ("Van 1",)}
DEMO_COMPANIES: Final = (
    ("ACME", "Acme IT Services", ("Client",), "Active"),
    ("GLOBEX", "Globex Corporation", ("Client", "Partner"), "Active"),
    ("INITECH", "Initech", ("Prospect",), "Active"),
    ("UMBRELLA", "Umbrella Health", ("Client",), "Credit Hold"),
    ("HOOLI", "Hooli", ("Prospect",), "Not-Approved"),
    ("STARK", "Stark Industries", ("Client",), "Active"),
    ("WAYNE", "Wayne Enterprises", ("Client",), "Inactive"),
    ("DELL", "Dell Technologies", ("Vendor",), "Active"),
    ("LENOVO", "Lenovo", ("Vendor",), "Active"),
    ("INGRAM", "Ingram Micro", ("Vendor", "Partner"), "Active"),
    ("CYBERDYNE", "Cyberdyne Systems", ("Competitor",), "Active"),
    ("SOYLENT", "Soylent Corp", ("Client",), "Active"),
)

CATALOG: Final = (
    ("LAT-5440", "Latitude 5440 laptop", "Hardware", "Laptops", "Hardware", 1299.0, 980.0),
    ("OPT-7010", "OptiPlex 7010 desktop", "Hardware", "Desktops", "Hardware", 899.0, 700.0),
    ("M365-BP", "Microsoft 365 Business Premium", "Licensing", "Microsoft 365", "Software", 22.0,
     18.5),
    ("MS-MONTH", "Managed services, monthly", "Services", "Managed", "Services", 95.0, 0.0),
)  # fmt: skip
