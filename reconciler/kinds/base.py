"""What every kind tells the engine, and the two shapes most kinds share.

A kind is everything specific to one collection: its address, natural key, normalisation,
sensitive attributes, owner, delete policy and name resolution. The engine (plan, apply) only
calls the methods here; it never asks which kind it holds.

* :class:`MappingKind`: a row of a Salesbuildr settings section mapping one name to another
  (category -> billing code, role -> category ...). Most sections are made of these.
* :class:`SingletonKind`: a settings document that always exists (product import switches,
  purchase-order settings): a change is always an update, it is never deleted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from reconciler.kinds.catalog import Catalog, Entry, Resolved
from reconciler.kinds.constraints import PlannedChange, WireWrite
from reconciler.kinds.names import join_path
from reconciler.state import DeletePolicy, Resource


@dataclass(frozen=True)
class Problem:
    """A live-rule finding about a desired resource (located by the config layer)."""

    address: str
    message: str
    hint: str | None = None
    attribute: str = ""
    severity: str = "error"
    id: str = ""  # a warning's id (reconciler.warning_ids)


def address(section: str, *keys: str) -> str:
    r"""``webhooks["sb-companies"]``: the YAML path of an object, as a reader finds it.

    Keys are escaped injectively (``\\``, ``\"``, and hidden characters as ``\n``, ``\x1b``,
    ``\u202e``), so an address is always one line of visible text: a live name can never start
    a line of its own in any message that quotes an address. :func:`address_keys` inverts it."""
    text = section
    for key in keys:
        text += f'["{_escape_key(key)}"]'
    return text


_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_ADDRESS_KEY = re.compile(r'\["((?:[^"\\]|\\.)*)"\]')
_KEY_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|.)", re.DOTALL)
_UNESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _escape_key(key: str) -> str:
    out: list[str] = []
    for char in key.replace("\\", "\\\\").replace('"', '\\"'):
        if not _hidden(char):
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def _unescape_key(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _UNESCAPED.get(code, code)

    return _KEY_ESCAPE.sub(one, text)


def address_keys(text: str) -> list[str]:
    """``company_udfs["Customer"]["Contract Tier"]`` -> ``["Customer", "Contract Tier"]``."""
    return [_unescape_key(m) for m in _ADDRESS_KEY.findall(text)]


class ApplyStage(StrEnum):
    """Where apply writes a kind's creates and updates (its removals are ordered by action)."""

    FIRST = "first"  # before every object: their writes depend on it (the receiver's secret)
    OBJECT = "object"  # a write of its own per object, in the PSA, before the documents
    DOCUMENT = "document"  # a part of its section's settings document


NO_SHADOWS: Mapping[str, str] = MappingProxyType({})


