"""The simulator plays a restricted API user: ``POST /_sandbox/permissions`` changes what
``entityInformation`` reports (userAccessFor*) and what writes are allowed; ``read_only`` marks
fields read-only in ``/fields``; a reset restores the default (everything allowed)."""

from __future__ import annotations

from autotask_fixtures import running


def test_a_denied_operation_is_reported_and_refused_until_reset() -> None:
    with running(seed="empty") as at:
        info = at.client.get("/V1.0/InventoryLocations/entityInformation").json()["info"]
        assert info["userAccessForCreate"] == "All"
        response = at.client.post(
            "/_sandbox/permissions",
            json={
                "entities": {"InventoryLocations": {"create": "None", "update": "Restricted"}},
                "read_only": {"InventoryLocations": ["isDefault"]},
            },
        )
        assert response.status_code == 200, response.text
        info = at.client.get("/V1.0/InventoryLocations/entityInformation").json()["info"]
        assert (info["userAccessForCreate"], info["userAccessForUpdate"]) == ("None", "Restricted")
        assert info["userAccessForQuery"] == "All"
        fields = at.client.get("/V1.0/InventoryLocations/entityInformation/fields").json()
        flags = {f["name"]: f["isReadOnly"] for f in fields["fields"]}
        assert flags["isDefault"] is True and flags["locationName"] is False
        refused = at.client.post(
            "/V1.0/InventoryLocations", json={"locationName": "Bay", "isActive": True}
        )
        assert refused.status_code == 500
        assert refused.json() == {
            "errors": ["User does not have permission to create InventoryLocation."]
        }
        assert at.items("InventoryLocations") == []
        at.sim.reset("empty")
        info = at.client.get("/V1.0/InventoryLocations/entityInformation").json()["info"]
        assert info["userAccessForCreate"] == "All"
        at.create("/V1.0/InventoryLocations", {"locationName": "Bay", "isActive": True})


def test_an_operation_the_entity_lacks_stays_none_and_bad_bodies_are_400() -> None:
    with running(seed="empty") as at:
        at.client.post("/_sandbox/permissions", json={"entities": {"BillingCodes": {}}})
        info = at.client.get("/V1.0/BillingCodes/entityInformation").json()["info"]
        assert info["userAccessForCreate"] == "None"  # BillingCodes are read-only in the API
        for body in (
            [],
            {"entities": {"X": {"create": "Maybe"}}},
            {"entities": {"X": {"rename": "All"}}},
            {"other": 1},
        ):
            bad = at.client.post("/_sandbox/permissions", json=body)
            assert bad.status_code == 400, body
