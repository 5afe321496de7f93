"""Live HaloPSA settings -> the section dicts of a ``psa: halopsa`` document that plans to zero.

Pure: live resources (from the documents and ``/Webhook``) and the catalog of the same read in,
plain dicts out, which the core's YAML writer prints (keys sorted case-insensitively there). Names,
not ids: a shared name is written ``Name (#id)``, which resolves back to that one object. What
cannot be written back so that it resolves (an id the tables do not know, an inactive object, an
event number without a name) is left out and listed in :attr:`Exported.omitted`, for the writer
to print as comments. Webhooks that post to Salesbuildr's receiver are written without ``url``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.config.types import Url
from reconciler.kinds.base import MappingKind, address_keys
from reconciler.kinds.catalog import Catalog
from reconciler.kinds.webhooks import RECEIVER_URL
from reconciler.psa.halopsa import kinds as k
from reconciler.psa.halopsa import kinds_tables as t
from reconciler.psa.halopsa.config import SECTIONS, AccountCodes
from reconciler.psa.halopsa.kinds_webhooks import HALO_WEBHOOK
from reconciler.state import Resource

MAX_ACCOUNT_CODE: int = next(
    int(getattr(m, "max_length", 0))
    for m in AccountCodes.model_fields["income"].metadata
    if hasattr(m, "max_length")
)
"""The longest account code a file may state (the model's limit)."""


@dataclass
class Exported:
    """The sections as dicts, and what was left out (address, reason)."""

    sections: dict[str, Any] = field(default_factory=dict)
    omitted: list[tuple[str, str]] = field(default_factory=list)


def _of(live: Iterable[Resource], kind: str) -> list[Resource]:
    return sorted((r for r in live if r.kind == kind), key=lambda r: r.key.casefold())


class _Export:
    def __init__(self, catalog: Catalog, out: Exported):
        self.catalog = t.with_constants(catalog)
        self.out = out

    def usable(self, where: str, table: str, ident: Any) -> bool:
        entry = self.catalog.table(table).by_id(ident)
        if entry is None:
            what = t.WHAT.get(table, table)
            self.out.omitted.append((where, f"{visible(f'#{ident}')} is not a known {what}"))
            return False
        if not entry.active:
            self.out.omitted.append((where, f"{quoted(entry.name)} is inactive"))
            return False
        return True

    def mapping(self, live: Sequence[Resource], kind: MappingKind) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for row in _of(live, kind.name):
            keys = row.ids.get("keys") or []
            if not keys or not self.usable(row.address, kind.key_tables[0], keys[0]):
                continue
            value = row.ids.get(kind.value_attr)
            if not self.usable(row.address, kind.value_table, value):
                continue
            rows[address_keys(row.address)[-1]] = row.attributes[kind.value_attr]
        return rows

    def settings(self, live: Sequence[Resource], kind: k.HaloSettingsKind) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for settings in _of(live, kind.name):
            for spec in kind.fields:
                value = settings.attributes.get(spec.name)
                if value is None:
                    continue
                where = f"{kind.address_text}.{spec.name}"
                if spec.table is None:
                    found[spec.name] = value
                elif spec.name in kind.list_fields:
                    ids = settings.ids.get(spec.name) or []
                    found[spec.name] = [
                        shown
                        for shown, ident in zip(value, ids, strict=True)
                        if self.usable(where, spec.table, ident)
                    ]
                elif self.usable(where, spec.table, settings.ids.get(spec.name)):
                    found[spec.name] = value
        return found


def export_sections(
    live: Iterable[Resource], catalog: Catalog, sections: Sequence[str] = SECTIONS
) -> Exported:
    """The live settings of ``sections`` as the dicts a document holds."""
    resources = list(live)
    out = Exported()
    e = _Export(catalog, out)
    if "products" in sections:
        products = e.settings(resources, k.PRODUCT_SETTINGS)
        for name, kind in (
            ("categories", k.PRODUCT_CATEGORIES),
            ("types", k.PRODUCT_TYPES),
            ("groups", k.PRODUCT_GROUPS),
        ):
            products[name] = e.mapping(resources, kind)
        out.sections["products"] = products
    if "opportunities" in sections:
        out.sections["opportunities"] = _opportunities(e, resources)
    if "companies" in sections:
        companies = e.settings(resources, k.COMPANY_SETTINGS)
        companies["address_lines"] = _address_lines(e, resources)
        out.sections["companies"] = companies
    if "quotes" in sections:
        out.sections["quotes"] = {"statuses": e.mapping(resources, k.QUOTE_STATUSES)}
    if "account_codes" in sections:
        out.sections["account_codes"] = _account_codes(e, resources)
    if "webhooks" in sections:
        out.sections["webhooks"] = _webhooks(resources, catalog, out)
    return out


def _opportunities(e: _Export, live: Sequence[Resource]) -> dict[str, Any]:
    found = e.settings(live, k.OPPORTUNITY_SETTINGS)
    for settings in _of(live, k.OPPORTUNITY_SETTINGS.name):
        enabled = settings.ids.get("enabled_types")
        if "type" not in found or enabled is None or settings.ids.get("type") in enabled:
            continue
        # Salesbuildr holds a type it would not import; a file may not state that (rules.py),
        # and stating either alone is refused at plan time against the other.
        shown = quoted(str(settings.attributes.get("type")))
        for name in ("type", "enabled_types"):
            found.pop(name, None)
            why = f"the type {shown} is not among the enabled types"
            e.out.omitted.append((f"opportunities.{name}", why))
    found["statuses"] = {
        "to_salesbuildr": e.mapping(live, k.STATUS_TO_SALESBUILDR),
        "to_halopsa": e.mapping(live, k.STATUS_TO_HALOPSA),
    }
    return found


def _address_lines(e: _Export, live: Sequence[Resource]) -> dict[str, Any]:
    """The address-line rows; fields sharing one Halo line are left out (each line takes one
    field: rules.py)."""
    rows = e.mapping(live, k.ADDRESS_LINES)
    taken: dict[str, list[str]] = {}
    for field_name, line in rows.items():
        taken.setdefault(str(line), []).append(field_name)
    for line, fields in taken.items():
        if len(fields) > 1:
            for field_name in fields:
                del rows[field_name]
                e.out.omitted.append(
                    (
                        k.ADDRESS_LINES.address_of([field_name]),
                        f"{', '.join(fields)} all go to Halo's {line}",
                    )
                )
    return rows


def _account_codes(e: _Export, live: Sequence[Resource]) -> dict[str, Any]:
    codes: dict[str, Any] = {}
    for row in _of(live, k.ACCOUNT_CODES.name):
        keys = row.ids.get("keys") or []
        pair = {n: v for n, v in row.attributes.items() if v not in (None, "")}
        if not pair:
            # A file must state a code per group (rules.py); nothing to state here.
            e.out.omitted.append((row.address, "it holds neither an income nor an expense code"))
            continue
        if not all(isinstance(v, str) and len(v) <= MAX_ACCOUNT_CODE for v in pair.values()):
            e.out.omitted.append(
                (row.address, f"a code is not text of at most {MAX_ACCOUNT_CODE} characters")
            )
            continue
        if keys and e.usable(row.address, t.HALO_ITEM_GROUPS, keys[0]):
            codes[row.key] = pair
    return codes


def quoted(text: str) -> str:
    """A live name inside a note: quoted, and escaped (JSON style) when it holds a line break
    or another invisible character, so a note (printed as a YAML comment) stays one line of
    visible text and cannot end the comment."""
    return f"'{text}'" if text.isprintable() else json.dumps(text)


def visible(text: str) -> str:
    """Live text other than a name (an id, an event number) inside a note: as it is when
    printable, else escaped as :func:`quoted` does."""
    return text if text.isprintable() else json.dumps(text)


def _webhooks(live: Sequence[Resource], catalog: Catalog, out: Exported) -> dict[str, Any]:
    receiver = catalog.facts.get(RECEIVER_URL)
    by_name: dict[str, list[Resource]] = {}
    for hook in _of(live, HALO_WEBHOOK.name):
        by_name.setdefault(str(hook.attributes.get("name") or ""), []).append(hook)
    hooks: dict[str, Any] = {}
    for name, group in by_name.items():
        if len(group) > 1:
            # The name is a webhook's key: a file naming it could mean either (plan refuses).
            ids = ", ".join(visible(str(h.ids.get("id"))) for h in group)
            for hook in group:
                out.omitted.append(
                    (hook.address, f"{len(group)} live webhooks share its name (ids {ids})")
                )
            continue
        (hook,) = group
        a = hook.attributes
        if name.strip() != name or not name:
            out.omitted.append((hook.address, "its name cannot be a YAML key of its own"))
            continue
        events = [e for e in a.get("events") or [] if not str(e).startswith("eventno ")]
        unnamed = [e for e in a.get("events") or [] if str(e).startswith("eventno ")]
        if unnamed:
            out.omitted.append(
                (
                    hook.address,
                    f"subscribes to {', '.join(visible(e) for e in unnamed)}, which has no "
                    "event name",
                )
            )
            continue
        if not events:
            out.omitted.append((hook.address, "subscribes to no event"))
            continue
        entry: dict[str, Any] = {"events": events, "active": bool(a.get("active"))}
        if a.get("url") != receiver:
            refused = url_refusal(a.get("url"))
            if refused:
                out.omitted.append((hook.address, refused))
                continue
            entry["url"] = a.get("url")
        hooks[name] = entry
    return hooks


_URL: TypeAdapter[str] = TypeAdapter(Url)


def url_refusal(url: Any) -> str | None:
    """Why a live url cannot be written in a file (None: it can). The url itself is never
    repeated: it may carry user-info."""
    try:
        _URL.validate_python(url)
    except ValidationError:
        return "its url is not one a file may state (https, or http on loopback, no user-info)"
    return None


def document(exported: Exported) -> dict[str, Any]:
    """A whole document: ``version``, ``psa`` and the exported sections."""
    return {"version": 1, "psa": "halopsa", **exported.sections}


def export_text(
    state: Iterable[Resource], catalog: Catalog, sections: Sequence[str], header: Sequence[str]
) -> str:
    """The ``Psa.export`` hook: the YAML of a ``psa: halopsa`` file holding the live
    ``sections`` (the core's writer prints it), what was left out listed in its header."""
    from reconciler.export.document import Comments, render  # noqa: PLC0415 (start-up)

    exported = export_sections(state, catalog, sections)
    left_out = [f"left out: {visible(where)}: {why}" for where, why in exported.omitted]
    lines = [*header, *left_out, *([""] if left_out else [])]
    return render(exported.sections, Comments(), order=SECTIONS, header=lines, psa="halopsa")
