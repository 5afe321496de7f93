"""Name paths, case-insensitive folding and "did you mean" hints (reconciler.kinds.names)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import AmbiguousMatch, UsageError
from reconciler.kinds.catalog import Entry, NameTable
from reconciler.kinds.matching import index_live, lookup, match_key, pick
from reconciler.kinds.names import (
    PathSyntaxError,
    closest,
    did_you_mean,
    fold,
    fold_path,
    join_path,
    split_path,
)
from reconciler.plan.compute import compute_plan
from reconciler.psa.autotask.kinds.inventory import INVENTORY_LOCATION
from reconciler.psa.autotask.kinds.registry import BY_NAME as AUTOTASK_KINDS
from reconciler.psa.autotask.operations_uninstall import select_webhooks
from reconciler.psa.autotask.operations_webhooks import InstalledWebhook
from reconciler.state import ManageMode, PolicySettings, Resource, State


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("Hardware", ("Hardware",)),
        ("Hardware/Laptops", ("Hardware", "Laptops")),
        ("Software/Security\\/AV", ("Software", "Security/AV")),
        ("Back\\\\slash/x", ("Back\\slash", "x")),
        (" Labor / Engineering ", ("Labor", "Engineering")),
        ("A/B/C/D", ("A", "B", "C", "D")),
        ("I\\/O\\/Devices", ("I/O/Devices",)),
    ],
)
def test_split_path(text: str, levels: tuple[str, ...]) -> None:
    assert split_path(text) == levels


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "has an empty level"),
        ("   ", "has an empty level"),
        ("/", "has an empty level"),
        ("Hardware//Laptops", "'Hardware//Laptops' has an empty level"),
        ("/Hardware", "has an empty level"),
        ("Hardware/", "has an empty level"),
        ("Hardware/ /Laptops", "has an empty level"),
        ("Hardware\\Laptops", "a backslash must be followed by / (a literal slash) or \\"),
        ("Hardware\\", "a backslash must be followed by"),
    ],
)
def test_split_path_refuses_malformed_paths(text: str, message: str) -> None:
    with pytest.raises(PathSyntaxError) as raised:
        split_path(text)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("levels", "text"),
    [
        (["Hardware", "Laptops"], "Hardware/Laptops"),
        (["Security/AV"], "Security\\/AV"),
        (["Back\\slash"], "Back\\\\slash"),
        (["a\\/b"], "a\\\\\\/b"),
    ],
)
def test_join_path(levels: list[str], text: str) -> None:
    assert join_path(levels) == text
    assert split_path(text) == tuple(levels)


level = st.text(min_size=1, max_size=12).filter(lambda s: s == s.strip() and s != "")
levels = st.lists(level, min_size=1, max_size=5)


@settings(database=None, max_examples=300)
@given(levels)
def test_split_inverts_join(parts: list[str]) -> None:
    assert split_path(join_path(parts)) == tuple(parts)


@settings(database=None, max_examples=300)
@given(levels)
def test_join_inverts_split_on_well_formed_paths(parts: list[str]) -> None:
    text = join_path(parts)
    assert join_path(split_path(text)) == text


@settings(database=None, max_examples=200)
@given(levels)
def test_space_around_levels_does_not_matter(parts: list[str]) -> None:
    padded = join_path(f"  {part}  " for part in parts)
    assert split_path(padded) == tuple(parts)
    assert fold_path(padded) == fold_path(join_path(parts))


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Hardware Sales", "hardware sales"),
        ("  Hardware \t  SALES \n", "hardware sales"),
        ("Straße", "strasse"),
        ("", ""),
        ("Ａcme", "acme"),  # NFKC: full-width letters are letters
        ("ＡＣＭＥ\u3000Ｌｔｄ", "acme ltd"),  # ideographic space is whitespace
        ("ﬁle", "file"),  # a ligature is its letters
        ("a  b", "a b"),
        ("\u212b", "\u00e5"),  # ANGSTROM SIGN -> å
        ("HARDWARE", "hardware"),
    ],
)
def test_fold(name: str, folded: str) -> None:
    assert fold(name) == folded


def test_fold_path_folds_each_level() -> None:
    assert fold_path(" Sales /  Expected   MARGIN ") == ("sales", "expected margin")
    assert fold_path("Sales/Expected margin") == fold_path("sales / expected margin")
    assert fold_path("Security\\/AV") != fold_path("Security/AV")


def test_closest_is_case_insensitive_and_keeps_the_spelling_of_the_candidate() -> None:
    candidates = ["Hardware Sales", "Software Licensing", "Managed Services"]
    assert closest("HARDWARE  sales", candidates) == ["Hardware Sales"]
    assert closest("hardwre sales", candidates) == ["Hardware Sales"]
    assert closest("Payroll", candidates) == []


def test_closest_limits_and_deduplicates() -> None:
    candidates = ["Phone", "phone", "Phone1", "Phone2", "Phone3", "Fax"]
    found = closest("phone", candidates)
    assert found[0] == "Phone"
    assert "phone" not in found
    assert len(found) == 3
    assert closest("phone", candidates, limit=1) == ["Phone"]


def test_did_you_mean() -> None:
    assert did_you_mean("webhoks", ["webhooks", "inventory"]) == "did you mean 'webhooks'?"
    assert did_you_mean("sync_fieldz", ["sync_fields", "sync_full", "import_products"]) == (
        "did you mean 'sync_fields', 'sync_full'?"
    )
    assert did_you_mean("zzz", ["webhooks", "inventory"]) is None
    assert did_you_mean("webhooks", []) is None


@given(st.text(max_size=30))
@settings(max_examples=200)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


# --- one folding, exact spelling first (issue 15 item 8) ---------------------------------------


def _table(*names: tuple[int, str, bool]) -> NameTable:
    return NameTable("category", [Entry(id=i, name=n, active=a) for i, n, a in names])


def test_an_exact_spelling_wins_over_a_fold_twin() -> None:
    table = _table(
        (1, "Hardware", True), (2, "HARDWARE", True), (3, "Ａcme", True), (4, "Acme", True)
    )

    assert table.resolve("Hardware").entry == table.by_id(1)
    assert table.resolve("HARDWARE").entry == table.by_id(2)
    assert table.resolve("Ａcme").entry == table.by_id(3)
    assert table.resolve("Acme").entry == table.by_id(4)


def test_a_fold_twin_without_an_exact_spelling_is_an_ambiguity_with_an_id_hint() -> None:
    table = _table((29683001, "Hardware", True), (29683002, "HARDWARE", True))

    resolved = table.resolve("hardware")

    assert resolved.entry is None
    assert resolved.message == "2 categories are named 'hardware' (ids 29683001, 29683002)"
    assert resolved.hint == "write 'Hardware (#29683001)' to say which one"


def test_a_shared_name_pinned_to_an_id_resolves_to_that_object() -> None:
    table = _table((1, "Hardware", True), (2, "HARDWARE", True))

    assert table.display(2) == "HARDWARE (#2)"
    assert table.resolve("HARDWARE (#2)").entry == table.by_id(2)
    assert table.resolve("hardware (#1)").entry == table.by_id(1)
    assert table.resolve("Software (#1)").entry is None  # the id must carry that name


def test_matching_prefers_the_exact_spelling_and_refuses_to_guess() -> None:
    def hook(name: str, ident: int) -> Resource:
        return Resource(
            address=f'webhooks["{name}"]',
            kind="webhook",
            section="webhooks",
            key=f"company/{name}",
            attributes={"name": name},
            owner="autotask",
            ids={"id": ident},
        )

    live = [hook("a  b", 11), hook("a b", 12)]
    index = index_live(live)
    wanted = hook("a b", 0)

    assert pick(wanted, index[match_key(wanted)]) is live[1]
    assert lookup(index, "webhook", "company/a  b") is live[0]
    assert lookup(index, "webhook", "company/A B") is None
    with pytest.raises(AmbiguousMatch) as raised:
        pick(hook("A B", 0), index[match_key(wanted)])
    assert "id 11" in raised.value.message and "id 12" in raised.value.message
    assert raised.value.hint is not None and "'a  b' or 'a b'" in raised.value.hint


def test_uninstall_names_pick_the_exact_spelling_of_fold_twins() -> None:
    def installed(name: str, ident: int) -> InstalledWebhook:
        return InstalledWebhook("company", ident, name, None, None, True, True)

    twins = [installed("Acme", 1), installed("Ａcme", 2)]

    assert [h.id for h in select_webhooks(twins, ["Ａcme"])] == [2]
    assert [h.id for h in select_webhooks(twins, ["company/Acme"])] == [1]
    with pytest.raises(UsageError) as raised:
        select_webhooks(twins, ["ACME"])
    assert raised.value.hint == "write one of company/Acme, company/Ａcme"


def _location(name: str, ident: int, active: bool) -> Resource:
    row = {"id": ident, "locationName": name, "isActive": active, "isDefault": False}
    return INVENTORY_LOCATION.live(row, False, raw=row)


def test_compute_plan_matches_the_exact_twin_and_leaves_the_other_alone() -> None:
    live = State.of([_location("a  b", 11, True), _location("a b", 12, False)])
    wanted = State.of([_location("a b", 0, False)])
    full = PolicySettings(manage={"inventory": ManageMode.FULL})

    additive = compute_plan(
        wanted, live, PolicySettings(), sections=["inventory"], kinds=AUTOTASK_KINDS
    )
    managed = compute_plan(wanted, live, full, sections=["inventory"], kinds=AUTOTASK_KINDS)

    assert [c.action for c in additive.changes if c.is_change] == []
    (removal,) = [c for c in managed.changes if c.is_change]
    assert removal.key == "a  b" and removal.ids["live"]["id"] == 11


def test_compute_plan_refuses_to_guess_between_fold_twins() -> None:
    live = State.of([_location("a  b", 11, True), _location("a b", 12, False)])

    with pytest.raises(AmbiguousMatch) as raised:
        compute_plan(
            State.of([_location("A B", 0, True)]),
            live,
            PolicySettings(),
            sections=["inventory"],
            kinds=AUTOTASK_KINDS,
        )

    assert "id 11" in raised.value.message and "id 12" in raised.value.message
