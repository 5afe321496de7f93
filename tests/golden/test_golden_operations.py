"""Golden: sync, import-products, webhooks status|report|uninstall, preflight, force-unlock and the
apply lock, drift, and the errors a run stops with before any request; against fresh sandboxes.

Live data is planted the way an admin or Autotask would: through the vendor APIs (a company
edited in Autotask, callouts posted to Salesbuildr's receiver, a lock taken by another job).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from golden_sandbox import SandboxFactory
from golden_support import REQUEST_LINE, Transcript, run_reconcile, transcript
from polling import poll
from sandbox_clients import autotask_api, salesbuildr_api

EXAMPLE = "examples/mappings.yaml"
LOCK = "/integration/autotask/lock"
OTHER_JOB = "ci@build-7.example:4242"  # a holder on another host: nothing here can check it


def test_sync_and_import_products(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("operations/sync-and-import.txt", env=sandbox.env, workdir=workdir)
    scenario.run("sync", "--full")
    scenario.run("sync", "--fields", "--format", "json")
    scenario.run("sync", "--inventory")
    scenario.run("sync")
    scenario.run("sync", "--full", "--fields")
    scenario.run("sync", "--full", "--timeout", "soon")
    scenario.run("import-products")
    scenario.run("import-products", "--category", "Hardware/Laptops", "--format", "json")
    scenario.run("import-products", "--category", "Hardwre/Laptop")
    scenario.run("import-products", "--category", "Hardware/Laptops", env=without_autotask())
    scenario.check()


def without_autotask() -> dict[str, str | None]:
    return {
        name: None
        for name in (
            "AUTOTASK_API_URL",
            "AUTOTASK_API_USERNAME",
            "AUTOTASK_API_SECRET",
            "AUTOTASK_API_INTEGRATION_CODE",
        )
    }


def test_webhooks_status_report_and_uninstall(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("empty")
    scenario = transcript("operations/webhooks.txt", env=sandbox.env, workdir=workdir)
    scenario.run("webhooks", "status", EXAMPLE)
    scenario.run("apply", EXAMPLE, "--auto-approve", "--parallelism", "1")
    scenario.run("webhooks", "status", EXAMPLE)
    scenario.run("webhooks", "status", "--format", "json")

    with autotask_api(sandbox.env) as api:
        query = {"filter": [{"op": "gt", "field": "id", "value": 0}], "MaxRecords": 1}
        [company] = api.post("Companies/query", json=query).json()["items"]
        api.patch("Companies", json={"id": company["id"], "phone": "+1 555 0100"})
    scenario.note("a company's phone was changed in Autotask; its callout reached Salesbuildr")
    poll(
        lambda: report(scenario),
        lambda found: any(hook["delivered"] for hook in found["webhooks"]),
        what="the company webhook's delivery in the report",
    )
    post_callouts(scenario)
    scenario.note("one signed callout of an unknown webhook, one with a forged signature")
    scenario.run("webhooks", "report")
    scenario.run("webhooks", "report", "--since", "30m", "--format", "json")
    scenario.run("webhooks", "report", "--since", "yesterday")

    scenario.run("webhooks", "uninstall", "sb-companies")  # asks; no terminal
    scenario.run("webhooks", "uninstall", "sb-company", "--auto-approve")
    scenario.run("webhooks", "uninstall", "--auto-approve")  # no mappings.yaml here
    scenario.run("webhooks", "uninstall", "ticket/sb-tickets", "--auto-approve")
    scenario.run("webhooks", "uninstall", "--file", EXAMPLE, "--auto-approve")
    scenario.run("webhooks", "status", EXAMPLE)
    scenario.check()


def report(scenario: Transcript) -> dict[str, Any]:
    """The delivery report as JSON, outside the transcript (polled until a callout arrived)."""
    argv = ["webhooks", "report", "--format", "json"]
    outcome = run_reconcile(argv, env=scenario.env, cwd=scenario.cwd)
    assert outcome.exit_code == 0, outcome.stderr
    found: dict[str, Any] = json.loads(outcome.stdout)
    return found


def post_callouts(scenario: Transcript) -> None:
    body = json.dumps({"Action": "Update", "Guid": "not-a-webhook", "EntityType": "Company"})
    secret = scenario.env["SALESBUILDR_WEBHOOK_SECRET"]
    signed = "sha1=" + base64.b64encode(
        hmac.new(secret.encode(), body.encode(), hashlib.sha1).digest()
    ).decode("ascii")
    with salesbuildr_api(scenario.env) as api:
        receiver = str(api.base_url).removesuffix("/public-api/") + "/webhooks/autotask"
        for header in (signed, "sha1=forged"):
            sent = api.post(receiver, content=body, headers={"X-Hook-Signature": header})
            assert sent.status_code < 500, sent.text


def test_preflight_and_drift(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("operations/preflight-and-drift.txt", env=sandbox.env, workdir=workdir)
    scenario.run("preflight", EXAMPLE)
    scenario.run("drift", EXAMPLE)
    scenario.run("drift", EXAMPLE, "--format", "json")
    scenario.run("drift", EXAMPLE, "--format", "markdown")
    scenario.check()


def test_the_apply_lock_and_force_unlock(sandboxes: SandboxFactory, workdir: Path) -> None:
    sandbox = sandboxes("demo")
    scenario = transcript("operations/lock.txt", env=sandbox.env, workdir=workdir)
    scenario.run("force-unlock", "--auto-approve")
    with salesbuildr_api(sandbox.env) as api:
        taken = api.put(LOCK, json={"owner": OTHER_JOB, "ttlSeconds": 3600})
        assert taken.status_code == 201, taken.text
    scenario.note(f"another job ({OTHER_JOB}) holds the apply lock")
    scenario.run("plan", EXAMPLE, "--out", "plan.json")
    scenario.run("apply", "plan.json", "--lock-timeout", "0s")
    scenario.run("apply", EXAMPLE, "--auto-approve", "--lock-timeout", "0s")
    scenario.run("webhooks", "uninstall", "sb-companies", "--auto-approve", "--lock-timeout", "0s")
    scenario.run("force-unlock")  # asks; no terminal
    scenario.run("force-unlock", "--auto-approve")
    scenario.run("force-unlock", "--auto-approve")
    scenario.check()


def test_errors_before_any_request(sandboxes: SandboxFactory, workdir: Path) -> None:
    """Missing credentials, a URL on a host nobody allowed, a .env that sets credentials."""
    sandbox = sandboxes("empty")
    scenario = transcript("operations/errors.txt", env=sandbox.env, workdir=workdir)
    nothing: dict[str, str | None] = {name: None for name in sandbox.env}
    scenario.run("plan", EXAMPLE, env=nothing)
    scenario.run("plan", EXAMPLE, env={**nothing, "SALESBUILDR_WEBHOOK_SECRET": "set"})
    scenario.run("plan", EXAMPLE, env=without_autotask())
    scenario.run("export", env=nothing)
    scenario.run("sync", "--full", env=nothing)
    scenario.run("show", "no-such-plan.json")

    hostile = workdir / "hostile.yaml"
    hostile.write_text(
        "version: 1\nsalesbuildr: {url: https://collector.example/public-api}\n"
        "billing_codes: {default: Hardware Sales}\n",
        encoding="utf-8",
    )
    scenario.run("plan", "hostile.yaml", env={"SALESBUILDR_API_URL": None})
    (workdir / ".env").write_text("SALESBUILDR_API_KEY=from-dot-env\n", encoding="utf-8")
    scenario.note(".env sets SALESBUILDR_API_KEY")
    scenario.run("plan", EXAMPLE)
    scenario.check()


def test_verbose_request_logs(sandboxes: SandboxFactory, workdir: Path) -> None:
    """``-v``: one line per API request. A plan sends its reads at once, so their lines are
    compared sorted; a job's polls are sequential and keep their order."""
    sandbox = sandboxes("demo")
    scenario = transcript("operations/verbose.txt", env=sandbox.env, workdir=workdir)
    scenario.run("-v", "plan", EXAMPLE, unordered=REQUEST_LINE)
    scenario.run("-v", "plan", EXAMPLE, "--target", "inventory", unordered=REQUEST_LINE)
    scenario.run("-vv", "sync", "--fields")
    # Its reads (before and after the writes) go out at once too; the writes, one by one, are
    # compared in order in data/plan/demo-journal.jsonl.
    scenario.run(
        "-v", "apply", EXAMPLE, "--auto-approve", "--parallelism", "1", unordered=REQUEST_LINE
    )
    scenario.check()
