"""ConnectWise Manage's sections of the YAML: one per Salesbuildr admin page (PSAS.md).

Pages (``salesbuildr-connectwise-configuration.md``): Synchronize (a job, no section),
Categories, Companies, Opportunity status mapping, Callbacks, Inventories, Ticket settings.
Names are what a person sees in ConnectWise and in Salesbuildr, matched case-insensitively at
plan time with "did you mean"; ``{id: N}`` stands where a name is ambiguous. Both-direction maps
are ``to_salesbuildr`` / ``to_connectwise``, as Autotask's ``to_autotask``.

Settings the help centre does not show (its excerpts stop part-way) are modelled only where the
issue asks, each marked **[inferred]** in its description, so the JSON Schema says so too; the
README lists them under "assumed settings". Rules over several fields (a name listed twice, a
subtype without its type...) are :mod:`reconciler.psa.connectwise.rules`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from reconciler.config.common import (
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
)
from reconciler.config.references import ReferenceFields
from reconciler.config.types import Name, NameOrId, Url

PSA = "connectwise"

SECTIONS = (
    "categories",
    "companies",
    "opportunity_statuses",
    "callbacks",
    "inventory",
    "ticket_settings",
)
"""The managed sections, in the order the admin pages show them."""

SectionName = Literal[
    "categories",
    "companies",
    "opportunity_statuses",
    "callbacks",
    "inventory",
    "ticket_settings",
]

MAX_CALLBACK_DESCRIPTION = 100
"""``CallbackEntry.description`` maxLength in the vendor document (the subset, 2025.1)."""

INFERRED = " [inferred]"
"""Appended to a description: the help centre does not show this setting (README: assumed)."""

REFERENCE_FIELDS = ReferenceFields(secrets=(), urls=(("salesbuildr", "url"),))
"""Where ``${env:NAME}`` may stand: only Salesbuildr's url. ConnectWise's connection comes from
the real environment alone (CONNECTWISE_*), and its callbacks carry no secret."""


class ConnectWiseAfterApply(StrEnum):
    """The jobs ConnectWise's pages start (CONF §1 Synchronize, §2 Categories' Import); its
    Inventories page has no sync of its own."""

    SYNC_FIELDS = "sync_fields"
    SYNC_FULL = "sync_full"
    IMPORT_PRODUCTS = "import_products"


class DataSource(StrEnum):
    """Which side is the master of a product type's product data."""

    CONNECTWISE = "connectwise"
    SALESBUILDR = "salesbuildr"


class CallbackType(StrEnum):
    """The records whose changes Salesbuildr is told about (the help centre names these three)."""

    COMPANY = "company"
    CONTACT = "contact"
    OPPORTUNITY = "opportunity"


class CallbackLevel(StrEnum):
    """Which records of the type fire the callback: ``owner`` all of them; the others only those
    under the object ``object_id`` names (community documentation, not the vendor document)."""

    OWNER = "owner"
    COMPANY = "company"
    BOARD = "board"
    STATUS = "status"
    TYPE = "type"


class Categories(StrictModel):
    """Categories page: ConnectWise product categories -> Salesbuildr categories."""

    mappings: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="ConnectWise category, or category/subcategory (levels separated by /, a "
        "literal slash written \\/) -> Salesbuildr category path. A subcategory row wins over "
        "its category's row for the products in it.",
        examples=[{"Hardware": "Hardware", "Hardware/Laptops": "Hardware/Laptops"}],
    )
    data_source: dict[Name, DataSource] = Field(
        default_factory=dict,
        description="ConnectWise product type -> which side is the master of its product data "
        "(connectwise | salesbuildr). The setup guide documents the choice per product type; "
        "which page holds it is not shown, so keeping it on this page is" + INFERRED + ".",
        examples=[{"Hardware": "connectwise", "Services": "salesbuildr"}],
    )


class CompanyTypeMaps(StrictModel):
    """Company types in both directions."""

    to_salesbuildr: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="ConnectWise company type -> the Salesbuildr company type given on import.",
        examples=[{"Client": "Customer", "Prospect": "Lead"}],
    )
    to_connectwise: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr company type -> the ConnectWise company type set when pushing.",
        examples=[{"Customer": "Client", "Lead": "Prospect"}],
    )


