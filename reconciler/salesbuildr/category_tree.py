"""Category paths from ``parentId`` links, walked without recursion and refusing cycles.

Salesbuildr lists categories flat, each naming its parent. A path is the names from the root
down. The walk is a loop (a tree thousands of levels deep cannot hit Python's recursion limit),
each category is visited once, and a parent chain that comes back to itself is reported with the
ids of the cycle instead of looping or being cut silently. A path deeper than
:data:`MAX_DEPTH` is refused too: paths are kept per category, so depth bounds their memory
(no admin UI builds trees anywhere near it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import ServerMisbehaved

MAX_DEPTH = 2_000
ENDPOINT = "/category"


def category_paths(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """``{id: row}`` -> ``{id: (root name, ..., own name)}``; a parent missing from the listing
    makes its child a root (as before)."""
    paths: dict[str, tuple[str, ...]] = {}
    for start in raw:
        chain: list[str] = []
        on_chain: set[str] = set()
        current: str | None = start
        while current is not None and current not in paths:
            if current in on_chain:
                cycle = chain[chain.index(current) :]
                raise _cycle(cycle)
            chain.append(current)
            on_chain.add(current)
            parent = raw[current].get("parentId")
            current = str(parent) if parent is not None and str(parent) in raw else None
        above: tuple[str, ...] = paths[current] if current is not None else ()
        for category_id in reversed(chain):
            if len(above) >= MAX_DEPTH:
                raise _too_deep(category_id)
            above = (*above, str(raw[category_id].get("name") or ""))
            paths[category_id] = above
    return paths


def _cycle(ids: list[str]) -> ServerMisbehaved:
    shown = " -> ".join([*ids, ids[0]])
    return ServerMisbehaved(
        f"Salesbuildr categories form a parent cycle (ids {shown}); no path can be built",
        system="salesbuildr",
        method="GET",
        path=ENDPOINT,
        hint="give one of these categories a parent outside the cycle (or none) in Salesbuildr",
    )


def _too_deep(category_id: str) -> ServerMisbehaved:
    return ServerMisbehaved(
        f"Salesbuildr category {category_id} is more than {MAX_DEPTH} levels deep; stopped "
        "building category paths",
        system="salesbuildr",
        method="GET",
        path=ENDPOINT,
        hint="flatten the category tree in Salesbuildr (this is far deeper than any admin UI "
        "builds)",
    )
