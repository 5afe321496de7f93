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
from reconciler.render.budgets import markdown_footer
from reconciler.render.diff import SCALAR_LIMIT, describe, list_diff
from reconciler.render.escape import (
    ELLIPSIS,
    VALUE_LIMIT,
    is_shortened,
    markdown_code,
    markdown_text,
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


class Cells:
    """Table cells of data values, each through :func:`markdown_code`; remembers whether any
    value was shortened, so the comment can say where the full value is."""

    def __init__(self) -> None:
        self.shortened = False

    def code(self, text: Any, *, limit: int = VALUE_LIMIT) -> str:
        self.shortened = self.shortened or is_shortened(text, limit)
        return markdown_code(text, limit=limit)

    def __call__(self, value: Any) -> str:
        """A whole value: a scalar shortened to :data:`SCALAR_LIMIT`, a list to
        :data:`VALUE_LIMIT` characters."""
        if value is None:
            return "—"
        if value == SENSITIVE:
            return "*(sensitive)*"
        if isinstance(value, bool):
            return self.code(str(value).lower())
        if isinstance(value, list | tuple):
            return self.code("[" + ", ".join(str(v) for v in value) + "]")
        return self.code(value, limit=SCALAR_LIMIT)

    def change(self, diff: Mapping[str, Any], before: Any, after: Any, sensitive: Any) -> str:
        """The ``Before → After`` cell: element-wise for a list attribute of an update."""
        found = list_diff(diff, sensitive)
        if found is None:
            return f"{self(before)} → {self(after)}"
        return describe(found, element=self, position=markdown_text, arrow="→")

    @staticmethod
    def note(where: str) -> str:
        return (
            f"Values longer than {SCALAR_LIMIT} characters are shortened here ({ELLIPSIS}); "
            f"{where} has each in full."
        )


def _counts(changes: Sequence[Mapping[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    order = ("create", "update", "deactivate", "delete")
    return ", ".join(f"{counts[a]} to {a}" for a in order if counts.get(a))


def _rows(change: Mapping[str, Any], cell: Cells) -> list[str]:
    action = ACTION_LABEL.get(change["action"]) or markdown_text(change["action"])
    address = cell.code(change["address"])
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
        shown = (
            cell.change(diff, before, after, sensitive)
            if change["action"] == "update"
            else f"{cell(before)} → {cell(after)}"
        )
        rows.append(
            f"| {action if first else ''} | {address if first else ''} | "
            f"{markdown_text(diff['path'])} | {shown} |"
        )
    return rows


def _section_block(
    section: str,
    changes: Sequence[Mapping[str, Any]],
    *,
    full: bool,
    where: str,
    cell: Cells,
    room: int | None = None,
) -> str | None:
    """The section's ``<details>``: its table, or (not ``full``) its counts and where the full
    plan is. None when the table would exceed ``room`` characters (rendering stops there)."""
    summary = f"<summary><b>{markdown_text(section)}</b>: {_counts(changes)}</summary>"
    if not full:
        return (
            f"<details>{summary}\n\n{len(changes)} change(s), too many to list here: see "
            f"{where} for every field.\n\n</details>"
        )
    lines = [
        f"<details>{summary}",
        "",
        "| Action | Object | Field | Before → After |",
        "|---|---|---|---|",
    ]
    size = 0
    for change in changes:
        rows = _rows(change, cell)
        size += sum(len(row) + 1 for row in rows)
        if room is not None and size > room:
            return None
        lines.extend(rows)
    lines.extend(["", "</details>"])
    return "\n".join(lines)


def _json_ref(plan_file: str | None) -> str:
    """Where the whole plan is: the file ``--out`` saved, else the JSON view (nothing saved)."""
    return markdown_code(plan_file or "reconcile plan --format json")


def full_plan_at(plan_file: str, *, artifact: str | None = None, job_summary: bool = False) -> str:
    """Where a summarised comment says the full plan is: the CI artifact by the name the Action
    gives it (``reconcile-plan``), and the job summary when the CI step writes one there."""
    file = markdown_code(plan_file)
    place = (
        f"the artifact {markdown_code(artifact)} ({file})"
        if artifact
        else f"the JSON plan ({file}, the CI artifact)"
    )
    return ("this run's job summary and " if job_summary else "") + place


def render_markdown(
    plan: Mapping[str, Any],
    *,
    plan_file: str | None = "plan.json",
    limit: int = LIMIT,
    artifact: str | None = None,
    job_summary: bool = False,
    titles: Mapping[str, str] | None = None,
) -> str:
    """The whole comment; always under ``limit`` characters (:data:`LIMIT`: a GitHub comment).

    ``titles`` names the systems of the plan's targets as a person reads them (the PSA's title,
    "HaloPSA"); a system it does not name is shown capitalised.

    Over it, the largest sections shrink to their counts per action, one at a time, and the
    comment says where the full plan is (:func:`full_plan_at`: ``artifact``, ``job_summary``).
    ``plan_file`` is the file the plan was saved to; None: it was not saved, and the comment
    names no file to apply (the JSON view has the whole plan).
    """
    pending = [c for c in plan["changes"] if c["action"] != "no-op"]
    by_section: dict[str, list[Mapping[str, Any]]] = {}
    for change in pending:
        by_section.setdefault(change["section"], []).append(change)
    cell = Cells()
    tail = [
        *_kept(plan.get("kept") or []),
        *_drift(plan.get("drift") or [], cell),
        *_diagnostics(plan.get("diagnostics") or []),
    ]
    where = (
        full_plan_at(plan_file, artifact=artifact, job_summary=job_summary)
        if plan_file
        else f"the JSON view ({_json_ref(None)})"
    )
    layout = _Layout(by_section, where, cell, limit)
    head = _head(plan, pending, titles or {})
    return layout.fit(head, tail, _foot(plan, plan_file), plan_file)


def _title(plan: Mapping[str, Any], pending: Sequence[Mapping[str, Any]], file: str) -> list[str]:
    summary = plan["summary"]
    if pending:
        risk = RISK_LABEL.get(plan.get("risk", "safe")) or markdown_text(plan.get("risk"))
        return [
            f"### reconcile plan: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['deactivate']} to deactivate, {summary['delete']} to delete · risk: {risk}"
        ]
    if not plan.get("kept") and not is_targeted(plan):
        return ["### reconcile plan: no changes", "", f"Live settings match {file}."]
    targeted = "No changes to the targeted objects (targeting in effect)."
    return ["### reconcile plan: no changes", "", targeted if is_targeted(plan) else "No changes."]


def _head(
    plan: Mapping[str, Any], pending: Sequence[Mapping[str, Any]], titles: Mapping[str, str]
) -> list[str]:
    """The marker, the title, what was compared against what, and why apply would refuse."""
    file = markdown_code(plan.get("config_file") or "mappings.yaml")
    head = [MARKER, *_title(plan, pending, file)]
    where = " and ".join(
        f"{markdown_text(titles.get(str(system)) or str(system).capitalize())} {markdown_code(url)}"
        for system, url in sorted((plan.get("targets") or {}).items())
    )
    calls = ", ".join(
        f"{markdown_text(s)} {markdown_text(n)}"
        for s, n in sorted((plan.get("api_calls") or {}).items())
    )
    if plan.get("kept"):
        config = plan.get("config_file") or "mappings.yaml"
        head.extend(["", kept_summary(plan["kept"], config, markdown_code)])
    if is_targeted(plan):
        head.extend(
            ["", "**Warning: targeting in effect** — this plan covers only part of the file."]
        )
    head.append("")
    head.append(
        file
        + (f" against {where}" if where else "")
        + f" · {plan['summary']['no_op']} unchanged object(s) checked"
        + (f" · API calls: {calls}" if calls else "")
    )
    if plan.get("blocked_reasons"):
        head.append("")
        head.append("**Blocked** — apply refuses without `--force`:")
        head.extend(f"- {markdown_text(reason)}" for reason in plan["blocked_reasons"])
    return head


def _foot(plan: Mapping[str, Any], plan_file: str | None) -> list[str]:
    # Recomputed, never copied: it is the `checksum` field `plan --out` saved for this plan.
    checksum = plan_checksum(plan)
    apply = (
        f"Plan checksum `{checksum}` · apply exactly this plan: "
        f"{markdown_code('reconcile apply ' + plan_file, limit=LIMIT)}"
        if plan_file
        else f"Plan checksum `{checksum}` · not saved: to apply exactly this plan, make it with "
        f"{markdown_code('reconcile plan --out plan.json')}"
    )
    return ["", "---", *markdown_footer(plan), apply]


class _Layout:
    """Which sections show their table: all that fit, the largest shrunk to counts first."""

    def __init__(
        self,
        by_section: Mapping[str, Sequence[Mapping[str, Any]]],
        where: str,
        cell: Cells,
        limit: int,
    ) -> None:
        self.by_section, self.where, self.cell, self.limit = by_section, where, cell, limit
        self.detailed: dict[str, tuple[str, Cells]] = {}  # section -> its full block, rendered once
        self.full = {section: True for section in by_section}
        for section, changes in by_section.items():
            own = Cells()
            table = _section_block(section, changes, full=True, where=where, cell=own, room=limit)
            if table is None:  # longer than the whole comment: only its counts can be shown
                self.full[section] = False
            else:
                self.detailed[section] = (table, own)

    def block(self, section: str) -> str:
        if self.full[section]:
            return self.detailed[section][0]
        changes = self.by_section[section]
        return str(_section_block(section, changes, full=False, where=self.where, cell=self.cell))

    def shortened(self) -> bool:
        return self.cell.shortened or any(
            self.detailed[s][1].shortened for s in self.full if self.full[s]
        )

    def fit(self, head: list[str], tail: list[str], foot: list[str], plan_file: str | None) -> str:
        full = self.full
        while True:
            blocks = [self.block(s) for s in self.by_section]
            note = ["", self.cell.note(f"the JSON plan ({_json_ref(plan_file)})")]
            summarised = (
                [
                    "",
                    "**Summarised**: the whole plan does not fit in one comment; the sections "
                    f"below without a table show their counts only. The full plan: {self.where}.",
                ]
                if not all(full.values())
                else []
            )
            body = [*head, *summarised, "", "\n\n".join(blocks), *tail]
            text = "\n".join([*body, *(note if self.shortened() else []), *foot]) + "\n"
            if len(text) <= self.limit or not any(full.values()):
                break
            largest = max((s for s in full if full[s]), key=lambda s: len(self.by_section[s]))
            full[largest] = False
        if len(text) > self.limit:
            text = _cut("\n".join(body), where=self.where, foot=[*note, *foot], limit=self.limit)
        return text


def _cut(body: str, *, where: str, foot: Sequence[str], limit: int) -> str:
    """The first whole lines of ``body`` that fit, any open ``<details>`` closed, then the foot."""
    end = [f"… truncated; see {where}.", *foot]
    room = limit - len("\n".join(end)) - 100
    kept: list[str] = []
    size = 0
    for line in body.split("\n"):
        if size + len(line) + 1 > room:
            break
        kept.append(line)
        size += len(line) + 1
    shown = "\n".join(kept)
    opened = shown.count("<details>") - shown.count("</details>")
    return "\n".join([*kept, *(["", "</details>"] * opened), "", *end]) + "\n"


def _kept(kept: Sequence[Mapping[str, Any]]) -> list[str]:
    """A collapsible block per additive section: count, how to delete, the first addresses."""
    lines: list[str] = []
    for section, addresses in kept_by_section(kept).items():
        lines.extend(
            [
                "",
                f"<details><summary><b>{markdown_text(section)}</b>: {objects(len(addresses))} "
                "kept (additive; not in the YAML, apply leaves them)</summary>",
                "",
                f"To delete them, set {markdown_code(full_setting(section))}.",
                "",
                *(f"- {markdown_code(a)}" for a in addresses[:LISTED_PER_SECTION]),
            ]
        )
        if len(addresses) > LISTED_PER_SECTION:
            lines.append(f"- … {len(addresses) - LISTED_PER_SECTION} more")
        lines.extend(["", "</details>"])
    return lines


def _drift(items: Sequence[Mapping[str, Any]], cell: Cells) -> list[str]:
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
            address = cell.code(item["address"]) if index == 0 else ""
            state = markdown_text(item["state"]) if index == 0 else ""
            lines.append(
                f"| {address} | {state} | {markdown_text(diff['path'])} | "
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
        where = f"{markdown_code(item['location'])} " if item.get("location") else ""
        label = markdown_text(warning_label(item))
        lines.append(f"- {where}{label}: {markdown_text(item['message'], limit=2 * VALUE_LIMIT)}")
    return lines
