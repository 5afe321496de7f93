"""Reference data read once a run (billing codes, picklists, UDFs, categories, ...) as name tables.

A :class:`NameTable` answers the two questions every kind asks: which object does this name in the
YAML mean (case-insensitively, with "did you mean", inactive and ambiguous names reported), and how
is a live id shown (its canonical name, or ``Name (#id)`` when two objects share that name, so both
sides of a comparison spell a reference the same way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.kinds.constraints import EntityRules
from reconciler.kinds.names import (
    PathSyntaxError,
    did_you_mean,
    fold,
    fold_path,
    join_path,
    split_path,
)

PINNED = re.compile(r"^(?P<name>.*) \(#(?P<id>[^)]+)\)$")
"""A shared name pinned to one object, ``Name (#id)``."""

Ref = str | Mapping[str, Any]
"""A reference as written in the YAML: a name, or ``{"id": N}``."""


@dataclass(frozen=True)
class Entry:
    id: Any
    name: str
    active: bool = True
    parent: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    path: tuple[str, ...] = ()

    @property
    def levels(self) -> tuple[str, ...]:
        return self.path or (self.name,)


class Unresolved(StrEnum):
    """Why a reference resolved to no entry, as logic may test it (never by the message text)."""

    AMBIGUOUS = "ambiguous"
    """Several entries bear the name and none is spelled or active alone: say which one."""
    OTHER = "other"
    """Unknown, inactive, a bad path or id: the message says which."""


@dataclass(frozen=True)
class Resolved:
    """The outcome of resolving one reference: an entry, or why not (``reason``) with a message
    and a hint for people."""

    entry: Entry | None
    message: str | None = None
    hint: str | None = None
    reason: Unresolved | None = None
    """Set with ``message`` (None when ``entry`` is): what code may test."""


def plural(noun: str) -> str:
    """``category`` -> ``categories``, ``status`` -> ``statuses``, ``webhook`` -> ``webhooks``."""
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


class NameTable:
    """Entries of one kind of thing, looked up by folded name (or path) and by id."""

    def __init__(self, what: str, entries: Iterable[Entry], *, paths: bool = False):
        self.what = what
        self.paths = paths
        self.entries = list(entries)
        self._by_id: dict[str, Entry] = {str(e.id): e for e in self.entries}
        self._by_name: dict[tuple[str, ...], list[Entry]] = {}
        for entry in self.entries:
            self._by_name.setdefault(self._key(entry), []).append(entry)

    def _key(self, entry: Entry) -> tuple[str, ...]:
        return tuple(fold(level) for level in entry.levels) if self.paths else (fold(entry.name),)

    def label(self, entry: Entry) -> str:
        return join_path(entry.path) if self.paths and entry.path else entry.name

    def by_id(self, value: Any) -> Entry | None:
        return self._by_id.get(str(value))

    def display(self, value: Any) -> str:
        """How a live id reads: the name, ``Name (#id)`` when the name is ambiguous, ``#id``
        when the id is unknown."""
        entry = self.by_id(value)
        if entry is None:
            return f"#{value}"
        if len(self._by_name.get(self._key(entry), [])) > 1:
            return f"{self.label(entry)} (#{entry.id})"
        return self.label(entry)

    def resolve(self, ref: Ref, *, allow_inactive: bool = False) -> Resolved:
        if isinstance(ref, Mapping):
            entry = self.by_id(ref.get("id"))
            if entry is None:
                return Resolved(
                    None, f"no {self.what} has id {ref.get('id')}", reason=Unresolved.OTHER
                )
            return self._check_active(entry, allow_inactive)
        text = str(ref)
        pinned = self._pinned(text)
        if pinned is not None:
            return self._check_active(pinned, allow_inactive)
        try:
            key = fold_path(text) if self.paths else (fold(text),)
        except PathSyntaxError as exc:
            return Resolved(None, str(exc), reason=Unresolved.OTHER)
        matches = self._by_name.get(key, [])
        if not matches:
            names = [self.label(e) for e in self.entries if e.active]
            hint = did_you_mean(text, names)
            if hint is None and 0 < len(names) <= 8:
                hint = "valid names: " + ", ".join(f"'{_cut(n)}'" for n in sorted(names))
            return Resolved(None, f"unknown {self.what} '{text}'", hint, Unresolved.OTHER)
        if len(matches) > 1:
            # Equal after folding: the one spelled exactly as written wins, then the only
            # active one; otherwise the YAML must say which by id.
            exact = [m for m in matches if self._spelled(m) == self._written(text)]
            if len(exact) == 1:
                return self._check_active(exact[0], allow_inactive)
            active = [m for m in matches if m.active]
            if len(active) == 1:
                return Resolved(active[0])
            ids = ", ".join(str(m.id) for m in matches)
            first = matches[0]
            return Resolved(
                None,
                f"{len(matches)} {plural(self.what)} are named '{text}' (ids {ids})",
                # The pinned form works where {id: N} cannot: as a mapping key, too.
                f"write '{self.label(first)} (#{first.id})' to say which one",
                Unresolved.AMBIGUOUS,
            )
        return self._check_active(matches[0], allow_inactive)

    def _pinned(self, text: str) -> Entry | None:
        """``Name (#id)``, as :meth:`display` and ``export`` write a shared name: that entry,
        when the id exists and its name folds like ``Name`` (else it is read as a name)."""
        match = PINNED.match(text)
        entry = self.by_id(match.group("id")) if match else None
        if match is None or entry is None:
            return None
        return entry if fold(self.label(entry)) == fold(match.group("name")) else None

    def _spelled(self, entry: Entry) -> tuple[str, ...]:
        return tuple(entry.levels) if self.paths else (entry.name,)

    def _written(self, text: str) -> tuple[str, ...]:
        return split_path(text) if self.paths else (text.strip(),)

    def _check_active(self, entry: Entry, allow_inactive: bool) -> Resolved:
        if entry.active or allow_inactive:
            return Resolved(entry)
        names = [self.label(e) for e in self.entries if e.active]
        hint = did_you_mean(self.label(entry), names)
        return Resolved(
            None,
            f"{self.what} '{self.label(entry)}' is inactive",
            hint or f"activate it in the admin UI, or pick an active {self.what}",
            Unresolved.OTHER,
        )


@dataclass
class Catalog:
    """Every table read for this run, by table name (see :mod:`reconciler.kinds.tables`)."""

    tables: dict[str, NameTable] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, EntityRules] = field(default_factory=dict)
    """Autotask field metadata and the API user's access, by entity (read for the writes)."""

    def table(self, name: str) -> NameTable:
        if name not in self.tables:
            return NameTable(name, [])
        return self.tables[name]


HINT_NAME_LIMIT = 80
"""A name listed in a hint is cut past this (an admin may type a name of megabytes)."""


def _cut(name: str) -> str:
    return name if len(name) <= HINT_NAME_LIMIT else name[: HINT_NAME_LIMIT - 1] + "…"
