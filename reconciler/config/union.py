"""The config union: one member per installed PSA, told apart by the ``psa`` key.

The members come from the PSA registry (the ``reconciler.psa`` entry points, scanned on first
use: only commands that read a YAML pay for it). A callable discriminator reads ``psa`` and
falls back to the default PSA, so every file written before there were other PSAs stays an
Autotask file. Knowing every PSA's sections also lets a section of another PSA be named as such.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, TypeAdapter, create_model

from reconciler.config.common import (
    COMMON_POLICY_KEYS,
    BasePolicy,
    ManageMode,
    PsaDocument,
    SalesbuildrConnection,
    Version,
    ignore_fields_field,
    manage_field,
    max_change_fraction_field,
    max_deletes_field,
    policy_field,
    psa_field,
    salesbuildr_field,
)
from reconciler.config.loader import PathKey, SourceDocument
from reconciler.config.references import ReferenceFields
from reconciler.config.validation import DISCRIMINATOR, describe
from reconciler.errors import Diagnostic
from reconciler.kinds.names import did_you_mean
from reconciler.psa import registry
from reconciler.psa.base import Psa

_built: dict[tuple[tuple[str, int], ...], dict[str, type[PsaDocument]]] = {}
_adapters: dict[tuple[tuple[str, int], ...], TypeAdapter[Any]] = {}


def installed() -> Mapping[str, Psa]:
    return registry.installed()


def default() -> str:
    """The PSA of a document without ``psa``."""
    return registry.DEFAULT


def _key() -> tuple[tuple[str, int], ...]:
    # The registry is cached; a test that installs other PSAs gets its own union.
    return tuple((name, id(psa)) for name, psa in installed().items())


def documents() -> dict[str, type[PsaDocument]]:
    """Every installed PSA's document model by PSA name, the default PSA first."""
    key = _key()
    if key not in _built:
        psas = installed()
        order = sorted(psas, key=lambda name: (name != registry.DEFAULT, name))
        _built[key] = {name: document_model(psas[name]) for name in order}
    return _built[key]


def adapter() -> TypeAdapter[Any]:
    """The discriminated union of :func:`documents` (validation and the JSON Schema)."""
    key = _key()
    if key not in _adapters:
        members = tuple(Annotated[model, Tag(name)] for name, model in documents().items())
        # A union of one is that member (pydantic discriminates unions only).
        union: Any = (
            Annotated[Union[members], Discriminator(tag_of)]  # noqa: UP007 (built at run time)
            if len(members) > 1
            else members[0]
        )
        _adapters[key] = TypeAdapter(union)
    return _adapters[key]


def tag_of(value: Any) -> str | None:
    """The member a document belongs to: its ``psa``, else the default PSA."""
    if isinstance(value, PsaDocument):
        return value.PSA
    if isinstance(value, Mapping):
        name = value.get(DISCRIMINATOR, registry.DEFAULT)
        return name if isinstance(name, str) else None
    return None


def document_model(psa: Psa) -> type[PsaDocument]:
    """``psa``'s document model; derived from its sections when the package declares none."""
    if psa.document is not None:
        model: type[PsaDocument] = psa.document()
        return model
    sections = dict(psa.sections())
    section_names = tuple(sections)
    names: Any = Annotated[str, Field(json_schema_extra={"enum": list(section_names)})]
    policy = create_model(
        f"{psa.title}Policy",
        __base__=BasePolicy,
        manage=(dict[names, ManageMode], manage_field({})),
        max_change_fraction=(float, max_change_fraction_field()),
        max_deletes=(int, max_deletes_field()),
        ignore_fields=(dict[names, list[str]], ignore_fields_field({})),
    )
    fields: dict[str, Any] = {
        "version": (Version, ...),
        "psa": (Any, psa_field(psa.name, default=psa.name == registry.DEFAULT)),
        "salesbuildr": (SalesbuildrConnection | None, salesbuildr_field()),
        "policy": (policy, policy_field(policy, {})),
    }
    for name, annotation in sections.items():
        fields[name] = (annotation | None, Field(default=None, description=f"{name} page."))
    derived = create_model(f"{psa.title}Config", __base__=PsaDocument, **fields)
    derived.PSA = psa.name
    derived.SECTIONS = section_names
    derived.REFERENCE_FIELDS = ReferenceFields(secrets=(), urls=(("salesbuildr", "url"),))
    return derived


NOWHERE = ReferenceFields(secrets=(), urls=())


def reference_fields_for(name: str | None) -> ReferenceFields:
    """Where ``${env:}`` may stand in a document whose ``psa`` is ``name`` (no such PSA:
    nowhere; the document is refused for its ``psa`` anyway)."""
    model = documents().get(registry.DEFAULT if name is None else name)
    return model.REFERENCE_FIELDS if model is not None else NOWHERE


def choose(source: SourceDocument) -> type[PsaDocument] | Diagnostic:
    """The member the document's ``psa`` names, or the located error saying why there is none."""
    models = documents()
    tag = tag_of(source.data)
    if tag in models:
        return models[tag]
    value = source.data.get(DISCRIMINATOR)
    known = ", ".join(models)
    if not isinstance(value, str):
        return source.diagnostic(
            (DISCRIMINATOR,),
            f"psa: expected the name of a PSA, found {describe(value)}",
            hint=f"one of: {known} (omitted: {registry.DEFAULT})",
        )
    return source.diagnostic(
        (DISCRIMINATOR,),
        f"psa: unknown PSA '{value}'; expected one of: {known}",
        hint=did_you_mean(value, list(models)) or f"omit psa for {registry.DEFAULT}",
    )


def owners_of_section(key: str, model: type[PsaDocument]) -> list[str]:
    """The titles of the other PSAs whose documents have a section ``key``."""
    psas = installed()
    return [
        psas[name].title
        for name, other in documents().items()
        if other is not model and key in other.SECTIONS
    ]


def owners_of_policy_key(key: str, model: type[PsaDocument]) -> list[str]:
    """The titles of the other PSAs that declare the policy key ``key``."""
    if key in COMMON_POLICY_KEYS:
        return []
    psas = installed()
    return [
        psa.title
        for name, psa in psas.items()
        if key in psa.policy_keys and documents().get(name) is not model
    ]


def misplaced(model: type[PsaDocument]) -> Callable[[PathKey], tuple[str, str] | None]:
    """For :func:`reconciler.config.validation.translate`: (message, hint) when an unknown key
    of a ``model`` document is a section or policy key of another PSA."""
    this = f"this file is psa: {model.PSA}"

    def check(path: PathKey) -> tuple[str, str] | None:
        key = str(path[-1]) if path else ""
        if len(path) == 1 and (owners := owners_of_section(key, model)):
            return (
                f"{key} is a{_n(owners[0])} {' and '.join(owners)} section; {this}",
                "remove it, or set `psa:` to the PSA this file is for",
            )
        if len(path) == 2 and path[0] == "policy" and (owners := owners_of_policy_key(key, model)):
            return (
                f"policy.{key} is a{_n(owners[0])} {' and '.join(owners)} policy key; {this}",
                "remove it: it sets a limit of that PSA only",
            )
        return None

    return check


def _n(word: str) -> str:
    return "n" if word[:1].lower() in "aeiou" else ""
