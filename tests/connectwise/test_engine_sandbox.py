"""`reconcile sandbox --psa connectwise` as a user runs it (a real subprocess): it prints the
CONNECTWISE_* and SALESBUILDR_* export lines, both APIs answer with those credentials, and
SIGTERM stops it; and the Synchronize page's jobs run through `sync` after an apply."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from engine_support import Tenant, cw_api

NAMES = (
    "CONNECTWISE_API_URL",
    "CONNECTWISE_COMPANY",
    "CONNECTWISE_PUBLIC_KEY",
    "CONNECTWISE_PRIVATE_KEY",
    "CONNECTWISE_CLIENT_ID",
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "SALESBUILDR_WEBHOOK_SECRET",
)


def test_the_sandbox_prints_both_systems_exports_and_serves_them(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    command = [sys.executable, "-m", "reconciler", "sandbox", "--psa", "connectwise"]
    process = subprocess.Popen(
        [*command, "--seed", "demo", "--env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        lines = []
        while True:
            line = process.stdout.readline()
            assert line, (
                f"the sandbox exited early: {process.stderr.read() if process.stderr else ''}"
            )
            lines.append(line.rstrip("\n"))
            if line.strip() == "sandbox ready":
                break
        printed = [line.split("=", 1)[0].removeprefix("export ") for line in lines[:-1]]
        assert printed == list(NAMES)
        values = {}
        for line in env_file.read_text().splitlines():
            match = re.fullmatch(r"export ([A-Z_]+)='([^']*)'", line)
            assert match, line
            values[match.group(1)] = match.group(2)
        with cw_api(values) as api:
            boards = api.get("service/boards")
            assert boards.status_code == 200, boards.text
            assert "Professional Services" in {b["name"] for b in boards.json()}
        with httpx.Client(headers={"api-key": values["SALESBUILDR_API_KEY"]}, timeout=30) as sb:
            page = sb.get(
                values["SALESBUILDR_API_URL"] + "/integration/connectwise/settings/companies"
            )
            assert page.status_code == 200, page.text
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0
        assert "sandbox stopped" in stderr
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_sync_runs_the_synchronize_pages_jobs(tenant: Tenant) -> None:
    applied = tenant.cli("apply", "mappings.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output  # its after_apply ran a fields sync

    full = tenant.cli("sync", "--full", "--file", "mappings.yaml", "--format", "json")
    assert full.exit_code == 0, full.output
    endpoints = tenant.sandbox.salesbuildr.stats()["endpoints"]
    syncs = endpoints["POST /public-api/integration/connectwise/sync"]["requests"]
    assert syncs == 2  # the apply's after_apply, then this one: both on ConnectWise's path
    assert not any("/integration/autotask/" in name for name in endpoints)
    inventory = tenant.cli("sync", "--inventory", "--file", "mappings.yaml")
    assert inventory.exit_code == 1, inventory.output
    assert "ConnectWise Manage (psa: connectwise) has no sync --inventory" in inventory.output


def test_preflight_reads_only_and_reports_connectwise_access(tenant: Tenant) -> None:
    checked = tenant.cli("preflight", "mappings.yaml")
    assert checked.exit_code == 0, checked.output
    assert "system/callbacks" in checked.output
    assert tenant.sandbox.connectwise.stats()["writes"] == 0
