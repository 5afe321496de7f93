"""Which live object each desired one is, found by an exact look-up where one settles it.

:func:`reconciler.kinds.matching.pick` decides on the live objects whose natural keys fold
alike, and the one spelled exactly like the desired key wins. So a key spelled exactly like one
live object's, and no other's, needs no folding: that object is the answer whatever else folds
alike. Only the other keys (creates, changed spellings, exact duplicates) are looked up folded,
in an index of their kind built on first need; most kinds of a big tenant never need one.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.kinds.matching import MatchKey, index_live, match_key, pick
from reconciler.state import Resource


class LiveIndex:
    """The live objects of the compared sections, by kind and key as spelled.

    Nested dicts rather than one keyed by ``(kind, key)``: no tuple per object, which a big
    tenant would pay for in allocations and in the collector's passes over them."""

    __slots__ = ("_exact", "_folded", "_live", "_repeated")

    def __init__(self, live: Sequence[Resource]) -> None:
        self._live = live
        self._exact: dict[str, dict[str, Resource]] = {}
        self._repeated: dict[str, set[str]] = {}  # keys spelled alike by two live objects
        for resource in live:
            by_key = self._exact.get(resource.kind)
            if by_key is None:
                by_key = self._exact[resource.kind] = {}
            if resource.key in by_key:
                self._repeated.setdefault(resource.kind, set()).add(resource.key)
            else:
                by_key[resource.key] = resource
        self._folded: dict[str, dict[MatchKey, list[Resource]]] = {}

    def find(self, wanted: Resource) -> Resource | None:
        """As :func:`pick` over the live objects folding like ``wanted`` (and raising as it)."""
        spelled = self._exact.get(wanted.kind, {}).get(wanted.key)
        if spelled is not None and wanted.key not in self._repeated.get(wanted.kind, ()):
            return spelled
        return pick(wanted, self._of_kind(wanted.kind).get(match_key(wanted), []))

    def _of_kind(self, kind: str) -> dict[MatchKey, list[Resource]]:
        index = self._folded.get(kind)
        if index is None:
            index = index_live(r for r in self._live if r.kind == kind)
            self._folded[kind] = index
        return index
