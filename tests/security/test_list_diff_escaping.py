"""Element-wise list diffs (issue 16 item 3) cannot be forged by data either.

A list element is a live name (a webhook field label, an excluded resource): in the element-wise
form (``fields: + Phone, − Fax (18 unchanged)``) each one still passes its view's escaping, and
on a terminal the only escape codes are the renderer's own colour constants.
"""

from __future__ import annotations

import html
import re

from escape_support import (
    HOSTILE_PIECES,
    assert_markdown_safe,
    assert_terminal_safe,
    assert_text_plan_safe,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.plan import Action, Change, FieldDiff, Plan, Risk
from reconciler.render import colour as colours
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan

HOSTILE_ELEMENTS = ["ok", "esc\x1b[31mred", "bidi\u202eevil", "two\nlines", "a | b", "<b>x</b>"]
OUR_CODES = re.compile(
    "|".join(
        re.escape(c)
        for c in (
            colours.RESET,
            colours.BOLD,
            colours.GREEN,
            colours.YELLOW,
            colours.RED,
            colours.MAGENTA,
        )
    )
)

hostile = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.text(max_size=4), min_size=1, max_size=4
).map("".join)


def plan_with(before: list[str], after: list[str], *, set_like: bool, address: str) -> Plan:
    shape = frozenset({"fields"}) if set_like else frozenset()
    diff = FieldDiff.of("fields", before, after, set_like=shape)
    change = Change(
        address=address,
        kind="webhook",
        key="k",
        section="webhooks",
        owner="autotask",
        action=Action.UPDATE,
        before={"fields": before},
        after={"fields": after},
        diff=(diff,),
        reason="fields differs",
    )
    return Plan(changes=(change,), risk=Risk.SAFE, generated_at="2026-12-02T00:00:00Z")


def test_hostile_elements_are_escaped_in_the_element_wise_text() -> None:
    data = plan_with(["ok"], HOSTILE_ELEMENTS, set_like=True, address='webhooks["x"]').to_dict()
    for colour in (False, True):
        text = render_plan(data, colour=colour)
        plain = OUR_CODES.sub("", text)
        assert_text_plan_safe(plain, pending=1, fields=1)
        (line,) = [line for line in plain.split("\n") if line.startswith("      fields:")]
        assert line == (
            '      fields: + "esc\\x1b[31mred", + "bidi\\u202eevil", + "two\\nlines", '
            '+ "a | b", + "<b>x</b>" (1 unchanged)'
        )
    coloured = render_plan(data, colour=True)
    assert "\x1b[31mred" not in coloured  # the element's ESC is shown, never sent


def test_hostile_elements_are_escaped_in_the_element_wise_markdown() -> None:
    data = plan_with(HOSTILE_ELEMENTS, ["ok"], set_like=True, address='webhooks["x"]').to_dict()
    markdown = render_markdown(data)
    assert_markdown_safe(markdown)
    (row,) = [line for line in markdown.split("\n") if "| fields |" in line]
    assert "<b>" not in row and "\x1b" not in row and "\u202e" not in row
    assert html.unescape(row).endswith(
        "− <code>esc\\x1b[31mred</code>, − <code>bidi\\u202eevil</code>, "
        "− <code>two\\nlines</code>, − <code>a | b</code>, − <code><b>x</b></code> (1 unchanged) |"
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(hostile, max_size=5),
    st.lists(hostile, max_size=5),
    st.booleans(),
    hostile,
)
def test_element_wise_views_keep_their_structure(
    before: list[str], after: list[str], set_like: bool, name: str
) -> None:
    data = plan_with(before, after, set_like=set_like, address=f'webhooks["{name}"]').to_dict()
    text = render_plan(data, colour=True)
    plain = OUR_CODES.sub("", text)
    assert plain == render_plan(data)  # colour adds only our own codes
    assert_text_plan_safe(plain, pending=1, fields=1)
    assert_terminal_safe(plain)
    assert_markdown_safe(render_markdown(data))
