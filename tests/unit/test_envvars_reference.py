"""envvars: the one ``${env:}`` syntax, written (reference_text) as it is read (parse_reference)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.envvars import Reference, parse_reference, reference_text

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
_DEFAULTS = st.none() | st.text(st.characters(blacklist_characters="}"), max_size=20)


@given(name=_NAMES, default=_DEFAULTS)
def test_written_reference_reads_back(name: str, default: str | None) -> None:
    assert parse_reference(reference_text(name, default)) == Reference(name, default)


def test_written_forms() -> None:
    assert reference_text("MY_SECRET") == "${env:MY_SECRET}"
    assert reference_text("MY_SECRET", "x") == "${env:MY_SECRET:-x}"
