"""The budgets line of a plan's footer, from the plan's dict form (its ``budgets`` object).

``Budgets: Autotask 9,812 of 10,000 requests left this hour; Salesbuildr 118 of 500 left in this
window.`` Every value passes the view's escaping function (a saved plan is a file anyone can
edit): the text view gives :func:`~reconciler.render.escape.terminal`, Markdown
:func:`~reconciler.render.escape.markdown_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.render.escape import markdown_text, terminal

Escape = Callable[[object], str]

NAMES = {"autotask": "Autotask", "salesbuildr": "Salesbuildr"}
ORDER = ("autotask", "salesbuildr")


def _count(value: Any, escape: Escape) -> str:
    return escape(f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value)


def _window(system: str, window_s: Any) -> str:
    if system == "autotask" and window_s == 3600:
        return "this hour"
    return "in this window"


def _part(system: str, budget: Mapping[str, Any], escape: Escape, *, first: bool) -> str:
    name = NAMES.get(system) or escape(system)
    remaining = _count(budget.get("remaining"), escape)
    limit = _count(budget.get("limit"), escape)
    noun = " requests" if first else ""
    text = f"{name} {remaining} of {limit}{noun} left {_window(system, budget.get('window_s'))}"
    if budget.get("retry_at"):
        text += f" (rate limited until {escape(budget['retry_at'])})"
    return text


def budgets_line(plan: Mapping[str, Any], escape: Escape) -> str | None:
    """The line, or None when the plan has no budgets (made without a reading)."""
    budgets = plan.get("budgets") or {}
    if not isinstance(budgets, Mapping) or not budgets:
        return None
    systems = [s for s in ORDER if s in budgets] + sorted(s for s in budgets if s not in ORDER)
    shown = [s for s in systems if isinstance(budgets[s], Mapping)]
    parts = [_part(s, budgets[s], escape, first=i == 0) for i, s in enumerate(shown)]
    return "Budgets: " + "; ".join(parts) + "." if parts else None


def text_footer(plan: Mapping[str, Any]) -> list[str]:
    """The text view's budgets line (none without budgets)."""
    line = budgets_line(plan, terminal)
    return [line] if line else []


def markdown_footer(plan: Mapping[str, Any]) -> list[str]:
    """The Markdown comment's budgets paragraph (none without budgets)."""
    line = budgets_line(plan, markdown_text)
    return [line, ""] if line else []
