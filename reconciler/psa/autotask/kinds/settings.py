"""The singleton kinds: settings documents that always exist and are never deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds.base import SingletonField, SingletonKind
from reconciler.kinds.catalog import Catalog, Entry, NameTable, Resolved, Unresolved
from reconciler.psa.autotask.kinds import tables as t

BILLING_CODE_DEFAULT = SingletonKind(
    name="billing_code_default",
    section="billing_codes",
    address_text="billing_codes.default",
    fields=(SingletonField("billing_code", t.AT_BILLING_CODES),),
)

PRODUCT_IMPORT_SETTINGS = SingletonKind(
    name="product_import_settings",
    section="product_import",
    address_text="product_import",
    fields=(
        SingletonField("synchronize_to_autotask"),
        SingletonField("prepend_internal_product_id"),
        SingletonField("prepend_mpn_to_service_name"),
        SingletonField("mpn_enrichment"),
        SingletonField("manufacturer_company_type", t.SB_COMPANY_TYPES),
    ),
)


def _within_issue_type(
    spec: SingletonField, value: Any, catalog: Catalog, resolved: Mapping[str, Entry]
) -> Resolved:
    """Sub-issue type labels repeat across issue types: resolve within the chosen one."""
    table = catalog.table(spec.table or "")
    if spec.name != "sub_issue_type":
        return table.resolve(value)
    issue_type = resolved.get("issue_type")
    if issue_type is None:
        outcome = table.resolve(value)
        if outcome.reason is Unresolved.AMBIGUOUS:
            return Resolved(
                None, outcome.message, "set issue_type: the sub-issue type is looked up within it"
            )
        return outcome
    children = NameTable(
        f"sub-issue type of '{issue_type.name}'",
        [e for e in table.entries if str(e.parent) == str(issue_type.id)],
    )
    return children.resolve(value)


PURCHASE_ORDER = SingletonKind(
    name="purchase_order_settings",
    section="purchase_order",
    address_text="purchase_order",
    fields=(
        SingletonField("create_ticket"),
        SingletonField("billing_code", t.AT_BILLING_CODES),
        SingletonField("queue", t.AT_TICKET_QUEUES),
        SingletonField("issue_type", t.AT_TICKET_ISSUE_TYPES),
        SingletonField("sub_issue_type", t.AT_TICKET_SUB_ISSUE_TYPES),
        SingletonField("ticket_category", t.AT_TICKET_CATEGORIES),
        SingletonField("priority", t.AT_TICKET_PRIORITIES),
        SingletonField("source", t.AT_TICKET_SOURCES),
        SingletonField("due_date_offset_days"),
    ),
    resolve_field=_within_issue_type,
    scoped=frozenset({"sub_issue_type"}),
)

WEBHOOK_RECEIVER = SingletonKind(
    name="webhook_receiver",
    section="webhook_receiver",
    address_text="webhook_receiver",
    fields=(SingletonField("secret_set"),),
    sensitive=frozenset({"secret"}),
)
