"""Live settings -> a ``mappings.yaml`` that plans to zero changes (``reconcile export``).

Pure: it turns the live :class:`~reconciler.state.State` and the catalog of one read into YAML text.
Names, not ids; a stable key order (sections as in CONFIG.md, keys sorted case-insensitively);
set-like lists sorted. A name the catalog finds twice is written ``{id: N}`` with a comment.
Webhooks that post to Salesbuildr's receiver are written without ``url``. No secret is written,
not even as a ``${env:NAME}`` placeholder: secrets are write-only, and a secret the file does not
state is kept as it is live, so the file plans to zero with no variable set. Comments say how to
add one (to rotate it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.envvars import escape_literal
from reconciler.kinds import tables as t
from reconciler.kinds.base import MappingKind, address_keys
from reconciler.kinds.catalog import PINNED, Catalog
from reconciler.kinds.names import fold
from reconciler.kinds.registry import BY_NAME, SECTIONS
from reconciler.kinds.webhooks import RECEIVER_URL
from reconciler.state import Resource, State

RECEIVER_SECRET_VARIABLE = "SALESBUILDR_WEBHOOK_SECRET"
_AMBIGUOUS = PINNED


def scalar(value: Any) -> str:
    """One YAML scalar, quoted only when YAML needs it. Live text is data, never a reference:
    every ``${`` in it is written ``$${``, which the loader reads back as ``${`` unexpanded."""
    hidden = False
    if isinstance(value, str):
        value = escape_literal(value)
        # Line breaks, controls, bidi and zero-width characters as escapes: the scalar stays on
        # its line and shows what it holds (in a file, and on a terminal when exported to stdout).
        hidden = not value.isprintable()
    text = yaml.safe_dump(
        value,
        default_flow_style=True,
        default_style='"' if hidden else None,
        allow_unicode=not hidden,
        width=10_000,
    )
    return text.strip().removesuffix("...").strip()


def unusable(catalog: Catalog, table: str, ident: Any) -> str | None:
    """Why a live reference cannot be written back as a name: inactive or multi-select."""
    entry = catalog.table(table).by_id(ident)
    if entry is None:
        return None
    if not entry.active:
        return f"'{catalog.table(table).label(entry)}' is inactive"
    if entry.extra.get(t.MULTI_SELECT):
        return f"'{entry.name}' is multi-select (the API cannot map it)"
    return None


def row_problem(row: Resource, catalog: Catalog) -> str | None:
    """A live mapping row that references an inactive or multi-select object."""
    kind = BY_NAME.get(row.kind)
    if not isinstance(kind, MappingKind):
        return None
    for table, ident in zip(kind.key_tables, row.ids.get("keys") or [], strict=False):
        problem = unusable(catalog, table, ident)
        if problem:
            return problem
    return unusable(catalog, kind.value_table, row.ids.get(kind.value_attr))


@dataclass
class _Writer:
    lines: list[str] = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)

    def add(self, indent: int, text: str, comment: str | None = None) -> None:
        line = "  " * indent + text
        if comment:
            line += f"  # {comment}"
        self.lines.append(line)

    def ref(self, indent: int, key: str, shown: Any, ident: Any) -> None:
        """``key: Name``, or ``key: {id: N}`` with a comment when the name is ambiguous."""
        if isinstance(shown, str):
            match = _AMBIGUOUS.match(shown)
            if match:
                self.add(
                    indent,
                    f"{scalar(key)}: {{id: {scalar(ident)}}}",
                    f"'{match.group('name')}' names more than one object",
                )
                return
        self.add(indent, f"{scalar(key)}: {scalar(shown)}")


def _sorted(resources: Iterable[Resource]) -> list[Resource]:
    return sorted(resources, key=lambda r: r.address.casefold())


def _of(state: State, kind: str) -> list[Resource]:
    return _sorted(r for r in state if r.kind == kind)


def _mapping_table(
    w: _Writer, indent: int, rows: Sequence[Resource], attribute: str, *, level: int = 0
) -> None:
    for row in rows:
        key = address_keys(row.address)[level]
        problem = row_problem(row, w.catalog)
        if problem:
            # Kept out of the managed file (additive: left alone) but shown, so it is not lost.
            shown = f"{scalar(key)}: {scalar(row.attributes.get(attribute))}"
            w.add(indent, f"# {shown}", f"live, but {problem}: fix it in the admin UI")
            continue
        w.ref(indent, key, row.attributes.get(attribute), row.ids.get(attribute))


def export_yaml(
    state: State,
    catalog: Catalog,
    *,
    sections: Sequence[str],
    header: Sequence[str] = (),
) -> str:
    """The YAML document (see the module docstring)."""
    w = _Writer(catalog=catalog)
    for line in header:
        w.add(0, f"# {line}" if line else "#")
    w.add(0, "version: 1")
    chosen = [s for s in SECTIONS if s in sections]
    for section in chosen:
        w.lines.append("")
        _SECTIONS[section](w, state, catalog)
    return "\n".join(w.lines) + "\n"


def _billing_codes(w: _Writer, state: State, catalog: Catalog) -> None:
    w.add(0, "billing_codes:")
    for default in _of(state, "billing_code_default"):
        if default.attributes.get("billing_code") is not None:
            w.ref(1, "default", default.attributes["billing_code"], default.ids.get("billing_code"))
    rows = _of(state, "billing_code_mapping")
    w.add(1, "categories:" if rows else "categories: {}")
    _mapping_table(w, 2, rows, "billing_code")


def _company_types(w: _Writer, state: State, catalog: Catalog) -> None:
    w.add(0, "company_types:")
    for direction, kind in (
        ("to_salesbuildr", "company_type_to_salesbuildr"),
        ("to_autotask", "company_type_to_autotask"),
    ):
        rows = _of(state, kind)
        w.add(1, f"{direction}:" if rows else f"{direction}: {{}}")
        _mapping_table(w, 2, rows, "company_type")


def _company_udfs(w: _Writer, state: State, catalog: Catalog) -> None:
    rows = _of(state, "company_udf_mapping")
    if not rows:
        w.add(0, "company_udfs: {}")
        return
    w.add(0, "company_udfs:")
    by_type: dict[str, list[Resource]] = {}
    for row in rows:
        by_type.setdefault(address_keys(row.address)[0], []).append(row)
    for company_type, group in sorted(by_type.items(), key=lambda item: item[0].casefold()):
        w.add(1, f"{scalar(company_type)}:")
        _mapping_table(w, 2, group, "data_point", level=1)


def _product_import(w: _Writer, state: State, catalog: Catalog) -> None:
    w.add(0, "product_import:")
    for settings in _of(state, "product_import_settings"):
        for name in (
            "synchronize_to_autotask",
            "prepend_internal_product_id",
            "prepend_mpn_to_service_name",
            "mpn_enrichment",
        ):
            if settings.attributes.get(name) is not None:
                w.add(1, f"{name}: {scalar(settings.attributes[name])}")
        manufacturer = settings.attributes.get("manufacturer_company_type")
        if manufacturer is not None:
            w.ref(
                1,
                "manufacturer_company_type",
                manufacturer,
                settings.ids.get("manufacturer_company_type"),
            )
    for table, kind in (
        ("roles", "role_mapping"),
        ("product_categories", "product_category_mapping"),
        ("services", "service_mapping"),
    ):
        rows = _of(state, kind)
        w.add(1, f"{table}:" if rows else f"{table}: {{}}")
        _mapping_table(w, 2, rows, "category")


def _inventory(w: _Writer, state: State, catalog: Catalog) -> None:
    rows = _of(state, "inventory_location")
    w.add(0, "inventory:")
    w.add(1, "locations:" if rows else "locations: {}")
    for row in rows:
        a = row.attributes
        w.add(
            2,
            f"{scalar(row.key)}: {{active: {scalar(bool(a.get('active')))}, "
            f"default: {scalar(bool(a.get('default')))}, "
            f"track_stock: {scalar(bool(a.get('track_stock')))}}}",
        )


def _opportunity(w: _Writer, state: State, catalog: Catalog) -> None:
    rows = _of(state, "opportunity_udf_mapping")
    w.add(0, "opportunity:")
    w.add(1, "udfs:" if rows else "udfs: {}")
    _mapping_table(w, 2, rows, "udf")


def _purchase_order(w: _Writer, state: State, catalog: Catalog) -> None:
    w.add(0, "purchase_order:")
    for settings in _of(state, "purchase_order_settings"):
        written = 0
        for name, value in settings.attributes.items():
            if value is None:
                continue
            written += 1
            if name in settings.ids:
                spec = next(f for f in _PURCHASE_ORDER_FIELDS if f.name == name)
                problem = unusable(catalog, spec.table or "", settings.ids[name])
                if problem:
                    w.add(1, f"# {name}: {scalar(value)}", f"live, but {problem}")
                    continue
                w.ref(1, name, value, settings.ids[name])
            else:
                w.add(1, f"{name}: {scalar(value)}")
        if not written:
            w.lines[-1] = "purchase_order: {}"


def _webhook_receiver(w: _Writer, state: State, catalog: Catalog) -> None:
    receiver = _of(state, "webhook_receiver")
    if not receiver or not receiver[0].attributes.get("secret_set"):
        w.add(0, "# webhook_receiver: Salesbuildr's receiver has no secret yet; add")
        w.add(0, "#   webhook_receiver: {secret: ${env:" + RECEIVER_SECRET_VARIABLE + "}}")
        return
    # Left out, the receiver's write-only secret is kept as it is live (nothing to set).
    w.add(0, "# webhook_receiver: Salesbuildr's receiver has a secret (kept as it is); to rotate")
    w.add(0, "#   it, add webhook_receiver: {secret: ${env:" + RECEIVER_SECRET_VARIABLE + "}}")


def _webhooks(w: _Writer, state: State, catalog: Catalog) -> None:
    hooks = _of(state, "webhook")
    if not hooks:
        w.add(0, "webhooks: {}")
        return
    w.add(0, "webhooks:")
    receiver = catalog.facts.get(RECEIVER_URL)
    keys = _webhook_keys(hooks)
    heading = len(w.lines) - 1
    listed = 0
    for hook, key in zip(hooks, keys, strict=True):
        a = hook.attributes
        name = str(a["name"])
        start = len(w.lines)
        w.add(
            1,
            f"{scalar(key)}:",
            "shares its name with another webhook (after folding case and spacing)"
            if key != name
            else None,
        )
        w.add(2, f"entity: {a['entity']}")
        if key != name or len(key) > 50:
            w.add(2, f"name: {scalar(name)}")
        if a.get("url") != receiver:
            w.add(2, f"url: {scalar(a.get('url'))}")
            if a.get("deactivation_url") != a.get("url"):
                w.add(2, f"deactivation_url: {scalar(a.get('deactivation_url'))}")
            # No secret: write-only, and unstated means the live one is kept.
        elif a.get("deactivation_url") != a.get("url"):
            w.add(2, f"deactivation_url: {scalar(a.get('deactivation_url'))}")
        w.add(2, f"active: {scalar(bool(a.get('active')))}")
        w.add(2, f"events: {_flow(a.get('events') or [])}")
        for attr in ("fields", "always_send", "udf_fields"):
            if a.get(attr):
                w.add(2, f"{attr}: {_flow(a[attr])}")
        excluded = a.get("excluded_resources") or []
        if excluded:
            w.add(2, f"excluded_resources: {_flow(excluded)}")
        if a.get("notification_email"):
            w.add(2, f"notification_email: {scalar(a['notification_email'])}")
        if a.get("threshold_notification"):
            w.add(2, "threshold_notification: true")
        if not a.get("fields") and not a.get("udf_fields"):
            # A file may not list it (validate refuses a webhook Autotask never fires), so it is
            # kept out of the managed file (additive: left alone) but shown, so it is not lost.
            w.lines[start:] = [
                "  # live, but Autotask never fires it (no fields): add fields or remove it",
                *(_commented(line) for line in w.lines[start:]),
            ]
        else:
            listed += 1
    if not listed:
        w.lines[heading] = "webhooks: {}"


def _commented(line: str) -> str:
    body = line.lstrip(" ")
    return " " * (len(line) - len(body)) + "# " + body


def _webhook_keys(hooks: Sequence[Resource]) -> list[str]:
    """One YAML key per webhook, unique even after folding: the name; ``name-entity`` when
    webhooks share a name after folding; ``name-entity-id`` when that is taken too (the
    ``name:`` attribute then says the real name)."""
    counts: dict[str, int] = {}
    for hook in hooks:
        folded = fold(str(hook.attributes["name"]))
        counts[folded] = counts.get(folded, 0) + 1
    used: set[str] = set()
    keys: list[str] = []
    for hook in hooks:
        name, entity = str(hook.attributes["name"]), str(hook.attributes["entity"])
        candidates = [] if counts[fold(name)] > 1 else [name]
        candidates += [f"{name}-{entity}", f"{name}-{entity}-{hook.ids.get('id')}"]
        key = next((c for c in candidates if fold(c) not in used), None)
        serial = 2
        while key is None or fold(key) in used:
            key, serial = f"{candidates[-1]}-{serial}", serial + 1
        used.add(fold(key))
        keys.append(key)
    return keys


def _item(value: Any) -> str:
    """A list item: a name, or ``{id: N}`` when the name is ambiguous."""
    match = _AMBIGUOUS.match(value) if isinstance(value, str) else None
    if match:
        ident = match.group("id")
        return f"{{id: {ident if ident.isdigit() else scalar(ident)}}}"
    return scalar(value)


def _flow(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_item(v) for v in sorted(values, key=lambda v: str(v).casefold())) + "]"


_PURCHASE_ORDER_FIELDS = BY_NAME["purchase_order_settings"].fields  # type: ignore[attr-defined]

_SECTIONS: Mapping[str, Any] = {
    "billing_codes": _billing_codes,
    "company_types": _company_types,
    "company_udfs": _company_udfs,
    "product_import": _product_import,
    "inventory": _inventory,
    "opportunity": _opportunity,
    "purchase_order": _purchase_order,
    "webhook_receiver": _webhook_receiver,
    "webhooks": _webhooks,
}
