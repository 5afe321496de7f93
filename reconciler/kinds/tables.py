"""Names of the PSA-neutral reference tables and facts of a kinds.catalog.Catalog.

Providers fill them (a PSA's metadata and collections, Salesbuildr reference reads); kinds
resolve names against them. A table is read only when a kind of a section in the YAML needs it.
Each PSA names its own tables in its package (Autotask's: ``psa/autotask/kinds/tables.py``).
"""

from __future__ import annotations

SB_CATEGORIES = "salesbuildr.categories"
SB_COMPANY_TYPES = "salesbuildr.company_types"
SB_COMPANY_DATA_POINTS = "salesbuildr.data_points.company"
SB_OPPORTUNITY_DATA_POINTS = "salesbuildr.data_points.opportunity"
SB_CATEGORY_USAGE = "salesbuildr.category_usage"

RECEIVER_URL = "salesbuildr.receiver_url"
"""Catalog fact: where a PSA's webhooks without a url point (Salesbuildr's receiver)."""

MULTI_SELECT = "multi_select"
"""``Entry.extra`` flag: a multi-select UDF or data point (cannot be mapped)."""

PRODUCT_COUNT = "product_count"
"""``Entry.extra`` of a category: how many products it holds (billing-code rule)."""
