"""Autotask webhooks follow the rule of tests/security/test_userinfo_urls.py: a password an admin
puts in a live webhook or deactivation URL (``https://user:password@host``) reaches no view and
no saved plan, the plan still shows the URL differs, and apply writes the desired URL."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, start_sandbox
from tests.sandbox_clients import autotask_api, isolated_cli

PASSWORD = "ATUSERINFOPW9"
HOSTILE = f"https://carol:{PASSWORD}@hooks.example/at?token=QUERYTOKEN789"
MASKED = "https://<user-info>@hooks.example/at?token=QUERYTOKEN789"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", latency_ms=0)
    yield running
    running.stop()


@pytest.fixture
def tenant(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[httpx.Client]:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    with isolated_cli(sandbox.env, tmp_path, monkeypatch), autotask_api(sandbox.env) as client:
        yield client


def _cli(sandbox: Sandbox, *args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env={**sandbox.env, "NO_COLOR": "1"})
    assert "Traceback" not in result.output, result.output
    return result


def _hooks(api: httpx.Client) -> list[dict[str, Any]]:
    body = api.post("/CompanyWebhooks/query", json={"filter": [{"op": "exist", "field": "id"}]})
    assert body.status_code == 200, body.text
    items: list[dict[str, Any]] = body.json()["items"]
    return items


def _reviewed(sandbox: Sandbox, workdir: Path) -> Path:
    out = workdir / "mappings.yaml"
    exported = _cli(
        sandbox,
        "export",
        "--section",
        "webhooks",
        "--section",
        "webhook_receiver",
        "--out",
        str(out),
    )
    assert exported.exit_code == 0, exported.output
    return out


def _no_password(text: str, where: str) -> None:
    assert PASSWORD not in text, f"{where} shows the user-info password"
    assert "carol:" not in text, f"{where} shows the user-info"


def test_autotask_webhook_urls_hold_no_password(
    sandbox: Sandbox, tenant: httpx.Client, tmp_path: Path
) -> None:
    config = _reviewed(sandbox, tmp_path)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    hook = next(h for h in _hooks(tenant) if h["name"] in document["webhooks"])
    patched = tenant.patch(
        "/CompanyWebhooks",
        json={"id": hook["id"], "webhookUrl": HOSTILE, "deactivationUrl": HOSTILE},
    )
    assert patched.status_code == 200, patched.text

    views = {
        "text": _cli(sandbox, "plan", str(config)),
        "markdown": _cli(sandbox, "plan", str(config), "--format", "markdown"),
        "json": _cli(sandbox, "plan", str(config), "--format", "json"),
        "--out": _cli(sandbox, "plan", str(config), "--out", str(tmp_path / "plan.json")),
        "drift": _cli(sandbox, "drift", str(config)),
        "status": _cli(sandbox, "webhooks", "status", str(config)),
        "status json": _cli(sandbox, "webhooks", "status", str(config), "--format", "json"),
        "export": _cli(sandbox, "export", "--section", "webhooks"),
    }
    for where, run in views.items():
        assert run.exit_code in (0, 2), f"{where}: {run.output}"
        _no_password(run.output, where)
    _no_password((tmp_path / "plan.json").read_text(encoding="utf-8"), "the saved plan")
    assert MASKED in views["status"].output

    plan = json.loads(views["json"].stdout)
    (change,) = [c for c in plan["changes"] if c["action"] == "update"]
    diff = {d["path"]: d for d in change["diff"]}
    assert diff["url"]["before"] == MASKED
    assert "@" not in diff["url"]["after"]
    assert MASKED in views["text"].stdout
    assert MASKED in html.unescape(views["markdown"].stdout)

    applied = _cli(sandbox, "apply", str(config), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    _no_password(applied.output, "apply")
    (after,) = [h for h in _hooks(tenant) if h["id"] == hook["id"]]
    assert after["webhookUrl"] == diff["url"]["after"]
    again = _cli(sandbox, "plan", str(config), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
