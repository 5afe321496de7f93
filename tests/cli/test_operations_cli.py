"""Operations commands through the real CLI against the sandbox over loopback HTTP.

`sync`, `import-products`, apply's `after_apply`, and `webhooks status|report|uninstall`. One
sandbox serves the module; every test reseeds both simulators and runs in a fresh directory (the
journal goes to `.reconcile/` there). No case may produce a traceback.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from polling import poll
from sandbox_clients import autotask_api

from reconciler.cli import cli
from reconciler.sandbox.common import Sandbox, start_sandbox
from reconciler.sandbox.salesbuildr.receiver import signature
from reconciler.sandbox.salesbuildr.seed import imported_count

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
AT = "/public-api/integration/autotask"
ENGINEER_ROLE = 29683301
WEBHOOK_TABLES = ("Webhooks", "WebhookFields", "WebhookUdfFields", "WebhookExcludedResources")


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    sandbox = start_sandbox(seed="demo")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    reseed(running, "demo")
    monkeypatch.chdir(tmp_path)
    yield running


def reseed(sandbox: Sandbox, seed: str) -> None:
    sandbox.autotask.reset(seed)
    sandbox.salesbuildr.reset(seed)


def run(sandbox: Sandbox, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Invoke the CLI; whatever happens, no traceback and no exception but SystemExit."""
    result = CliRunner().invoke(cli, list(args), env={**sandbox.env, **(env or {})})
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def sb_url(sandbox: Sandbox, path: str) -> str:
    return sandbox.env["SALESBUILDR_API_URL"].removesuffix("/public-api") + path


def sb_requests(sandbox: Sandbox, endpoint: str) -> int:
    found = sandbox.salesbuildr.stats()["endpoints"].get(endpoint) or {}
    return int(found.get("requests", 0))


def fail_next_job(sandbox: Sandbox, error: str) -> None:
    httpx.post(sb_url(sandbox, "/_sandbox/fail-next-job"), json={"error": error}).raise_for_status()


def lines_with(text: str, *words: str) -> list[str]:
    return [line for line in text.splitlines() if all(w in line for w in words)]


def webhook_rows(sandbox: Sandbox) -> dict[str, int]:
    """Rows left in every webhook table of the Autotask simulator (read from its store)."""
    counts = {}
    for prefix in ("Company", "Contact", "ConfigurationItem", "Ticket", "TicketNote"):
        for table in WEBHOOK_TABLES:
            if prefix == "TicketNote" and table == "WebhookUdfFields":
                continue
            counts[prefix + table] = len(sandbox.autotask.store.table(prefix + table).rows)
    return counts


def write_yaml(text: str) -> Path:
    path = Path("mappings.yaml")
    path.write_text(text, encoding="utf-8")
    return path


SMALL_YAML = """\
version: 1
after_apply: [sync_fields]
billing_codes:
  default: Hardware Sales
"""


# --- reconcile sync ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "keys"),
    [
        ("full", {"companies", "contacts", "products", "services", "fieldValues"}),
        ("fields", {"fieldValues"}),
        ("inventory", {"locations"}),
    ],
)
def test_sync_runs_the_job_and_prints_its_counts(
    sandbox: Sandbox, mode: str, keys: set[str]
) -> None:
    as_json = run(sandbox, "sync", f"--{mode}", "--format", "json")
    as_text = run(sandbox, "sync", f"--{mode}")

    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["status"] == "succeeded"
    assert data["mode"] == mode
    assert set(data["counts"]) == keys
    assert as_text.exit_code == 0, as_text.output
    assert re.fullmatch(r".* sync succeeded \(job job-\d+\)\.", as_text.stdout.splitlines()[0])
    for key, value in data["counts"].items():
        word = "field values" if key == "fieldValues" else key
        assert lines_with(as_text.stdout, word, str(value)), as_text.stdout
    assert "queued" in as_text.stderr
    assert "succeeded" in as_text.stderr
    assert sb_requests(sandbox, f"POST {AT}/sync") == 2


