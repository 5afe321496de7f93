"""The Autotask document: the sections of Salesbuildr's Autotask admin pages (CONFIG.md) and the
Autotask policy, as frozen pydantic models; the member ``psa: autotask`` of the config union.

The Autotask PSA (:mod:`reconciler.psa.autotask`) declares these as its section models; they stay
in ``config/`` this round because the core's Autotask engine (desired, rules, session) still
types against :class:`Config`. Rules that span several fields and need source positions live in
:mod:`reconciler.config.rules`. Numbers are strict: YAML reads `yes`/`true` as a boolean, and a
safety limit must not silently become 1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from reconciler.config.common import (
    AfterApplyAction,
    BasePolicy,
    ManageMode,
    PsaDocument,
    SalesbuildrConnection,
    StrictModel,
    Version,
    acknowledge_field,
    after_apply_field,
    ignore_fields_field,
    manage_field,
    max_change_fraction_field,
    max_deletes_field,
    policy_field,
    psa_field,
    salesbuildr_field,
    url_reference,
)
from reconciler.config.references import ANY_KEY, ReferenceFields
from reconciler.config.types import Name, NameOrId, Url
from reconciler.psa.autotask.config_webhooks import Webhook, WebhookReceiver
from reconciler.psa.autotask.kinds.sections import SECTIONS

PSA = "autotask"

SectionName = Literal[
    "billing_codes",
    "company_types",
    "company_udfs",
    "product_import",
    "inventory",
    "opportunity",
    "purchase_order",
    "webhook_receiver",
    "webhooks",
]

AcknowledgedWarning = Literal["literal_secret", "unmapped_company_types"]
"""The warning ids ``policy.acknowledge`` may name: reconciler.warning_ids.ACKNOWLEDGEABLE (a
unit test keeps the two equal)."""


class MpnEnrichment(StrEnum):
    NONE = "none"
    ICECAT = "icecat"
    ONETRAIL = "onetrail"
    DISTRIBUTORHUB = "distributorhub"


REFERENCE_FIELDS = ReferenceFields(
    secrets=(("webhook_receiver", "secret"), ("webhooks", ANY_KEY, "secret")),
    urls=(("autotask", "url"), ("salesbuildr", "url")),
)
"""The only fields where ``${env:NAME}`` may stand (the loader refuses it anywhere else)."""


class AutotaskConnection(StrictModel):
    """Where the Autotask REST API is."""

    url: Url | None = Field(
        default=None,
        description="Zone base URL ending in /atservicesrest, as ZoneInformation returns it. "
        "Optional: discovered from the API user when absent. AUTOTASK_API_URL overrides it."
        + url_reference("AUTOTASK_API_URL")
        + " The zone ZoneInformation names for the API user is allowed too.",
        examples=["https://webservices5.autotask.net/atservicesrest"],
    )


class Policy(BasePolicy):
    """What apply may do, and the safety limits that make it stop and ask for --force."""

    manage: dict[SectionName, ManageMode] = manage_field(
        {"webhooks": "full", "inventory": "additive"}, removes="delete or deactivate"
    )
    max_change_fraction: float = max_change_fraction_field()
    max_deletes: int = max_deletes_field()
    min_remaining_autotask_requests: int = Field(
        default=1000,
        strict=True,
        ge=0,
        description="Autotask's own policy key: apply refuses to start when fewer Autotask "
        "requests remain in the hourly budget (10,000 per hour, shared with every other "
        "integration).",
        examples=[1000],
    )
    ignore_fields: dict[SectionName, list[str]] = ignore_fields_field(
        {"webhooks": ["notification_email"]}
    )
    acknowledge: list[AcknowledgedWarning] = acknowledge_field(
        ["unmapped_company_types"],
        description="Warning ids (printed as warning[id]) this file has reviewed and accepts: "
        "those warnings are no longer shown. Warnings about one run (targeting, the lock, rate "
        "limits) cannot be acknowledged.",
    )


POLICY_KEYS = ("min_remaining_autotask_requests",)
"""The Autotask policy keys (the Autotask PSA declares them; other PSAs' files refuse them)."""


class BillingCodes(StrictModel):
    """Billing Codes page: which Autotask billing code each Salesbuildr category uses."""

    default: NameOrId | None = Field(
        default=None,
        description="Autotask billing code used for categories that have none.",
        examples=["Hardware Sales"],
    )
    categories: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr category path (levels separated by /, a literal slash written "
        "\\/) -> Autotask billing code name.",
        examples=[{"Hardware": "Hardware Sales", "Hardware/Laptops": "Hardware Sales"}],
    )


class CompanyTypes(StrictModel):
    """Data Import > Company Import: company types in both directions."""

    to_salesbuildr: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Autotask company type -> Salesbuildr company type.",
        examples=[{"Customer": "Customer", "Prospect": "Lead"}],
    )
    to_autotask: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr company type -> Autotask company type.",
        examples=[{"Customer": "Customer", "Lead": "Prospect"}],
    )