class Companies(StrictModel):
    """Companies page. Keys left out are not managed."""

    types: CompanyTypeMaps | None = Field(
        default=None,
        description="Company type mappings in both directions.",
        examples=[
            {"to_salesbuildr": {"Client": "Customer"}, "to_connectwise": {"Customer": "Client"}}
        ],
    )
    type_priority: list[NameOrId] | None = Field(
        default=None,
        description="ConnectWise company types, first wins: a ConnectWise company can hold "
        "several types, Salesbuildr one. Each type at most once.",
        examples=[["Client", "Prospect", "Vendor"]],
    )
    statuses: list[NameOrId] | None = Field(
        default=None,
        description="ConnectWise company statuses whose companies are synchronised (the others "
        "are not). An empty list synchronises none.",
        examples=[["Active"]],
    )
    udfs: dict[Name, Name] = Field(
        default_factory=dict,
        description="ConnectWise company UDF (its caption) -> Salesbuildr company data point "
        "(Group/Name, or Name when ungrouped). One table for every company type: whether "
        "Salesbuildr maps UDFs per company type, as for Autotask, is not shown, so one table "
        "is" + INFERRED + ".",
        examples=[{"Contract Tier": "Contract tier"}],
    )
    manufacturer_company_type: NameOrId | None = Field(
        default=None,
        description="The ConnectWise company type of manufacturer companies (Salesbuildr imports "
        "manufacturers from ConnectWise).",
        examples=["Vendor"],
    )


class OpportunityStatuses(StrictModel):
    """Opportunity status mapping page."""

    to_salesbuildr: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="ConnectWise opportunity status -> the Salesbuildr status applied when it "
        "changes in ConnectWise.",
        examples=[{"Won": "Won", "Lost": "Lost"}],
    )
    to_connectwise: dict[Name, NameOrId] = Field(
        default_factory=dict,
        description="Salesbuildr opportunity status (its statuses come from Salesbuildr) -> the "
        "ConnectWise status set when it changes in Salesbuildr.",
        examples=[{"Won": "Won", "Lost": "Lost"}],
    )


class Callback(StrictModel):
    """A ConnectWise callback (``/system/callbacks``). Callbacks have no name: the YAML key is
    the callback's ``description``, its natural key. Only what the file states is managed:
    type, level, url and active always (with the defaults below); object_id, payload_version
    and self_suppressed only when stated (else kept as live; a new callback gets ConnectWise's
    defaults, and object_id 1 at level owner)."""

    type: CallbackType = Field(
        description="The records whose changes fire the callback.", examples=["company"]
    )
    level: CallbackLevel = Field(
        default=CallbackLevel.OWNER,
        description="owner: every record of the type (what Salesbuildr needs). The other levels "
        "fire for the records under the object object_id names. Omitted: owner.",
        examples=["owner"],
    )
    object_id: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        description="The ConnectWise id of the board, status, type or company the level names; "
        "required unless level is owner (a new owner callback gets 1, the convention).",
        examples=[1],
    )
    url: Url | None = Field(
        default=None,
        description="Where ConnectWise posts. Omitted: Salesbuildr's callback receiver (as "
        "Salesbuildr reports it).",
        examples=["https://monitor.acme.example/connectwise"],
    )
    active: bool = Field(
        default=True,
        strict=True,
        description="Active in ConnectWise (inactiveFlag false). Omitted: true.",
        examples=[True],
    )
    payload_version: str | None = Field(
        default=None,
        min_length=1,
        description="ConnectWise's payloadVersion of the posted body. Omitted: kept as live.",
        examples=["2"],
    )
    self_suppressed: bool | None = Field(
        default=None,
        strict=True,
        description="isSelfSuppressedFlag: changes made by the API member that owns the callback "
        "do not fire it. Omitted: kept as live.",
        examples=[True],
    )


class Inventory(StrictModel):
    """Inventories page: ConnectWise warehouse stock levels synchronised into Salesbuildr."""

    warehouses: list[NameOrId] | None = Field(
        default=None,
        description="ConnectWise warehouses whose stock Salesbuildr synchronises (an empty list: "
        "none; omitted: not managed). The page's controls are not shown in the help centre; a "
        "choice of warehouses is" + INFERRED + ".",
        examples=[["Main Warehouse"]],
    )


