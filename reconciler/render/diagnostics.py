"""Diagnostics as a compiler shows them: location, message, the source line, a caret, a hint.

Messages quote live names (did-you-mean hints, ambiguities) and are one line each: the whole
message, hint and location go through :func:`terminal`, so a name cannot start a line or reach
the terminal as a control sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import Diagnostic
from reconciler.render.escape import terminal
from reconciler.warning_ids import labelled


def format_diagnostic(diagnostic: Diagnostic, source_lines: Sequence[str] | None = None) -> str:
    """``FILE:LINE:COL: severity: message`` (a warning: ``warning[its_id]``), then the source
    line with a caret, then the hint."""
    where = diagnostic.location
    head = f"{terminal(where)}: " if where else ""
    label = labelled(diagnostic.id) if diagnostic.id else terminal(diagnostic.severity)
    lines = [f"{head}{label}: {terminal(diagnostic.message)}"]
    if source_lines and 0 < diagnostic.line <= len(source_lines):
        # A tab shows as one space so the caret stays under the right character.
        text = source_lines[diagnostic.line - 1].rstrip("\n").replace("\t", " ")
        # Only a printable line is shown: isprintable() is False for every hidden character.
        if len(text) <= 160 and text.isprintable():
            gutter = f"{diagnostic.line:>5} | "
            lines.append(f"{gutter}{text}")
            lines.append(" " * (len(gutter) - 2) + "| " + " " * (diagnostic.column - 1) + "^")
    if diagnostic.hint:
        lines.append(f"  hint: {terminal(diagnostic.hint)}")
    return "\n".join(lines)
