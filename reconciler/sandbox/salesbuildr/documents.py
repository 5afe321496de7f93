"""The settings documents of every PSA, as data: one JSON Schema per admin page.

``documents/<psa>.json`` holds the schemas of that PSA's pages under ``$defs`` (the page's path
segment: ``billing-codes``), so adding a PSA adds a file here, no code. The simulator serves
``/integration/<psa>/settings/<page>`` for every page of every file. Pure functions, no HTTP:

* :func:`validate_put` turns a PUT body into the page's new stored form, or a list of
  ``{"path", "message"}`` errors (the 422 body); every error is reported at once;
* :func:`read_form` renders a stored document for a GET; :func:`default_document` is a fresh
  tenant's (every ``default`` of the schema).

The subset of JSON Schema understood: ``type`` (one or a list; an integer is never a boolean),
``properties`` (their order is the stored and read order), ``required``,
``additionalProperties: false``, ``items``, ``enum``, ``minimum``/``maximum``,
``minLength``/``maxLength``, ``default``, ``readOnly`` (accepted and ignored in a PUT; kept from
the stored row whose other fields are the same, else its default) and ``writeOnly`` (stored,
never read back). A PUT replaces the whole document, so a client that forgets a field gets an
error instead of a silent reset. The simulator's own keywords (``x-``; the client's copy of the
file has none):

* ``x-known: {table, what, refuse?, related?}``: the value must be a key of the reference table
  ``table`` (:mod:`.references`; a table the tenant does not have is not checked), else
  ``unknown <what> <value>``; ``refuse: {attribute: message}`` refuses a known key whose entry
  has that attribute true; ``related: {attribute, sibling, message}`` needs the sibling field's
  value to equal (or be in) the entry's attribute;
* ``x-unique: [{keys, what}]`` on an array: no two rows with the same ``keys``;
* ``x-messages: {keyword: message}`` replaces the message of a failed keyword;
* ``x-read``: a read-only property computed on read (``receiver-url``, ``is-set:<property>``);
* ``x-lists: {name: [row...]}`` at the top of a file: Salesbuildr's own reference lists that
  PSA's pages name (:func:`psa_lists`), served paged at ``/integration/<psa>/<name>``;
* ``x-actions`` at the top of a file: the sync modes, product import and delivery report its
  pages offer (:func:`psa_actions`, :mod:`.actions`).

Messages name values with ``repr`` (``{value}``, ``{sibling}``, ``{attribute}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

Doc = dict[str, Any]
ErrorList = list[dict[str, str]]
Schema = Mapping[str, Any]
References = Mapping[str, Mapping[Any, Mapping[str, Any]]]
"""Table name (``autotask.billingCodes``) -> key -> the entry's attributes."""

