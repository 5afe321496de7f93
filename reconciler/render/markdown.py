"""The Markdown view: a sticky pull-request comment, rendered from the plan's dict form.

A title with counts and risk, one collapsible section per YAML section with a table
``Action | Object | Field | Before → After``, drift in its own section, and a footer with the plan
checksum and the exact apply command. The HTML marker lets a CI job find and update its one
comment. Long plans stay under :data:`LIMIT` characters: the largest sections are summarised to
counts, pointing at the JSON artifact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.plan.integrity import plan_checksum
from reconciler.render.text import SENSITIVE

MARKER = "<!-- reconcile-plan -->"
LIMIT = 60_000
ACTION_LABEL = {
    "create": "➕ create",
    "update": "✏️ update",
    "delete": "🗑️ delete",
    "deactivate": "⏸️ deactivate",
}
RISK_LABEL = {"safe": "safe", "destructive": "⚠️ destructive", "blocked": "⛔ blocked"}


def cell(value: Any) -> str:
    if value is None:
        text = "—"
    elif value == SENSITIVE:
        text = "*(sensitive)*"
    elif isinstance(value, bool):
        text = f"`{str(value).lower()}`"
    elif isinstance(value, list | tuple):
        text = "`[" + ", ".join(str(v) for v in value) + "]`" if value else "`[]`"
    else:
        text = f"`{value}`"
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(changes: Sequence[Mapping[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    order = ("create", "update", "deactivate", "delete")
    return ", ".join(f"{counts[a]} to {a}" for a in order if counts.get(a))


def _rows(change: Mapping[str, Any]) -> list[str]:
    action = ACTION_LABEL.get(change["action"], change["action"])
    address = f"`{change['address']}`".replace("|", "\\|")
    sensitive = set(change.get("sensitive_paths") or ())
    rows: list[str] = []
    diffs = change.get("diff") or [{"path": "", "before": None, "after": None}]
    for index, diff in enumerate(diffs):
        if change["action"] == "create" and diff["after"] in (None, []):
            continue
        before = (
            SENSITIVE
            if diff["path"] in sensitive and diff["before"] is not None
            else diff["before"]
        )
        after = (
            SENSITIVE if diff["path"] in sensitive and diff["after"] is not None else diff["after"]
        )
        first = index == 0 or not rows
        rows.append(
            f"| {action if first else ''} | {address if first else ''} | {diff['path']} | "
            f"{cell(before)} → {cell(after)} |"
        )
    return rows


def _section_block(
    section: str, changes: Sequence[Mapping[str, Any]], *, full: bool, plan_file: str
) -> str:
    summary = f"<summary><b>{section}</b>: {_counts(changes)}</summary>"
    if not full:
        return (
            f"<details>{summary}\n\n{len(changes)} change(s), too many to list here: see "
            f"the JSON plan (`{plan_file}`, the CI artifact) for every field.\n\n</details>"
        )
    lines = [
        f"<details>{summary}",
        "",
        "| Action | Object | Field | Before → After |",
        "|---|---|---|---|",
    ]
    for change in changes:
        lines.extend(_rows(change))
    lines.extend(["", "</details>"])
    return "\n".join(lines)


def render_markdown(plan: Mapping[str, Any], *, plan_file: str = "plan.json") -> str:
    """The whole comment; always under :data:`LIMIT` characters."""
    summary = plan["summary"]
    pending = [c for c in plan["changes"] if c["action"] != "no-op"]
    risk = RISK_LABEL.get(plan.get("risk", "safe"), plan.get("risk", "safe"))
    file = plan.get("config_file") or "mappings.yaml"
    head = [MARKER]
    if not pending:
        head.append("### reconcile plan: no changes")
        head.append("")
        head.append(f"Live settings match `{file}`.")
    else:
        head.append(
            f"### reconcile plan: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['deactivate']} to deactivate, {summary['delete']} to delete · risk: {risk}"
        )
    targets = plan.get("targets") or {}
    where = " and ".join(
        f"{system.capitalize()} `{url}`" for system, url in sorted(targets.items())
    )
    calls = ", ".join(f"{s} {n}" for s, n in sorted((plan.get("api_calls") or {}).items()))
    head.append("")
    head.append(
        f"`{file}`"
        + (f" against {where}" if where else "")
        + f" · {summary['no_op']} unchanged object(s) checked"
        + (f" · API calls: {calls}" if calls else "")
    )
    if plan.get("blocked_reasons"):
        head.append("")
        head.append("**Blocked** — apply refuses without `--force`:")
        head.extend(f"- {reason}" for reason in plan["blocked_reasons"])
    by_section: dict[str, list[Mapping[str, Any]]] = {}
    for change in pending:
        by_section.setdefault(change["section"], []).append(change)
    drift = _drift(plan.get("drift") or [])
    diagnostics = _diagnostics(plan.get("diagnostics") or [])
    # Recomputed, never copied: it is the `checksum` field `plan --out` saved for this plan.
    checksum = plan_checksum(plan)
    foot = [
        "",
        "---",
        f"Plan checksum `{checksum}` · apply exactly this plan: `reconcile apply {plan_file}`",
    ]
    full = {section: True for section in by_section}
    while True:
        blocks = [
            _section_block(s, changes, full=full[s], plan_file=plan_file)
            for s, changes in by_section.items()
        ]
        body = "\n\n".join(blocks)
        text = "\n".join([*head, "", body, *drift, *diagnostics, *foot]) + "\n"
        if len(text) <= LIMIT or not any(full.values()):
            break
        largest = max((s for s in full if full[s]), key=lambda s: len(by_section[s]))
        full[largest] = False
    if len(text) > LIMIT:
        text = (
            text[: LIMIT - 200] + f"\n\n… truncated; see `{plan_file}`.\n" + "\n".join(foot) + "\n"
        )
    return text


def _drift(items: Sequence[Mapping[str, Any]]) -> list[str]:
    if not items:
        return []
    lines = [
        "",
        "#### Drift in observed sections (never written)",
        "",
        "| Object | State | Field | Live → YAML |",
        "|---|---|---|---|",
    ]
    for item in items[:200]:
        diffs = item.get("diff") or [{"path": "", "before": None, "after": None}]
        for index, diff in enumerate(diffs):
            address = f"`{item['address']}`" if index == 0 else ""
            state = item["state"] if index == 0 else ""
            lines.append(
                f"| {address} | {state} | {diff['path']} | "
                f"{cell(diff['before'])} → {cell(diff['after'])} |"
            )
    if len(items) > 200:
        lines.append(f"\n… and {len(items) - 200} more drifted object(s).")
    return lines


def _diagnostics(items: Sequence[Mapping[str, Any]]) -> list[str]:
    if not items:
        return []
    lines = ["", "#### Warnings", ""]
    for item in items[:50]:
        where = f"`{item['location']}` " if item.get("location") else ""
        lines.append(f"- {where}{item['message']}")
    return lines