def test_a_failing_sync_job_exits_1_with_its_error(sandbox: Sandbox) -> None:
    fail_next_job(sandbox, "Autotask refused the API user")

    result = run(sandbox, "sync", "--fields")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.search(
        r"error: Fields sync failed \(job job-\d+\): Autotask refused the API user", result.stderr
    )
    assert "failed" in result.stderr.splitlines()[-3]


def test_a_failing_job_in_json_is_still_reported_on_stdout(sandbox: Sandbox) -> None:
    fail_next_job(sandbox, "boom")

    result = run(sandbox, "sync", "--full", "--format", "json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "failed"
    assert json.loads(result.stdout)["error"] == "boom"


@pytest.mark.parametrize("flags", [[], ["--full", "--inventory"]])
def test_sync_needs_exactly_one_mode(sandbox: Sandbox, flags: list[str]) -> None:
    result = run(sandbox, "sync", *flags)

    assert result.exit_code == 1
    assert "choose exactly one of --full, --fields, --inventory" in result.stderr
    assert sb_requests(sandbox, f"POST {AT}/sync") == 0


def test_sync_timeout_is_checked(sandbox: Sandbox) -> None:
    result = run(sandbox, "sync", "--fields", "--timeout", "soon")

    assert result.exit_code == 1
    assert "--timeout 'soon': expected a positive duration" in result.stderr


# --- reconcile import-products ----------------------------------------------------------------


def test_import_products_imports_all_mapped_categories_with_names(sandbox: Sandbox) -> None:
    expected = imported_count("roles", ENGINEER_ROLE, "c-labor-eng")

    result = run(sandbox, "import-products")

    assert result.exit_code == 0, result.output
    assert re.match(
        rf"Product import \(all mapped categories\) succeeded \(job job-\d+\): {expected} item",
        result.stdout,
    )
    [row] = lines_with(result.stdout, "role", "Engineer")
    assert row.split() == ["role", "Engineer", str(expected)]
    assert lines_with(result.stdout, "total", str(expected))


def test_import_products_by_category_path(sandbox: Sandbox) -> None:
    result = run(sandbox, "import-products", "--category", "labor/ENGINEERING", "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scope"] == "categories"
    assert data["categories"] == [{"id": "c-labor-eng", "path": "Labor/Engineering"}]
    expected = imported_count("roles", ENGINEER_ROLE, "c-labor-eng")
    assert data["items"] == [
        {"kind": "role", "id": str(ENGINEER_ROLE), "name": "Engineer", "imported": expected}
    ]
    assert data["total"] == expected


def test_import_products_of_an_unmapped_category_imports_nothing(sandbox: Sandbox) -> None:
    result = run(sandbox, "import-products", "--category", "Software")

    assert result.exit_code == 0, result.output
    assert "Product import (Software) succeeded" in result.stdout
    assert "0 item(s) imported" in result.stdout


def test_an_unknown_category_exits_1_before_any_job(sandbox: Sandbox) -> None:
    result = run(sandbox, "import-products", "--category", "Hardwre/Laptop")

    assert result.exit_code == 1
    assert "error: --category: unknown Salesbuildr category 'Hardwre/Laptop'" in result.stderr
    assert "did you mean 'Hardware/Laptops'" in result.stderr
    assert sb_requests(sandbox, f"POST {AT}/import") == 0
    assert sandbox.salesbuildr.jobs.jobs == {}


def test_import_products_without_autotask_credentials_shows_ids(sandbox: Sandbox) -> None:
    result = run(sandbox, "import-products", env={"AUTOTASK_API_SECRET": None})

    assert result.exit_code == 0, result.output
    assert lines_with(result.stdout, "role", f"#{ENGINEER_ROLE}")
    assert "Autotask credentials are not set" in result.stderr


def test_a_failing_import_exits_1(sandbox: Sandbox) -> None:
    fail_next_job(sandbox, "no billing code for category Hardware")

    result = run(sandbox, "import-products")

    assert result.exit_code == 1
    assert re.search(
        r"Product import failed \(job job-\d+\): no billing code for category", result.stderr
    )


# --- after_apply ------------------------------------------------------------------------------


def test_after_apply_runs_after_a_verified_apply(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    write_yaml(SMALL_YAML)

    result = run(sandbox, "apply", "mappings.yaml", "--auto-approve")

    assert result.exit_code == 0, result.output
    summary = result.stdout.index("Apply complete")
    assert result.stdout.index("Fields sync succeeded (job job-") > summary
    assert len(sandbox.salesbuildr.jobs.jobs) == 1
    assert sb_requests(sandbox, f"POST {AT}/sync") == 1


def test_after_apply_of_a_saved_plan_comes_from_the_plan(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    write_yaml(SMALL_YAML)
    made = run(sandbox, "plan", "mappings.yaml", "--out", "plan.json")
    assert made.exit_code == 0, made.output
    assert json.loads(Path("plan.json").read_text())["policy"]["after_apply"] == ["sync_fields"]
    Path("mappings.yaml").unlink()

    result = run(sandbox, "apply", "plan.json")

    assert result.exit_code == 0, result.output
    assert "Fields sync succeeded" in result.stdout
    assert sb_requests(sandbox, f"POST {AT}/sync") == 1


def test_a_failing_after_apply_action_says_the_apply_succeeded(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    write_yaml(SMALL_YAML.replace("[sync_fields]", "[sync_fields, import_products]"))
    fail_next_job(sandbox, "Salesbuildr is busy")

    result = run(sandbox, "apply", "mappings.yaml", "--auto-approve")

    assert result.exit_code == 1
    assert "Apply complete" in result.stdout
    assert re.search(
        "error: the apply succeeded and was verified, but the after_apply action sync_fields "
        r"failed: job job-\d+: Salesbuildr is busy",
        result.stderr,
    )
    assert "not run: import_products" in result.stderr
    assert sb_requests(sandbox, f"POST {AT}/import") == 0
    again = run(sandbox, "plan", "mappings.yaml", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_after_apply_does_not_run_when_nothing_was_applied(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    write_yaml(SMALL_YAML)
    assert run(sandbox, "apply", "mappings.yaml", "--auto-approve").exit_code == 0

    result = run(sandbox, "apply", "mappings.yaml", "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "after_apply (sync_fields) not run: nothing was applied" in result.stderr
    assert sb_requests(sandbox, f"POST {AT}/sync") == 1


# --- reconcile webhooks status ----------------------------------------------------------------


def test_status_on_the_demo_seed_shows_what_differs_from_the_example(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "status", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    [companies] = lines_with(result.stdout, "company", "sb-companies")
    assert companies.split()[2:4] == ["yes", "yes"]  # active, ready
    assert "2: CompanyName, CompanyType" in companies
    assert "differs:" in companies
    assert "fields +Phone" in companies
    [tickets] = lines_with(result.stdout, "ticket", "sb-tickets")
    assert tickets.endswith("not installed")
    assert "1 webhook(s) installed" in result.stdout
    assert "0 match, 1 differ, 0 not in it, 1 not installed" in result.stdout


def test_status_as_json(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "status", str(EXAMPLE), "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {w["name"]: w for w in data["webhooks"]}
    companies = by_name["sb-companies"]
    assert companies["entity"] == "company"
    assert companies["ready"] is True
    assert companies["url"] == sb_url(sandbox, "/webhooks/autotask")
    assert companies["yaml"]["state"] == "differs"
    [fields] = [d for d in companies["yaml"]["differences"] if d["path"] == "fields"]
    assert set(fields["after"]) - set(fields["before"]) == {"Phone"}
    assert by_name["sb-tickets"]["installed"] is False


def test_status_without_a_yaml_lists_the_installed_webhooks(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "status", env={"SALESBUILDR_API_KEY": None})

    assert result.exit_code == 0, result.output
    assert "matches" not in result.stdout
    assert lines_with(result.stdout, "company", "sb-companies", "CompanyName")
    assert result.stdout.endswith("1 webhook(s) installed.\n")


def test_status_marks_webhooks_the_yaml_does_not_list(sandbox: Sandbox) -> None:
    write_yaml(
        "version: 1\npolicy: {manage: {webhooks: full}}\nwebhook_receiver:\n"
        "  secret: ${env:SALESBUILDR_WEBHOOK_SECRET}\nwebhooks: {}\n"
    )

    result = run(sandbox, "webhooks", "status")

    assert result.exit_code == 0, result.output
    [companies] = lines_with(result.stdout, "sb-companies")
    assert companies.endswith("not in YAML (apply deletes it: manage full)")


# --- reconcile webhooks report ----------------------------------------------------------------


def report(sandbox: Sandbox, *args: str) -> dict[str, Any]:
    result = run(sandbox, "webhooks", "report", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_webhook_loop_is_visible_in_the_report(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    applied = run(sandbox, "apply", str(EXAMPLE), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    with autotask_api(sandbox.env) as api:
        query = {"filter": [{"op": "gt", "field": "id", "value": 0}], "MaxRecords": 1}
        [company] = api.post("Companies/query", json=query).json()["items"]
        api.patch("Companies", json={"id": company["id"], "phone": "+1 555 0100"})

    groups = poll(
        lambda: {(g["entity"], g["name"]): g for g in report(sandbox)["webhooks"]},
        lambda found: bool(found[("company", "sb-companies")]["delivered"]),
        what="the company webhook's delivery in the report",
    )
    companies = groups[("company", "sb-companies")]

    assert companies["delivered"] == 1
    assert companies["failed"] == companies["bad_signature"] == 0
    assert companies["last_received"] is not None
    assert groups[("ticket", "sb-tickets")]["delivered"] == 0  # listed: it calls Salesbuildr
    text = run(sandbox, "webhooks", "report", "--since", "30m")
    [row] = lines_with(text.stdout, "company/sb-companies")
    assert row.split()[1:4] == ["1", "0", "0"]


def test_the_report_shows_unknown_guids_and_bad_signatures(sandbox: Sandbox) -> None:
    receiver = sb_url(sandbox, "/webhooks/autotask")
    body = json.dumps({"Action": "Update", "Guid": "not-a-webhook", "EntityType": "Company"})
    secret = sandbox.env["SALESBUILDR_WEBHOOK_SECRET"]
    httpx.post(
        receiver, content=body, headers={"X-Hook-Signature": signature(secret, body.encode())}
    )
    httpx.post(receiver, content=body, headers={"X-Hook-Signature": "sha1=forged"})

    data = report(sandbox, "--since", "1h")
    text = run(sandbox, "webhooks", "report")

    [unknown] = [g for g in data["webhooks"] if not g["known"]]
    assert unknown["webhook_guid"] == "not-a-webhook"
    assert (unknown["delivered"], unknown["bad_signature"]) == (1, 1)
    assert unknown["last_error"] == "X-Hook-Signature does not match the body"
    assert lines_with(text.stdout, "unknown webhook not-a-webhook (company)", "1", "1")
    assert text.stdout.startswith("2 deliveries since ")


def test_the_report_window_is_checked(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "report", "--since", "yesterday")

    assert result.exit_code == 1
    assert "--since 'yesterday': expected a duration (30m, 24h, 7d) or an ISO-8601" in (
        result.stderr
    )


# --- reconcile webhooks uninstall -------------------------------------------------------------


def test_uninstall_removes_the_managed_webhooks_and_their_children(sandbox: Sandbox) -> None:
    reseed(sandbox, "empty")
    assert run(sandbox, "apply", str(EXAMPLE), "--auto-approve").exit_code == 0
    assert sum(webhook_rows(sandbox).values()) > 2
    Path(".reconcile").rename("applied")

    result = run(sandbox, "webhooks", "uninstall", "--file", str(EXAMPLE), "--auto-approve")

    assert result.exit_code == 0, result.output
    assert "Will delete 2 webhook(s)" in result.stdout
    assert lines_with(result.stdout, "company", "sb-companies")
    assert lines_with(result.stdout, "ticket", "sb-tickets")
    assert "Deleted 2 webhook(s). Verified: none remains" in result.stdout
    assert {table: n for table, n in webhook_rows(sandbox).items() if n} == {}
    [journal] = Path(".reconcile").glob("journal-*.jsonl")
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(r["address"], r["action"], r["outcome"]) for r in records] == [
        ('webhooks["sb-companies"]', "delete", "ok"),
        ('webhooks["sb-tickets"]', "delete", "ok"),
    ]
    assert records[0]["request"].startswith("DELETE CompanyWebhooks/")
    assert f"Journal: {Path('.reconcile') / journal.name}" in result.stderr
    assert sandbox.salesbuildr.apply_lock.holder(time.time()) is None


def test_uninstall_by_name_asks_first_and_refuses_without_a_terminal(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "uninstall", "SB-Companies")

    assert result.exit_code == 1
    assert lines_with(result.stdout, "company", "sb-companies")
    assert "no terminal to ask on" in result.stderr
    assert webhook_rows(sandbox)["CompanyWebhooks"] == 1
    assert not Path(".reconcile").exists()


def test_uninstall_by_entity_and_name(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "uninstall", "company/sb-companies", "--auto-approve")

    assert result.exit_code == 0, result.output
    assert {table: n for table, n in webhook_rows(sandbox).items() if n} == {}


def test_uninstall_of_an_unknown_name_suggests_the_closest(sandbox: Sandbox) -> None:
    result = run(sandbox, "webhooks", "uninstall", "sb-company", "--auto-approve")

    assert result.exit_code == 1
    assert "no installed webhook is named 'sb-company'" in result.stderr
    assert "did you mean 'sb-companies'" in result.stderr
    assert webhook_rows(sandbox)["CompanyWebhooks"] == 1


def test_uninstall_refuses_while_another_apply_holds_the_lock(sandbox: Sandbox) -> None:
    headers = {"api-key": sandbox.env["SALESBUILDR_API_KEY"]}
    httpx.put(
        sb_url(sandbox, f"{AT}/lock"),
        json={"owner": "ci-job-7@elsewhere:1", "ttlSeconds": 60},
        headers=headers,
    ).raise_for_status()

    result = run(
        sandbox, "webhooks", "uninstall", "sb-companies", "--auto-approve", "--lock-timeout", "0s"
    )

    assert result.exit_code == 3
    assert "another apply holds the lock: ci-job-7@elsewhere:1" in result.stderr
    assert webhook_rows(sandbox)["CompanyWebhooks"] == 1


def test_uninstall_without_a_name_needs_a_file_with_webhooks(sandbox: Sandbox) -> None:
    missing = run(sandbox, "webhooks", "uninstall", "--auto-approve")
    write_yaml("version: 1\n")
    empty = run(sandbox, "webhooks", "uninstall", "--auto-approve")

    assert missing.exit_code == empty.exit_code == 1
    assert "no webhook named and no mappings.yaml" in missing.stderr
    assert "mappings.yaml has no webhooks section" in empty.stderr
    assert webhook_rows(sandbox)["CompanyWebhooks"] == 1


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["sync"],
        ["import-products"],
        ["webhooks"],
        ["webhooks", "status"],
        ["webhooks", "report"],
        ["webhooks", "uninstall"],
    ],
)
def test_every_command_explains_itself_with_an_example(command: Sequence[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])

    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"reconcile {' '.join(command)}" in result.stdout
