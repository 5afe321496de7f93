"""Names of the reference tables in a :class:`~reconciler.kinds.catalog.Catalog`.

Providers fill them (Autotask metadata and collections, Salesbuildr reference reads); kinds
resolve names against them. A table is read only when a kind of a section in the YAML needs it.
"""

from __future__ import annotations

AT_BILLING_CODES = "autotask.billing_codes"
AT_COMPANY_TYPES = "autotask.company_types"
AT_ROLES = "autotask.roles"
AT_SERVICES = "autotask.services"
AT_RESOURCES = "autotask.resources"
AT_PRODUCT_CATEGORIES = "autotask.product_categories"
AT_COMPANY_UDFS = "autotask.company_udfs"
AT_OPPORTUNITY_UDFS = "autotask.opportunity_udfs"
AT_TICKET_QUEUES = "autotask.ticket_queues"
AT_TICKET_PRIORITIES = "autotask.ticket_priorities"
AT_TICKET_ISSUE_TYPES = "autotask.ticket_issue_types"
AT_TICKET_SUB_ISSUE_TYPES = "autotask.ticket_sub_issue_types"
AT_TICKET_CATEGORIES = "autotask.ticket_categories"
AT_TICKET_SOURCES = "autotask.ticket_sources"

SB_CATEGORIES = "salesbuildr.categories"
SB_COMPANY_TYPES = "salesbuildr.company_types"
SB_COMPANY_DATA_POINTS = "salesbuildr.data_points.company"
SB_OPPORTUNITY_DATA_POINTS = "salesbuildr.data_points.opportunity"
SB_CATEGORY_USAGE = "salesbuildr.category_usage"

WEBHOOK_ENTITIES = ("company", "contact", "configuration_item", "ticket", "ticket_note")


def at_webhook_fields(entity: str) -> str:
    """Labels of the ``fieldID`` picklist of ``{Entity}WebhookFields``."""
    return f"autotask.webhook_fields.{entity}"


def at_webhook_udf_fields(entity: str) -> str:
    """Labels of the ``udfFieldID`` picklist of ``{Entity}WebhookUdfFields``."""
    return f"autotask.webhook_udf_fields.{entity}"


MULTI_SELECT = "multi_select"
"""``Entry.extra`` flag: a multi-select UDF or data point (cannot be mapped)."""

PRODUCT_COUNT = "product_count"
"""``Entry.extra`` of a category: how many products it holds (billing-code rule)."""
