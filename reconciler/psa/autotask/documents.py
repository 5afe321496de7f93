"""The Salesbuildr settings documents of the Autotask pages
(:class:`reconciler.psa.system.SettingsDocuments`): each section's document as a
:class:`~reconciler.salesbuildr.state.SectionSpec` (its rows and scalar fields), the documents
a section reads besides its own, which documents a change writes, and the receiver URL the
webhook rules compare with. The machinery is :mod:`reconciler.salesbuildr.state`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.kinds.catalog import Catalog, NameTable
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.autotask.kinds.mappings import (
    BILLING_CODE_MAPPING,
    COMPANY_TYPE_TO_AUTOTASK,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    OPPORTUNITY_UDF_MAPPING,
    PRODUCT_CATEGORY_MAPPING,
    ROLE_MAPPING,
    SERVICE_MAPPING,
)
from reconciler.psa.autotask.kinds.settings import (
    BILLING_CODE_DEFAULT,
    PRODUCT_IMPORT_SETTINGS,
    PURCHASE_ORDER,
    WEBHOOK_RECEIVER,
)
from reconciler.salesbuildr import state as sb_state
from reconciler.salesbuildr.client import SalesbuildrClient
from reconciler.salesbuildr.state import Doc, Rows, SectionSpec
from reconciler.state import Resource, SectionSnapshot
from reconciler.writes import Change

SECTIONS: dict[str, SectionSpec] = {
    "billing_codes": SectionSpec(
        "billing-codes",
        rows=(Rows(BILLING_CODE_MAPPING, "categories", ("categoryId",), "billingCodeId"),),
        docs=(Doc(BILLING_CODE_DEFAULT, {"billing_code": "defaultBillingCodeId"}),),
    ),
    "company_types": SectionSpec(
        "company-types",
        rows=(
            Rows(
                COMPANY_TYPE_TO_SALESBUILDR,
                "toSalesbuildr",
                ("autotaskCompanyType",),
                "companyType",
            ),
            Rows(COMPANY_TYPE_TO_AUTOTASK, "toAutotask", ("companyType",), "autotaskCompanyType"),
        ),
    ),
    "company_udfs": SectionSpec(
        "company-udfs",
        rows=(Rows(COMPANY_UDF_MAPPING, "mappings", ("companyType", "udfName"), "dataPointId"),),
    ),
    "product_import": SectionSpec(
        "product-import",
        rows=(
            Rows(ROLE_MAPPING, "roles", ("roleId",), "categoryId"),
            Rows(PRODUCT_CATEGORY_MAPPING, "productCategories", ("productCategory",), "categoryId"),
            Rows(SERVICE_MAPPING, "services", ("serviceId",), "categoryId"),
        ),
        docs=(
            Doc(
                PRODUCT_IMPORT_SETTINGS,
                {
                    "synchronize_to_autotask": "synchronizeToAutotask",
                    "prepend_internal_product_id": "prependInternalProductId",
                    "prepend_mpn_to_service_name": "prependMpnToServiceName",
                    "mpn_enrichment": "mpnEnrichment",
                    "manufacturer_company_type": "manufacturerCompanyType",
                },
            ),
        ),
    ),
    "opportunity": SectionSpec(
        "opportunity-udfs",
        rows=(Rows(OPPORTUNITY_UDF_MAPPING, "mappings", ("dataPointId",), "udfName"),),
    ),
    "purchase_order": SectionSpec(
        "purchase-order",
        docs=(
            Doc(
                PURCHASE_ORDER,
                {
                    "create_ticket": "createTicket",
                    "billing_code": "billingCodeId",
                    "queue": "queueId",
                    "issue_type": "issueType",
                    "sub_issue_type": "subIssueType",
                    "ticket_category": "ticketCategory",
                    "priority": "priority",
                    "source": "source",
                    "due_date_offset_days": "dueDateOffsetDays",
                },
            ),
        ),
    ),
    "webhook_receiver": SectionSpec(
        "webhook-receiver", docs=(Doc(WEBHOOK_RECEIVER, {"secret_set": "secretSet"}),)
    ),
}
"""YAML section -> settings document. ``inventory`` and ``webhooks`` are Autotask sections that
also read a document (tracking flags; the receiver URL): see :data:`EXTRA_DOCUMENTS`."""

EXTRA_DOCUMENTS = {"inventory": ("inventory",), "webhooks": ("webhook-receiver",)}


def documents_touched(change: Change) -> tuple[str, ...]:
    """The settings documents the writer PUTs for ``change``."""
    if change.kind == "webhook_receiver":
        return ("webhook-receiver",)
    if change.section == "inventory":
        # Autotask locations; their Salesbuildr stock-tracking flag lives in this document.
        return ("inventory",) if any(d.path == "track_stock" for d in change.diff) else ()
    spec = SECTIONS.get(change.section)
    return (spec.name,) if spec is not None and change.owner == "salesbuildr" else ()


def documents_for(sections: Sequence[str]) -> list[str]:
    return sb_state.documents_for(SECTIONS, sections, EXTRA_DOCUMENTS)


class AutotaskDocuments:
    integration = "autotask"

    def documents_for(self, sections: Sequence[str]) -> list[str]:
        return documents_for(sections)

    def document_of(self, section: str) -> str | None:
        spec = SECTIONS.get(section)
        return spec.name if spec is not None else None

    def documents_touched(self, change: Change) -> tuple[str, ...]:
        return documents_touched(change)

    def live(
        self,
        sections: Sequence[str],
        documents: Mapping[str, SectionSnapshot],
        catalog: Catalog,
    ) -> list[Resource]:
        receiver = documents.get("webhook-receiver")
        if receiver is not None:
            catalog.facts[RECEIVER_URL] = receiver.body.get("url")
        live: list[Resource] = []
        for section in sections:
            spec = SECTIONS.get(section)
            if spec is not None and spec.name in documents:
                live.extend(sb_state.section_resources(spec, documents[spec.name].body, catalog))
        return live

    def apply_changes(
        self, section: str, body: Mapping[str, Any], changes: Sequence[Change]
    ) -> dict[str, Any]:
        return sb_state.apply_changes(SECTIONS[section], body, changes)

    def read_table(self, client: SalesbuildrClient, name: str) -> NameTable | None:
        return sb_state.read_table(client, name)


DOCUMENTS = AutotaskDocuments()
