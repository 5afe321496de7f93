"""kinds.constraints: what Autotask's metadata says it would refuse about one write, exactly
(messages, hints, the YAML attribute each problem comes from, and which values are exempt)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kinds.constraints import (
    ACCESS_FIELDS,
    PARENT_ID,
    SECRET_VALUE,
    EntityRules,
    FieldRule,
    WireWrite,
    WriteProblem,
    access_problem,
    check_write,
)

ACCESS_HINT = (
    "grant the API user's security level this permission in Autotask (Admin > API User "
    "Security), then plan again; `reconcile preflight` lists every permission the file needs"
)
READ_ONLY_HINT = "remove the attribute from the YAML, or set it in the Autotask admin UI"

RULES = EntityRules(
    "Things",
    {
        "name": FieldRule("Name", length=5, required=True),
        "code": FieldRule("code", "integer", length=1),
        "free": FieldRule("free"),
        "locked": FieldRule("locked", "boolean", read_only=True),
        "auto": FieldRule("auto", required=True, read_only=True),
        "id": FieldRule("id", "long", required=True),
        "kind": FieldRule("kind", "integer", picklist={"1": ("One", True), "2": ("Two", False)}),
        "flag": FieldRule("isFlag", "boolean", required=True),
    },
    {"query": "All", "create": "Restricted", "update": None},
)
WHAT = "thing 'A'"
ATTRS = {"Name": "title", "locked": "lock", "kind": "sort", "code": "number", "isFlag": "flag"}


def _write(operation: str, **values: Any) -> WireWrite:
    return WireWrite("Things", operation, WHAT, values, ATTRS)


def test_access_fields_and_who_may_do_what() -> None:
    assert ACCESS_FIELDS == {
        "query": "userAccessForQuery",
        "create": "userAccessForCreate",
        "update": "userAccessForUpdate",
        "delete": "userAccessForDelete",
    }
    assert [RULES.allows(op) for op in ("query", "create", "update", "delete")] == [
        True,
        True,
        True,  # not reported: allowed (None is not the access level "None")
        True,
    ]
    denied = EntityRules("Things", access={"update": "None"})
    assert not denied.allows("update") and denied.allows("create")
    assert RULES.field("NAME") == RULES.fields["name"] and RULES.field("nope") is None


@pytest.mark.parametrize("operation", ["query", "create", "update", "delete"])
def test_a_denied_operation_names_its_access_field(operation: str) -> None:
    rules = EntityRules("Things", access={operation: "None"})
    write = WireWrite("Things", operation, WHAT)
    expected = WriteProblem(
        f"the Autotask API user may not {operation} Things ({ACCESS_FIELDS[operation]} is None), "
        "which thing 'A' needs",
        ACCESS_HINT,
    )
    assert access_problem(write, rules) == expected
    assert check_write(write, rules) == [expected]
    assert access_problem(write, RULES) is None


def test_a_delete_checks_access_only() -> None:
    bad = {"Name": "far too long", "locked": True, "kind": 9}
    assert check_write(_write("delete", **bad), RULES) == []
    denied = EntityRules("Things", RULES.fields, {"delete": "None"})
    (only,) = check_write(_write("delete", **bad), denied)
    assert only.message.startswith("the Autotask API user may not delete Things")
    assert only.attribute == ""


def test_every_value_problem_of_an_update_with_its_attribute() -> None:
    write = _write(
        "update",
        unknown="whatever",  # not described: ignored, and the check goes on
        Name="abcdef",
        locked=True,
        kind=9,
        free="x" * 500,  # no length stated
        code=12345,  # not a string: its length is not checked
    )
    assert check_write(write, RULES) == [
        WriteProblem(
            "Things.Name is at most 5 characters in Autotask; thing 'A' gives 6",
            "shorten it to 5 characters or fewer",
            "title",
        ),
        WriteProblem(
            "Things.locked is read-only for this API user, so Autotask would ignore the value "
            "thing 'A' sets",
            READ_ONLY_HINT,
            "lock",
        ),
        WriteProblem(
            "9 is not a value of the Autotask picklist Things.kind",
            "pick a value the Autotask admin UI offers",
            "sort",
        ),
    ]


def test_picklists_inactive_values_and_booleans() -> None:
    assert check_write(_write("update", kind=1), RULES) == []
    assert check_write(_write("update", kind="1"), RULES) == []
    assert check_write(_write("update", kind=True), RULES) == []  # a flag, not a value
    assert check_write(_write("update", kind="x"), RULES) == [
        WriteProblem(
            "'x' is not a value of the Autotask picklist Things.kind",
            "pick a value the Autotask admin UI offers",
            "sort",
        )
    ]
    assert check_write(_write("update", kind=2), RULES) == [
        WriteProblem(
            "'Two' (2) is inactive in the Autotask picklist Things.kind",
            "activate it in Autotask, or pick an active value",
            "sort",
        )
    ]


@pytest.mark.parametrize("value", [None, False, "", SECRET_VALUE, PARENT_ID])
def test_values_that_are_nothing_or_unknowable_are_never_refused(value: object) -> None:
    write = _write("update", locked=value, Name=value)
    if value in (SECRET_VALUE, PARENT_ID):
        # read-only still counts a real value
        assert [p.attribute for p in check_write(write, RULES)] == ["lock"]
    else:
        assert check_write(write, RULES) == []


@pytest.mark.parametrize(
    ("value", "refused"),
    [("abcde", False), ("abcdef", True), (12345, False), (123456, True), ("XXXX", False)],
)
def test_the_length_boundary_counts_the_text(value: object, refused: bool) -> None:
    problems = check_write(_write("update", Name=value), RULES)
    assert bool(problems) is refused
    if refused:
        assert problems[0].message.endswith(f"gives {len(str(value))}")


@pytest.mark.parametrize("value", ["XXXX", 2, "on", True])
def test_a_read_only_field_refuses_any_real_value(value: object) -> None:
    (problem,) = check_write(_write("update", locked=value), RULES)
    assert problem.attribute == "lock"


def test_a_create_needs_every_required_writable_field_but_the_id() -> None:
    assert check_write(_write("create", name="A", isflag=False), RULES) == []
    assert check_write(_write("create", NAME="A", isFlag=0), RULES) == []
    assert check_write(_write("create", Name="", isFlag=None), RULES) == [
        WriteProblem(
            "Things.Name is required by Autotask, but thing 'A' gives no value for it",
            "set it in the YAML",
            "title",
        ),
        WriteProblem(
            "Things.isFlag is required by Autotask, but thing 'A' gives no value for it",
            "set it in the YAML",
            "flag",
        ),
    ]
    unnamed = WireWrite("Things", "create", WHAT, {"Name": "A"})
    assert check_write(unnamed, RULES) == [
        WriteProblem(
            "Things.isFlag is required by Autotask, but thing 'A' gives no value for it",
            "set it in the YAML",
            "",
        )
    ]
    assert check_write(_write("update"), RULES) == []
