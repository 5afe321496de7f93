"""What "output cannot be forged by data" means, as checks every injection test shares.

Hostile pieces are what an Autotask or Salesbuildr admin can type into a name or a URL field:
code-span fences, table pipes, line breaks, HTML that closes the comment's ``<details>``, the
comment's own marker, mentions, terminal escape sequences (CSI, OSC 8 hyperlinks), bidi
overrides, zero-width characters, C1 controls, quotes, and values far over the comment's limits.
"""

from __future__ import annotations

import re
import unicodedata

from reconciler.render.markdown import LIMIT, MARKER

HOSTILE_PIECES = (
    "`",
    "``` ",
    "|",
    "\n",
    "\r\n",
    "<details>",
    "</details>",
    "</summary>",
    MARKER,
    "<!-- reconcile-drift -->",
    "@octocat",
    "<img src=x onerror=alert(1)>",
    "\x1b]8;;http://x\x07link\x1b]8;;\x07",
    "\x1b[31m",
    "\x1b[2J",
    "\x9b",
    "\x7f",
    "\x00",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200f",
    "\u2028",
    "\u2029",
    "\ufeff",
    '"',
    "\\",
    "Plan: 9 to create, 0 to update, 0 to deactivate, 0 to delete.",
    '\n  + webhooks["forged"]',
    "*bold* _it_ ~~s~~ $x$ [a](http://e)",
    "&amp;",
    "x" * 250,
)
"""Pieces hostile strings are made of (the property test joins random ones)."""

EXAMPLES = (
    "sb`companies",
    "a | b\n| forged | row | x | y |",
    "</details><img src=x onerror=alert(1)>",
    f"x{MARKER}y",
    "ping @octocat",
    "evil\x1b]8;;http://x\x07click\x1b]8;;\x07\x1b[31mred",
    "abc\u202edcba\u200b\ufeff\x9b",
    'quote" -> "faked',
    "two\nPlan: 9 to create, 0 to update, 0 to deactivate, 0 to delete.",
    "y" * 300,
)
"""Fixed hostile names, planted through the simulators by the end-to-end test."""

ALLOWED_TAGS = re.compile(r"</?(?:code|details|summary|b)>|<!-- reconcile-(?:plan|drift) -->")
TABLE_HEADERS = (
    "| Action | Object | Field | Before → After |",
    "| Object | State | Field | Live → YAML |",
)


def hidden_characters(text: str, *, allow: str = "\n") -> list[str]:
    """Characters a terminal or browser acts on or draws as nothing (besides ``allow``)."""
    hidden = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    return sorted({repr(c) for c in text if c not in allow and unicodedata.category(c) in hidden})


def assert_terminal_safe(text: str) -> None:
    assert not hidden_characters(text), (hidden_characters(text), text)


def markdown_tables(markdown: str) -> list[list[str]]:
    """The rows of each table (header and separator left out), in order."""
    tables: list[list[str]] = []
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if line in TABLE_HEADERS:
            assert lines[index + 1] == "|---|---|---|---|", lines[index : index + 2]
            rows: list[str] = []
            for row in lines[index + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(row)
            tables.append(rows)
    return tables


def assert_markdown_safe(markdown: str, *, marker: str = MARKER) -> None:
    """One marker, first; balanced sections; every table line four cells; no live HTML, mention,
    code fence or hidden character from data; under the comment's limit."""
    assert len(markdown) <= LIMIT
    assert markdown.startswith(marker + "\n")
    assert markdown.count("<!--") == 1, markdown
    assert markdown.count("<details>") == markdown.count("</details>"), markdown
    assert (
        markdown.count("<summary>") == markdown.count("</summary>") == markdown.count("<details>")
    )
    assert markdown.count("<code>") == markdown.count("</code>")
    tags = re.findall(r"</?details>", markdown)  # each section closes before the next opens
    assert tags == ["<details>", "</details>"] * (len(tags) // 2), tags
    stripped = ALLOWED_TAGS.sub("", markdown)
    assert "<" not in stripped and ">" not in stripped, stripped
    outside_code = re.sub(r"<code>.*?</code>", "", markdown)
    assert "@" not in outside_code, outside_code
    for line in markdown.split("\n"):
        if line.startswith("|"):
            assert line.count("|") == 5, line  # four cells: no pipe from data
            assert "`" not in line, line  # no code span from data
        else:
            assert "|" not in ALLOWED_TAGS.sub("", line), line
    assert not hidden_characters(markdown), hidden_characters(markdown)


def change_lines(text: str) -> list[str]:
    """The lines of a text plan that start a change: ``  + address`` and the like."""
    return [line for line in text.split("\n") if re.match(r"^  [+~\-!] ", line)]


def assert_text_plan_safe(text: str, *, pending: int, fields: int) -> None:
    """Exactly one ``Plan:`` line, one line per change (each with its marker), one per field."""
    assert_terminal_safe(text)
    lines = text.split("\n")
    assert sum(line.startswith("Plan:") for line in lines) == (1 if pending else 0), text
    assert len(change_lines(text)) == pending, text
    assert sum(line.startswith("      ") for line in lines) == fields, text
    for line in lines:  # every line is the tool's: a section, a change, a field, or a summary
        assert (
            line == ""
            or re.match(r"^  [+~\-!] ", line)
            or line.startswith("      ")
            or re.match(r"^[a-z_.]+:$", line)
            or re.match(r"^(Plan|No changes|\d+ unchanged|Drift in|  \* |Values longer than)", line)
        ), line
