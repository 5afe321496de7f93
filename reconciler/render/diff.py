"""What the text and Markdown views say of one changed attribute, before each escapes it.

A reviewer reads the change, not both whole values: a set-like list (the kind says so: the diff
record's ``set_like``) shows the elements added and removed and counts the rest
(``fields: + Phone, − Fax (18 unchanged)``); an ordered list shows positions
(``[2] Prospect -> Vendor``, ``[4] + Other``, ``[0] − Lead``); a long scalar is shortened to
:data:`SCALAR_LIMIT` characters with an ellipsis (the JSON view keeps every value whole).

Every element reaches output through the ``element`` function the view passes (its escaping),
and markers through ``mark`` (the text view's colour); nothing here formats data by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.plan.listdiff import edits, is_list_pair
from reconciler.plan.model import SENSITIVE
from reconciler.render.escape import ELLIPSIS

SCALAR_LIMIT = 80
"""Text and Markdown show at most this many characters of a value; JSON shows all of them."""
LISTED = 20
"""Elements shown per side of a list diff; the rest are counted (``… 5 more added``)."""
ADDED = "+"
REMOVED = "−"  # U+2212: a list element taken out, told apart from a deleted object's "-"
MORE = ELLIPSIS

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ./&'-]*")


@dataclass(frozen=True, slots=True)
class Part:
    """One shown step: an element added or removed, or (ordered lists) replaced at ``index``;
    or, with marker :data:`MORE`, ``value`` steps left out (``before`` says of which kind)."""

    marker: str  # ADDED, REMOVED, MORE, or "" for a replacement
    value: Any = None
    index: int | None = None
    before: Any = None


@dataclass(frozen=True, slots=True)
class ListDiff:
    parts: tuple[Part, ...]
    unchanged: int


def _capped(parts: Sequence[Part], what: str, limit: int = LISTED) -> list[Part]:
    shown = list(parts[:limit])
    if len(parts) > limit:
        shown.append(Part(MORE, len(parts) - limit, before=what))
    return shown


def list_diff(diff: Mapping[str, Any], sensitive: Iterable[str] = ()) -> ListDiff | None:
    """The element-wise form of a diff record, or None when it is shown as whole values
    (not a list update, a plan of format 1.0 without ``set_like``, or a sensitive attribute)."""
    before, after = diff.get("before"), diff.get("after")
    shape = diff.get("set_like")
    if shape is None or diff.get("path") in set(sensitive) or not is_list_pair(before, after):
        return None
    if shape:
        added = [Part(ADDED, v) for v in diff.get("added") or []]
        removed = [Part(REMOVED, v) for v in diff.get("removed") or []]
        if not added and not removed:
            return None  # only duplicates differ: the whole values say it better
        parts = [*_capped(added, "added"), *_capped(removed, "removed")]
        return ListDiff(tuple(parts), len(after or []) - len(added))
    script, unchanged = edits(before, after)
    if not script:
        return None
    steps = [
        Part("", e.after, e.index, e.before)
        if e.op == "replace"
        else Part(ADDED, e.after, e.index)
        if e.op == "insert"
        else Part(REMOVED, e.before, e.index)
        for e in script
    ]
    return ListDiff(tuple(_capped(steps, "changed", 2 * LISTED)), unchanged)


def describe(
    found: ListDiff,
    *,
    element: Callable[[Any], str],
    mark: Callable[[str], str] = str,
    position: Callable[[str], str] = str,
    arrow: str = "->",
) -> str:
    """``+ Phone, − Fax (18 unchanged)`` / ``[2] Prospect -> Vendor, [4] + Other``; ``position``
    escapes the ``[2]`` for the view (Markdown)."""
    shown: list[str] = []
    for part in found.parts:
        where = position(f"[{part.index}]") + " " if part.index is not None else ""
        if part.marker == MORE:
            shown.append(f"{MORE} {part.value} more {part.before}")
        elif part.marker:
            shown.append(f"{where}{mark(part.marker)} {element(part.value)}")
        else:
            shown.append(f"{where}{element(part.before)} {arrow} {element(part.value)}")
    text = ", ".join(shown)
    return text + (f" ({found.unchanged} unchanged)" if found.unchanged else "")


def is_plain(value: Any) -> bool:
    """A label that reads unambiguously without quotes in an element list: it starts with a
    letter, holds no separator (``,``), bracket, quote or hidden character, and is no keyword."""
    return (
        isinstance(value, str)
        and len(value) <= SCALAR_LIMIT
        and _PLAIN.fullmatch(value) is not None
        and not value.endswith(" ")
        and value not in ("true", "false", "none")
    )


def shortened(value: Any) -> Any:
    """A string over :data:`SCALAR_LIMIT` characters cut there with an ellipsis."""
    if isinstance(value, str) and value != SENSITIVE and len(value) > SCALAR_LIMIT:
        return value[:SCALAR_LIMIT] + ELLIPSIS
    return value


def has_long_value(diffs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a view of these diff records shortens any value (so it adds the note)."""

    def long(value: Any) -> bool:
        if isinstance(value, list | tuple):
            return any(long(v) for v in value)
        return isinstance(value, str) and len(value) > SCALAR_LIMIT

    return any(long(d.get("before")) or long(d.get("after")) for d in diffs)