class ProductImport(StrictModel):
    """Data Import > Product Import. Switches left out are not managed."""

    synchronize_to_autotask: bool | None = Field(
        default=None,
        description="Push product updates back to Autotask (new products are always sent).",
        examples=[True],
    )
    prepend_internal_product_id: bool | None = Field(
        default=None,
        description="Prefix imported product names with the Autotask internal product id.",
        examples=[False],
    )
    prepend_mpn_to_service_name: bool | None = Field(
        default=None,
        description="Prepend MPN to service name / import service name including MPN.",
        examples=[True],
    )
    mpn_enrichment: MpnEnrichment | None = Field(
        default=None,
        description="Enrich imported products with manufacturer part numbers from this source.",
        examples=["icecat"],
    )
    manufacturer_company_type: NameOrId | None = Field(
        default=None,
        description="Salesbuildr company type given to manufacturers created during import.",
        examples=["Supplier"],
    )
    roles: dict[Name, Name] = Field(
        default_factory=dict,
        description="Autotask role -> Salesbuildr category path.",
        examples=[{"Engineer": "Labor/Engineering"}],
    )
    product_categories: dict[Name, Name] = Field(
        default_factory=dict,
        description="Autotask product category -> Salesbuildr category path.",
        examples=[{"Hardware": "Hardware"}],
    )
    services: dict[Name, Name] = Field(
        default_factory=dict,
        description="Autotask service -> Salesbuildr category path.",
        examples=[{"Managed Workstation": "Managed Services"}],
    )


class InventoryLocation(StrictModel):
    """An Autotask inventory location and whether Salesbuildr tracks stock there."""

    active: bool = Field(
        default=True, description="Active in Autotask. Omitted: true.", examples=[True]
    )
    default: bool = Field(
        default=False, description="The default location (at most one).", examples=[True]
    )
    track_stock: bool = Field(
        default=False, description="Salesbuildr syncs stock levels here.", examples=[True]
    )


class Inventory(StrictModel):
    """Inventories page."""

    locations: dict[Name, InventoryLocation] = Field(
        default_factory=dict,
        description="Autotask inventory locations by name.",
        examples=[{"Main Warehouse": {"active": True, "default": True, "track_stock": True}}],
    )


class Opportunity(StrictModel):
    """Opportunity page: Salesbuildr data points -> Autotask opportunity UDFs."""

    udfs: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr data point (Group/Name, or Name when ungrouped) -> Autotask "
        "opportunity UDF. Each UDF at most once; multi-select UDFs cannot be mapped.",
        examples=[{"Sales/Expected margin": "Quote Margin"}],
    )


