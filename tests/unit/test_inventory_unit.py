"""kinds.inventory: a location's address, live form, writes and access, exactly."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kinds.catalog import Catalog
from reconciler.kinds.constraints import PlannedChange, WireWrite
from reconciler.psa.autotask.kinds.inventory import ENTITY, INVENTORY_LOCATION, WIRE_ATTRIBUTES
from reconciler.state import DeletePolicy, Resource

WHAT = "inventory location 'Main'"


def _change(action: str, **parts: Any) -> PlannedChange:
    return PlannedChange(
        action=action,
        address='inventory.locations["Main"]',
        key="Main",
        before=parts.get("before"),
        after=parts.get("after"),
        changed=frozenset(parts.get("changed", ())),
        ids={},
    )


def _write(operation: str, values: dict[str, Any]) -> WireWrite:
    return WireWrite("InventoryLocations", operation, WHAT, values, WIRE_ATTRIBUTES)


def test_the_kind_and_its_wire_names() -> None:
    kind = INVENTORY_LOCATION
    assert (kind.name, kind.section, kind.owner) == ("inventory_location", "inventory", "autotask")
    assert kind.delete_policy is DeletePolicy.DEACTIVATE
    assert ENTITY == "InventoryLocations"
    assert WIRE_ATTRIBUTES == {"locationName": "", "isActive": "active", "isDefault": "default"}
    assert kind.address_of('A "b"') == 'inventory.locations["A \\"b\\""]'


def test_a_live_row_becomes_a_resource() -> None:
    row = {"id": 4, "locationName": "Van", "isActive": 1, "isDefault": 0}
    live = INVENTORY_LOCATION.live(row, True, raw=row)
    assert live == Resource(
        address='inventory.locations["Van"]',
        kind="inventory_location",
        section="inventory",
        key="Van",
        attributes={"active": True, "default": False, "track_stock": True},
        owner="autotask",
        ids={"id": 4},
        raw=row,
    )
    unnamed = INVENTORY_LOCATION.live({}, False, raw=None)
    assert (unnamed.key, dict(unnamed.attributes)) == (
        "",
        {"active": False, "default": False, "track_stock": False},
    )


@pytest.mark.parametrize(
    ("action", "after", "changed", "expected"),
    [
        (
            "create",
            {"active": True, "default": True},
            (),
            [_write("create", {"locationName": "Main", "isActive": True, "isDefault": True})],
        ),
        (
            "create",
            {},
            (),
            [_write("create", {"locationName": "Main", "isActive": True, "isDefault": False})],
        ),
        (
            "create",
            None,
            (),
            [_write("create", {"locationName": "Main", "isActive": True, "isDefault": False})],
        ),
        (
            "deactivate",
            {"active": True, "default": True},
            (),
            [_write("update", {"isActive": False, "isDefault": False})],
        ),
        (
            "update",
            {"active": 0, "default": 1},
            ("active",),
            [_write("update", {"isActive": False, "isDefault": True})],
        ),
        (
            "update",
            {"active": True, "default": True},
            ("default", "track_stock"),
            [_write("update", {"isActive": True, "isDefault": True})],
        ),
        ("update", {"active": False}, ("track_stock",), []),
        ("update", {"active": False}, (), []),
        ("delete", {"active": False}, ("active",), []),
        ("no-op", {"active": False}, ("active",), []),
    ],
)
def test_the_writes_are_those_the_writer_sends(
    action: str, after: dict[str, Any] | None, changed: tuple[str, ...], expected: list[WireWrite]
) -> None:
    change = _change(action, after=after, before={"active": True}, changed=changed)
    writes = INVENTORY_LOCATION.wire_writes(change)
    assert writes == expected
    for write in writes:
        assert all(type(v) is bool for k, v in write.values.items() if k != "locationName")


def test_access_and_deactivation_and_resolution() -> None:
    assert INVENTORY_LOCATION.autotask_access([]) == {
        "InventoryLocations": frozenset({"query", "create", "update"})
    }
    live = INVENTORY_LOCATION.live(
        {"id": 1, "locationName": "Van", "isActive": True, "isDefault": True}, True, raw=None
    )
    gone = INVENTORY_LOCATION.deactivated(live)
    assert dict(gone.attributes) == {"active": False, "default": False, "track_stock": False}
    assert (gone.key, gone.ids) == ("Van", {"id": 1})
    desired = Resource(
        address="x",
        kind="inventory_location",
        section="inventory",
        key="  Main  ",
        attributes={"active": True},
        owner="autotask",
    )
    resolved, problems = INVENTORY_LOCATION.resolve(desired, Catalog())
    assert problems == []
    assert resolved is not None
    assert (resolved.key, resolved.address) == ("Main", 'inventory.locations["Main"]')
    assert dict(resolved.attributes) == {"active": True}
