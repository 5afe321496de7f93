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
    """The live objects of the compared sections, by ``(kind, key)`` as spelled."""

    __slots__ = ("_exact", "_folded", "_live")

    def __init__(self, live: Sequence[Resource]) -> None:
        self._live = live
        self._exact: dict[tuple[str, str], list[Resource]] = {}
        for resource in live:
            spelled = (resource.kind, resource.key)
            found = self._exact.get(spelled)
            if found is None:
                self._exact[spelled] = [resource]
            else:
                found.append(resource)
        self._folded: dict[str, dict[MatchKey, list[Resource]]] = {}

    def find(self, wanted: Resource) -> Resource | None:
        """As :func:`pick` over the live objects folding like ``wanted`` (and raising as it)."""
        spelled = self._exact.get((wanted.kind, wanted.key))
        if spelled is not None and len(spelled) == 1:
            return spelled[0]
        return pick(wanted, self._of_kind(wanted.kind).get(match_key(wanted), []))

    def _of_kind(self, kind: str) -> dict[MatchKey, list[Resource]]:
        index = self._folded.get(kind)
        if index is None:
            index = index_live(r for r in self._live if r.kind == kind)
            self._folded[kind] = index
        return index
