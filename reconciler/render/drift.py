"""Views of a drift report (``reconcile drift``): text and Markdown, from its dict form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render.escape import markdown_code, markdown_text, terminal, terminal_short
from reconciler.render.kept import LISTED_PER_SECTION, full_setting, kept_by_section, kept_summary
from reconciler.render.markdown import Cells
from reconciler.render.text import api_calls_line, drift_diff_lines, shortened_note

STATE_TEXT = {
    "missing": "in the YAML, not live",
    "differs": "differs",
    "unlisted": "live, not in the YAML",
}
KEPT_STATE = "unlisted (kept)"


def _kept_text(report: Mapping[str, Any]) -> list[str]:
    """Kept objects after the drift: listed, never counted as drift (nor in the exit code)."""
    kept = report.get("kept") or []
    if not kept:
        return []
    file = report.get("config_file") or "mappings.yaml"
    lines = ["", kept_summary(kept, file, terminal)]
    for section, addresses in kept_by_section(kept).items():
        listed = addresses[:LISTED_PER_SECTION]
        lines.extend(f"  * {terminal_short(a)}: {KEPT_STATE}" for a in listed)
        if len(addresses) > LISTED_PER_SECTION:
            lines.append(f"    … {len(addresses) - LISTED_PER_SECTION} more")
        lines.append(f"    to delete, set `{terminal(full_setting(section))}`")
    return lines


def render_drift_text(report: Mapping[str, Any]) -> str:
    items = report["drift"]
    file = report.get("config_file") or "mappings.yaml"
    calls = api_calls_line(report.get("api_calls") or {})
    if not items:
        checked = terminal(report["checked"])
        if not report.get("kept"):
            return f"No drift. {checked} object(s) match {terminal(file)}. {calls}\n"
        lines = [
            f"No drift in the {checked} object(s) {terminal(file)} lists.",
            *_kept_text(report),
        ]
        return "\n".join([*lines, "", calls]) + "\n"
    lines = [f"Drift: {len(items)} live object(s) differ from {terminal(file)}:", ""]
    for item in items:
        state = terminal(STATE_TEXT.get(item["state"], item["state"]))
        lines.append(f"  * {terminal_short(item['address'])}: {state}")
        lines.extend(drift_diff_lines(item))
    lines.extend(_kept_text(report))
    note = shortened_note(items)  # drift_diff_lines shortens long values
    lines.extend(["", *note] if note else [])
    lines.extend(["", f"{terminal(report['checked'])} object(s) checked. {calls}"])
    return "\n".join(lines) + "\n"


def render_drift_markdown(report: Mapping[str, Any]) -> str:
    items = report["drift"]
    file = report.get("config_file") or "mappings.yaml"
    kept = report.get("kept") or []
    lines = ["<!-- reconcile-drift -->"]
    if not items and not kept:
        lines.append(f"### reconcile drift: none — live settings match {markdown_code(file)}")
        return "\n".join(lines) + "\n"
    if not items:
        lines.append(f"### reconcile drift: none in the objects {markdown_code(file)} lists")
        lines.extend(["", kept_summary(kept, file, markdown_code), *_kept_markdown(kept)])
        return "\n".join(lines) + "\n"
    lines.append(f"### reconcile drift: {len(items)} object(s) differ from {markdown_code(file)}")
    lines.extend(["", "| Object | State | Field | Live → YAML |", "|---|---|---|---|"])
    cell = Cells()
    for item in items[:500]:
        diffs = item.get("diff") or [{"path": "", "before": None, "after": None}]
        for index, diff in enumerate(diffs):
            address = cell.code(item["address"]) if index == 0 else ""
            state = (
                markdown_text(STATE_TEXT.get(item["state"], item["state"])) if index == 0 else ""
            )
            before, after = cell(diff["before"]), cell(diff["after"])
            path = markdown_text(diff["path"])
            lines.append(f"| {address} | {state} | {path} | {before} → {after} |")
    if len(items) > 500:
        lines.append(f"\n… and {len(items) - 500} more; run `reconcile drift --format json`.")
    if cell.shortened:
        lines.append(f"\n{cell.note('reconcile drift --format json')}")
    if kept:
        lines.extend(["", kept_summary(kept, file, markdown_code), *_kept_markdown(kept)])
    when = markdown_text(report.get("generated_at") or "")
    lines.extend(["", f"Checked {markdown_text(report['checked'])} object(s) at {when}."])
    return "\n".join(lines) + "\n"


def _kept_markdown(kept: Any) -> list[str]:
    lines = ["", "| Object | State |", "|---|---|"]
    for item in kept[:500]:
        lines.append(f"| {markdown_code(item['address'])} | {markdown_text(KEPT_STATE)} |")
    if len(kept) > 500:
        lines.append(f"\n… and {len(kept) - 500} more; run `reconcile drift --format json`.")
    lines.append("")
    lines.extend(
        f"To delete those in {markdown_text(section)}, set {markdown_code(full_setting(section))}."
        for section in kept_by_section(kept)
    )
    return lines
