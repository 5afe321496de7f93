"""The HaloPSA language: one section per Salesbuildr admin page (issue #22 item 1).

Products, Opportunities, Companies, Quotes, Account codes and Webhooks, with the common shapes of
every PSA (PSAS.md): a name->name mapping is a mapping, both-direction maps are
``to_salesbuildr`` / ``to_halopsa``, a Halo-side collection is keyed by name. Names are what a
person sees in Halo and in Salesbuildr, resolved at plan time (did-you-mean, ``{id: N}`` where a
name is ambiguous). Synchronize is an action (``after_apply: [sync_full]``), not a section.

Settings the Salesbuildr help centre documents are modelled as such; the few it does not state are
marked ``[assumed]`` in their description (salesbuildr-halopsa-configuration.md, "[inferred]"):
:data:`reconciler.psa.halopsa.kinds.ASSUMED_SETTINGS` lists them with the reason, for the
README's "assumed settings" (one list: a test keeps it and the ``[assumed]`` marks in step).
Strict like the Autotask models: unknown keys are refused, booleans are booleans.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Final, Literal

from pydantic import ConfigDict, Field

from reconciler.config.common import (
    BasePolicy,
    ManageMode,
    PsaDocument,
    SalesbuildrConnection,
    StrictModel,
    Version,
    after_apply_field,
    ignore_fields_field,
    manage_field,
    max_change_fraction_field,
    max_deletes_field,
    policy_field,
    psa_field,
    salesbuildr_field,
)
from reconciler.config.references import ReferenceFields
from reconciler.config.types import Name, NameOrId, Url
from reconciler.psa.halopsa.events import EVENT_NUMBERS

PSA_NAME: Final = "halopsa"

SECTIONS: Final = (
    "products",
    "opportunities",
    "companies",
    "quotes",
    "account_codes",
    "webhooks",
)
"""The managed sections, in the order Salesbuildr's HaloPSA admin pages show them."""

HaloSectionName = Literal[
    "products", "opportunities", "companies", "quotes", "account_codes", "webhooks"
]

ASSUMED: Final = "[assumed] "
"""Prefix of the description of a setting the help centre does not state."""


QuoteStatus = Literal["draft", "sent", "approved", "declined", "expired"]
QUOTE_STATUSES: Final[tuple[str, ...]] = ("draft", "sent", "approved", "declined", "expired")
"""Salesbuildr's five quote statuses (documented: CONF §5.1)."""

AddressField = Literal["street", "apartment", "city"]
ADDRESS_FIELDS: Final[tuple[str, ...]] = ("street", "apartment", "city")
"""The Salesbuildr address fields the help centre names (CONF §4.2; the list may be longer)."""

AddressLine = Literal["line1", "line2", "line3", "line4"]
ADDRESS_LINES: Final[tuple[str, ...]] = ("line1", "line2", "line3", "line4")

HaloWebhookEvent = Literal["ticket_created", "ticket_updated", "client_created", "client_updated"]
"""The YAML's webhook event names: the keys of :data:`reconciler.psa.halopsa.events.EVENT_NUMBERS`
(a unit test keeps the two equal)."""

WEBHOOK_EVENTS: Final[tuple[str, ...]] = tuple(EVENT_NUMBERS)


class HaloAfterApply(StrEnum):
    """Halo's Synchronize page has a full sync only (no fields-only sync: CONF §1)."""

    SYNC_FULL = "sync_full"


