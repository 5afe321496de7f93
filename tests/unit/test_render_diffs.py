"""Readable diffs (issue 16 item 3): list attributes element-wise, long values shortened, colour.

Hand-built plans, no HTTP: the list shape comes from the kind (``Kind.set_like``) through
``FieldDiff.of``; the views only read the plan's dict form.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.errors import PlanFileError
from reconciler.plan import FORMAT_VERSION, Action, Change, FieldDiff, Plan, Risk
from reconciler.plan.integrity import seal
from reconciler.plan.listdiff import Edit, edits, is_list_pair, list_changes, set_changes
from reconciler.plan.saved import load_saved_plan
from reconciler.psa.autotask.kinds.webhooks import WebhookKind
from reconciler.render import colour as colours
from reconciler.render.colour import use_colour
from reconciler.render.diff import SCALAR_LIMIT
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
SET_LIKE = WebhookKind().set_like
TWENTY = [f"Field {i:02d}" for i in range(19)]


def update(*diffs: FieldDiff, address: str = 'webhooks["sb-companies"]') -> Plan:
    change = Change(
        address=address,
        kind="webhook",
        key="company/sb-companies",
        section="webhooks",
        owner="autotask",
        action=Action.UPDATE,
        before={d.path: d.before for d in diffs},
        after={d.path: d.after for d in diffs},
        diff=diffs,
        reason="differs",
    )
    return Plan(changes=(change,), risk=Risk.SAFE, generated_at="2026-12-02T12:00:00Z")


def fields_diff() -> FieldDiff:
    """One field swapped on a 20-field webhook: Fax out, Phone in."""
    before = sorted([*TWENTY, "Fax"], key=str.casefold)
    after = sorted([*TWENTY, "Phone"], key=str.casefold)
    return FieldDiff.of("fields", before, after, set_like=SET_LIKE)


def field_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith("      ")]


# --- the model: set_like from the kind, added/removed in the JSON ---------------------------------


def test_webhook_lists_are_declared_set_like_by_their_kind() -> None:
    assert {"fields", "events", "excluded_resources", "udf_fields", "always_send"} <= SET_LIKE


def test_the_shape_comes_from_the_kind_and_only_lists_get_one() -> None:
    assert fields_diff().set_like is True
    assert FieldDiff.of("order", ["a"], ["b"], set_like=SET_LIKE).set_like is False
    assert FieldDiff.of("active", True, False, set_like=SET_LIKE).set_like is None
    assert FieldDiff.of("fields", None, ["a"], set_like=SET_LIKE).set_like is True
    assert not is_list_pair(None, None) and not is_list_pair(["a"], "a")


def test_json_keeps_before_and_after_and_adds_added_and_removed() -> None:
    data = update(fields_diff()).to_dict()
    (diff,) = data["changes"][0]["diff"]
    assert diff["before"] == sorted([*TWENTY, "Fax"], key=str.casefold)  # whole, as before
    assert diff["after"] == sorted([*TWENTY, "Phone"], key=str.casefold)
    assert (diff["set_like"], diff["added"], diff["removed"]) == (True, ["Phone"], ["Fax"])
    jsonschema.validate(data, SCHEMA)
    assert data["format_version"] == FORMAT_VERSION == "1.1"


def test_a_scalar_diff_has_no_list_fields() -> None:
    (diff,) = update(FieldDiff.of("active", True, False, set_like=SET_LIKE)).to_dict()["changes"][
        0
    ]["diff"]
    assert diff == {"path": "active", "before": True, "after": False}


def test_the_diff_round_trips_through_the_plan_file() -> None:
    plan = update(fields_diff(), FieldDiff.of("order", ["a", "b"], ["b"], set_like=SET_LIKE))
    data = json.loads(render_json(plan.to_dict()))
    again = Plan.from_dict(data)
    assert again.changes[0].diff == plan.changes[0].diff
    assert again.to_dict() == plan.to_dict()


def test_schema_wants_added_and_removed_together_with_set_like() -> None:
    data = update(fields_diff()).to_dict()
    del data["changes"][0]["diff"][0]["added"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_set_changes_count_the_unchanged_and_compare_mappings_by_value() -> None:
    assert set_changes(["a", "b", "c"], ["b", "c", "d"]) == (["d"], ["a"], 2)
    assert set_changes(None, ["a"]) == (["a"], [], 0)
    assert set_changes([{"x": 1, "y": 2}], [{"y": 2, "x": 1}]) == ([], [], 1)


def test_ordered_edits_name_positions() -> None:
    script, unchanged = edits(["Customer", "Lead", "Prospect"], ["Customer", "Lead", "Vendor"])
    assert script == [Edit("replace", 2, "Prospect", "Vendor")] and unchanged == 2
    script, _ = edits(["a", "b", "c"], ["a", "c", "d"])
    assert script == [Edit("remove", 1, before="b"), Edit("insert", 2, after="d")]
    assert list_changes(["a", "b"], ["b", "a"], set_like=True) == ([], [])
    assert list_changes(["a", "b"], ["b", "a"], set_like=False) != ([], [])


# --- the text and Markdown views ------------------------------------------------------------------


def test_text_shows_a_set_like_list_element_wise_and_counts_the_rest() -> None:
    text = render_plan(update(fields_diff()).to_dict())
    assert field_lines(text) == ["      fields: + Phone, − Fax (19 unchanged)"]
    assert "Field 03" not in text  # unchanged elements are counted, not printed


def test_markdown_shows_a_set_like_list_element_wise() -> None:
    markdown = render_markdown(update(fields_diff()).to_dict())
    row = next(line for line in markdown.split("\n") if "| fields |" in line)
    assert row.endswith("| fields | + <code>Phone</code>, − <code>Fax</code> (19 unchanged) |")
    assert "Field 03" not in markdown


def test_an_ordered_list_shows_positions_in_both_views() -> None:
    diff = FieldDiff.of(
        "type_priority",
        ["Customer", "Lead", "Prospect", "Old"],
        ["Customer", "Lead", "Vendor", "Old", "New"],
        set_like=frozenset(),
    )
    data = update(diff).to_dict()
    assert field_lines(render_plan(data)) == [
        "      type_priority: [2] Prospect -> Vendor, [4] + New (3 unchanged)"
    ]
    shown = html.unescape(render_markdown(data))
    assert "[2] <code>Prospect</code> → <code>Vendor</code>, [4] + <code>New</code>" in shown
    removed = update(FieldDiff.of("p", ["a", "b", "c"], ["a", "c"], set_like=frozenset()))
    assert field_lines(render_plan(removed.to_dict())) == ["      p: [1] − b (2 unchanged)"]


def test_only_additions_or_only_removals_and_many_of_them() -> None:
    added = update(FieldDiff.of("events", ["create"], ["create", "delete"], set_like=SET_LIKE))
    assert field_lines(render_plan(added.to_dict())) == ["      events: + delete (1 unchanged)"]
    many = [f"F{i:02d}" for i in range(30)]
    cleared = update(FieldDiff.of("fields", many, [], set_like=SET_LIKE))
    (line,) = field_lines(render_plan(cleared.to_dict()))
    assert line.startswith("      fields: − F00, − F01") and line.endswith("… 10 more removed")
    assert "F20" not in line and "unchanged" not in line


def test_a_plan_of_format_1_0_shows_its_lists_whole() -> None:
    """Without ``set_like`` (format 1.0) a view cannot tell the shape: it shows both values."""
    plan = update(FieldDiff("fields", ["A", "Fax"], ["A", "Phone"]))
    assert field_lines(render_plan(plan.to_dict())) == [
        '      fields: ["A", "Fax"] -> ["A", "Phone"]'
    ]


def test_creates_and_deletes_still_show_the_whole_list() -> None:
    plan = Plan(
        changes=(
            Change(
                address='webhooks["new"]',
                kind="webhook",
                key="company/new",
                section="webhooks",
                owner="autotask",
                action=Action.CREATE,
                before=None,
                after={"fields": ["A", "B"]},
                diff=(FieldDiff("fields", None, ["A", "B"]),),
            ),
        ),
        risk=Risk.SAFE,
    )
    assert field_lines(render_plan(plan.to_dict())) == ['      fields = ["A", "B"]']


def test_a_long_scalar_is_shortened_with_a_note_and_json_keeps_it_whole() -> None:
    url = "https://receiver.example/" + "x" * 200
    data = update(FieldDiff.of("url", url, "https://b.example", set_like=SET_LIKE)).to_dict()
    text = render_plan(data)
    (line,) = field_lines(text)
    kept = url[:SCALAR_LIMIT]
    assert line == f'      url: "{kept}…" -> "https://b.example"'
    assert "Values longer than 80 characters are shortened here (…); `--format json`" in text
    markdown = render_markdown(data)
    assert f"<code>{kept}…</code> → <code>https://b.example</code>" in markdown
    assert "Values longer than 80 characters are shortened" in markdown
    assert url in render_json(data)
    short = update(FieldDiff.of("url", "https://a", "https://b", set_like=SET_LIKE)).to_dict()
    assert "shortened" not in render_plan(short) and "shortened" not in render_markdown(short)


def test_a_sensitive_list_is_never_shown_element_wise() -> None:
    diff = FieldDiff.of("secret", ["s1"], ["s2"], set_like=frozenset({"secret"}))
    plan = update(diff)
    data = plan.to_dict()
    data["changes"][0]["sensitive_paths"] = ["secret"]
    text = render_plan(data)
    assert "s1" not in text and "s2" not in text and "(sensitive)" in text
    markdown = render_markdown(data)
    assert "s1" not in markdown and "s2" not in markdown


# --- colour ---------------------------------------------------------------------------------------


def sample_plan() -> dict[str, Any]:
    changes = [
        Change(
            address=f'webhooks["{name}"]',
            kind="webhook",
            key=name,
            section="webhooks",
            owner="autotask",
            action=action,
            before=None if action is Action.CREATE else {"active": True},
            after=None if action is Action.DELETE else {"active": False},
            diff=(FieldDiff.of("active", True, False, set_like=SET_LIKE),),
            reason="test",
        )
        for name, action in (
            ("new", Action.CREATE),
            ("changed", Action.UPDATE),
            ("gone", Action.DELETE),
            ("paused", Action.DEACTIVATE),
        )
    ]
    changed = update(fields_diff(), address='webhooks["fields"]').changes[0]
    return Plan(changes=(*changes, changed), risk=Risk.DESTRUCTIVE).to_dict()


def test_on_a_terminal_markers_are_coloured_and_the_summary_bold() -> None:
    text = render_plan(sample_plan(), colour=True)
    assert f"  {colours.GREEN}+{colours.RESET} webhooks[" in text
    assert f"  {colours.YELLOW}~{colours.RESET} webhooks[" in text
    assert f"  {colours.RED}-{colours.RESET} webhooks[" in text
    assert f"  {colours.MAGENTA}!{colours.RESET} webhooks[" in text
    assert f"{colours.BOLD}Plan: 1 to create, 2 to update" in text
    assert f"fields: {colours.GREEN}+{colours.RESET} Phone, {colours.RED}−{colours.RESET} Fax" in (
        text
    )
    plain = render_plan(sample_plan())
    assert "\x1b" not in plain
    for code in (colours.GREEN, colours.YELLOW, colours.RED, colours.MAGENTA, colours.BOLD):
        text = text.replace(code, "")
    assert text.replace(colours.RESET, "") == plain  # colour adds codes, changes nothing else


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: present *and* not empty
        (True, {"TERM": "dumb"}, False),
        (False, {}, False),
        (False, {"NO_COLOR": ""}, False),
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    tty: bool, environ: dict[str, str], expected: bool
) -> None:
    assert use_colour(Stream(tty), environ) is expected


def test_a_closed_stream_gets_no_colour() -> None:
    closed = io.StringIO()
    closed.close()  # its isatty() raises ValueError
    assert use_colour(closed, {}) is False


def test_the_cli_renders_without_colour_when_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler import cli  # noqa: PLC0415

    monkeypatch.setattr("sys.stdout", Stream(False))
    assert "\x1b" not in cli._render(sample_plan(), "text")
    monkeypatch.setattr("sys.stdout", Stream(True))
    assert colours.GREEN in cli._render(sample_plan(), "text")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in cli._render(sample_plan(), "text")


# --- saved plans of format 1.0 --------------------------------------------------------------------


def test_a_saved_plan_of_format_1_0_is_read_as_it_was() -> None:
    """1.1 only adds optional fields: a 1.0 file (no set_like/added/removed) still loads, and
    its lists are shown whole. A plan of another major version is refused (see
    test_saved_plan_unit)."""
    change = update(FieldDiff("fields", ["A", "Fax"], ["A", "Phone"])).changes[0]
    old = Plan(
        changes=(change,),
        risk=Risk.SAFE,
        observed={change.address: "sha256:" + "0" * 64},
        sections=("webhooks",),
        generated_at="2026-12-02T12:00:00Z",
        format_version="1.0",
    ).to_dict()
    assert "set_like" not in old["changes"][0]["diff"][0]
    raw = json.dumps(seal(old, None)).encode()
    loaded = load_saved_plan(
        raw, source="plan.json", signing_key=None, documents_touched=lambda plan: lambda c: []
    )
    assert loaded.plan.format_version == "1.0"
    assert loaded.plan.changes[0].diff == change.diff
    assert '["A", "Fax"] -> ["A", "Phone"]' in render_plan(loaded.plan.to_dict())


def test_a_1_1_diff_with_set_like_but_no_added_is_refused_as_off_the_schema() -> None:
    data = update(fields_diff()).with_meta(
        observed={'webhooks["sb-companies"]': "sha256:" + "0" * 64}
    )
    raw_data = data.to_dict()
    del raw_data["changes"][0]["diff"][0]["removed"]
    raw = json.dumps(seal(raw_data, None)).encode()
    with pytest.raises(PlanFileError) as raised:
        load_saved_plan(
            raw, source="plan.json", signing_key=None, documents_touched=lambda plan: lambda c: []
        )
    assert raised.value.message.endswith(
        "does not match the plan format; nothing was applied, no API call was made:\n"
        "  - changes[0].diff[0] (webhooks[\"sb-companies\"]): 'removed' is a dependency of "
        "'set_like'\n"
        "  - changes[0].diff[0] (webhooks[\"sb-companies\"]): 'removed' is a dependency of 'added'"
    )
