"""The Autotask sections of an export, as data: live :class:`~reconciler.state.State` -> a dict.

Pure: the live state and the catalog of one read in, the sections' data and their
:class:`~reconciler.export.document.Comments` out. Names, not ids; a stable key order (sections as
in CONFIG.md, keys sorted case-insensitively); set-like lists sorted. A name the catalog finds
twice is written ``{id: N}`` with a note. Webhooks that post to Salesbuildr's receiver are written
without ``url``. No secret is written, not even as a ``${env:NAME}`` placeholder: secrets are
write-only, and a secret the file does not state is kept as it is live, so the file plans to zero
with no variable set. A remark says how to add one (to rotate it). What a file cannot state (a row
naming an inactive or multi-select object, a webhook Autotask never fires) is written commented
out, so it is shown, not lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.envvars import reference_text
from reconciler.export.document import EMPTY, Comments, Flow, Path, Plain, render
from reconciler.kinds import tables as t
from reconciler.kinds.base import MappingKind, address_keys
from reconciler.kinds.catalog import PINNED, Catalog
from reconciler.kinds.names import fold
from reconciler.kinds.tables import RECEIVER_URL
from reconciler.psa.autotask.kinds.registry import BY_NAME, SECTIONS
from reconciler.state import Resource, State

RECEIVER_SECRET_VARIABLE = "SALESBUILDR_WEBHOOK_SECRET"


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
class Exported:
    """The chosen sections as data, and what the file says beside them."""

    sections: dict[str, Any] = field(default_factory=dict)
    comments: Comments = field(default_factory=Comments)


@dataclass
class _Builder:
    state: State
    catalog: Catalog
    comments: Comments = field(default_factory=Comments)

    def of(self, kind: str) -> list[Resource]:
        return sorted((r for r in self.state if r.kind == kind), key=lambda r: r.address.casefold())

    def ref(self, path: Path, shown: Any, ident: Any) -> Any:
        """The name, or ``{id: N}`` with a note when the name is ambiguous."""
        match = PINNED.match(shown) if isinstance(shown, str) else None
        if match is None:
            return shown
        self.comments.notes[path] = f"'{match.group('name')}' names more than one object"
        return Flow(id=ident)

    def hide(self, path: Path, note: str) -> None:
        """Kept out of the managed file (additive: left alone) but shown, so it is not lost."""
        self.comments.hidden.add(path)
        self.comments.notes[path] = note

    def table(
        self, path: Path, rows: Sequence[Resource], attribute: str, *, level: int = 0
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in rows:
            key = address_keys(row.address)[level]
            shown = row.attributes.get(attribute)
            problem = row_problem(row, self.catalog)
            if problem:
                out[key] = shown
                self.hide((*path, key), f"live, but {problem}: fix it in the admin UI")
            else:
                out[key] = self.ref((*path, key), shown, row.ids.get(attribute))
        return out


def export_sections(state: State, catalog: Catalog, sections: Sequence[str]) -> Exported:
    """The chosen ``sections`` (in canonical order) of the live ``state``."""
    builder = _Builder(state, catalog)
    out = Exported(comments=builder.comments)
    for section in (s for s in SECTIONS if s in sections):
        value = _SECTIONS[section](builder)
        if value is not None:
            out.sections[section] = value
    return out


def _billing_codes(b: _Builder) -> Any:
    out: dict[str, Any] = {}
    for default in b.of("billing_code_default"):
        if default.attributes.get("billing_code") is not None:
            out["default"] = b.ref(
                ("billing_codes", "default"),
                default.attributes["billing_code"],
                default.ids.get("billing_code"),
            )
    path = ("billing_codes", "categories")
    out["categories"] = b.table(path, b.of("billing_code_mapping"), "billing_code")
    return out


def _company_types(b: _Builder) -> Any:
    return {
        direction: b.table(("company_types", direction), b.of(kind), "company_type")
        for direction, kind in (
            ("to_salesbuildr", "company_type_to_salesbuildr"),
            ("to_autotask", "company_type_to_autotask"),
        )
    }


def _company_udfs(b: _Builder) -> Any:
    by_type: dict[str, list[Resource]] = {}
    for row in b.of("company_udf_mapping"):
        by_type.setdefault(address_keys(row.address)[0], []).append(row)
    return {
        company_type: b.table(("company_udfs", company_type), group, "data_point", level=1)
        for company_type, group in sorted(by_type.items(), key=lambda item: item[0].casefold())
    }


_PRODUCT_IMPORT_FLAGS = (
    "synchronize_to_autotask",
    "prepend_internal_product_id",
    "prepend_mpn_to_service_name",
    "mpn_enrichment",
)


def _product_import(b: _Builder) -> Any:
    out: dict[str, Any] = {}
    for settings in b.of("product_import_settings"):
        for name in _PRODUCT_IMPORT_FLAGS:
            if settings.attributes.get(name) is not None:
                out[name] = settings.attributes[name]
        manufacturer = settings.attributes.get("manufacturer_company_type")
        if manufacturer is not None:
            out["manufacturer_company_type"] = b.ref(
                ("product_import", "manufacturer_company_type"),
                manufacturer,
                settings.ids.get("manufacturer_company_type"),
            )
    for table, kind in (
        ("roles", "role_mapping"),
        ("product_categories", "product_category_mapping"),
        ("services", "service_mapping"),
    ):
        out[table] = b.table(("product_import", table), b.of(kind), "category")
    return out


def _inventory(b: _Builder) -> Any:
    locations = {
        row.key: Flow(
            active=bool(row.attributes.get("active")),
            default=bool(row.attributes.get("default")),
            track_stock=bool(row.attributes.get("track_stock")),
        )
        for row in b.of("inventory_location")
    }
    return {"locations": locations}


def _opportunity(b: _Builder) -> Any:
    return {"udfs": b.table(("opportunity", "udfs"), b.of("opportunity_udf_mapping"), "udf")}


def _purchase_order(b: _Builder) -> Any:
    out: Any = EMPTY  # no settings read: the heading alone
    for settings in b.of("purchase_order_settings"):
        out = {}
        for name, value in settings.attributes.items():
            if value is None:
                continue
            path = ("purchase_order", name)
            if name not in settings.ids:
                out[name] = value
                continue
            spec = next(f for f in _PURCHASE_ORDER_FIELDS if f.name == name)
            problem = unusable(b.catalog, spec.table or "", settings.ids[name])
            if problem:
                out[name] = value
                b.hide(path, f"live, but {problem}")
            else:
                out[name] = b.ref(path, value, settings.ids[name])
    return out


def _webhook_receiver(b: _Builder) -> Any:
    receiver = b.of("webhook_receiver")
    add = "webhook_receiver: {secret: " + reference_text(RECEIVER_SECRET_VARIABLE) + "}"
    if not receiver or not receiver[0].attributes.get("secret_set"):
        remark = ["webhook_receiver: Salesbuildr's receiver has no secret yet; add", f"  {add}"]
    else:
        # Left out, the receiver's write-only secret is kept as it is live (nothing to set).
        remark = [
            "webhook_receiver: Salesbuildr's receiver has a secret (kept as it is); to rotate",
            f"  it, add {add}",
        ]
    b.comments.remarks["webhook_receiver"] = remark
    return None


def _webhooks(b: _Builder) -> Any:
    hooks = b.of("webhook")
    receiver = b.catalog.facts.get(RECEIVER_URL)
    out: dict[str, Any] = {}
    b.comments.braced.add(("webhooks",))
    for hook, key in zip(hooks, _webhook_keys(hooks), strict=True):
        path = ("webhooks", key)
        out[key] = _webhook(hook.attributes, key, receiver)
        if key != str(hook.attributes["name"]):
            b.comments.notes[path] = (
                "shares its name with another webhook (after folding case and spacing)"
            )
        if not hook.attributes.get("fields") and not hook.attributes.get("udf_fields"):
            # A file may not list it (validate refuses a webhook Autotask never fires): hidden.
            b.comments.hidden.add(path)
            b.comments.before[path] = [
                "live, but Autotask never fires it (no fields): add fields or remove it"
            ]
    return out


def _webhook(a: Mapping[str, Any], key: str, receiver: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"entity": Plain(a["entity"])}
    name = str(a["name"])
    if key != name or len(key) > 50:
        out["name"] = name
    if a.get("url") != receiver:
        out["url"] = a.get("url")
        # No secret: write-only, and unstated means the live one is kept.
    if a.get("deactivation_url") != a.get("url"):
        out["deactivation_url"] = a.get("deactivation_url")
    out["active"] = bool(a.get("active"))
    out["events"] = _listed(a.get("events") or [])
    for attr in ("fields", "always_send", "udf_fields", "excluded_resources"):
        if a.get(attr):
            out[attr] = _listed(a[attr])
    if a.get("notification_email"):
        out["notification_email"] = a["notification_email"]
    if a.get("threshold_notification"):
        out["threshold_notification"] = True
    return out


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


def _item(value: Any) -> Any:
    """A list item: a name, or ``{id: N}`` when the name is ambiguous."""
    match = PINNED.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    ident = match.group("id")
    return Flow(id=Plain(ident) if ident.isdigit() else ident)


def _listed(values: Iterable[Any]) -> list[Any]:
    return [_item(v) for v in sorted(values, key=lambda v: str(v).casefold())]


_PURCHASE_ORDER_FIELDS = BY_NAME["purchase_order_settings"].fields  # type: ignore[attr-defined]

_SECTIONS: Mapping[str, Callable[[_Builder], Any]] = {
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


def export_yaml(
    state: State,
    catalog: Catalog,
    *,
    sections: Sequence[str],
    header: Sequence[str] = (),
) -> str:
    """The YAML document: the ``header`` as comments, then the chosen sections (``Psa.export``)."""
    exported = export_sections(state, catalog, sections)
    return render(exported.sections, exported.comments, order=SECTIONS, header=header)
