"""The YAML language as frozen pydantic models (CONFIG.md).

Every field carries a description and an example: the JSON Schema generated from these models is
what editors show while a person types. Rules that span several fields and need source positions
(a data point mapped twice, a webhook without fields...) live in :mod:`reconciler.config.rules`.
Numbers are strict: YAML reads `yes`/`true` as a boolean, and a safety limit must not silently
become 1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.config.references import ANY_KEY, ReferenceFields
from reconciler.config.types import (
    MAX_WEBHOOK_NAME,
    Email,
    Name,
    NameOrId,
    SecretValue,
    Url,
)
from reconciler.kinds.sections import SECTIONS

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


class ManageMode(StrEnum):
    """How a present section is managed."""

    ADDITIVE = "additive"
    FULL = "full"
    OBSERVE = "observe"


class AfterApplyAction(StrEnum):
    SYNC_FIELDS = "sync_fields"
    SYNC_FULL = "sync_full"
    SYNC_INVENTORY = "sync_inventory"
    IMPORT_PRODUCTS = "import_products"


class WebhookEntity(StrEnum):
    COMPANY = "company"
    CONTACT = "contact"
    CONFIGURATION_ITEM = "configuration_item"
    TICKET = "ticket"
    TICKET_NOTE = "ticket_note"


class WebhookEvent(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


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

_LITERAL = " A literal ${ is written $${."


def _url_reference(own: str) -> str:
    return (
        " May be written ${env:NAME} (URL variables such as " + own + " may stand only in url "
        "fields). Its host must be one the real environment allows: " + own + "'s host, "
        "loopback, or RECONCILE_ALLOWED_HOSTS; otherwise the run stops before any request."
        + _LITERAL
    )


_SECRET_REFERENCE = (
    " ${env:NAME} may stand only in secret fields and connection urls, and never names "
    "reconcile's own credentials (AUTOTASK_API_*, SALESBUILDR_API_KEY, RECONCILE_*, CI tokens)."
    + _LITERAL
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class AutotaskConnection(_Model):
    """Where the Autotask REST API is."""

    url: Url | None = Field(
        default=None,
        description="Zone base URL ending in /atservicesrest, as ZoneInformation returns it. "
        "Optional: discovered from the API user when absent. AUTOTASK_API_URL overrides it."
        + _url_reference("AUTOTASK_API_URL")
        + " The zone ZoneInformation names for the API user is allowed too.",
        examples=["https://webservices5.autotask.net/atservicesrest"],
    )


class SalesbuildrConnection(_Model):
    """Where the Salesbuildr API is."""

    url: Url | None = Field(
        default=None,
        description="Your tenant's public API base URL. SALESBUILDR_API_URL overrides it."
        + _url_reference("SALESBUILDR_API_URL"),
        examples=["https://acme.salesbuildr.com/public-api"],
    )


class Policy(_Model):
    """What apply may do, and the safety limits that make it stop and ask for --force."""

    manage: dict[SectionName, ManageMode] = Field(
        default_factory=dict,
        description="Per section: additive (default: create and update only), full (also delete "
        "or deactivate what the section does not list), observe (plan and drift only).",
        examples=[{"webhooks": "full", "inventory": "additive"}],
    )
    max_change_fraction: float = Field(
        default=0.3,
        strict=True,
        ge=0,
        le=1,
        description="Largest fraction of a collection (with at least 10 live objects) that one "
        "run may change or delete without --force.",
        examples=[0.3],
    )
    max_deletes: int = Field(
        default=10,
        strict=True,
        ge=0,
        description="Largest number of deletes and deactivations in one run without --force.",
        examples=[5],
    )
    min_remaining_autotask_requests: int = Field(
        default=1000,
        strict=True,
        ge=0,
        description="Apply refuses to start when fewer Autotask requests remain in the hourly "
        "budget (10,000 per hour, shared with every other integration).",
        examples=[1000],
    )
    ignore_fields: dict[SectionName, list[str]] = Field(
        default_factory=dict,
        description="Per section: attributes never compared.",
        examples=[{"webhooks": ["notification_email"]}],
    )
    acknowledge: list[AcknowledgedWarning] = Field(
        default_factory=list,
        description="Warning ids (printed as warning[id]) this file has reviewed and accepts: "
        "those warnings are no longer shown. Warnings about one run (targeting, the lock, rate "
        "limits) cannot be acknowledged.",
        examples=[["unmapped_company_types"]],
    )


class BillingCodes(_Model):
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


class CompanyTypes(_Model):
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


class ProductImport(_Model):
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


class InventoryLocation(_Model):
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


class Inventory(_Model):
    """Inventories page."""

    locations: dict[Name, InventoryLocation] = Field(
        default_factory=dict,
        description="Autotask inventory locations by name.",
        examples=[{"Main Warehouse": {"active": True, "default": True, "track_stock": True}}],
    )


class Opportunity(_Model):
    """Opportunity page: Salesbuildr data points -> Autotask opportunity UDFs."""

    udfs: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr data point (Group/Name, or Name when ungrouped) -> Autotask "
        "opportunity UDF. Each UDF at most once; multi-select UDFs cannot be mapped.",
        examples=[{"Sales/Expected margin": "Quote Margin"}],
    )


class PurchaseOrder(_Model):
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


class WebhookReceiver(_Model):
    """Salesbuildr's endpoint for Autotask callouts."""

    secret: SecretValue = Field(
        description="Write-only shared secret Salesbuildr verifies callouts with. Write it as "
        "${env:NAME}; it is never read back, printed or saved." + _SECRET_REFERENCE,
        examples=["${env:SALESBUILDR_WEBHOOK_SECRET}"],
    )


