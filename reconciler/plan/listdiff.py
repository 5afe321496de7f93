"""Element-wise differences of one list attribute: what the plan's ``added``/``removed`` hold.

Two shapes, chosen by the kind (``Kind.set_like``), never by the view:

* a *set-like* list (webhook ``fields``, ``events``, excluded resources, ...): order carries no
  meaning, so the difference is the elements only one side has; the rest are counted;
* an *ordered* list: the positions matter, so the difference is a short edit script
  (:func:`edits`): an element replaced, inserted or removed at an index.

Elements are compared by their canonical JSON, so lists of mappings diff too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal


def is_list_pair(before: Any, after: Any) -> bool:
    """Both sides are lists, or one is a list and the other unset (an attribute now stated)."""
    sides = (before, after)
    return any(isinstance(s, list | tuple) for s in sides) and all(
        s is None or isinstance(s, list | tuple) for s in sides
    )


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def set_changes(before: Any, after: Any) -> tuple[list[Any], list[Any], int]:
    """(added, removed, unchanged count) of two set-like lists; each in its list's order."""
    old, new = _items(before), _items(after)
    old_keys = {_key(v) for v in old}
    new_keys = {_key(v) for v in new}
    added = [v for v in new if _key(v) not in old_keys]
    removed = [v for v in old if _key(v) not in new_keys]
    return added, removed, len(new) - len(added)


@dataclass(frozen=True, slots=True)
class Edit:
    """One step of an ordered list's edit script.

    ``index`` is the position in the live list for ``replace`` and ``remove``, and in the
    desired list for ``insert``.
    """

    op: Literal["replace", "insert", "remove"]
    index: int
    before: Any = None
    after: Any = None


def edits(before: Any, after: Any) -> tuple[list[Edit], int]:
    """The edit script turning the live list into the desired one, and how many stay put."""
    old, new = _items(before), _items(after)
    matcher = SequenceMatcher(a=[_key(v) for v in old], b=[_key(v) for v in new], autojunk=False)
    script: list[Edit] = []
    unchanged = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            unchanged += i2 - i1
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        script.extend(Edit("replace", i1 + k, old[i1 + k], new[j1 + k]) for k in range(paired))
        script.extend(Edit("remove", i, before=old[i]) for i in range(i1 + paired, i2))
        script.extend(Edit("insert", j, after=new[j]) for j in range(j1 + paired, j2))
    return script, unchanged


def sequence_changes(before: Any, after: Any) -> tuple[list[Any], list[Any]]:
    """(added, removed) of two ordered lists: what the edit script inserts and takes out."""
    script, _ = edits(before, after)
    added = [e.after for e in script if e.op in ("replace", "insert")]
    removed = [e.before for e in script if e.op in ("replace", "remove")]
    return added, removed


def list_changes(before: Any, after: Any, *, set_like: bool) -> tuple[list[Any], list[Any]]:
    """(added, removed) for the plan's JSON, by the shape the kind declares."""
    if set_like:
        added, removed, _ = set_changes(before, after)
        return added, removed
    return sequence_changes(before, after)
