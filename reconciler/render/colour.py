"""Colour for the text view, like Terraform's: on a terminal only, never from data.

The escape codes are this module's constants, added around text the view has *already* escaped
(:mod:`reconciler.render.escape`): a live value can never carry or end a colour, since every
ESC in data is shown as ``\\x1b``. :func:`use_colour` is the one decision: a terminal, and
``NO_COLOR`` unset or empty (https://no-color.org), and not ``TERM=dumb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
GREEN = "\x1b[32m"
YELLOW = "\x1b[33m"
RED = "\x1b[31m"
MAGENTA = "\x1b[35m"

MARKER_COLOUR = {"+": GREEN, "~": YELLOW, "-": RED, "!": MAGENTA, "−": RED}
"""``+`` create green, ``~`` update yellow, ``-`` delete red, ``!`` deactivate magenta (so it is
told apart from an update); ``−`` (an element removed from a list) red."""


class _Stream(Protocol):
    def isatty(self) -> bool: ...


def use_colour(stream: _Stream, environ: Mapping[str, str]) -> bool:
    """Whether the text view written to ``stream`` may be coloured."""
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or detached stream
        return False


def paint(text: str, code: str, *, colour: bool) -> str:
    """``text`` (already escaped) in ``code``, or unchanged without colour."""
    return f"{code}{text}{RESET}" if colour and text else text


def marker(symbol: str, *, colour: bool) -> str:
    return paint(symbol, MARKER_COLOUR.get(symbol, ""), colour=colour and symbol in MARKER_COLOUR)


def bold(text: str, *, colour: bool) -> str:
    return paint(text, BOLD, colour=colour)
