"""What `reconcile --help` and `reconcile validate` import: only what they use (issue #18).

Pre-commit runs `validate` once per file, and `--help` is the first thing a person types: neither
may pay for the HTTP clients, the terminal UI, the diff engine, the retry library, the simulators'
web stack or the providers. Each case runs `python -m reconciler ...` in a fresh interpreter whose
atexit hook writes `sorted(sys.modules)` to a file, and asserts which modules are absent. This is
a fact test, not a timing one: how fast start-up is on this machine is measured in bench/startup.py.
A later PSA (a new provider, a new command) keeps these commands lean by keeping them off this
list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
TIMEOUT_S = 120.0

# Runs `python -m reconciler ARGS` as the interpreter does, then, at exit, records every module.
WRAPPER = """
import atexit, json, runpy, sys

def _record(path=sys.argv[1]):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)

atexit.register(_record)
sys.argv = ["reconcile", *sys.argv[2:]]
runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
"""

NEVER = (
    "httpx",
    "rich",
    "deepdiff",
    "tenacity",
    "starlette",
    "uvicorn",
    # The clients: the transport, Salesbuildr's, the PSA's (its package's client modules).
    "reconciler.transport",
    "reconciler.salesbuildr",
    "reconciler.writes",
    "reconciler.psa.autotask.client",
    "reconciler.psa.autotask.read",
    "reconciler.psa.autotask.write",
    "reconciler.sandbox",
    # The engine: no command that only reads its options or a file needs it.
    "reconciler.session",
    "reconciler.apply",
    "reconciler.apply_workflow",
    "reconciler.jobs",
    "reconciler.plan",
    "jsonschema",
)
"""Never imported by `--help` or `validate` (a package and everything under it)."""

NOT_FOR_HELP = ("pydantic", "yaml", "reconciler.config", "importlib.metadata", "reconciler.psa")
"""`--help` builds no model, reads no YAML and scans no entry point (pydantic's plugins would, and
so would the PSA registry): no PSA package, not even the interface, is imported."""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    modules: list[str]


def run_recording_modules(args: Sequence[str], tmp_path: Path, **env: str) -> Run:
    record = tmp_path / "modules.json"
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RECONCILE_", "SALESBUILDR_", "AUTOTASK_"))
    }
    environ.update({"NO_COLOR": "1", "COLUMNS": "80", **env})
    completed = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(record), *args],
        cwd=tmp_path,  # no .env of the developer's
        env=environ,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    modules = json.loads(record.read_text(encoding="utf-8")) if record.exists() else []
    return Run(completed.returncode, completed.stdout, completed.stderr, modules)


def loaded(modules: Sequence[str], packages: Sequence[str]) -> list[str]:
    """The modules of ``modules`` that are one of ``packages`` or inside one."""
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def test_loaded_matches_a_package_and_its_modules_only() -> None:
    modules = ["httpx", "httpx._client", "httpxlike", "reconciler.transport.http", "reconciler"]

    assert loaded(modules, ["httpx", "reconciler.transport"]) == [
        "httpx",
        "httpx._client",
        "reconciler.transport.http",
    ]


def test_help_imports_neither_the_clients_nor_the_models(tmp_path: Path) -> None:
    result = run_recording_modules(["--help"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Commands:" in result.stdout
    assert "reconciler.cli.operations" in result.modules  # every command is registered
    assert "reconciler.cli.webhooks" in result.modules
    assert "reconciler.cli.sandbox_command" in result.modules
    assert loaded(result.modules, [*NEVER, *NOT_FOR_HELP]) == []


def test_validate_imports_the_models_but_no_client(tmp_path: Path) -> None:
    result = run_recording_modules(
        ["validate", str(EXAMPLE)], tmp_path, SALESBUILDR_WEBHOOK_SECRET="startup-test"
    )

    assert result.returncode == 0, result.stderr
    assert "valid, 9 section(s) managed" in result.stdout
    assert "reconciler.psa.autotask.config" in result.modules  # the document was really checked
    assert loaded(result.modules, NEVER) == []


@pytest.mark.parametrize(
    "document",
    [
        b"version: 1\nwebhooks:\n  sb-companies:\n    entity: company\n    bogus: 1\n",
        b"version: 1\nwebhook_receiver:\n  secret: ${env:STARTUP_UNSET}\n",
        b"version: [\n",
    ],
    ids=["schema-error", "unset-variable", "syntax-error"],
)
def test_validate_reports_errors_without_the_clients(tmp_path: Path, document: bytes) -> None:
    (tmp_path / "mappings.yaml").write_bytes(document)

    result = run_recording_modules(["validate", "mappings.yaml"], tmp_path)

    assert result.returncode == 1, result.stdout
    assert "mappings.yaml:" in result.stderr
    assert "Traceback" not in result.stderr
    assert loaded(result.modules, NEVER) == []


def test_a_global_option_set_imports_nothing_it_sets(tmp_path: Path) -> None:
    """The per-run limits live beside the variables (envvars.RunSetting): setting one loads
    neither the clients' paging nor anything else the command does not use."""
    result = run_recording_modules(
        ["--max-pages", "5", "--max-rate-wait", "3", "validate", str(EXAMPLE)],
        tmp_path,
        SALESBUILDR_WEBHOOK_SECRET="startup-test",
    )

    assert result.returncode == 0, result.stderr
    assert loaded(result.modules, NEVER) == []


def test_the_recording_sees_the_clients_when_a_command_loads_them(tmp_path: Path) -> None:
    """The control case: a plan (here stopped by missing credentials) loads the clients."""
    result = run_recording_modules(
        ["plan", str(EXAMPLE)], tmp_path, SALESBUILDR_WEBHOOK_SECRET="startup-test"
    )

    assert result.returncode == 1, result.stderr
    assert "credentials missing" in result.stderr
    assert "reconciler.transport.paging" in result.modules
