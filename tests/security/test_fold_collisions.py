"""No silent wrong match (issue 15, item 8): names that collide after folding.

Live objects whose names are equal after :func:`~reconciler.kinds.names.fold` (NFKC, casefold,
whitespace collapsed) are planted through the simulated Autotask API: ``sb-companies`` and
``ＳＢ-companies`` (full-width), ``Ａcme`` and ``Acme``, ``a  b`` and ``a b``, a webhook named
``shared`` on two entities, inventory locations ``Old Stockroom`` and ``Old  Stockroom``. The name
spelled exactly wins; a name that matches several only after folding is an ambiguity naming
every id; and ``export`` writes a valid, unique-key document that plans to zero changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result
from sandbox_clients import autotask_api, isolated_cli

from reconciler.cli import cli
from reconciler.kinds.names import fold
from reconciler.sandbox.common import Sandbox, start_sandbox

COMPANY_PAIRS = [("ＳＢ-companies", None), ("Ａcme", "Acme"), ("a  b", "a b")]
"""Planted company webhooks (sb-companies is in the demo tenant already). Autotask (and its
simulator) refuses two names of one entity that differ in case only, but not these."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", latency_ms=0)
    yield running
    running.stop()


class Tenant:
    def __init__(self, sandbox: Sandbox, workdir: Path, client: httpx.Client):
        self.sandbox, self.workdir, self.api = sandbox, workdir, client
        self.ids: dict[tuple[str, str], int] = {}

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(cli, list(args), env={**self.sandbox.env, **(env or {})})
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    def rows(self, entity: str) -> list[dict[str, Any]]:
        body = self.api.post(f"/{entity}/query", json={"filter": [{"op": "exist", "field": "id"}]})
        assert body.status_code == 200, body.text
        items: list[dict[str, Any]] = body.json()["items"]
        return items

    def plant_webhook(self, collection: str, name: str) -> int:
        """A copy of the tenant's first webhook of ``collection`` under ``name``, with one
        subscribed field (Autotask never fires a webhook without one)."""
        template = self.rows("CompanyWebhooks")[0]
        child = collection.removesuffix("s") + "Fields"
        field_id = self.first_field(child)
        body = {k: v for k, v in template.items() if k not in ("id", "webhookGUID")}
        body.update(name=name, secretKey="planted-secret-value", isSubscribedToDeleteEvents=True)
        created = self.api.post(f"/{collection}", json=body)
        assert created.status_code == 200, created.text
        ident = int(created.json()["itemId"])
        field = self.api.post(
            f"/{collection}/{ident}/Fields",
            json={
                "webhookID": ident,
                "fieldID": field_id,
                "isSubscribedField": True,
                "isDisplayAlwaysField": False,
            },
        )
        assert field.status_code == 200, field.text
        self.ids[(collection, name)] = ident
        return ident

    def first_field(self, child: str) -> Any:
        """The first value of the child collection's ``fieldID`` picklist (from metadata)."""
        fields = self.api.get(f"/{child}/entityInformation/fields")
        assert fields.status_code == 200, fields.text
        (field_info,) = [f for f in fields.json()["fields"] if f["name"] == "fieldID"]
        return field_info["picklistValues"][0]["value"]

    def webhook_id(self, collection: str, name: str) -> int:
        (row,) = [r for r in self.rows(collection) if r["name"] == name]
        return int(row["id"])


@pytest.fixture
def tenant(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    env = sandbox.env
    with isolated_cli(env, tmp_path, monkeypatch), autotask_api(env) as client:
        planted = Tenant(sandbox, tmp_path, client)
        for first, second in COMPANY_PAIRS:
            planted.plant_webhook("CompanyWebhooks", first)
            if second is not None:
                planted.plant_webhook("CompanyWebhooks", second)
        planted.plant_webhook("CompanyWebhooks", "shared")
        planted.plant_webhook("TicketWebhooks", "shared")
        location = client.post(
            "/InventoryLocations", json={"locationName": "Old  Stockroom", "isActive": True}
        )
        assert location.status_code == 200, location.text
        yield planted


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load, but a mapping key written twice is an error (YAML would keep the last)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key) for key, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    assert not duplicates, f"keys written twice: {duplicates}"
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,  # type: ignore[arg-type]
)


