"""One shape for both sides: a :class:`State` is a set of :class:`Resource` keyed by address.

Desired state comes from the YAML, live state from the two APIs; both are built of the same
resources so that the plan is a pure comparison of two values of one type (octoDNS's idea).

* ``address`` is the YAML path of the object (``webhooks["sb-companies"]``), so a reader finds it
  in the file; it is the identity the plan matches on.
* ``attributes`` are the compared values, already canonical (names as the catalog spells them,
  set-like lists sorted, defaults filled in); ``ids`` hold the resolved ids beside the names.
* ``sensitive`` names attributes whose values are secrets: never compared by value, never shown.
* ``raw`` is the object exactly as the API returned it (live side only): the stale-plan
  fingerprint is taken over it, ignored attributes included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class ManageMode(StrEnum):
    """How a present section is managed (``policy.manage`` of every PSA's YAML: the config
    models use this one enum)."""

    ADDITIVE = "additive"
    FULL = "full"
    OBSERVE = "observe"


class DeletePolicy(StrEnum):
    """What "not in the YAML" does to a live object of a kind, under ``manage: full``."""

    DELETE = "delete"  # the API deletes it (webhooks)
    DEACTIVATE = "deactivate"  # the API cannot delete it: set inactive (inventory locations)
    REMOVE = "remove"  # a row removed from its Salesbuildr section (mappings)
    NEVER = "never"  # singletons: always exist


@dataclass(frozen=True)
class Resource:
    """One managed object, desired or live."""

    address: str
    kind: str
    section: str
    key: str
    attributes: Mapping[str, Any]
    owner: str
    ids: Mapping[str, Any] = field(default_factory=dict)
    sensitive: frozenset[str] = frozenset()
    raw: Any = None
    location: str | None = None
    locations: Mapping[str, str] = field(default_factory=dict, compare=False)
    secret_refs: Mapping[str, str | None] = field(default_factory=dict)
    secrets: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of the object as read (every attribute)."""
        return "sha256:" + hashlib.sha256(canonical_json(self.raw).encode()).hexdigest()

    def with_attributes(self, **changes: Any) -> Resource:
        return replace(self, attributes={**self.attributes, **changes})


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)
"""One encoder for every call: ``json.dumps`` with options builds a new one each time, and a
plan of a big tenant encodes every live object (its fingerprint)."""


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


@dataclass(frozen=True)
class State:
    """Resources by address, plus what was observed about whole sections (ETags, bodies)."""

    resources: Mapping[str, Resource] = field(default_factory=dict)
    sections: Mapping[str, SectionSnapshot] = field(default_factory=dict)

    @classmethod
    def of(cls, resources: Iterable[Resource], sections: Iterable[SectionSnapshot] = ()) -> State:
        table: dict[str, Resource] = {}
        for resource in resources:
            table[resource.address] = resource
        return cls(resources=table, sections={s.name: s for s in sections})

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, address: str) -> Resource | None:
        return self.resources.get(address)

    def in_section(self, section: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.section == section]


@dataclass(frozen=True)
class SectionSnapshot:
    """A Salesbuildr settings section as read: the body and its ETag (for If-Match).

    ``owner`` is the system that holds the document: the plan's observed key is
    ``<owner>:<name>``, as the writer's re-read keys it."""

    name: str
    body: Mapping[str, Any]
    etag: str
    owner: str = "salesbuildr"


@dataclass(frozen=True)
class PolicySettings:
    """What the YAML's ``policy`` says, in the engine's terms."""

    manage: Mapping[str, ManageMode] = field(default_factory=dict)
    max_change_fraction: float = 0.3
    max_deletes: int = 10
    ignore_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def mode(self, section: str) -> ManageMode:
        return self.manage.get(section, ManageMode.ADDITIVE)
