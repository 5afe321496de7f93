"""Views of a drift report (``reconcile drift``): text and Markdown, from its dict form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render.escape import markdown_code, markdown_text, terminal
from reconciler.render.markdown import Cells
from reconciler.render.text import api_calls_line, drift_diff_lines

STATE_TEXT = {
    "missing": "in the YAML, not live",
    "differs": "differs",
    "unlisted": "live, not in the YAML",
}


def render_drift_text(report: Mapping[str, Any]) -> str:
    items = report["drift"]
    file = report.get("config_file") or "mappings.yaml"
    calls = api_calls_line(report.get("api_calls") or {})
    if not items:
        checked = terminal(report["checked"])
        return f"No drift. {checked} object(s) match {terminal(file)}. {calls}\n"
    lines = [f"Drift: {len(items)} live object(s) differ from {terminal(file)}:", ""]
    for item in items:
        state = terminal(STATE_TEXT.get(item["state"], item["state"]))
        lines.append(f"  * {terminal(item['address'])}: {state}")
        lines.extend(drift_diff_lines(item))
    lines.extend(["", f"{terminal(report['checked'])} object(s) checked. {calls}"])
    return "\n".join(lines) + "\n"


def render_drift_markdown(report: Mapping[str, Any]) -> str:
    items = report["drift"]
    file = report.get("config_file") or "mappings.yaml"
    lines = ["<!-- reconcile-drift -->"]
    if not items:
        lines.append(f"### reconcile drift: none — live settings match {markdown_code(file)}")
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
    when = markdown_text(report.get("generated_at") or "")
    lines.extend(["", f"Checked {markdown_text(report['checked'])} object(s) at {when}."])
    return "\n".join(lines) + "\n"