def _variables(text: str) -> dict[str, str]:
    return {name: f"value-of-{name}" for name in re.findall(r"\$\{env:([A-Z0-9_]+)\}", text)}


def _export(tenant: Tenant) -> tuple[Path, dict[str, Any]]:
    out = tenant.workdir / "mappings.yaml"
    result = tenant.cli(
        "export",
        "--section",
        "webhooks",
        "--section",
        "webhook_receiver",
        "--section",
        "inventory",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.load(text, Loader=_UniqueKeyLoader)
    return out, document


def test_export_of_colliding_names_is_valid_and_plans_to_zero(tenant: Tenant) -> None:
    out, document = _export(tenant)

    hooks = document["webhooks"]
    spelled = sorted((h["entity"], h.get("name", key)) for key, h in hooks.items())
    for name in ("sb-companies", "ＳＢ-companies", "Ａcme", "Acme", "a  b", "a b", "shared"):
        assert ("company", name) in spelled, spelled
    assert ("ticket", "shared") in spelled
    folded_keys = [fold(k) for k in hooks]
    assert len(folded_keys) == len(set(folded_keys)), sorted(hooks)  # unique even after folding
    locations = document["inventory"]["locations"]
    assert {"Old Stockroom", "Old  Stockroom"} <= set(locations)

    text = out.read_text(encoding="utf-8")
    validated = tenant.cli("validate", str(out), env=_variables(text))
    assert validated.exit_code == 0, validated.output
    plan = tenant.cli("plan", str(out), "--detailed-exitcode", env=_variables(text))
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.output


def _only_webhook(document: dict[str, Any], name: str, entity: str = "company") -> dict[str, Any]:
    (hook,) = [
        h
        for key, h in document["webhooks"].items()
        if h.get("name", key) == name and h["entity"] == entity
    ]
    # No webhook_receiver: export writes none (its secret is kept), and none is needed to
    # plan an existing webhook.
    assert "webhook_receiver" not in document
    return {"version": 1, "webhooks": {"picked": {**hook, "name": name}}}


@pytest.mark.parametrize("name", ["ＳＢ-companies", "sb-companies", "Ａcme", "a  b", "a b"])
def test_the_name_spelled_exactly_wins(tenant: Tenant, name: str) -> None:
    # The planted copies differ from their twins (one field, delete events), so a match on
    # the wrong twin would plan an update.
    _, document = _export(tenant)
    picked = tenant.workdir / "picked.yaml"
    picked.write_text(yaml.safe_dump(_only_webhook(document, name), allow_unicode=True))

    plan = tenant.cli("plan", str(picked), "--detailed-exitcode")

    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.output


@pytest.mark.parametrize(
    ("written", "twins"),
    [
        ("Sb-Companies", ("sb-companies", "ＳＢ-companies")),
        ("ａｃｍｅ", ("Ａcme", "Acme")),
        ("a   b", ("a  b", "a b")),
    ],
)
def test_a_name_that_matches_two_only_after_folding_is_an_ambiguity(
    tenant: Tenant, written: str, twins: tuple[str, str]
) -> None:
    _, document = _export(tenant)
    config = _only_webhook(document, twins[1])
    config["webhooks"]["picked"]["name"] = written
    picked = tenant.workdir / "picked.yaml"
    picked.write_text(yaml.safe_dump(config, allow_unicode=True))

    plan = tenant.cli("plan", str(picked))

    assert plan.exit_code == 1, plan.output
    for twin in twins:
        assert str(tenant.webhook_id("CompanyWebhooks", twin)) in plan.output
        assert repr(twin) in plan.output  # the hint names each exact spelling
    assert "after folding" in plan.output
    assert "picked.yaml:" in plan.output  # located at the YAML resource


def test_same_named_webhooks_on_two_entities_keep_their_own_keys(tenant: Tenant) -> None:
    _, document = _export(tenant)

    shared = {
        key: hook for key, hook in document["webhooks"].items() if hook.get("name") == "shared"
    }

    assert sorted(h["entity"] for h in shared.values()) == ["company", "ticket"]
    assert len(set(shared)) == 2 and "shared" not in shared
