"""Autotask's reference tables (metadata and collections), beside the PSA-neutral names of
:mod:`reconciler.kinds.tables` re-exported, so that one ``tables as t`` serves Autotask's kinds."""

from __future__ import annotations

from reconciler.kinds.tables import (
    MULTI_SELECT,
    PRODUCT_COUNT,
    RECEIVER_URL,
    SB_CATEGORIES,
    SB_CATEGORY_USAGE,
    SB_COMPANY_DATA_POINTS,
    SB_COMPANY_TYPES,
    SB_OPPORTUNITY_DATA_POINTS,
)

__all__ = [
    "AT_BILLING_CODES",
    "AT_COMPANY_TYPES",
    "AT_COMPANY_UDFS",
    "AT_OPPORTUNITY_UDFS",
    "AT_PRODUCT_CATEGORIES",
    "AT_RESOURCES",
    "AT_ROLES",
    "AT_SERVICES",
    "AT_TICKET_CATEGORIES",
    "AT_TICKET_ISSUE_TYPES",
    "AT_TICKET_PRIORITIES",
    "AT_TICKET_QUEUES",
    "AT_TICKET_SOURCES",
    "AT_TICKET_SUB_ISSUE_TYPES",
    "MULTI_SELECT",
    "PRODUCT_COUNT",
    "RECEIVER_URL",
    "SB_CATEGORIES",
    "SB_CATEGORY_USAGE",
    "SB_COMPANY_DATA_POINTS",
    "SB_COMPANY_TYPES",
    "SB_OPPORTUNITY_DATA_POINTS",
    "WEBHOOK_ENTITIES",
    "at_webhook_fields",
    "at_webhook_udf_fields",
]

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

WEBHOOK_ENTITIES = ("company", "contact", "configuration_item", "ticket", "ticket_note")


def at_webhook_fields(entity: str) -> str:
    """Labels of the ``fieldID`` picklist of ``{Entity}WebhookFields``."""
    return f"autotask.webhook_fields.{entity}"


def at_webhook_udf_fields(entity: str) -> str:
    """Labels of the ``udfFieldID`` picklist of ``{Entity}WebhookUdfFields``."""
    return f"autotask.webhook_udf_fields.{entity}"
