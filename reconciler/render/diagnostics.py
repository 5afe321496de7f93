"""Diagnostics as a compiler shows them: location, message, the source line, a caret, a hint."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import Diagnostic


def format_diagnostic(diagnostic: Diagnostic, source_lines: Sequence[str] | None = None) -> str:
    """``FILE:LINE:COL: severity: message``, then the source line with a caret, then the hint."""
    where = diagnostic.location
    head = f"{where}: " if where else ""
    lines = [f"{head}{diagnostic.severity}: {diagnostic.message}"]
    if source_lines and 0 < diagnostic.line <= len(source_lines):
        # A tab shows as one space so the caret stays under the right character.
        text = source_lines[diagnostic.line - 1].rstrip("\n").replace("\t", " ")
        if len(text) <= 160 and text.isprintable():
            gutter = f"{diagnostic.line:>5} | "
            lines.append(f"{gutter}{text}")
            lines.append(" " * (len(gutter) - 2) + "| " + " " * (diagnostic.column - 1) + "^")
    if diagnostic.hint:
        lines.append(f"  hint: {diagnostic.hint}")
    return "\n".join(lines)
