"""The text view of a plan, rendered from its dict form (never from provider objects).

Quiet by design: unchanged objects are counted, not listed; each change is one line with its
symbol (``+`` create, ``~`` update, ``-`` delete, ``!`` deactivate) and the fields that change
beneath it, ``before -> after``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.render.escape import terminal, text_value

SYMBOL = {"create": "+", "update": "~", "delete": "-", "deactivate": "!"}
SENSITIVE = "(sensitive)"


def value_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == SENSITIVE:
        return SENSITIVE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return text_value(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return terminal(value)


def field_lines(change: Mapping[str, Any], indent: str = "      ") -> list[str]:
    lines = []
    action = change["action"]
    sensitive = set(change.get("sensitive_paths") or ())
    for diff in change.get("diff") or []:
        path = diff["path"]
        shown = terminal(path)
        before = SENSITIVE if path in sensitive and diff["before"] is not None else diff["before"]
        after = SENSITIVE if path in sensitive and diff["after"] is not None else diff["after"]
        if action == "create":
            if after is None or after == []:
                continue  # quiet: an empty attribute of a new object says nothing
            lines.append(f"{indent}{shown} = {value_text(after)}")
        elif action == "delete":
            lines.append(f"{indent}{shown} = {value_text(before)}")
        else:
            lines.append(f"{indent}{shown}: {value_text(before)} -> {value_text(after)}")
    return lines


def summary_line(summary: Mapping[str, int]) -> str:
    return (
        f"Plan: {summary['create']} to create, {summary['update']} to update, "
        f"{summary['deactivate']} to deactivate, {summary['delete']} to delete."
    )


def api_calls_line(api_calls: Mapping[str, int]) -> str:
    if not api_calls:
        return "API calls: none."
    counts = sorted(api_calls.items())
    parts = ", ".join(f"{terminal(system)} {terminal(n)}" for system, n in counts)
    return f"API calls: {parts}."


def render_changes(plan: Mapping[str, Any], *, verbose: bool = False) -> list[str]:
    lines: list[str] = []
    current_section = None
    for change in plan["changes"]:
        if change["action"] == "no-op" and not verbose:
            continue
        if change["section"] != current_section:
            current_section = change["section"]
            if lines:
                lines.append("")
            lines.append(f"{terminal(current_section)}:")
        symbol = SYMBOL.get(change["action"], " ")
        reason = (
            f"  ({terminal(change['reason'])})"
            if change["action"] in ("delete", "deactivate")
            else ""
        )
        lines.append(f"  {symbol} {terminal(change['address'])}{reason}")
        lines.extend(field_lines(change))
    return lines


def render_drift(drift: Sequence[Mapping[str, Any]]) -> list[str]:
    if not drift:
        return []
    lines = ["", "Drift in observed sections (never written):"]
    for item in drift:
        lines.append(f"  * {terminal(item['address'])}: {terminal(item['state'])}")
        lines.extend(drift_diff_lines(item))
    return lines


def drift_diff_lines(item: Mapping[str, Any]) -> list[str]:
    """``path: live "x", YAML "y"`` for each field of a drifted object."""
    return [
        f"      {terminal(d['path'])}: live {value_text(d['before'])}, "
        f"YAML {value_text(d['after'])}"
        for d in item.get("diff") or []
    ]


def render_plan(plan: Mapping[str, Any], *, verbose: bool = False) -> str:
    """The whole text view."""
    file = plan.get("config_file") or "mappings.yaml"
    summary = plan["summary"]
    pending = sum(summary[k] for k in ("create", "update", "delete", "deactivate"))
    lines: list[str] = []
    if pending == 0:
        lines.append(f"No changes. Live settings match {terminal(file)}.")
    else:
        lines.extend(render_changes(plan, verbose=verbose))
        lines.append("")
        lines.append(summary_line(summary))
    lines.extend(render_drift(plan.get("drift") or []))
    if plan.get("blocked_reasons"):
        lines.append("")
        lines.append("Blocked: apply will refuse without --force:")
        lines.extend(f"  - {terminal(reason)}" for reason in plan["blocked_reasons"])
    checked = summary["no_op"]
    lines.append(
        f"{checked} unchanged object(s) checked. {api_calls_line(plan.get('api_calls') or {})}"
    )
    return "\n".join(lines) + "\n"
