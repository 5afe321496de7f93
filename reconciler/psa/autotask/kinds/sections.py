"""The managed sections of the YAML, in the order the admin pages show them.

A leaf with no imports: the config models and the CLI's ``--section`` choices read it without
loading every kind (start-up). :mod:`.registry` says which kinds each one holds.
"""

from __future__ import annotations

SECTIONS = (
    "billing_codes",
    "company_types",
    "company_udfs",
    "product_import",
    "inventory",
    "opportunity",
    "purchase_order",
    "webhook_receiver",
    "webhooks",
)
"""The managed sections of the YAML, in the order the admin pages show them."""
