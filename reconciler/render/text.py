"""The text view of a plan, rendered from its dict form (never from provider objects).

Quiet by design: unchanged objects are counted, not listed; each change is one line with its
symbol (``+`` create, ``~`` update, ``-`` delete, ``!`` deactivate) and the fields that change
beneath it, ``before -> after``; a list attribute element-wise (:mod:`reconciler.render.diff`),
a long value shortened. With ``colour`` (a terminal: :func:`reconciler.render.colour.use_colour`)
the symbols are coloured and the summary bold, around text already escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from reconciler.render.budgets import text_footer
from reconciler.render.colour import bold, marker
from reconciler.render.diff import (
    SCALAR_LIMIT,
    describe,
    has_long_value,
    is_plain,
    list_diff,
    shortened,
)
from reconciler.render.escape import (
    ELLIPSIS,
    VALUE_LIMIT,
    is_shortened,
    terminal,
    terminal_short,
    text_value,
)
from reconciler.render.kept import (
    LISTED_PER_SECTION,
    full_setting,
    is_targeted,
    kept_by_section,
    kept_summary,
    objects,
    warning_label,
)

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
        return text_value(shortened(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return terminal(value)


def element_text(value: Any) -> str:
    """A list element: a plain label as it is (``Phone``), anything else as a quoted value."""
    return terminal(value) if is_plain(value) else value_text(value)


def field_lines(
    change: Mapping[str, Any], indent: str = "      ", *, colour: bool = False
) -> list[str]:
    lines = []
    action = change["action"]
    sensitive = set(change.get("sensitive_paths") or ())
    for diff in change.get("diff") or []:
        path = diff["path"]
        shown = terminal(path)
        before = SENSITIVE if path in sensitive and diff["before"] is not None else diff["before"]
        after = SENSITIVE if path in sensitive and diff["after"] is not None else diff["after"]
        elements = list_diff(diff, sensitive) if action == "update" else None
        if action == "create":
            if after is None or after == []:
                continue  # quiet: an empty attribute of a new object says nothing
            lines.append(f"{indent}{shown} = {value_text(after)}")
        elif action == "delete":
            lines.append(f"{indent}{shown} = {value_text(before)}")
        elif elements is not None:
            mark = partial(marker, colour=colour)
            lines.append(f"{indent}{shown}: {describe(elements, element=element_text, mark=mark)}")
        else:
            lines.append(f"{indent}{shown}: {value_text(before)} -> {value_text(after)}")
    return lines


def shortened_note(changes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The note under a view that shortened a value or an address, naming where it is in full."""
    diffs = [d for c in changes for d in c.get("diff") or []]
    addresses = any(is_shortened(c.get("address") or "") for c in changes)
    if not addresses and not has_long_value(diffs):
        return []
    what = f"Values longer than {SCALAR_LIMIT} characters"
    if addresses:
        what += f" and addresses longer than {VALUE_LIMIT}"
    return [f"{what} are shortened here ({ELLIPSIS}); `--format json` shows each in full."]


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


def render_changes(
    plan: Mapping[str, Any], *, verbose: bool = False, colour: bool = False
) -> list[str]:
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
        symbol = marker(SYMBOL.get(change["action"], " "), colour=colour)
        reason = (
            f"  ({terminal(change['reason'])})"
            if change["action"] in ("delete", "deactivate")
            else ""
        )
        lines.append(f"  {symbol} {terminal_short(change['address'])}{reason}")
        lines.extend(field_lines(change, colour=colour))
    return lines


def render_drift(drift: Sequence[Mapping[str, Any]]) -> list[str]:
    if not drift:
        return []
    lines = ["", "Drift in observed sections (never written):"]
    for item in drift:
        lines.append(f"  * {terminal_short(item['address'])}: {terminal(item['state'])}")
        lines.extend(drift_diff_lines(item))
    return lines


def drift_diff_lines(item: Mapping[str, Any]) -> list[str]:
    """``path: live "x", YAML "y"`` for each field of a drifted object."""
    return [
        f"      {terminal(d['path'])}: live {value_text(d['before'])}, "
        f"YAML {value_text(d['after'])}"
        for d in item.get("diff") or []
    ]


def render_kept(kept: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per section: the count, how to delete them, the first addresses and ``… N more``."""
    if not kept:
        return []
    lines = ["", "Kept (additive sections; apply leaves these live objects alone):"]
    for section, addresses in kept_by_section(kept).items():
        lines.append(
            f"  {terminal(section)}: {objects(len(addresses))}; to delete, "
            f"set `{terminal(full_setting(section))}`"
        )
        lines.extend(f"    = {terminal_short(a)}" for a in addresses[:LISTED_PER_SECTION])
        if len(addresses) > LISTED_PER_SECTION:
            lines.append(f"    … {len(addresses) - LISTED_PER_SECTION} more")
    return lines


def headline(plan: Mapping[str, Any]) -> list[str]:
    """The first line(s) when nothing changes: "match" only when that is the whole truth."""
    file = plan.get("config_file") or "mappings.yaml"
    kept = plan.get("kept") or []
    targeted = is_targeted(plan)
    if not kept and not targeted:
        return [f"No changes. Live settings match {terminal(file)}."]
    # "No changes." first: scripts and people look for it; then what is not the whole truth.
    parts = ["No changes."]
    if targeted:
        parts.append("Only the targeted objects were compared (targeting in effect).")
    if kept:
        parts.append(kept_summary(kept, file, terminal))
    return [" ".join(parts)]


def targeting_lines(plan: Mapping[str, Any]) -> list[str]:
    return [
        f"{warning_label(d)}: {terminal(d['message'])}"
        for d in plan.get("diagnostics") or []
        if is_targeted({"diagnostics": [d]})
    ]


def render_plan(plan: Mapping[str, Any], *, verbose: bool = False, colour: bool = False) -> str:
    """The whole text view; ``colour`` only for a terminal (escape codes of our own)."""
    file = plan.get("config_file") or "mappings.yaml"
    summary = plan["summary"]
    pending = sum(summary[k] for k in ("create", "update", "delete", "deactivate"))
    kept = plan.get("kept") or []
    lines: list[str] = targeting_lines(plan)
    if lines:
        lines.append("")
    if pending == 0:
        lines.extend(headline(plan))
    else:
        lines.extend(render_changes(plan, verbose=verbose, colour=colour))
        lines.append("")
        lines.append(
            bold(summary_line(summary), colour=colour)
            + (" " + kept_summary(kept, file, terminal) if kept else "")
        )
    lines.extend(render_kept(kept))
    lines.extend(render_drift(plan.get("drift") or []))
    shown = [c for c in plan["changes"] if verbose or c["action"] != "no-op"]
    note = shortened_note([*shown, *(plan.get("drift") or [])])
    if note:
        lines.extend(["", *note])
    if plan.get("blocked_reasons"):
        lines.append("")
        lines.append("Blocked: apply will refuse without --force:")
        lines.extend(f"  - {terminal(reason)}" for reason in plan["blocked_reasons"])
    checked = summary["no_op"]
    lines.append(
        f"{checked} unchanged object(s) checked. {api_calls_line(plan.get('api_calls') or {})}"
    )
    lines.extend(text_footer(plan))
    return "\n".join(lines) + "\n"
