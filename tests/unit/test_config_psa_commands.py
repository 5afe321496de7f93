"""A PSA registered for its language only (here HaloPSA's language without its run side, as it
was before its engine landed): `validate` and `schema` know its files, every other command that
reads the YAML refuses them through `psa.base.unsupported()` (exit 1, one clear line, no
traceback), before any connection is attempted. ConnectWise and HaloPSA have their engines:
`validate` still knows their files (the commands: tests/<psa>/test_engine_*.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.psa import registry
from reconciler.psa.halopsa import plugin as halo_plugin
from reconciler.psa.language_only import language_only

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "connectwise": ("ConnectWise Manage", REPO / "examples" / "connectwise" / "mappings.yaml"),
    "halopsa": ("HaloPSA", REPO / "examples" / "halopsa" / "mappings.yaml"),
}
# Credentials and URLs are set (and unreachable): a refusal must come before any connection.
ENV = {
    "NO_COLOR": "1",
    "SALESBUILDR_API_URL": "http://127.0.0.1:9/public-api",
    "SALESBUILDR_API_KEY": "sb-key",
    "AUTOTASK_API_USERNAME": "user@example.com",
    "AUTOTASK_API_SECRET": "secret",
    "AUTOTASK_API_INTEGRATION_CODE": "code",
    "AUTOTASK_API_URL": "http://127.0.0.1:9/atservicesrest",
}


def run(args: list[str], workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(workdir)
    return CliRunner().invoke(cli, args, prog_name="reconcile", env=ENV)


LANGUAGE_ONLY = ("halopsa",)


@pytest.fixture(params=sorted(EXAMPLES))
def example_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, Path]:
    name = str(request.param)
    title, example = EXAMPLES[name]
    shutil.copy(example, tmp_path / "mappings.yaml")
    return name, title, tmp_path


@pytest.fixture(params=LANGUAGE_ONLY)
def psa_file(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, Path]:
    name = str(request.param)
    language = language_only("halopsa", "HaloPSA", halo_plugin.ENV_VARS, halo_plugin.LANGUAGE)
    psas = {**registry.installed(), "halopsa": language}
    monkeypatch.setattr(registry, "installed", lambda: psas)
    title, example = EXAMPLES[name]
    shutil.copy(example, tmp_path / "mappings.yaml")
    return name, title, tmp_path


def test_validate_knows_the_file(
    example_file: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _, workdir = example_file
    result = run(["validate", "mappings.yaml"], workdir, monkeypatch)

    assert result.exit_code == 0, result.output
    assert "mappings.yaml: valid, 6 section(s) managed" in result.output
    noun = "callback" if name == "connectwise" else "webhook"
    assert f" {noun}(s)" in result.output


COMMANDS = [
    ["plan", "mappings.yaml"],
    ["plan", "mappings.yaml", "--format", "json"],
    ["apply", "mappings.yaml", "--auto-approve"],
    ["drift", "mappings.yaml"],
    ["preflight", "mappings.yaml"],
    ["sync", "--full", "--file", "mappings.yaml"],
    ["import-products", "--file", "mappings.yaml"],
    ["webhooks", "status", "mappings.yaml"],
    ["webhooks", "report", "--file", "mappings.yaml"],
    ["webhooks", "uninstall", "--file", "mappings.yaml", "--auto-approve"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_other_command_refuses_the_file_cleanly(
    psa_file: tuple[str, str, Path], args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, title, workdir = psa_file
    result = run(args, workdir, monkeypatch)

    assert result.exit_code == 1, result.output
    assert f"error: {title} (psa: {name}) has no engine for this command yet" in result.output
    assert "`reconcile validate` and `reconcile schema` work for this file" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
