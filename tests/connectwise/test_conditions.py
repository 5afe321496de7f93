"""``conditions`` built from hostile names stay one value: over real HTTP the simulator finds
exactly the record with that name, and a name written as code matches nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from connectwise_fixtures import Running
from hypothesis import given
from hypothesis import strategies as st

from reconciler.psa.connectwise import conditions as c
from reconciler.psa.connectwise import endpoints
from reconciler.psa.connectwise.client import ConnectWiseClient
from reconciler.sandbox.connectwise.conditions import parse_conditions

HOSTILE = [
    'Acme" or id > 0 or name = "',
    'Acme\\" or name != "',
    "Acme\\",
    "\\\\",
    '"',
    "Robert'); DROP TABLE companies;--",
    "50% off * everything",
    'name = "x") or (1 = 1',
    "a and b or not c",
    "line\nbreak\ttab",
    "[2015-12-23T05:53:27Z]",
    "  spaced  ",
    "Ünïcødé ✓ 名前",
    "plus+sign&amp=1;page=2",
]


@pytest.fixture
def empty(start_cw: Callable[..., Running]) -> Running:
    return start_cw("empty")


def test_hostile_names_match_exactly_their_record(
    empty: Running, client_for: Callable[..., ConnectWiseClient]
) -> None:
    client = client_for(empty)
    made = {
        name: client.create(endpoints.COMPANY_TYPES, {"name": name[:50]})["id"] for name in HOSTILE
    }
    client.create(endpoints.COMPANY_TYPES, {"name": "Bystander"})
    for name, type_id in made.items():
        found = client.list_all(endpoints.COMPANY_TYPES, conditions=c.eq("name", name[:50]))
        assert [row["id"] for row in found] == [type_id], name
        others = client.list_all(endpoints.COMPANY_TYPES, conditions=c.ne("name", name[:50]))
        assert type_id not in {row["id"] for row in others}
        assert len(others) == len(HOSTILE)
    listed = client.list_all(
        endpoints.COMPANY_TYPES, conditions=c.in_("name", [n[:50] for n in HOSTILE[:3]])
    )
    assert sorted(row["id"] for row in listed) == sorted(made[n] for n in HOSTILE[:3])


@given(st.text(max_size=40))
def test_any_text_is_one_literal(text: str) -> None:
    """Property: the simulator's parser reads the client's literal back as exactly ``text``."""
    predicate = parse_conditions(c.eq("name", text).text)
    assert predicate({"name": text})
    if text.casefold() != (text + "x").casefold():
        assert not predicate({"name": text + "x"})
    combined = parse_conditions(c.and_(c.eq("name", text), c.eq("id", 7)).text)
    assert combined({"name": text, "id": 7})
    assert not combined({"name": text, "id": 8})


def test_builders_write_the_documented_syntax() -> None:
    assert c.eq("status/name", "Active").text == 'status/name = "Active"'
    assert c.and_(c.eq("inactiveFlag", False), c.gt("id", 5)).text == (
        "(inactiveFlag = false) and (id > 5)"
    )
    assert c.or_(c.like("name", "Hard%"), c.eq("x", None)).text == (
        '(name like "Hard%") or (x = null)'
    )
    assert c.in_("id", [1, 2, 3]).text == "id in (1, 2, 3)"
    assert c.not_(c.contains("name", "test")).text == 'not (name contains "test")'
    assert c.fields_param(["name", "status/name"]) == "id,name,status/name"


@pytest.mark.parametrize("bad", ["name) or (1", "name = 1", "", "a b", "../x", 'x"'])
def test_a_field_name_is_never_data(bad: str) -> None:
    with pytest.raises(ValueError, match="not a ConnectWise property name"):
        c.eq(bad, "x")
    with pytest.raises(ValueError, match="not a ConnectWise property name"):
        c.fields_param([bad])


def test_an_empty_in_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        c.in_("id", [])


def test_child_conditions_and_operators_in_the_simulator(
    cw: Running, client: ConnectWiseClient
) -> None:
    vendors = client.list_all(
        endpoints.COMPANIES, child_conditions=c.eq("types/name", "Vendor"), fields=["name"]
    )
    assert {row["name"] for row in vendors} == {"Dell Technologies", "Lenovo", "Ingram Micro"}
    between = client.list_all(
        endpoints.COMPANIES, conditions=c.Condition("id between 2 and 4"), fields=["name"]
    )
    assert [row["id"] for row in between] == [2, 3, 4]
    not_like = client.count(endpoints.COMPANIES, conditions=c.Condition('name not like "%Corp%"'))
    assert not_like == 10