REQUIRED_MESSAGE: Final = "is required (a PUT replaces the whole section)"
_TYPE_TEXT: Final = {
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


@cache
def _files() -> dict[str, dict[str, Any]]:
    """``{psa: the parsed file}`` of every file in ``documents/``."""
    folder = resources.files("reconciler.sandbox.salesbuildr").joinpath("documents")
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            found[entry.name.removesuffix(".json")] = json.loads(entry.read_text("utf-8"))
    return found


def psa_documents() -> dict[str, dict[str, Schema]]:
    """``{psa: {page: schema}}`` of every file in ``documents/``."""
    return {psa: file["$defs"] for psa, file in _files().items()}


def psa_actions() -> dict[str, dict[str, Any]]:
    """``{psa: x-actions}`` of every file in ``documents/`` (``{}``: its pages offer none)."""
    return {psa: dict(file.get("x-actions") or {}) for psa, file in _files().items()}


def psa_lists() -> dict[str, dict[str, list[Any]]]:
    """``{psa: {list name: rows}}``: the ``x-lists`` of every file in ``documents/``."""
    return {psa: dict(file.get("x-lists") or {}) for psa, file in _files().items()}


def default_document(schema: Schema) -> Doc:
    """A fresh tenant's stored document: every property's ``default`` (computed ones left out)."""
    return {
        key: json.loads(json.dumps(prop.get("default")))
        for key, prop in schema["properties"].items()
        if "x-read" not in prop
    }


def read_form(schema: Schema, stored: Doc, *, receiver_url: str) -> Doc:
    """What a GET returns: write-only properties hidden, computed ones filled in."""
    out: Doc = {}
    for key, prop in schema["properties"].items():
        computed = prop.get("x-read")
        if computed == "receiver-url":
            out[key] = receiver_url
        elif isinstance(computed, str) and computed.startswith("is-set:"):
            out[key] = stored.get(computed.removeprefix("is-set:")) is not None
        elif not prop.get("writeOnly") and key in stored:
            out[key] = stored[key]
    return out


def validate_put(schema: Schema, body: object, current: Doc, tables: References) -> Doc | ErrorList:
    """The new stored form after a PUT of ``body``, or the validation errors."""
    checker = _Checker(tables)
    if checker.shape(schema, body, "") and isinstance(body, dict):
        checker.meaning(schema, body, "")
    if checker.errors:
        return checker.errors
    stored: Doc = _stored(schema, body, current)
    return stored


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _types(schema: Schema) -> list[str]:
    kind = schema.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _is(value: object, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _range_text(low: object, high: object, unit: str) -> str:
    if low is not None and high is not None:
        return f"must be {low}..{high}{unit}"
    if low is not None:
        return f"must be at least {low}{unit}"
    return f"must be at most {high}{unit}"


class _Checker:
    """Collects errors with their JSON paths while walking one PUT body."""

    def __init__(self, tables: References) -> None:
        self.tables = tables
        self.errors: ErrorList = []

    def add(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def fail(self, schema: Schema, keyword: str, path: str, message: str) -> None:
        self.add(path, schema.get("x-messages", {}).get(keyword, message))

    # --- shape: types, required, unknown fields, enums, ranges -----------------------------------

    def shape(self, schema: Schema, value: object, path: str) -> bool:
        """Check ``value``'s shape; False (errors added) if it is not well-formed.

        A bad row of an array is reported but leaves the array well-formed: the other rows are
        still checked for meaning, as every error is reported at once.
        """
        types = _types(schema)
        if types and not any(_is(value, kind) for kind in types):
            text = " or ".join(_TYPE_TEXT[kind] for kind in types)
            self.fail(schema, "type", path, f"must be {text}")
            return False
        if isinstance(value, dict):
            return self._object_shape(schema, value, path)
        if isinstance(value, list):
            for index, item in enumerate(value):
                if "items" in schema:
                    self.shape(schema["items"], item, f"{path}[{index}]")
            return True
        before = len(self.errors)
        if value is not None:
            self._scalar_shape(schema, value, path)
        return len(self.errors) == before

    def _scalar_shape(self, schema: Schema, value: object, path: str) -> None:
        if "enum" in schema and value not in schema["enum"]:
            self.fail(schema, "enum", path, f"must be one of {', '.join(map(str, schema['enum']))}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            low, high = schema.get("minimum"), schema.get("maximum")
            if low is not None and value < low:
                self.fail(schema, "minimum", path, _range_text(low, high, ""))
            elif high is not None and value > high:
                self.fail(schema, "maximum", path, _range_text(low, high, ""))
        if isinstance(value, str):
            low, high = schema.get("minLength"), schema.get("maxLength")
            if low is not None and len(value) < low:
                self.fail(schema, "minLength", path, _range_text(low, high, " characters"))
            elif high is not None and len(value) > high:
                self.fail(schema, "maxLength", path, _range_text(low, high, " characters"))

    def _object_shape(self, schema: Schema, value: dict[str, Any], path: str) -> bool:
        props: Mapping[str, Schema] = schema.get("properties", {})
        well_formed = True
        if schema.get("additionalProperties", True) is False:
            for key in value:
                if key not in props:
                    self.add(_join(path, str(key)), "unknown field")
                    well_formed = False
        for key, prop in props.items():
            if prop.get("readOnly"):
                continue  # accepted and ignored
            if key not in value:
                if key in schema.get("required", ()):
                    self.add(_join(path, key), REQUIRED_MESSAGE)
                    well_formed = False
            elif not self.shape(prop, value[key], _join(path, key)):
                well_formed = False
        return well_formed

    # --- meaning: references and uniqueness, on the well-formed parts ---------------------------

    def meaning(self, schema: Schema, value: dict[str, Any], path: str) -> None:
        for key, prop in schema.get("properties", {}).items():
            if prop.get("readOnly") or key not in value:
                continue
            item = value[key]
            if "x-known" in prop:
                self.known(prop["x-known"], item, value, _join(path, key))
            if isinstance(item, list) and isinstance(prop.get("items"), Mapping):
                self.rows(prop, item, _join(path, key))

    def rows(self, schema: Schema, items: list[Any], path: str) -> None:
        row_schema: Schema = schema["items"]
        good: list[tuple[str, dict[str, Any]]] = []
        for index, row in enumerate(items):
            row_path = f"{path}[{index}]"
            # Shape errors were reported already; a bad row is not checked further.
            probe = _Checker(self.tables)
            if probe.shape(row_schema, row, row_path) and isinstance(row, dict):
                self.meaning(row_schema, row, row_path)
                good.append((row_path, row))
        for rule in schema.get("x-unique", ()):
            self.unique(good, tuple(rule["keys"]), rule["what"])

    def unique(
        self, rows: list[tuple[str, dict[str, Any]]], keys: tuple[str, ...], what: str
    ) -> None:
        """Report every row whose ``keys`` repeat an earlier row's."""
        first: dict[tuple[Any, ...], str] = {}
        for path, row in rows:
            value = tuple(row[k] for k in keys)
            if value in first:
                shown = ", ".join(repr(v) for v in value)
                self.add(
                    _join(path, keys[-1]), f"{what} {shown} is mapped twice (also {first[value]})"
                )
            else:
                first[value] = path

    def known(self, rule: Mapping[str, Any], value: object, siblings: Doc, path: str) -> None:
        table = self.tables.get(rule["table"])
        if value is None or table is None:
            return  # nothing to check, or a table this tenant's Salesbuildr does not cache
        entry = table.get(value)
        if entry is None:
            self.add(path, f"unknown {rule['what']} {value!r}")
            return
        for attribute, message in rule.get("refuse", {}).items():
            if entry.get(attribute):
                self.add(path, message.format(value=repr(value)))
        related = rule.get("related")
        if related is not None:
            wanted = entry.get(related["attribute"])
            sibling = siblings.get(related["sibling"])
            if isinstance(wanted, list | tuple | set | frozenset):
                belongs = sibling in wanted
            else:
                belongs = sibling == wanted
            if not belongs:
                message = related["message"].format(
                    value=repr(value), sibling=repr(sibling), attribute=repr(wanted)
                )
                self.add(path, message)


def _stored(schema: Schema, value: Any, current: Any) -> Any:
    """The stored form of a valid ``value``: schema order, read-only fields kept or defaulted."""
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        rows = current if isinstance(current, list) else []
        return [_stored_row(schema["items"], item, rows) for item in value]
    if not isinstance(value, dict) or "properties" not in schema:
        return value
    was = current if isinstance(current, dict) else {}
    out: Doc = {}
    for key, prop in schema["properties"].items():
        if prop.get("readOnly"):
            if "x-read" not in prop:
                out[key] = was.get(key, prop.get("default"))
        elif key in value:
            out[key] = _stored(prop, value[key], was.get(key))
    return out


def _stored_row(schema: Schema, row: Any, current_rows: list[Any]) -> Any:
    """A row of an array: its read-only fields come from the stored row with the same others."""
    if not isinstance(row, dict) or "properties" not in schema:
        return row
    props: Mapping[str, Schema] = schema["properties"]
    writable = [k for k, p in props.items() if not p.get("readOnly")]
    identity = tuple(row.get(k) for k in writable)
    match = next(
        (
            r
            for r in current_rows
            if isinstance(r, dict) and tuple(r.get(k) for k in writable) == identity
        ),
        {},
    )
    return _stored(schema, row, match)
