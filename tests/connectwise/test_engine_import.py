"""``reconcile import-products`` for ConnectWise, end to end against the simulators: the
Categories page's Import (the products of the mapped ConnectWise categories) as a Salesbuildr
job on ConnectWise's path, counted per mapping row (``"12"`` a category, ``"12/40"`` a
subcategory) and named from ConnectWise; ``--category`` narrows it; ``after_apply:
[import_products]`` runs it after a verified apply; hostile category names planted in
ConnectWise stay data in the text and JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))

from escape_support import EXAMPLES, assert_terminal_safe

from reconciler.kinds.names import join_path
from reconciler.render.escape import terminal
from reconciler.sandbox.salesbuildr.seed import imported_count
from tests.connectwise.engine_support import Tenant, cw_api

IMPORT_PATH = "POST /public-api/integration/connectwise/import"
MAPPED = {
    "Hardware": "c-hw",
    "Hardware/Laptops": "c-hw-laptops",
    "Software": "c-sw",
    "Services/Managed": "c-ms",
}
"""The example's ``categories.mappings``: ConnectWise path -> Salesbuildr category id."""


def _ids(tenant: Tenant) -> dict[str, str]:
    """ConnectWise path -> the key of its mapping row (``"12"``, ``"12/40"``)."""
    with cw_api(tenant.env) as api:
        categories = {c["id"]: c["name"] for c in api.get("procurement/categories").json()}
        subs = api.get("procurement/subcategories", params={"pageSize": 1000}).json()
    keys = {name: str(cid) for cid, name in categories.items()}
    for sub in subs:
        parent = sub["category"]["id"]
        keys[f"{categories[parent]}/{sub['name']}"] = f"{parent}/{sub['id']}"
    return keys


def _expected(tenant: Tenant, paths: list[str]) -> dict[str, int]:
    keys = _ids(tenant)
    return {keys[p]: imported_count("mappings", keys[p], MAPPED[p]) for p in paths}


def _mapping_rows(tenant: Tenant) -> list[dict[str, Any]]:
    import httpx  # noqa: PLC0415

    url = tenant.env["SALESBUILDR_API_URL"] + "/integration/connectwise/settings/categories"
    with httpx.Client(headers={"api-key": tenant.env["SALESBUILDR_API_KEY"]}) as sb:
        rows: list[dict[str, Any]] = sb.get(url).json()["mappings"]
    return rows


def _row_key(row: dict[str, Any]) -> str:
    sub = row["connectwiseSubcategoryId"]
    return str(row["connectwiseCategoryId"]) + (f"/{sub}" if sub is not None else "")