class TicketSettings(StrictModel):
    """Ticket settings page: the ConnectWise service ticket Salesbuildr creates after a sale.
    Keys left out are not managed. status, type, subtype and item are those of the board."""

    board: NameOrId | None = Field(
        default=None, description="ConnectWise service board of the ticket.", examples=["Sales"]
    )
    status: NameOrId | None = Field(
        default=None,
        description="Status of the board the ticket starts in" + INFERRED + ".",
        examples=["New"],
    )
    type: NameOrId | None = Field(
        default=None, description="Type on the board" + INFERRED + ".", examples=["Procurement"]
    )
    subtype: NameOrId | None = Field(
        default=None,
        description="Subtype on the board, one the type allows" + INFERRED + ".",
        examples=["Hardware"],
    )
    item: NameOrId | None = Field(
        default=None,
        description="Item on the board, one the type (and subtype) allows" + INFERRED + ".",
        examples=["Order"],
    )
    priority: NameOrId | None = Field(
        default=None,
        description="ConnectWise service priority" + INFERRED + ".",
        examples=["Priority 3 - Normal"],
    )


class ConnectWisePolicy(BasePolicy):
    """What apply may do (the common limits; ConnectWise has no request budget to guard, only
    the client's rate cap)."""

    manage: dict[SectionName, ManageMode] = manage_field({"callbacks": "full"})
    max_change_fraction: float = max_change_fraction_field()
    max_deletes: int = max_deletes_field()
    ignore_fields: dict[SectionName, list[str]] = ignore_fields_field(
        {"callbacks": ["payload_version"]}
    )
    acknowledge: list[Literal["unmapped_company_types"]] = acknowledge_field(
        ["unmapped_company_types"]
    )


class ConnectWiseConfig(PsaDocument):
    """A whole mappings.yaml for ConnectWise Manage (``psa: connectwise``). Absent sections are
    not managed (never read or changed). The connection comes from CONNECTWISE_* in the real
    environment only."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", title="reconcile mappings (ConnectWise Manage)"
    )

    PSA: ClassVar[str] = PSA
    SECTIONS: ClassVar[tuple[str, ...]] = SECTIONS
    REFERENCE_FIELDS: ClassVar[ReferenceFields] = REFERENCE_FIELDS
    CALLOUTS: ClassVar[tuple[str, str]] = ("callbacks", "callback")
    ITEM_DEPTH: ClassVar[dict[str, int]] = {"callbacks": 2}  # ("callbacks", description)

    version: Version
    psa: Literal["connectwise"] = psa_field(PSA)
    salesbuildr: SalesbuildrConnection | None = salesbuildr_field()
    after_apply: list[ConnectWiseAfterApply] = after_apply_field(
        "sync_fields",
        description="One-off actions run after a verified apply (ConnectWise: a full or a "
        "fields sync, the product import of the mapped categories; no inventory sync).",
    )
    policy: ConnectWisePolicy = policy_field(
        ConnectWisePolicy, {"manage": {"callbacks": "full"}, "max_deletes": 5}
    )
    categories: Categories | None = Field(
        default=None,
        description="Categories page.",
        examples=[{"mappings": {"Hardware/Laptops": "Hardware/Laptops"}}],
    )
    companies: Companies | None = Field(
        default=None,
        description="Companies page.",
        examples=[{"statuses": ["Active"], "manufacturer_company_type": "Vendor"}],
    )
    opportunity_statuses: OpportunityStatuses | None = Field(
        default=None,
        description="Opportunity status mapping page.",
        examples=[{"to_salesbuildr": {"Won": "Won"}, "to_connectwise": {"Won": "Won"}}],
    )
    callbacks: dict[Name, Callback] | None = Field(
        default=None,
        description="ConnectWise callbacks by description (their natural key).",
        examples=[{"Salesbuildr companies": {"type": "company", "level": "owner"}}],
    )
    inventory: Inventory | None = Field(
        default=None,
        description="Inventories page.",
        examples=[{"warehouses": ["Main Warehouse"]}],
    )
    ticket_settings: TicketSettings | None = Field(
        default=None,
        description="Ticket settings page.",
        examples=[{"board": "Professional Services", "status": "New"}],
    )


SECTION_MODELS: dict[str, object] = {
    name: ConnectWiseConfig.model_fields[name].annotation for name in SECTIONS
}
"""Section -> its annotation, for ``Psa.sections`` (the config union and the schema)."""