class Webhook(_Model):
    """An Autotask webhook; the YAML key is its name unless `name:` says otherwise. Only what
    the file states is managed: entity, name, url, active, events and fields always (with the
    defaults below); any other attribute left out keeps its live value, and a new webhook gets the
    default each description names."""

    entity: WebhookEntity = Field(
        description="The Autotask entity whose changes fire the webhook.", examples=["company"]
    )
    name: Name | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_WEBHOOK_NAME,
        description="The webhook's name in Autotask, when it differs from the key (needed only "
        "when two entities' webhooks share a name).",
        examples=["sb-companies"],
    )
    url: Url | None = Field(
        default=None,
        description="Where Autotask posts callouts. Omitted: Salesbuildr's receiver (signed "
        "with webhook_receiver.secret).",
        examples=["https://monitor.acme.example/autotask"],
    )
    deactivation_url: Url | None = Field(
        default=None,
        description="Called when the webhook is deactivated or deleted. Omitted: kept as it is "
        "live; a new webhook gets url.",
        examples=["https://monitor.acme.example/autotask/deactivated"],
    )
    secret: SecretValue | None = Field(
        default=None,
        description="Shared secret for the X-Hook-Signature (write-only). Only with url. "
        "Omitted: a webhook with url keeps its live secret (a new one cannot be created without "
        "a secret: plan refuses it); one without url uses webhook_receiver.secret, or keeps its "
        "live secret when webhook_receiver is absent. --rotate-secrets re-sends only secrets the "
        "file states." + _SECRET_REFERENCE,
        examples=["${env:MONITORING_WEBHOOK_SECRET}"],
    )
    active: bool = Field(
        default=True, description="Active in Autotask. Omitted: true.", examples=[True]
    )
    events: list[WebhookEvent] = Field(
        default_factory=lambda: [WebhookEvent.CREATE, WebhookEvent.UPDATE, WebhookEvent.DELETE],
        min_length=1,
        description="Which events fire the webhook. Omitted: all three.",
        examples=[["create", "update", "delete"]],
    )
    fields: list[Name] = Field(
        default_factory=list,
        description="Webhook field labels (the fieldID picklist of {Entity}WebhookFields) whose "
        "change fires the webhook. Omitted: none.",
        examples=[["CompanyName", "CompanyType", "Phone"]],
    )
    always_send: list[Name] = Field(
        default_factory=list,
        description="Field labels always included in the payload. Omitted: kept as live; a "
        "new webhook gets none.",
        examples=[["CompanyNumber"]],
    )
    udf_fields: list[Name] = Field(
        default_factory=list,
        description="UDF names whose change fires the webhook (none exist for ticket_note). "
        "Omitted: kept as live; a new webhook gets none.",
        examples=[["Contract Tier"]],
    )
    excluded_resources: list[NameOrId] = Field(
        default_factory=list,
        description="Autotask resources whose changes do not fire the webhook. Omitted: kept "
        "as live; a new webhook gets none.",
        examples=[["Salesbuildr API"]],
    )
    notification_email: Email | None = Field(
        default=None,
        description="Where Autotask sends notices about the webhook. Omitted: kept as live; "
        "a new webhook gets none; null clears it.",
        examples=["ops@acme.example"],
    )
    threshold_notification: bool = Field(
        default=False,
        description="E-mail a notice when the request threshold is exceeded. Omitted: kept "
        "as live; a new webhook gets false.",
        examples=[True],
    )


Version = Annotated[
    Literal[1],
    Field(description="Version of this file format. Always 1.", examples=[1]),
]


class Config(_Model):
    """A whole mappings.yaml document. Absent sections are not managed (never read or changed).

    ${env:NAME} and ${env:NAME:-default} may stand only in secret fields (webhook_receiver.secret,
    webhooks.*.secret) and connection urls (autotask.url, salesbuildr.url); a literal ${ anywhere
    is written $${.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        title="reconcile mappings",
        json_schema_extra={
            "$id": "https://reconcile.dev/schemas/mappings.schema.json",
        },
    )

    version: Version
    autotask: AutotaskConnection | None = Field(
        default=None,
        description="Autotask connection settings.",
        examples=[{"url": "https://webservices5.autotask.net/atservicesrest"}],
    )
    salesbuildr: SalesbuildrConnection | None = Field(
        default=None,
        description="Salesbuildr connection settings.",
        examples=[{"url": "https://acme.salesbuildr.com/public-api"}],
    )
    after_apply: list[AfterApplyAction] = Field(
        default_factory=list,
        description="One-off actions run after a verified apply.",
        examples=[["sync_fields"]],
    )
    policy: Policy = Field(
        default_factory=Policy,
        description="Ownership and safety limits.",
        examples=[{"manage": {"webhooks": "full"}, "max_deletes": 5}],
    )
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

    def present_sections(self) -> list[str]:
        """The managed sections this document contains, in canonical order."""
        return [name for name in SECTIONS if getattr(self, name) is not None]

    def manage_mode(self, section: str) -> ManageMode:
        for name, mode in self.policy.manage.items():
            if name == section:
                return mode
        return ManageMode.ADDITIVE