def test_import_counts_every_mapped_row_by_its_connectwise_path(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    assert all(row["importedCount"] == 0 for row in _mapping_rows(tenant))

    result = tenant.cli("import-products", "--file", "mappings.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    expected = _expected(tenant, list(MAPPED))
    assert body["status"] == "succeeded" and body["scope"] == "mapped"
    assert body["counts"] == {"mappings": expected, "total": sum(expected.values())}
    assert body["total"] == sum(expected.values())
    keys = _ids(tenant)
    assert sorted((i["kind"], i["name"], i["id"], i["imported"]) for i in body["items"]) == sorted(
        ("subcategory" if "/" in path else "category", path, keys[path], expected[keys[path]])
        for path in MAPPED
    )
    endpoints = tenant.sandbox.salesbuildr.stats()["endpoints"]
    assert endpoints[IMPORT_PATH]["requests"] == 1
    assert not any("/integration/autotask/" in name for name in endpoints)
    assert {_row_key(r): r["importedCount"] for r in _mapping_rows(tenant)} == expected

    text = tenant.cli("import-products", "--file", "mappings.yaml")
    assert text.exit_code == 0, text.output
    total = sum(expected.values())
    assert "Product import (all mapped categories) succeeded" in text.stdout
    assert f"{total} item(s) imported." in text.stdout
    assert f"subcategory  Hardware/Laptops  {expected[keys['Hardware/Laptops']]:>8}" in text.stdout
    assert "Product import: succeeded" in text.stderr  # the job's progress, on stderr
    again = tenant.cli("plan", "mappings.yaml", "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # importedCount moves no plan


def test_category_narrows_the_import_and_warns_of_an_unmapped_one(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    result = tenant.cli(
        "import-products", "--file", "mappings.yaml", "--category", "hardware",
        "--category", "Labor", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    expected = _expected(tenant, ["Hardware", "Hardware/Laptops"])
    assert body["scope"] == "categories"
    assert [c["path"] for c in body["categories"]] == ["Hardware", "Labor"]
    assert body["counts"]["mappings"] == expected
    [warning] = body["warnings"]
    assert warning["id"] == "category_not_mapped"
    assert "--category Labor: no ConnectWise category is mapped to it" in warning["message"]
    assert "categories.mappings" in warning["hint"]

    unknown = tenant.cli("import-products", "--file", "mappings.yaml", "--category", "Hardwear")
    assert unknown.exit_code == 1, unknown.output  # as for Autotask: before any job
    assert "unknown Salesbuildr category 'Hardwear'" in unknown.output
    assert "Hardware" in unknown.output  # did you mean
    assert tenant.sandbox.salesbuildr.stats()["endpoints"][IMPORT_PATH]["requests"] == 1


def test_after_apply_import_products_runs_after_a_verified_apply(tenant: Tenant) -> None:
    config = tenant.workdir / "mappings.yaml"
    text = config.read_text()
    assert "after_apply: [sync_fields]" in text
    config.write_text(text.replace("after_apply: [sync_fields]", "after_apply: [import_products]"))
    applied = tenant.cli("apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Verified: the live settings match the plan." in applied.output
    total = sum(_expected(tenant, list(MAPPED)).values())
    assert "Product import (all mapped categories) succeeded" in applied.stdout
    assert f"{total} item(s) imported." in applied.stdout
    assert "Hardware/Laptops" in applied.stdout  # named through the run's own client
    assert tenant.sandbox.salesbuildr.stats()["endpoints"][IMPORT_PATH]["requests"] == 1


def test_hostile_category_names_stay_data_in_the_output(tenant: Tenant) -> None:
    assert tenant.cli("apply", "mappings.yaml", "--auto-approve").exit_code == 0
    keys = _ids(tenant)
    hostile = [name[:50] for name in EXAMPLES[:3]]
    with cw_api(tenant.env) as api:
        for path, name in zip(("Hardware", "Software", "Hardware/Laptops"), hostile, strict=True):
            key = keys[path]
            target = f"procurement/subcategories/{key.split('/')[1]}" if "/" in key else (
                f"procurement/categories/{key}")  # fmt: skip
            patch = [{"op": "replace", "path": "name", "value": name}]
            moved = api.patch(target, json=patch)
            assert moved.status_code == 200, moved.text

    labels = {  # the path a mapping is shown by ("/" in a name escaped, as the YAML writes it)
        keys["Hardware"]: join_path((hostile[0],)),
        keys["Software"]: join_path((hostile[1],)),
        keys["Hardware/Laptops"]: join_path((hostile[0], hostile[2])),
    }
    as_json = tenant.cli("import-products", "--file", "mappings.yaml", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    names = {item["id"]: item["name"] for item in json.loads(as_json.stdout)["items"]}
    for key, label in labels.items():
        assert names[key] == label  # as ConnectWise has it (JSON-escaped on the wire)
    assert "\x1b" not in as_json.stdout

    text = tenant.cli("import-products", "--file", "mappings.yaml")
    assert text.exit_code == 0, text.output
    assert_terminal_safe(text.stdout)
    assert_terminal_safe(text.stderr)
    lines = text.stdout.rstrip("\n").split("\n")
    assert len(lines) == 1 + 1 + len(MAPPED) + 1, text.stdout  # summary, header, rows, total
    for label in labels.values():
        assert terminal(label) in text.stdout
