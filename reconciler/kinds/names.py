"""Names as people write them: path syntax, case-insensitive matching, "did you mean".

A name path uses ``/`` between levels (``Hardware/Laptops``, data point ``Group/Name``); a literal
slash inside a level is written ``\\/``. Names are compared in one folded form (:func:`fold`):
Unicode compatibility forms unified (NFKC: a full-width ``Ａ`` is an ``A``), case folded, and
whitespace collapsed and trimmed, because that is how a person reads the admin UIs. Where two
objects fold alike, the one spelled exactly as written wins; otherwise it is an ambiguity.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable


class PathSyntaxError(ValueError):
    """A name path that cannot be split into levels."""


def split_path(text: str) -> tuple[str, ...]:
    """``"Software/Security\\/AV"`` -> ``("Software", "Security/AV")``; levels are stripped."""
    levels: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 < len(text) and text[index + 1] in "/\\":
                current.append(text[index + 1])
                index += 2
                continue
            raise PathSyntaxError(
                f"{text!r}: a backslash must be followed by / (a literal slash) or \\"
            )
        if char == "/":
            levels.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    levels.append("".join(current))
    stripped = tuple(level.strip() for level in levels)
    if any(not level for level in stripped):
        raise PathSyntaxError(f"{text!r} has an empty level (check for // or a leading/trailing /)")
    return stripped


def join_path(levels: Iterable[str]) -> str:
    """The inverse of :func:`split_path`: escape slashes in levels and join with ``/``."""
    return "/".join(level.replace("\\", "\\\\").replace("/", "\\/") for level in levels)


def fold(name: str) -> str:
    """The comparison form of a name: NFKC, ``casefold()``, whitespace collapsed and trimmed.

    The one folding function: everything that compares names calls it. NFKC runs again after
    casefolding, as casefolding can produce text that is not in normal form."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def fold_path(text: str) -> tuple[str, ...]:
    """The comparison form of a name path."""
    return tuple(fold(level) for level in split_path(text))


def closest(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Up to ``limit`` candidates that look like ``name`` (for "did you mean ...?" hints)."""
    by_fold: dict[str, str] = {}
    for candidate in candidates:
        by_fold.setdefault(fold(candidate), candidate)
    matches = difflib.get_close_matches(fold(name), list(by_fold), n=limit, cutoff=0.6)
    return [by_fold[m] for m in matches]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidates, or None when nothing is close."""
    matches = closest(name, candidates)
    if not matches:
        return None
    quoted = ", ".join(f"'{m}'" for m in matches)
    return f"did you mean {quoted}?"