class Products(StrictModel):
    """Products page: how Halo items and Salesbuildr products map onto each other."""

    categories: dict[Name, Name] = Field(
        default_factory=dict,
        description="Halo asset type -> Salesbuildr category path (levels separated by /, a "
        "literal slash written \\/). Salesbuildr's Category is the item's Halo asset type.",
        examples=[{"Laptops": "Hardware/Laptops"}],
    )
    types: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr product type (hardware, service, labour, shipping...) -> Halo "
        "asset group.",
        examples=[{"hardware": "Hardware", "service": "Services"}],
    )
    groups: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description=ASSUMED + "Salesbuildr category path -> Halo item group (the product group "
        "mapping; Salesbuildr does not say what it is keyed by: here by category).",
        examples=[{"Hardware/Laptops": "Hardware"}],
    )
    default_group: NameOrId | None = Field(
        default=None,
        description="Halo item group used when no product group mapping matches.",
        examples=["General"],
    )
    shipping_product: NameOrId | None = Field(
        default=None,
        description="The Halo item Salesbuildr uses for shipping charges.",
        examples=["Shipping"],
    )
    synchronize_to_halo: bool | None = Field(
        default=None,
        strict=True,
        description="Push product changes made in Salesbuildr back to Halo. Omitted: not managed.",
        examples=[True],
    )


class OpportunityStatuses(StrictModel):
    """Opportunity status mapping, in both directions."""

    to_salesbuildr: dict[Name, Name] = Field(
        default_factory=dict,
        description="Halo ticket status -> Salesbuildr opportunity status.",
        examples=[{"Won": "Won", "Lost": "Lost"}],
    )
    to_halopsa: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr opportunity status -> Halo ticket status.",
        examples=[{"Won": "Won"}],
    )


class Opportunities(StrictModel):
    """Opportunities page: which Halo opportunities (tickets) Salesbuildr creates and imports.
    Settings left out are not managed; an empty list is managed (and empty)."""

    type: NameOrId | None = Field(
        default=None,
        description="Halo ticket type of the opportunities Salesbuildr creates.",
        examples=["Opportunity"],
    )
    import_categories: list[NameOrId] | None = Field(
        default=None,
        description="Only Halo opportunities in these categories are imported.",
        examples=[["Sales"]],
    )
    statuses: OpportunityStatuses | None = Field(
        default=None,
        description="Status mapping in both directions.",
        examples=[{"to_salesbuildr": {"Won": "Won"}, "to_halopsa": {"Won": "Won"}}],
    )
    enabled_types: list[NameOrId] | None = Field(
        default=None,
        description="Halo opportunity (ticket) types that take part.",
        examples=[["Opportunity"]],
    )
    teams: list[NameOrId] | None = Field(
        default=None,
        description="Halo opportunity teams.",
        examples=[["Sales"]],
    )


class Companies(StrictModel):
    """Companies page."""

    prospect_type: NameOrId | None = Field(
        default=None,
        description=ASSUMED + "The Halo client type given to prospects (the Salesbuildr company "
        "types that receive quotes). Its values are Halo's client types.",
        examples=["Prospect"],
    )
    address_lines: dict[AddressField, AddressLine] = Field(
        default_factory=dict,
        description="Salesbuildr address field -> Halo address line (line1..line4); each line "
        "takes one field. Fields left out are not managed.",
        examples=[{"street": "line1", "apartment": "line2", "city": "line3"}],
    )


class Quotes(StrictModel):
    """Quotes page: Salesbuildr quote status -> Halo quotation status (Salesbuildr -> Halo)."""

    statuses: dict[QuoteStatus, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr quote status (draft, sent, approved, declined, expired) -> "
        "Halo quotation status, from Halo's own list.",
        examples=[{"draft": "Draft", "approved": "Accepted"}],
    )


class AccountCodes(StrictModel):
    """The account codes of one Halo item group, passed on to accounting with orders."""

    income: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description=ASSUMED + "Income account code (free text). Omitted: not managed.",
        examples=["4000"],
    )
    expense: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description=ASSUMED + "Expense account code (free text). Omitted: not managed.",
        examples=["5000"],
    )