class PurchaseOrder(StrictModel):
    """Purchase Order page: the post-sale ticket created for approved quotes."""

    create_ticket: bool | None = Field(
        default=None, description="Create a post-sale ticket for approved quotes.", examples=[True]
    )
    billing_code: NameOrId | None = Field(
        default=None,
        description="Autotask billing code of the ticket.",
        examples=["Hardware Sales"],
    )
    queue: NameOrId | None = Field(
        default=None, description="Autotask ticket queue.", examples=["Post Sale"]
    )
    issue_type: NameOrId | None = Field(
        default=None, description="Autotask ticket issue type.", examples=["Procurement"]
    )
    sub_issue_type: NameOrId | None = Field(
        default=None,
        description="Autotask sub-issue type, resolved within issue_type.",
        examples=["Order hardware"],
    )
    ticket_category: NameOrId | None = Field(
        default=None, description="Autotask ticket category.", examples=["Standard"]
    )
    priority: NameOrId | None = Field(
        default=None, description="Autotask ticket priority.", examples=["Medium"]
    )
    source: NameOrId | None = Field(
        default=None, description="Autotask ticket source.", examples=["Salesbuildr"]
    )
    due_date_offset_days: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=365,
        description="Days from approval to the ticket's due date (0..365).",
        examples=[5],
    )


class Config(PsaDocument):
    """A whole mappings.yaml document of Salesbuildr's Autotask pages (``psa: autotask``, the
    default). Absent sections are not managed (never read or changed).

    ${env:NAME} and ${env:NAME:-default} may stand only in secret fields (webhook_receiver.secret,
    webhooks.*.secret) and connection urls (autotask.url, salesbuildr.url); a literal ${ anywhere
    is written $${.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", title="reconcile mappings (Autotask)")

    PSA: ClassVar[str] = PSA
    SECTIONS: ClassVar[tuple[str, ...]] = SECTIONS
    REFERENCE_FIELDS: ClassVar[ReferenceFields] = REFERENCE_FIELDS
    CALLOUTS: ClassVar[tuple[str, str]] = ("webhooks", "webhook")
    ITEM_DEPTH: ClassVar[dict[str, int]] = {"webhooks": 2}  # ("webhooks", key)

    version: Version
    psa: Literal["autotask"] = psa_field(PSA, default=True)
    autotask: AutotaskConnection | None = Field(
        default=None,
        description="Autotask connection settings.",
        examples=[{"url": "https://webservices5.autotask.net/atservicesrest"}],
    )
    salesbuildr: SalesbuildrConnection | None = salesbuildr_field()
    after_apply: list[AfterApplyAction] = after_apply_field("sync_fields")
    policy: Policy = policy_field(Policy, {"manage": {"webhooks": "full"}, "max_deletes": 5})
    billing_codes: BillingCodes | None = Field(
        default=None,
        description="Billing Codes page.",
        examples=[{"default": "Hardware Sales", "categories": {"Software": "Software Licensing"}}],
    )
    company_types: CompanyTypes | None = Field(
        default=None,
        description="Company types in both directions.",
        examples=[{"to_salesbuildr": {"Customer": "Customer"}}],
    )
    company_udfs: dict[Name, dict[Name, Name]] | None = Field(
        default=None,
        description="Per Salesbuildr company type: Autotask company UDF -> Salesbuildr data point.",
        examples=[{"Customer": {"Contract Tier": "Contract tier"}}],
    )
    product_import: ProductImport | None = Field(
        default=None,
        description="Product import switches and mappings.",
        examples=[{"synchronize_to_autotask": True, "roles": {"Engineer": "Labor/Engineering"}}],
    )
    inventory: Inventory | None = Field(
        default=None,
        description="Inventory locations.",
        examples=[{"locations": {"Main Warehouse": {"default": True, "track_stock": True}}}],
    )
    opportunity: Opportunity | None = Field(
        default=None,
        description="Opportunity UDF mappings.",
        examples=[{"udfs": {"Sales/Expected margin": "Quote Margin"}}],
    )
    purchase_order: PurchaseOrder | None = Field(
        default=None,
        description="Post-sale ticket settings.",
        examples=[{"create_ticket": True, "queue": "Post Sale"}],
    )
    webhook_receiver: WebhookReceiver | None = Field(
        default=None,
        description="Salesbuildr's webhook receiver.",
        examples=[{"secret": "${env:SALESBUILDR_WEBHOOK_SECRET}"}],
    )
    webhooks: dict[Name, Webhook] | None = Field(
        default=None,
        description="Autotask webhooks by name.",
        examples=[{"sb-companies": {"entity": "company", "fields": ["CompanyName"]}}],
    )
