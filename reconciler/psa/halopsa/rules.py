"""Offline rules of the HaloPSA sections that span several fields; each finding points at its
node. Pure: the model and the source positions in, diagnostics out (none is a warning: the
warning-id table belongs to the core)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.config.loader import PathKey, SourceDocument
from reconciler.config.rules import fold_name_path, unique_names
from reconciler.config.types import IdRef
from reconciler.errors import Diagnostic
from reconciler.kinds.names import PathSyntaxError, fold, fold_path
from reconciler.psa.halopsa.config import HaloSections

Error = Callable[..., None]


def check(sections: HaloSections, source: SourceDocument) -> list[Diagnostic]:
    """Every offline rule's finding, in document order."""
    errors: list[Diagnostic] = []

    def error(path: PathKey, message: str, hint: str | None = None, *, key: bool = False) -> None:
        errors.append(source.diagnostic(path, message, hint=hint, key=key))

    _unique_keys(sections, error)
    _paths(sections, error)
    _lists(sections, error)
    _opportunity_type_enabled(sections, error)
    _address_lines(sections, error)
    _account_codes(sections, error)
    errors.sort(key=lambda d: (d.line, d.column))
    return errors


def _unique_keys(s: HaloSections, error: Error) -> None:
    if s.products:
        unique_names(s.products.categories, ("products", "categories"), "Halo asset type", error)
        unique_names(s.products.types, ("products", "types"), "product type", error)
        unique_names(
            s.products.groups, ("products", "groups"), "category", error, folder=fold_name_path
        )
    if s.opportunities and s.opportunities.statuses:
        statuses = s.opportunities.statuses
        path: PathKey = ("opportunities", "statuses")
        unique_names(statuses.to_salesbuildr, (*path, "to_salesbuildr"), "Halo status", error)
        unique_names(statuses.to_halopsa, (*path, "to_halopsa"), "Salesbuildr status", error)
    if s.account_codes:
        unique_names(s.account_codes, ("account_codes",), "item group", error)
    if s.webhooks:
        # Webhooks are live objects' own names: two that fold alike but are spelled apart
        # may both exist in Halo; plan matches each exactly (and refuses anything else).
        unique_names(s.webhooks, ("webhooks",), "webhook", error, folder=str.strip)


def _paths(s: HaloSections, error: Error) -> None:
    """Category paths must split into non-empty levels."""

    def check_path(text: str, path: PathKey, *, key: bool) -> None:
        try:
            fold_path(text)
        except PathSyntaxError as exc:
            error(
                path, str(exc), "levels are separated by /; write a literal slash as \\/", key=key
            )

    if not s.products:
        return
    for asset_type, category in s.products.categories.items():
        check_path(category, ("products", "categories", asset_type), key=False)
    for category in s.products.groups:
        check_path(category, ("products", "groups", category), key=True)


def _ref_key(ref: Any) -> str:
    return f"#id:{ref.id}" if isinstance(ref, IdRef) else fold(str(ref))


def _shown(ref: Any) -> str:
    return f"{{id: {ref.id}}}" if isinstance(ref, IdRef) else str(ref)


def _no_repeats(items: Sequence[Any], path: PathKey, what: str, error: Error) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = _ref_key(item)
        if key in seen:
            error((*path, index), f"{what} '{_shown(item)}' is listed twice", "keep one of them")
        seen.add(key)


def _lists(s: HaloSections, error: Error) -> None:
    if s.opportunities:
        for name, what in (
            ("import_categories", "category"),
            ("enabled_types", "opportunity type"),
            ("teams", "team"),
        ):
            items = getattr(s.opportunities, name)
            if items:
                _no_repeats(items, ("opportunities", name), what, error)
    for key, hook in (s.webhooks or {}).items():
        _no_repeats(hook.events, ("webhooks", key, "events"), "event", error)


def _opportunity_type_enabled(s: HaloSections, error: Error) -> None:
    """The type Salesbuildr creates opportunities with must take part, or Salesbuildr would
    create opportunities it then ignores."""
    o = s.opportunities
    if o is None or o.type is None or o.enabled_types is None:
        return
    if _ref_key(o.type) in {_ref_key(t) for t in o.enabled_types}:
        return
    error(
        ("opportunities", "type"),
        f"opportunity type '{_shown(o.type)}' is not among enabled_types, so Salesbuildr would "
        "not import the opportunities it creates",
        f"add '{_shown(o.type)}' to opportunities.enabled_types",
    )


def _address_lines(s: HaloSections, error: Error) -> None:
    if not s.companies:
        return
    taken: dict[str, str] = {}
    for field_name, line in s.companies.address_lines.items():
        if line in taken:
            error(
                ("companies", "address_lines", field_name),
                f"address fields '{taken[line]}' and '{field_name}' both go to Halo's {line}",
                "each Halo address line takes one field",
            )
        else:
            taken[line] = field_name


def _account_codes(s: HaloSections, error: Error) -> None:
    codes: Mapping[str, Any] = s.account_codes or {}
    for group, pair in codes.items():
        if pair.income is None and pair.expense is None:
            error(
                ("account_codes", group),
                f"item group '{group}' states neither an income nor an expense code",
                "give income:, expense: or both, or remove the item group",
                key=True,
            )
