"""`reconcile preflight [FILE]`: whether the credentials may read and write what FILE manages,
one line per Autotask entity and Salesbuildr settings document; exit 0 when every checkable
permission is granted, 1 otherwise; never a write."""

from __future__ import annotations

from scenario_world import EXAMPLE, World


def test_every_permission_granted_is_exit_0_and_says_what_cannot_be_checked(world: World) -> None:
    path = world.write(EXAMPLE.read_text(encoding="utf-8"))
    before = world.writes()
    result = world.cli("preflight", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    inventory = next(line for line in lines if " InventoryLocations " in line)
    assert " ok " in inventory and "query, create, update" in inventory
    assert any(" CompanyWebhookFields " in line for line in lines)
    settings = [line for line in lines if line.startswith("salesbuildr")]
    assert settings and all("not checkable" in line for line in settings)
    assert all("no permission endpoint" in line for line in settings)
    assert "0 denied" in lines[-1]
    assert world.writes() == before


def test_a_denied_permission_is_named_and_exits_1(world: World) -> None:
    world.sandbox.autotask.permissions.configure(
        {"entities": {"CompanyWebhooks": {"delete": "None"}}}
    )
    path = world.write(EXAMPLE.read_text(encoding="utf-8"))
    before = world.writes()
    result = world.cli("preflight", str(path))
    assert result.exit_code == 1, result.output
    (line,) = [ln for ln in result.output.splitlines() if " CompanyWebhooks " in ln]
    assert " denied " in line and "userAccessForDelete" in line
    assert "1 denied" in result.output
    assert world.writes() == before


def test_only_the_sections_in_the_file_are_checked(world: World) -> None:
    path = world.write("version: 1\ninventory:\n  locations:\n    Main: {active: true}\n")
    result = world.cli("preflight", str(path))
    assert result.exit_code == 0, result.output
    targets = [line.split()[1] for line in result.output.splitlines()[:-1]]
    assert targets == ["InventoryLocations", "settings/inventory"]
