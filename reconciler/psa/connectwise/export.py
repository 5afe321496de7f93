"""Live ConnectWise settings -> the section dicts of a ``mappings.yaml`` that plans to zero.

Pure: live :class:`~reconciler.state.State` and the catalog of one read in, plain data out (the
core dumps it as YAML). Names, not ids; keys sorted case-insensitively; set-like lists sorted. A
value whose name the catalog finds twice is written ``{id: N}``; a key keeps its pinned form
``Name (#id)``, which resolves to that one object. What a file cannot state (a row naming an
inactive object, a callback of a level not modelled, two callbacks with one description) is
left out and said in a note, so nothing is lost silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.config.types import Url
from reconciler.kinds.base import MappingKind, SingletonKind, address_keys
from reconciler.kinds.catalog import PINNED, Catalog
from reconciler.psa.connectwise import kinds_tables as t
from reconciler.psa.connectwise.config import SECTIONS, CallbackLevel
from reconciler.psa.connectwise.kinds import (
    CATEGORY_MAPPING,
    COMPANY_SETTINGS,
    COMPANY_TYPE_TO_CONNECTWISE,
    COMPANY_TYPE_TO_SALESBUILDR,
    COMPANY_UDF_MAPPING,
    INVENTORY_SETTINGS,
    OPPORTUNITY_STATUS_TO_CONNECTWISE,
    OPPORTUNITY_STATUS_TO_SALESBUILDR,
    PRODUCT_TYPE_DATA_SOURCE,
)
from reconciler.psa.connectwise.kinds_callbacks import CALLBACK, OWNER_OBJECT_ID
from reconciler.psa.connectwise.kinds_ticket import (
    BOARD_SCOPED,
    TICKET_SETTINGS,
    item_allowed,
    subtype_allowed,
)
from reconciler.state import Resource, State


@dataclass
class Exported:
    """The sections as data, and what was left out of them (one line each)."""

    sections: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def export_sections(state: State, catalog: Catalog, sections: Sequence[str]) -> Exported:
    """The chosen sections (in canonical order) of the live ``state``."""
    out = Exported()
    for section in (s for s in SECTIONS if s in sections):
        out.sections[section] = _EXPORTERS[section](state, catalog, out.notes)
    return out


def _of(state: State, kind: str) -> list[Resource]:
    return sorted((r for r in state if r.kind == kind), key=lambda r: r.address.casefold())


def _value(shown: Any, ident: Any) -> Any:
    """A reference as the YAML writes it: the name, or ``{id: N}`` when the name is shared."""
    if isinstance(shown, str) and PINNED.match(shown):
        return {"id": ident}
    return shown


def quoted(text: str) -> str:
    """A live name inside a note: quoted, and escaped (JSON style) when it holds a line break,
    a control, bidi or zero-width character, so a note stays one line of visible text."""
    return f"'{text}'" if text.isprintable() else json.dumps(text)


def _inactive(catalog: Catalog, table: str, ident: Any) -> str | None:
    """Why a live reference cannot be written so that it resolves: its object is inactive, or
    the table does not know its id (``#99`` would not resolve either)."""
    names = catalog.table(table)
    entry = names.by_id(ident)
    if entry is None:
        shown = f"#{ident}"
        return f"{shown if shown.isprintable() else json.dumps(shown)} is not a known {names.what}"
    if entry.active:
        return None
    return f"{quoted(names.label(entry))} is inactive"


def _mapping(state: State, catalog: Catalog, kind: MappingKind, notes: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for row in _of(state, kind.name):
        key = address_keys(row.address)[0]
        problem = _inactive(catalog, kind.key_tables[0], row.ids["keys"][0])
        if kind.value_table and problem is None:
            problem = _inactive(catalog, kind.value_table, row.ids.get(kind.value_attr))
        if problem:
            notes.append(f"{row.address} left out: {problem} (fix it in the admin UI)")
            continue
        table[key] = _value(row.attributes[kind.value_attr], row.ids.get(kind.value_attr))
    return table


def _settings(
    state: State, catalog: Catalog, kind: SingletonKind, notes: list[str]
) -> dict[str, Any]:
    """The fields of a settings document that are set live (None fields are left out: stating
    them would change nothing, and a file cannot state "none" for a reference)."""
    found: dict[str, Any] = {}
    for document in _of(state, kind.name):
        for spec in kind.fields:
            shown = document.attributes.get(spec.name)
            ident = document.ids.get(spec.name)
            if shown is None:
                continue
            if isinstance(shown, list):
                by_label = ident if isinstance(ident, Mapping) else {}
                items = []
                for label in shown:
                    problem = _inactive(catalog, spec.table or "", by_label.get(label))
                    if problem:
                        notes.append(f"{kind.address_text}.{spec.name}: {problem}, left out")
                        continue
                    items.append(_value(label, by_label.get(label)))
                found[spec.name] = items
                continue
            problem = _inactive(catalog, spec.table or "", ident)
            if problem:
                notes.append(f"{kind.address_text}.{spec.name} left out: {problem}")
                continue
            found[spec.name] = _value(shown, ident)
    return found


def _categories(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    return {
        "mappings": _mapping(state, catalog, CATEGORY_MAPPING, notes),
        "data_source": _mapping(state, catalog, PRODUCT_TYPE_DATA_SOURCE, notes),
    }


def _companies(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "types": {
            "to_salesbuildr": _mapping(state, catalog, COMPANY_TYPE_TO_SALESBUILDR, notes),
            "to_connectwise": _mapping(state, catalog, COMPANY_TYPE_TO_CONNECTWISE, notes),
        }
    }
    settings = _settings(state, catalog, COMPANY_SETTINGS, notes)
    for name in ("type_priority", "statuses"):
        if name in settings:
            found[name] = settings[name]
    found["udfs"] = _mapping(state, catalog, COMPANY_UDF_MAPPING, notes)
    if "manufacturer_company_type" in settings:
        found["manufacturer_company_type"] = settings["manufacturer_company_type"]
    return found


def _opportunity_statuses(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    return {
        "to_salesbuildr": _mapping(state, catalog, OPPORTUNITY_STATUS_TO_SALESBUILDR, notes),
        "to_connectwise": _mapping(state, catalog, OPPORTUNITY_STATUS_TO_CONNECTWISE, notes),
    }


def _callbacks(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    rows = _of(state, CALLBACK.name)
    receiver = catalog.facts.get(t.CALLBACK_RECEIVER_URL)
    spelled: dict[str, list[Resource]] = {}
    for row in rows:
        spelled.setdefault(row.key.strip(), []).append(row)
    found: dict[str, Any] = {}
    for description, group in sorted(spelled.items(), key=lambda item: item[0].casefold()):
        if len(group) > 1:
            ids = ", ".join(_ident(r) for r in group)
            notes.append(
                f"callbacks: {len(group)} live callbacks are described {quoted(description)} (ids "
                f"{ids}); left out, as the description is a callback's key: give one another "
                "description in ConnectWise"
            )
            continue
        if not description:
            notes.append(f"callbacks: callback {_ident(group[0])} has no description")
            continue
        url = group[0].attributes.get("url")
        refused = url_refusal(url) if url != receiver else None
        if refused:
            notes.append(f"{group[0].address} left out: {refused}")
            continue
        callback = _callback(group[0], receiver)
        if callback is None:
            level = group[0].attributes.get("level")
            notes.append(f"{group[0].address} left out: level {quoted(str(level))} is not modelled")
            continue
        found[description] = callback
    return found


_URL: TypeAdapter[str] = TypeAdapter(Url)


def url_refusal(url: Any) -> str | None:
    """Why a live url cannot be written in a file (None: it can). The url itself is never
    repeated: it may carry user-info."""
    try:
        _URL.validate_python(url)
    except ValidationError:
        return "its url is not one a file may state (https, or http on loopback, no user-info)"
    return None


def _ident(row: Resource) -> str:
    text = str(row.ids.get("id"))
    return text if text.isdigit() else quoted(text)


def _callback(row: Resource, receiver: Any) -> dict[str, Any] | None:
    a = row.attributes
    levels = {level.value for level in CallbackLevel}
    if a.get("level") not in levels:
        return None
    found: dict[str, Any] = {"type": a["type"], "level": a["level"]}
    owner = a["level"] == CallbackLevel.OWNER.value
    if a.get("object_id") is not None and not (owner and a["object_id"] == OWNER_OBJECT_ID):
        found["object_id"] = a["object_id"]
    if a.get("url") != receiver:
        found["url"] = a.get("url")
    found["active"] = bool(a.get("active"))
    for name in ("payload_version", "self_suppressed"):
        if a.get(name) is not None:
            found[name] = a[name]
    return found


def _inventory(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    return _settings(state, catalog, INVENTORY_SETTINGS, notes)


def _ticket_settings(state: State, catalog: Catalog, notes: list[str]) -> dict[str, Any]:
    """As the other settings, but a status, type, subtype or item cannot be stated without its
    board, nor a subtype or item without its type (rules.py): those go with what they need."""
    found = _settings(state, catalog, TICKET_SETTINGS, notes)
    documents = _of(state, TICKET_SETTINGS.name)
    ids: Mapping[str, Any] = documents[0].ids if documents else {}

    def drop(name: str, why: str) -> None:
        if found.pop(name, None) is not None:
            notes.append(f"ticket_settings.{name} left out: {why}")

    board = ids.get("board")
    for name in BOARD_SCOPED:
        spec = next(f for f in TICKET_SETTINGS.fields if f.name == name)
        entry = catalog.table(spec.table or "").by_id(ids.get(name))
        if name in found and entry is not None and str(entry.parent) != str(board):
            drop(name, "it is not one of the board's")
    for needed, dependants in (("board", BOARD_SCOPED), ("type", ("subtype", "item"))):
        if needed not in found:
            for name in dependants:
                drop(name, f"its {needed} is left out")
    subtype = catalog.table(t.CW_BOARD_SUBTYPES).by_id(ids.get("subtype"))
    if (
        "subtype" in found
        and subtype is not None
        and not subtype_allowed(catalog, board, ids.get("type"), subtype)
    ):
        drop("subtype", "the type does not allow it on the board")
    # As resolution checks it: with the subtype only when the file states one.
    subtype_id = ids.get("subtype") if "subtype" in found else None
    if "item" in found and not item_allowed(
        catalog, board, ids.get("type"), subtype_id, ids.get("item")
    ):
        drop("item", "the type (and subtype) do not allow it on the board")
    return found


_EXPORTERS: Mapping[str, Any] = {
    "categories": _categories,
    "companies": _companies,
    "opportunity_statuses": _opportunity_statuses,
    "callbacks": _callbacks,
    "inventory": _inventory,
    "ticket_settings": _ticket_settings,
}
