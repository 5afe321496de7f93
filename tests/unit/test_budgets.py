"""The request budgets, pure: apply's Salesbuildr refusal (plan/budgets.py), the plan's budgets
object (model and schema) and the footer line of the text and Markdown views (render/budgets.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from reconciler.errors import EXIT_REFUSED, RefusedError
from reconciler.plan import Plan, Risk
from reconciler.plan.budgets import (
    Budget,
    iso,
    refuse_over_window_budget,
    window_refusal,
    window_text,
)
from reconciler.render.budgets import budgets_line, markdown_footer, text_footer
from reconciler.render.escape import markdown_text, terminal
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_plan

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
NOW = datetime(2026, 12, 2, 17, 0, 0, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Need:
    writes: int
    rereads: int
    remaining: int
    window_s: float = 600.0
    retry_at: float | None = None
    title: str = "Salesbuildr"


@pytest.mark.parametrize(
    ("writes", "rereads", "remaining", "refused"),
    [
        (3, 4, 7, False),  # exactly what is left: fits
        (3, 4, 6, True),  # one short
        (1, 0, 1, False),
        (1, 0, 0, True),
        (0, 0, 0, False),  # nothing needed, nothing left: fine
    ],
)
def test_the_refusal_compares_writes_plus_rereads_with_what_is_left(
    writes: int, rereads: int, remaining: int, refused: bool
) -> None:
    found = window_refusal(Need(writes, rereads, remaining), now=NOW)
    assert (found is not None) is refused


def test_the_refusal_names_needed_and_left_and_when_the_window_has_rolled_over() -> None:
    found = window_refusal(Need(writes=3, rereads=4, remaining=2), now=NOW)

    assert found is not None
    message, hint = found
    assert message == (
        "only 2 Salesbuildr API requests are left in its rolling 10-minute window; this apply "
        "needs at least 7 (3 write(s), 4 re-read(s) to check and verify)"
    )
    # Unknown reset: every request counted now has left the window 600 s from now.
    assert "at the latest retry after 2026-12-02 17:10:00 UTC (in 600 s)" in hint
    assert hint.endswith("no write was made")


def test_a_time_the_server_named_is_the_retry_time() -> None:
    found = window_refusal(Need(writes=2, rereads=2, remaining=0, retry_at=NOW + 87), now=NOW)

    assert found is not None
    assert "Salesbuildr named the time: retry after 2026-12-02 17:01:27 UTC (in 87 s)" in found[1]
    # A named time already past says nothing: the rolling window's bound again.
    past = window_refusal(Need(writes=2, rereads=2, remaining=0, retry_at=NOW - 5), now=NOW)
    assert past is not None and "at the latest" in past[1] and "(in 600 s)" in past[1]


def test_refuse_raises_exit_3_and_passes_what_fits_or_what_is_unknown() -> None:
    with pytest.raises(RefusedError) as raised:
        refuse_over_window_budget(Need(writes=5, rereads=5, remaining=9), now=NOW)
    assert raised.value.exit_code == EXIT_REFUSED
    assert "needs at least 10" in raised.value.message and raised.value.hint

    refuse_over_window_budget(Need(writes=5, rereads=5, remaining=10), now=NOW)
    refuse_over_window_budget(None, now=NOW)  # Salesbuildr said nothing: not refused here


def test_window_text() -> None:
    assert window_text(600) == "10-minute"
    assert window_text(3600) == "60-minute"
    assert window_text(90) == "90-second"


def test_iso() -> None:
    assert iso(NOW) == "2026-12-02T17:00:00Z"
    assert iso(None) is None


# --- the plan's budgets object -------------------------------------------------------------------

BUDGETS = {
    "autotask": Budget(remaining=9812, limit=10000, window_s=3600.0),
    "salesbuildr": Budget(remaining=118, limit=500, window_s=600.0),
}


def plan(**budgets: Budget) -> Plan:
    return Plan(
        changes=(),
        risk=Risk.SAFE,
        config_file="mappings.yaml",
        generated_at="2026-12-02T17:00:00Z",
        config_sha256="0" * 64,
        budgets=budgets,
    )


def test_the_plan_carries_budgets_only_when_read_and_they_round_trip() -> None:
    assert "budgets" not in plan().to_dict()  # older plans and their checksums stay as they were

    data = plan(**BUDGETS).to_dict()
    assert data["budgets"] == {
        "autotask": {"remaining": 9812, "limit": 10000, "window_s": 3600.0},
        "salesbuildr": {"remaining": 118, "limit": 500, "window_s": 600.0},
    }
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert Plan.from_dict(data).budgets == BUDGETS
    assert Plan.from_dict(data).to_dict() == data


def test_the_schema_refuses_an_unknown_system_or_field() -> None:
    data = plan(**BUDGETS).to_dict()
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for bad in (
        # any system's name is a key (the psa pattern), but not a name outside it
        {**data, "budgets": {"Halo PSA": data["budgets"]["autotask"]}},
        {**data, "budgets": {"autotask": {**data["budgets"]["autotask"], "extra": 1}}},
        {**data, "budgets": {"autotask": {"remaining": -1, "limit": 1, "window_s": 1}}},
    ):
        assert list(validator.iter_errors(bad)), bad


def test_a_retry_time_round_trips() -> None:
    limited = Budget(remaining=0, limit=500, window_s=600.0, retry_at="2026-12-02T17:10:00Z")
    data = plan(salesbuildr=limited).to_dict()
    assert data["budgets"]["salesbuildr"]["retry_at"] == "2026-12-02T17:10:00Z"
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert Plan.from_dict(data).budgets["salesbuildr"] == limited


# --- the footer ----------------------------------------------------------------------------------


def test_the_footer_line_shows_both_budgets() -> None:
    data = plan(**BUDGETS).to_dict()
    expected = (
        "Budgets: Autotask 9,812 of 10,000 requests left this hour; "
        "Salesbuildr 118 of 500 left in this window."
    )
    assert budgets_line(data, terminal) == expected
    assert text_footer(data) == [expected]
    assert render_plan(data).splitlines()[-1] == expected
    assert markdown_footer(data) == [expected, ""]
    comment = render_markdown(data)
    assert expected in comment
    assert comment.index(expected) > comment.index("---")  # in the footer
    assert comment.index(expected) < comment.index("Plan checksum")


def test_one_budget_alone_and_none() -> None:
    only = plan(salesbuildr=BUDGETS["salesbuildr"]).to_dict()
    assert budgets_line(only, terminal) == (
        "Budgets: Salesbuildr 118 of 500 requests left in this window."
    )
    limited = Budget(remaining=0, limit=500, window_s=600.0, retry_at="2026-12-02T17:10:00Z")
    shown = budgets_line(plan(salesbuildr=limited).to_dict(), terminal)
    assert shown == (
        "Budgets: Salesbuildr 0 of 500 requests left in this window "
        "(rate limited until 2026-12-02T17:10:00Z)."
    )
    none = plan().to_dict()
    assert budgets_line(none, terminal) is None
    assert text_footer(none) == [] and markdown_footer(none) == []
    assert "Budgets" not in render_plan(none) and "Budgets" not in render_markdown(none)


def test_values_from_an_edited_plan_pass_each_views_escaping() -> None:
    data = plan(**BUDGETS).to_dict()
    data["budgets"]["salesbuildr"] = {
        "remaining": "\x1b[2J<b>*x*</b>",
        "limit": 500,
        "window_s": 600,
        "retry_at": "soon\u202e|`",
    }
    text = budgets_line(data, terminal)
    assert text is not None
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text and "\\u202e" in text
    markdown = budgets_line(data, markdown_text)
    assert markdown is not None
    for raw in ("<b>", "*x*", "|", "`"):
        assert raw not in markdown
