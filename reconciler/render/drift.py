"""Views of a drift report (``reconcile drift``): text and Markdown, from its dict form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render.markdown import cell
from reconciler.render.text import api_calls_line, value_text

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
        return f"No drift. {report['checked']} object(s) match {file}. {calls}\n"
    lines = [f"Drift: {len(items)} live object(s) differ from {file}:", ""]
    for item in items:
        lines.append(f"  * {item['address']}: {STATE_TEXT.get(item['state'], item['state'])}")
        lines.extend(
            f"      {d['path']}: live {value_text(d['before'])}, YAML {value_text(d['after'])}"
            for d in item.get("diff") or []
        )
    lines.extend(["", f"{report['checked']} object(s) checked. {calls}"])
    return "\n".join(lines) + "\n"


def render_drift_markdown(report: Mapping[str, Any]) -> str:
    items = report["drift"]
    file = report.get("config_file") or "mappings.yaml"
    lines = ["<!-- reconcile-drift -->"]
    if not items:
        lines.append(f"### reconcile drift: none — live settings match `{file}`")
        return "\n".join(lines) + "\n"
    lines.append(f"### reconcile drift: {len(items)} object(s) differ from `{file}`")
    lines.extend(["", "| Object | State | Field | Live → YAML |", "|---|---|---|---|"])
    for item in items[:500]:
        diffs = item.get("diff") or [{"path": "", "before": None, "after": None}]
        for index, diff in enumerate(diffs):
            address = f"`{item['address']}`" if index == 0 else ""
            state = STATE_TEXT.get(item["state"], item["state"]) if index == 0 else ""
            before, after = cell(diff["before"]), cell(diff["after"])
            lines.append(f"| {address} | {state} | {diff['path']} | {before} → {after} |")
    if len(items) > 500:
        lines.append(f"\n… and {len(items) - 500} more; run `reconcile drift --format json`.")
    when = report.get("generated_at") or ""
    lines.extend(["", f"Checked {report['checked']} object(s) at {when}."])
    return "\n".join(lines) + "\n"
