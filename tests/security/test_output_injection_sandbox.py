"""Output cannot be forged by data, end to end (issue 15, item 4): hostile names planted through
the simulated vendor APIs reach every command's output only through its view's escaping.

The attacker types into admin fields: Autotask webhook names and URLs (through the simulated
Autotask REST API) and Salesbuildr company type names (the simulator's tenant data: its API has
no write for them). The reviewer's file manages webhooks fully, so each planted webhook is a
delete in the plan and unlisted in the drift report, and the company types are a warning. Then
``plan`` (text, Markdown, JSON), ``drift`` (text, Markdown), ``webhooks status`` and a failing
``webhooks uninstall`` must keep their structure (escape_support's checks).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escape_support import (
    EXAMPLES,
    assert_markdown_safe,
    assert_terminal_safe,
    assert_text_plan_safe,
    markdown_tables,
)
from sandbox_clients import autotask_api, isolated_cli

from reconciler.cli import cli
from reconciler.render.escape import terminal
from reconciler.sandbox.common import Sandbox, start_sandbox

HOSTILE_URL = (
    "https://hooks.example.com/x\x1b]8;;http://evil\x07|`</details>@octocat\u202e/" + "z" * 300
)
NAMES = tuple(dict.fromkeys(name[:50] for name in EXAMPLES))
"""Autotask allows 50 characters in a webhook name; the long value is the URL."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", latency_ms=0)
    yield running
    running.stop()


class Tenant:
    def __init__(self, sandbox: Sandbox, workdir: Path, client: httpx.Client):
        self.sandbox, self.workdir, self.api = sandbox, workdir, client
        self.planted: list[str] = []

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

    def plant_webhook(self, name: str) -> None:
        """A copy of the tenant's first company webhook under ``name``, hostile URL included."""
        template = self.rows("CompanyWebhooks")[0]
        body = {k: v for k, v in template.items() if k not in ("id", "webhookGUID")}
        body.update(name=name, webhookUrl=HOSTILE_URL, secretKey="planted-secret-value")
        created = self.api.post("/CompanyWebhooks", json=body)
        assert created.status_code == 200, created.text
        self.planted.append(name)


@pytest.fixture
def tenant(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    env = sandbox.env
    with isolated_cli(env, tmp_path, monkeypatch), autotask_api(env) as client:
        yield Tenant(sandbox, tmp_path, client)


def _variables(text: str) -> dict[str, str]:
    return {name: f"value-of-{name}" for name in re.findall(r"\$\{env:([A-Z0-9_]+)\}", text)}


def _reviewed_file(tenant: Tenant) -> tuple[Path, dict[str, str]]:
    """The live settings exported before the attack, webhooks managed fully."""
    out = tenant.workdir / "mappings.yaml"
    exported = tenant.cli(
        "export",
        "--section",
        "webhooks",
        "--section",
        "webhook_receiver",
        "--section",
        "company_types",
        "--out",
        str(out),
    )
    assert exported.exit_code == 0, exported.output
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    document.setdefault("policy", {})["manage"] = {"webhooks": "full"}
    document["policy"]["max_deletes"] = 100
    document["policy"]["max_change_fraction"] = 1.0
    out.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return out, _variables(out.read_text(encoding="utf-8"))


def _attack(tenant: Tenant) -> None:
    for name in NAMES:
        tenant.plant_webhook(name)
    salesbuildr = tenant.sandbox.salesbuildr
    hostile_types = tuple((f"evil-{i}", name) for i, name in enumerate(NAMES[:4]))
    salesbuildr.data = dataclasses.replace(
        salesbuildr.data, company_types=salesbuildr.data.company_types + hostile_types
    )


def _shown_fields(plan: dict[str, Any]) -> int:
    """How many field lines the text view shows (a new object's empty attributes are not)."""
    count = 0
    for change in plan["changes"]:
        if change["action"] == "no-op":
            continue
        for diff in change["diff"]:
            if change["action"] != "create" or diff["after"] not in (None, []):
                count += 1
    return count + sum(len(item.get("diff") or []) for item in plan.get("drift") or [])


def _code_cells(markdown: str) -> set[str]:
    return {html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", markdown)}


def test_plan_and_drift_views_keep_their_structure(tenant: Tenant) -> None:
    config, env = _reviewed_file(tenant)
    _attack(tenant)

    as_json = tenant.cli("plan", str(config), "--format", "json", env=env)
    assert as_json.exit_code == 0, as_json.output
    plan = json.loads(as_json.stdout)
    deleted = [c for c in plan["changes"] if c["action"] == "delete"]
    assert len(deleted) == len(NAMES), [c["address"] for c in deleted]
    assert "\x1b" not in as_json.stdout and "\u202e" not in as_json.stdout

    text = tenant.cli("plan", str(config), env=env)
    assert text.exit_code == 0, text.output
    pending = [c for c in plan["changes"] if c["action"] != "no-op"]
    assert_text_plan_safe(text.stdout, pending=len(pending), fields=_shown_fields(plan))
    assert_terminal_safe(text.stderr)  # the company-type warning names the planted types

    markdown = tenant.cli("plan", str(config), "--format", "markdown", env=env)
    assert markdown.exit_code == 0, markdown.output
    assert_markdown_safe(markdown.stdout)
    (webhooks,) = [t for t in markdown_tables(markdown.stdout) if "webhooks" in t[0]]
    assert len(webhooks) == sum(len(c["diff"]) for c in pending if c["section"] == "webhooks")
    cells = _code_cells(markdown.stdout)
    for change in deleted:  # each address is shown once, and reads back as its escapes
        assert terminal(change["address"]) in cells, change["address"]

    drift_text = tenant.cli("drift", str(config), env=env)
    assert drift_text.exit_code == 2, drift_text.output
    assert_terminal_safe(drift_text.stdout)
    assert sum(line.startswith("  * ") for line in drift_text.stdout.split("\n")) == len(pending)
    drift_md = tenant.cli("drift", str(config), "--format", "markdown", env=env)
    assert drift_md.exit_code == 2, drift_md.output
    assert_markdown_safe(drift_md.stdout, marker="<!-- reconcile-drift -->")


def test_webhooks_status_and_errors_keep_their_structure(tenant: Tenant) -> None:
    config, env = _reviewed_file(tenant)
    _attack(tenant)

    as_json = tenant.cli("webhooks", "status", str(config), "--format", "json", env=env)
    assert as_json.exit_code == 0, as_json.output
    statuses = json.loads(as_json.stdout)["webhooks"]
    assert {s["name"] for s in statuses} >= set(NAMES)

    table = tenant.cli("webhooks", "status", str(config), env=env)
    assert table.exit_code == 0, table.output
    assert_terminal_safe(table.output)
    lines = table.stdout.rstrip("\n").split("\n")
    assert len(lines) == 1 + len(statuses) + 1  # header, one line per webhook, the summary
    assert lines[-1].startswith(f"{len(statuses)} webhook(s) installed")

    # A name close to the planted ones: the did-you-mean hint quotes them, escaped.
    missing = tenant.cli("webhooks", "uninstall", "sb`companie", "--auto-approve", env=env)
    assert missing.exit_code == 1, missing.output
    assert_terminal_safe(missing.output)
    assert [line[:8] for line in missing.stderr.rstrip("\n").split("\n")] == [
        "error: n",
        "  hint: ",
    ], missing.stderr
