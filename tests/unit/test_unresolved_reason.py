"""Resolved.reason: why a reference resolved to nothing, as an enum the catalog sets beside the
message it writes for people (logic never reads the message text)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kinds.catalog import Entry, NameTable, Unresolved

TABLE = NameTable(
    "sub-issue type",
    [
        Entry("401", "Order hardware", parent="40"),
        Entry("411", "Order hardware", parent="41"),
        Entry("500", "Repair"),
        Entry("600", "Old", active=False),
        Entry("700", "Twin", active=False),
        Entry("701", "twin", active=False),
        Entry("800", "Pair"),
        Entry("801", "pair", active=False),
    ],
)
PATHS = NameTable(
    "category",
    [Entry("a", "X", path=("Top", "X")), Entry("b", "x", path=("top", "x"))],
    paths=True,
)


@pytest.mark.parametrize(
    ("table", "ref", "reason"),
    [
        (TABLE, "order HARDWARE", Unresolved.AMBIGUOUS),  # two active, neither spelled so
        (TABLE, "twin", Unresolved.OTHER),  # spelled exactly like one, which is inactive
        (TABLE, "TWIN", Unresolved.AMBIGUOUS),  # two inactive, neither spelled so
        (TABLE, "PAIR", None),  # the only active one
        (TABLE, "Repair", None),
        (TABLE, "Old", Unresolved.OTHER),  # inactive
        (TABLE, "Nothing", Unresolved.OTHER),  # unknown
        (TABLE, {"id": "999"}, Unresolved.OTHER),
        (TABLE, {"id": "600"}, Unresolved.OTHER),
        (PATHS, "TOP/X", Unresolved.AMBIGUOUS),
        (PATHS, "Top/", Unresolved.OTHER),  # not a path
    ],
)
def test_reason(table: NameTable, ref: Any, reason: Unresolved | None) -> None:
    outcome = table.resolve(ref)
    assert outcome.reason is reason
    # The reason agrees with what the catalog tells people.
    assert (reason is Unresolved.AMBIGUOUS) == ("are named" in (outcome.message or ""))
