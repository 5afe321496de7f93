"""The models every PSA's YAML shares (PSAS.md): ``version``, ``psa``, ``policy``,
``salesbuildr`` and ``after_apply``, and :class:`PsaDocument`, the base of each PSA's
whole-document model (one member of the config union, :mod:`reconciler.config.union`).

A PSA's document declares its own fields in its own order (the order is what "allowed keys"
hints list), built from the field factories here, so the common keys read the same everywhere.
Every field carries a description and an example: editors show them while a person types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from reconciler.config.references import ReferenceFields
from reconciler.config.types import Url
from reconciler.state import ManageMode

__all__ = [
    "AfterApplyAction",
    "BasePolicy",
    "ManageMode",
    "PsaDocument",
    "SalesbuildrConnection",
    "StrictModel",
    "Version",
]

LITERAL = " A literal ${ is written $${."


def url_reference(own: str) -> str:
    """The description tail of a connection url field whose URL variable is ``own``."""
    return (
        " May be written ${env:NAME} (URL variables such as " + own + " may stand only in url "
        "fields). Its host must be one the real environment allows: " + own + "'s host, "
        "loopback, or RECONCILE_ALLOWED_HOSTS; otherwise the run stops before any request."
        + LITERAL
    )


SECRET_REFERENCE = (
    " ${env:NAME} may stand only in secret fields and connection urls, and never names "
    "reconcile's own credentials (AUTOTASK_API_*, SALESBUILDR_API_KEY, RECONCILE_*, CI tokens)."
    + LITERAL
)


class StrictModel(BaseModel):
    """Frozen, and unknown keys are errors (CONFIG.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class AfterApplyAction(StrEnum):
    SYNC_FIELDS = "sync_fields"
    SYNC_FULL = "sync_full"
    SYNC_INVENTORY = "sync_inventory"
    IMPORT_PRODUCTS = "import_products"


class SalesbuildrConnection(StrictModel):
    """Where the Salesbuildr API is."""

    url: Url | None = Field(
        default=None,
        description="Your tenant's public API base URL. SALESBUILDR_API_URL overrides it."
        + url_reference("SALESBUILDR_API_URL"),
        examples=["https://acme.salesbuildr.com/public-api"],
    )


Version = Annotated[
    Literal[1],
    Field(description="Version of this file format. Always 1.", examples=[1]),
]


def psa_field(name: str, *, default: bool = False) -> Any:
    """The ``psa`` key of ``name``'s document; only the default PSA may leave it out."""
    described = "The PSA this file configures: autotask (the default), connectwise or halopsa."
    if default:
        return Field(default=name, description=described + " Omitted: " + name, examples=[name])
    return Field(description=described, examples=[name])


def salesbuildr_field() -> Any:
    return Field(
        default=None,
        description="Salesbuildr connection settings.",
        examples=[{"url": "https://acme.salesbuildr.com/public-api"}],
    )


def after_apply_field(example: str, *, description: str = "") -> Any:
    return Field(
        default_factory=list,
        description=description or "One-off actions run after a verified apply.",
        examples=[[example]],
    )


def policy_field(factory: type[BasePolicy], example: Mapping[str, Any]) -> Any:
    return Field(
        default_factory=factory, description="Ownership and safety limits.", examples=[example]
    )


def manage_field(example: Mapping[str, str], *, removes: str = "delete") -> Any:
    """``policy.manage``; its key type is the PSA's own section names."""
    return Field(
        default_factory=dict,
        description="Per section: additive (default: create and update only), full (also "
        + removes
        + " what the section does not list), observe (plan and drift only).",
        examples=[dict(example)],
    )


def ignore_fields_field(example: Mapping[str, list[str]]) -> Any:
    return Field(
        default_factory=dict,
        description="Per section: attributes never compared.",
        examples=[dict(example)],
    )


def acknowledge_field(example: list[str], *, description: str = "") -> Any:
    return Field(
        default_factory=list,
        description=description or "Warning ids this file has reviewed and accepts.",
        examples=[example],
    )


def max_change_fraction_field() -> Any:
    return Field(
        default=0.3,
        strict=True,
        ge=0,
        le=1,
        description="Largest fraction of a collection (with at least 10 live objects) that one "
        "run may change or delete without --force.",
        examples=[0.3],
    )


def max_deletes_field() -> Any:
    return Field(
        default=10,
        strict=True,
        ge=0,
        description="Largest number of deletes and deactivations in one run without --force.",
        examples=[5],
    )


class BasePolicy(StrictModel):
    """The base of every PSA's ``policy``: ``manage`` and ``ignore_fields`` over the PSA's own
    section names, ``max_change_fraction`` and ``max_deletes`` (the factories above, so every
    PSA's limits read the same), optionally ``acknowledge``, then the PSA's own keys (Autotask:
    its request budget floor). Fields are declared by each subclass: their order is the order
    an "allowed keys" hint lists them in."""


class BasePolicyKeys(Protocol):
    """What the engine reads of any PSA's ``policy`` (each declares the fields itself)."""

    @property
    def manage(self) -> Mapping[Any, ManageMode]: ...
    @property
    def max_change_fraction(self) -> float: ...
    @property
    def max_deletes(self) -> int: ...
    @property
    def acknowledge(self) -> Sequence[str]: ...
    @property
    def ignore_fields(self) -> Mapping[Any, Sequence[str]]: ...


COMMON_POLICY_KEYS = frozenset(
    {"manage", "max_change_fraction", "max_deletes", "ignore_fields", "acknowledge"}
)
"""Policy keys every PSA may have; any other key of a PSA's policy is that PSA's own."""


class PsaDocument(StrictModel):
    """A whole mappings document of one PSA: a member of the config union.

    Subclasses declare their fields (``version``, ``psa``, their sections ...) and say, as
    class data, what the loader and ``validate`` need to know about them."""

    PSA: ClassVar[str] = ""
    """The ``psa:`` value (the union's tag)."""
    SECTIONS: ClassVar[tuple[str, ...]] = ()
    """The managed sections, in canonical order."""
    REFERENCE_FIELDS: ClassVar[ReferenceFields] = ReferenceFields(secrets=(), urls=())
    """Where ``${env:NAME}`` may stand in this PSA's documents."""
    CALLOUTS: ClassVar[tuple[str, str]] = ("", "")
    """The section of the PSA-side objects that call Salesbuildr and their noun, for the
    ``validate`` summary (``("webhooks", "webhook")``); empty: none."""
    ITEM_DEPTH: ClassVar[Mapping[str, int]] = {}
    """Per section, the depth of one item (a webhook is ``("webhooks", key)``: 2) where it is
    not 3: a schema error cuts its whole item before the offline rules run."""

    if TYPE_CHECKING:
        # The common keys every subclass declares (in its own field order, so not here): what
        # the engine reads of any PSA's document.
        salesbuildr: SalesbuildrConnection | None
        policy: BasePolicyKeys
        after_apply: Sequence[StrEnum]

    def present_sections(self) -> list[str]:
        """The managed sections this document contains, in canonical order."""
        return [name for name in self.SECTIONS if getattr(self, name, None) is not None]

    def manage_mode(self, section: str) -> ManageMode:
        manage: Mapping[str, ManageMode] = getattr(getattr(self, "policy", None), "manage", {})
        for name, mode in manage.items():
            if name == section:
                return mode
        return ManageMode.ADDITIVE

    def callout_count(self) -> tuple[int, str]:
        """How many callout objects the document lists, and their noun."""
        section, noun = self.CALLOUTS
        found = getattr(self, section, None) if section else None
        return len(found or {}), noun