class Kind(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def delete_policy(self) -> DeletePolicy: ...
    @property
    def sensitive(self) -> frozenset[str]: ...
    @property
    def set_like(self) -> frozenset[str]: ...
    @property
    def tables(self) -> frozenset[str]: ...
    @property
    def stage(self) -> ApplyStage: ...
    @property
    def shadows(self) -> Mapping[str, str]:
        """Live attribute -> the write-only one it stands for (the API shows only that a secret
        is set): a change to the flag sends the secret."""
        ...

    @property
    def deactivation_note(self) -> str: ...  # why "remove" deactivates (the plan's reason)
    def deactivated(self, resource: Resource) -> Resource | None:
        """What "remove" leaves of a live object of a ``DEACTIVATE`` kind; None: nothing to do."""
        ...

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        """Names -> canonical names and ids; None (with problems) when the key cannot resolve."""
        ...

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical form both sides are compared in (set-like lists sorted ...)."""
        ...

    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        """Rules over the whole section (e.g. every category with products has a billing code)."""
        ...

    def with_defaults(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """What a create writes: the desired attributes plus defaults for those left unstated
        (an update leaves unstated attributes as they are live)."""
        ...

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        """The Autotask requests ``change`` needs, in Autotask's field names (checked at plan
        time against the metadata); none for Salesbuildr kinds."""
        ...

    def autotask_access(self, desired: Sequence[Resource]) -> dict[str, frozenset[str]]:
        """Autotask entity -> the operations managing this kind may need (preflight)."""
        ...


def sort_set_like(attributes: Mapping[str, Any], set_like: Iterable[str]) -> dict[str, Any]:
    result = dict(attributes)
    for name in set_like:
        value = result.get(name)
        if isinstance(value, list | tuple):
            result[name] = sorted(value, key=lambda item: str(item).casefold())
    return result


def resolution_problem(resource: Resource, attribute: str, resolved: Resolved) -> Problem:
    return Problem(
        address=resource.address,
        message=resolved.message or "cannot resolve",
        hint=resolved.hint,
        attribute=attribute,
    )


EntryRule = Callable[[Entry], str | None]
"""A rule on a resolved entry: a message when the entry may not be used here."""


class KindDefaults:
    """What most kinds do: compare attributes as they are, and no rule over the whole section;
    written in their section's document, nothing write-only, never deactivated."""

    stage: ApplyStage = ApplyStage.DOCUMENT
    shadows: Mapping[str, str] = NO_SHADOWS
    deactivation_note: str = "deactivated"

    def deactivated(self, resource: Resource) -> Resource | None:
        return None

    def normalise(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return dict(attributes)

    def with_defaults(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        return self.normalise(attributes)

    def check(
        self, desired: Sequence[Resource], live: Sequence[Resource], catalog: Catalog
    ) -> list[Problem]:
        return []

    def wire_writes(self, change: PlannedChange) -> list[WireWrite]:
        return []

    def autotask_access(self, desired: Sequence[Resource]) -> dict[str, frozenset[str]]:
        return {}


@dataclass(frozen=True)
class MappingKind(KindDefaults):
    """One row of a Salesbuildr section: ``<section>.<table>["<key>"] = <value>``.

    ``key_tables`` resolve each key level (two for company UDFs: company type, then UDF);
    ``value_table`` resolves the mapped value, stored as attribute ``value_attr``.
    """

    name: str
    section: str
    subsection: str | None
    key_tables: tuple[str, ...]
    value_attr: str
    value_table: str
    owner: str = "salesbuildr"
    delete_policy: DeletePolicy = DeletePolicy.REMOVE
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    value_rule: EntryRule | None = None
    key_rule: EntryRule | None = None

    @property
    def tables(self) -> frozenset[str]:
        return frozenset((*self.key_tables, self.value_table))

    def address_of(self, keys: Sequence[str]) -> str:
        prefix = f"{self.section}.{self.subsection}" if self.subsection else self.section
        return address(prefix, *keys)

    def natural_key(self, keys: Sequence[str]) -> str:
        return join_path(keys) if len(keys) > 1 else keys[0]

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        key_refs: Sequence[Any] = resource.ids.get("key_refs", ())
        entries: list[Entry] = []
        problems: list[Problem] = []
        for level, ref in enumerate(key_refs):
            resolved = catalog.table(self.key_tables[level]).resolve(ref)
            if resolved.entry is None:
                return None, [resolution_problem(resource, "", resolved)]
            if self.key_rule is not None:
                message = self.key_rule(resolved.entry)
                if message:
                    return None, [Problem(resource.address, message)]
            entries.append(resolved.entry)
        value_table = catalog.table(self.value_table)
        value = value_table.resolve(resource.attributes[self.value_attr])
        if value.entry is None:
            problems.append(resolution_problem(resource, self.value_attr, value))
            return None, problems
        if self.value_rule is not None:
            message = self.value_rule(value.entry)
            if message:
                return None, [Problem(resource.address, message, attribute=self.value_attr)]
        canonical_keys = [
            catalog.table(self.key_tables[level]).display(entry.id)
            for level, entry in enumerate(entries)
        ]
        return (
            replace(
                resource,
                address=self.address_of(canonical_keys),
                key=self.natural_key(canonical_keys),
                attributes={self.value_attr: value_table.display(value.entry.id)},
                ids={
                    "keys": [e.id for e in entries],
                    self.value_attr: value.entry.id,
                },
            ),
            [],
        )

    def live(self, keys: Sequence[Any], value_id: Any, catalog: Catalog, raw: Any) -> Resource:
        """A live row: key ids and value id shown through the same tables as the YAML side."""
        shown = [
            catalog.table(self.key_tables[level]).display(key_id)
            for level, key_id in enumerate(keys)
        ]
        value_table = catalog.table(self.value_table)
        return Resource(
            address=self.address_of(shown),
            kind=self.name,
            section=self.section,
            key=self.natural_key(shown),
            attributes={self.value_attr: value_table.display(value_id)},
            owner=self.owner,
            ids={"keys": list(keys), self.value_attr: value_id},
            raw=raw,
        )


@dataclass(frozen=True)
class SingletonField:
    """One attribute of a singleton: plain (``table`` None) or a reference into a table."""

    name: str
    table: str | None = None


@dataclass(frozen=True)
class SingletonKind(KindDefaults):
    """A settings document that always exists; only the attributes the YAML sets are managed."""

    name: str
    section: str
    address_text: str
    fields: tuple[SingletonField, ...]
    owner: str = "salesbuildr"
    delete_policy: DeletePolicy = DeletePolicy.NEVER
    sensitive: frozenset[str] = frozenset()
    set_like: frozenset[str] = frozenset()
    resolve_field: (
        Callable[[SingletonField, Any, Catalog, Mapping[str, Entry]], Resolved] | None
    ) = None
    extra_tables: frozenset[str] = field(default_factory=frozenset)
    scoped: frozenset[str] = frozenset()
    """Fields whose label is unique only within another field (a sub-issue type within its issue
    type): shown by label alone, since the other field is compared beside it."""
    stage: ApplyStage = ApplyStage.DOCUMENT
    shadows: Mapping[str, str] = field(default_factory=dict, hash=False)

    def _show(self, catalog: Catalog, spec: SingletonField, value: Any) -> str:
        table = catalog.table(spec.table or "")
        entry = table.by_id(value)
        if spec.name in self.scoped and entry is not None:
            return table.label(entry)
        return table.display(value)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(f.table for f in self.fields if f.table) | self.extra_tables

    def resolve(
        self, resource: Resource, catalog: Catalog
    ) -> tuple[Resource | None, list[Problem]]:
        attributes: dict[str, Any] = {}
        ids: dict[str, Any] = {}
        problems: list[Problem] = []
        resolved_entries: dict[str, Entry] = {}
        for spec in self.fields:
            if spec.name not in resource.attributes:
                continue
            value = resource.attributes[spec.name]
            if spec.table is None or value is None:
                attributes[spec.name] = value
                continue
            if self.resolve_field is not None:
                outcome = self.resolve_field(spec, value, catalog, resolved_entries)
            else:
                outcome = catalog.table(spec.table).resolve(value)
            if outcome.entry is None:
                problems.append(resolution_problem(resource, spec.name, outcome))
                continue
            resolved_entries[spec.name] = outcome.entry
            attributes[spec.name] = self._show(catalog, spec, outcome.entry.id)
            ids[spec.name] = outcome.entry.id
        if problems:
            return None, problems
        return replace(resource, attributes=attributes, ids=ids), []

    def live(self, values: Mapping[str, Any], catalog: Catalog, raw: Any) -> Resource:
        """The live document: ids shown through the tables, plain values as they are."""
        attributes: dict[str, Any] = {}
        ids: dict[str, Any] = {}
        for spec in self.fields:
            value = values.get(spec.name)
            if spec.table is None or value is None:
                attributes[spec.name] = value
            else:
                attributes[spec.name] = self._show(catalog, spec, value)
                ids[spec.name] = value
        return Resource(
            address=self.address_text,
            kind=self.name,
            section=self.section,
            key=self.address_text,
            attributes=attributes,
            owner=self.owner,
            ids=ids,
            raw=raw,
        )
