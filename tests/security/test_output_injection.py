"""Output cannot be forged by data (issue 15, item 4): Markdown and terminal injection.

Random hostile strings (escape_support.HOSTILE_PIECES joined at random) go as names, addresses,
field paths, values, messages and URLs through every view, built from plan dicts directly: the
text plan, the Markdown comment, drift as text and Markdown, diagnostics, the CLI's error
printer and its tables (``webhooks status``). Each view must keep its structure: one ``Plan:``
line and one marked line per change; in Markdown one comment marker, balanced ``<details>``,
exactly the expected rows of four cells per table, no live HTML, mention or code fence from data;
and no control, bidi or zero-width character anywhere. The end-to-end half plants hostile names
through the simulators and runs the real commands.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escape_support import (
    HOSTILE_PIECES,
    assert_markdown_safe,
    assert_terminal_safe,
    assert_text_plan_safe,
    hidden_characters,
    markdown_tables,
)

from reconciler.cli import _report
from reconciler.cli.operations import _table
from reconciler.errors import ConfigError, Diagnostic, ReconcileError
from reconciler.plan import Action, Change, DriftItem, FieldDiff, Plan, Risk
from reconciler.plan.model import PlanDiagnostic
from reconciler.render.diagnostics import format_diagnostic
from reconciler.render.diff import SCALAR_LIMIT
from reconciler.render.drift import render_drift_markdown, render_drift_text
from reconciler.render.escape import (
    markdown_code,
    terminal,
    terminal_short,
    text_value,
)
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECTIONS = ("billing_codes", "company_types", "webhooks")

hostile = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.text(max_size=4), min_size=1, max_size=6
).map("".join)
value = hostile | st.lists(hostile, max_size=3) | st.booleans() | st.integers()


@st.composite
def changes(draw: st.DrawFn) -> list[Change]:
    drawn = []
    for section in SECTIONS:
        for _ in range(draw(st.integers(0, 3))):
            action = draw(st.sampled_from([Action.CREATE, Action.UPDATE, Action.DELETE]))
            diffs = tuple(
                FieldDiff(
                    draw(hostile),
                    None if action is Action.CREATE else draw(value),
                    # A new object's empty attribute is not shown: every drawn one is.
                    None
                    if action is Action.DELETE
                    else draw(hostile if action is Action.CREATE else value),
                )
                for _ in range(draw(st.integers(1, 3)))
            )
            name = draw(hostile)
            drawn.append(
                Change(
                    address=f'{section}["{name}"]',
                    kind=section,
                    key=name,
                    section=section,
                    owner="salesbuildr",
                    action=action,
                    before=None,
                    after=None,
                    diff=diffs,
                    reason=draw(hostile),
                )
            )
    return drawn


drift_items = st.lists(
    st.builds(
        DriftItem,
        address=hostile,
        kind=st.just("udf"),
        section=st.just("opportunity"),
        state=st.sampled_from(["differs", "missing", "unlisted"]),
        diff=st.lists(st.builds(FieldDiff, hostile, value, value), max_size=2).map(tuple),
    ),
    max_size=3,
)


def plan_of(drawn: list[Change], drift: list[DriftItem], extra: list[str]) -> dict[str, Any]:
    return Plan(
        changes=tuple(drawn),
        risk=Risk.SAFE,
        drift=tuple(drift),
        diagnostics=tuple(PlanDiagnostic("warning", text, location=text) for text in extra),
        targets={"autotask": extra[0] if extra else "https://x", "salesbuildr": "https://y"},
        config_file=extra[-1] if extra else "mappings.yaml",
        generated_at="2026-12-02T00:00:00Z",
    ).to_dict()


def expected_rows(drawn: list[Change]) -> list[int]:
    return [
        sum(len(c.diff) for c in drawn if c.section == s)
        for s in SECTIONS
        if any(c.section == s for c in drawn)
    ]


@PROPERTY
@given(changes(), drift_items, st.lists(hostile, max_size=2))
def test_markdown_plan_keeps_its_structure(
    drawn: list[Change], drift: list[DriftItem], extra: list[str]
) -> None:
    markdown = render_markdown(plan_of(drawn, drift, extra))
    assert_markdown_safe(markdown)
    tables = markdown_tables(markdown)
    drift_rows = [sum(max(1, len(item.diff)) for item in drift)] if drift else []
    assert [len(rows) for rows in tables] == expected_rows(drawn) + drift_rows
    assert markdown.count("<details>") == len(expected_rows(drawn))
    # Every address is shown, each in one <code>, and reads back as the data.
    shown = {
        html.unescape(m) for m in re.findall(r"^\| [^|]+ \| <code>(.*?)</code> \|", markdown, re.M)
    }
    assert len(shown) <= len({c.address for c in drawn})


@PROPERTY
@given(changes(), drift_items, st.lists(hostile, max_size=2))
def test_text_plan_keeps_its_structure(
    drawn: list[Change], drift: list[DriftItem], extra: list[str]
) -> None:
    data = plan_of(drawn, drift, extra)
    text = render_plan(data)
    fields = sum(len(c.diff) for c in drawn) + sum(len(item.diff) for item in drift)
    assert_text_plan_safe(text, pending=len(drawn), fields=fields)
    # Each change line is its address, shortened as Markdown does and escaped: the address
    # never spills onto another line.
    for line, change in zip(change_lines_of(text), drawn, strict=True):
        assert line.split(" ", 3)[3].startswith(terminal_short(change.address))


def change_lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if re.match(r"^  [+~\-!] ", line)]


@PROPERTY
@given(changes(), drift_items)
def test_drift_views_keep_their_structure(drawn: list[Change], drift: list[DriftItem]) -> None:
    items = [
        {"address": c.address, "state": "differs", "diff": [d.to_dict() for d in c.diff]}
        for c in drawn
    ] + [item.to_dict() for item in drift]
    report = {"config_file": "m.yaml", "drift": items, "checked": 3, "generated_at": "now"}
    markdown = render_drift_markdown(report)
    assert_markdown_safe(markdown, marker="<!-- reconcile-drift -->")
    rows = [sum(max(1, len(i["diff"])) for i in items)] if items else []
    assert [len(r) for r in markdown_tables(markdown)] == rows
    text = render_drift_text(report)
    assert_terminal_safe(text)
    lines = text.split("\n")
    assert sum(line.startswith("  * ") for line in lines) == len(items)
    assert sum(line.startswith("      ") for line in lines) == sum(len(i["diff"]) for i in items)


@PROPERTY
@given(hostile, hostile, hostile)
def test_diagnostics_are_one_line_each(message: str, file: str, hint: str) -> None:
    hint = f"did you mean '{hint}'?"
    shown = format_diagnostic(Diagnostic(message, file=file, line=1, column=1, hint=hint), [hint])
    assert_terminal_safe(shown)
    lines = shown.split("\n")
    assert lines[0].startswith(terminal(file)) and lines[-1].startswith("  hint: ")
    assert len(lines) in (2, 4)  # the source line and caret only when the line is printable


@PROPERTY
@given(hostile, hostile)
def test_the_cli_error_printer_escapes_messages(name: str, hint: str) -> None:
    hint = f"did you mean '{hint}'?"
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
        # As the commands build them: a name in the head as {name!r}, the data of a
        # continuation line through terminal() where the message is made.
        message = f"no webhook named {name!r}:\n  detail {terminal(name)}"
        _report(ReconcileError(message, hint=hint))
        _report(ConfigError([Diagnostic(f"unknown {name}", hint=hint)]))
    err = stderr.getvalue()
    assert_terminal_safe(err)
    # The error's two lines and hint; the diagnostic, its hint and the summary: none from data.
    lines = err.rstrip("\n").split("\n")
    assert len(lines) == 6, lines
    assert [line[:8] for line in lines] == [
        "error: n",
        "  detail",
        "  hint: ",
        "error: u",
        "  hint: ",
        "1 error",
    ]


@PROPERTY
@given(st.lists(st.lists(hostile, min_size=3, max_size=3), max_size=5))
def test_cli_tables_have_one_line_per_row(rows: list[list[str]]) -> None:
    table = _table(["entity", "name", "url"], rows)
    assert_terminal_safe(table)
    assert len(table.split("\n")) == len(rows) + 1


@PROPERTY
@given(changes())
def test_json_view_round_trips_with_every_hidden_character_escaped(drawn: list[Change]) -> None:
    data = Plan(changes=tuple(drawn), risk=Risk.SAFE).to_dict()
    text = render_json(data)
    assert not hidden_characters(text)
    assert json.loads(text) == json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1bb", "a\\x1bb"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("c1\x9bx\x7f", "c1\\x9bx\\x7f"),
        ("two\nlines\ttab", "two\\nlines\\ttab"),
        ("sep\u2028x", "sep\\u2028x"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("Ñandú ✓", "Ñandú ✓"),  # readable text is left alone
    ],
)
def test_terminal_shows_hidden_characters_as_escapes(raw: str, shown: str) -> None:
    assert terminal(raw) == shown


def test_a_quote_cannot_end_a_text_value_early() -> None:
    assert text_value('a" -> "b') == '"a\\" -> \\"b"'
    assert text_value("back\\slash") == '"back\\\\slash"'
    assert text_value("line\nbreak") == '"line\\nbreak"'


def test_markdown_code_is_literal_text_in_a_table_cell() -> None:
    code = markdown_code("a`b|c<d>&e@f*g_h[i~j$k\\l")
    assert code.startswith("<code>") and code.endswith("</code>")
    inner = code.removeprefix("<code>").removesuffix("</code>")
    assert not set(inner) & set("`|<>*_[~$\\@")
    assert html.unescape(inner) == "a`b|c<d>&e@f*g_h[i~j$k\\l"


def test_a_long_value_is_shortened_and_the_comment_says_where_it_is_in_full() -> None:
    long = Change(
        address='webhooks["long"]',
        kind="webhook",
        key="long",
        section="webhooks",
        owner="autotask",
        action=Action.UPDATE,
        before=None,
        after=None,
        diff=(FieldDiff("url", "https://a/" + "x" * 5000, "https://b"),),
        reason="differs",
    )
    markdown = render_markdown(Plan(changes=(long,), risk=Risk.SAFE).to_dict())
    assert_markdown_safe(markdown)
    assert "x" * SCALAR_LIMIT not in markdown and "x" * (SCALAR_LIMIT - 10) + "…" in markdown
    assert f"Values longer than {SCALAR_LIMIT} characters are shortened" in markdown
    assert "plan.json" in markdown.split("shortened")[1]
    assert "x" * 5000 in render_json(Plan(changes=(long,), risk=Risk.SAFE).to_dict())


def test_data_cannot_produce_the_comment_marker() -> None:
    change = Change(
        address='webhooks["<!-- reconcile-plan -->"]',
        kind="webhook",
        key="k",
        section="webhooks",
        owner="autotask",
        action=Action.DELETE,
        before=None,
        after=None,
        diff=(FieldDiff("name", "<!-- reconcile-plan -->", None),),
        reason="unlisted",
    )
    markdown = render_markdown(Plan(changes=(change,), risk=Risk.DESTRUCTIVE).to_dict())
    assert markdown.count("<!-- reconcile-plan -->") == 1
    assert markdown.startswith("<!-- reconcile-plan -->\n")


def test_the_printer_escapes_a_break_that_does_not_start_an_indented_item() -> None:
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
        _report(ReconcileError("no company type 'a\nPlan: 9 to create.\x1b[2J':\n  item"))
    assert stderr.getvalue() == (
        "error: no company type 'a\\nPlan: 9 to create.\\x1b[2J':\n  item\n"
    )


def test_rich_markup_in_progress_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain progress line (CI logs) shows an address verbatim, with its escapes."""
    seen: list[str] = []
    monkeypatch.setattr(click, "secho", lambda message, **_: seen.append(str(message)))
    from reconciler.cli import _apply_progress  # noqa: PLC0415

    monkeypatch.setenv("CI", "1")
    with _apply_progress() as progress:
        progress('create webhooks["[bold]x\x1b[2J"]', 1, 2)
    assert seen == ['  [1/2] create webhooks["[bold]x\\x1b[2J"]']


def test_ci_failure_comment_fences_stderr_so_no_line_can_close_the_block() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ci"))
    from run_reconcile import _fenced  # noqa: PLC0415

    body = _fenced("error: x\n````\n  ```\n<details>")
    fence = body.split("\n")[0]
    assert set(fence) == {"`"} and len(fence) == 5
    assert body.split("\n")[-1] == fence
    inner = body.split("\n")[1:-1]
    assert not any(line.strip().startswith(fence) for line in inner)
    assert "\u200b" not in body


def test_log_lines_show_hidden_characters_as_escapes() -> None:
    from reconciler.cli.redacting import RedactingFormatter  # noqa: PLC0415

    record = logging.LogRecord(
        "reconciler", logging.INFO, __file__, 1, "GET %s", ("/x\x1b[2J",), None
    )
    assert RedactingFormatter("%(message)s").format(record) == "GET /x\\x1b[2J"
