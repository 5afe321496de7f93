"""Offline rule helpers every PSA's rules share (name paths compared folded, names listed once).
Each PSA's rules over its sections are in its package (Autotask's: psa/autotask/rules.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.config.loader import PathKey
from reconciler.kinds.names import PathSyntaxError, fold, fold_path, join_path


def fold_name_path(text: str) -> str:
    """Comparison form of a category or data point path: ``A/B`` and ``a / b`` are one path.

    A malformed path (reported by its own rule) compares as plain text.
    """
    try:
        return join_path(fold_path(text))
    except PathSyntaxError:
        return fold(text)


def unique_names(
    mapping: Iterable[str],
    path: PathKey,
    what: str,
    error: Callable[..., None],
    *,
    folder: Callable[[str], str] = fold,
) -> None:
    """Report a name ``mapping`` holds twice as ``folder`` compares names (every PSA's keys)."""
    seen: dict[str, str] = {}
    for name in mapping:
        folded = folder(name)
        if folded in seen:
            error(
                (*path, name),
                f"{what} '{name}' is listed twice (as '{seen[folded]}' too); names are matched "
                "case-insensitively",
                "keep one of them",
                key=True,
            )
        else:
            seen[folded] = name