class HaloWebhook(StrictModel):
    """A Halo webhook (``/Webhook`` with its event subscriptions); the YAML key is its name.
    Only events, active and url are managed; every other attribute keeps its live value."""

    events: list[HaloWebhookEvent] = Field(
        min_length=1,
        description=ASSUMED + "The Halo events that fire the webhook (Halo event numbers are "
        "assumed: psa/halopsa/events.py).",
        examples=[["ticket_updated"]],
    )
    active: bool = Field(
        default=True,
        strict=True,
        description=ASSUMED + "Active in Halo. Omitted: true.",
        examples=[True],
    )
    url: Url | None = Field(
        default=None,
        description=ASSUMED + "Where Halo posts. Omitted: Salesbuildr's webhook receiver.",
        examples=["https://monitor.acme.example/halo"],
    )


class HaloPolicy(BasePolicy):
    """The policy language of every PSA, on the HaloPSA sections."""

    manage: dict[HaloSectionName, ManageMode] = manage_field({"webhooks": "full"})
    max_change_fraction: float = max_change_fraction_field()
    max_deletes: int = max_deletes_field()
    ignore_fields: dict[HaloSectionName, list[str]] = ignore_fields_field({"webhooks": ["url"]})

    @property
    def acknowledge(self) -> tuple[str, ...]:
        """No HaloPSA rule warns (the rules' findings are errors), so nothing to acknowledge:
        not a key of the file, but what the run reads of every PSA's policy."""
        return ()


class HaloSections(PsaDocument):
    """The sections of the HaloPSA pages; an absent section is not managed."""

    SECTIONS: ClassVar[tuple[str, ...]] = SECTIONS

    products: Products | None = Field(
        default=None,
        description="Products page.",
        examples=[{"types": {"hardware": "Hardware"}, "default_group": "General"}],
    )
    opportunities: Opportunities | None = Field(
        default=None,
        description="Opportunities page.",
        examples=[{"type": "Opportunity", "teams": ["Sales"]}],
    )
    companies: Companies | None = Field(
        default=None,
        description="Companies page.",
        examples=[{"prospect_type": "Prospect", "address_lines": {"street": "line1"}}],
    )
    quotes: Quotes | None = Field(
        default=None,
        description="Quotes page.",
        examples=[{"statuses": {"draft": "Draft"}}],
    )
    account_codes: dict[Name, AccountCodes] | None = Field(
        default=None,
        description=ASSUMED + "Account codes page: Halo item group -> its income and expense "
        "account codes (a Salesbuildr document).",
        examples=[{"Hardware": {"income": "4000", "expense": "5000"}}],
    )
    webhooks: dict[Name, HaloWebhook] | None = Field(
        default=None,
        description=ASSUMED + "Halo webhooks by name.",
        examples=[{"Salesbuildr tickets": {"events": ["ticket_updated"], "active": True}}],
    )


REFERENCE_FIELDS: Final = ReferenceFields(secrets=(), urls=(("salesbuildr", "url"),))
"""Where ``${env:NAME}`` may stand in a HaloPSA document: only the Salesbuildr connection url
(Halo's connection is read from HALOPSA_* alone; no Halo section holds a secret)."""


class HaloConfig(HaloSections):
    """A whole ``psa: halopsa`` mappings document: the common keys and the HaloPSA sections."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="reconcile mappings (HaloPSA)")

    PSA: ClassVar[str] = PSA_NAME
    REFERENCE_FIELDS: ClassVar[ReferenceFields] = REFERENCE_FIELDS
    CALLOUTS: ClassVar[tuple[str, str]] = ("webhooks", "webhook")

    version: Version
    psa: Literal["halopsa"] = psa_field(PSA_NAME)
    salesbuildr: SalesbuildrConnection | None = salesbuildr_field()
    after_apply: list[HaloAfterApply] = after_apply_field(
        "sync_full",
        description="One-off actions run after a verified apply (Halo: a full sync only).",
    )
    policy: HaloPolicy = policy_field(HaloPolicy, {"manage": {"webhooks": "full"}})


SECTION_MODELS: Final = {name: HaloSections.model_fields[name].annotation for name in SECTIONS}
"""Section -> its annotation, for the core's config union and ``Psa.sections``."""
