"""Messages a user acts on (issue #16 item 7) that need no live system: missing credentials,
a Salesbuildr URL that is not the API base, a top-level option written after the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli

CONFIG = "version: 1\nbilling_codes:\n  default: Hardware Sales\n"
VARIABLES = (
    "SALESBUILDR_API_URL",
    "SALESBUILDR_API_KEY",
    "AUTOTASK_API_USERNAME",
    "AUTOTASK_API_SECRET",
    "AUTOTASK_API_INTEGRATION_CODE",
    "AUTOTASK_API_URL",
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    path = tmp_path / "mappings.yaml"
    path.write_text(CONFIG)
    return path


def run(*args: str, **env: str) -> Result:
    unset: dict[str, str | None] = {name: None for name in VARIABLES}
    result = CliRunner().invoke(cli, list(args), env={**unset, **env}, prog_name="reconcile")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_plan_names_every_missing_credential_at_once(config: Path) -> None:
    result = run("plan", str(config))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: credentials missing: 5 variables are not set:"), first
    for name in VARIABLES[:-1]:
        assert name in first


def test_apply_of_a_yaml_names_the_missing_autotask_credentials_with_the_salesbuildr_ones(
    config: Path,
) -> None:
    result = run("apply", str(config), SALESBUILDR_API_URL="http://127.0.0.1:1/public-api")
    assert result.exit_code == 1
    assert "SALESBUILDR_API_KEY, AUTOTASK_API_USERNAME, AUTOTASK_API_SECRET" in result.stderr


def test_a_salesbuildr_url_without_public_api_gets_a_hint(config: Path) -> None:
    result = run(
        "plan",
        str(config),
        SALESBUILDR_API_URL="http://127.0.0.1:1/",
        SALESBUILDR_API_KEY="k",
        AUTOTASK_API_USERNAME="u",
        AUTOTASK_API_SECRET="s",
        AUTOTASK_API_INTEGRATION_CODE="c",
        AUTOTASK_API_URL="http://127.0.0.1:1/atservicesrest",
    )
    assert result.exit_code == 1
    assert (
        "error: the Salesbuildr URL 'http://127.0.0.1:1/' (SALESBUILDR_API_URL) does not end "
        "in /public-api" in result.stderr
    )
    assert "hint: use the public API's base, e.g. http://127.0.0.1:1/public-api" in result.stderr


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (("plan", "-v"), "did you mean `reconcile -v plan`?"),
        (("plan", "mappings.yaml", "--debug"), "did you mean `reconcile --debug plan`?"),
        (
            ("webhooks", "status", "--max-pages", "3"),
            "did you mean `reconcile --max-pages N webhooks status`?",
        ),
    ],
)
def test_a_top_level_option_after_the_command_suggests_where_it_goes(
    config: Path, args: tuple[str, ...], suggestion: str
) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert suggestion in result.stderr, result.stderr
    assert "it goes before the command" in result.stderr


def test_an_unknown_option_keeps_clicks_own_suggestion(config: Path) -> None:
    result = run("plan", "--outt", "x.json")
    assert result.exit_code == 1
    assert "Did you mean '--out'?" in result.stderr
    assert "before the command" not in result.stderr
