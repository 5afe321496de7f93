"""The 1 MB YAML limit: the default, ``--max-config-size`` / ``RECONCILE_MAX_CONFIG_SIZE`` raise it
(never the YAML), and ``export`` warns before writing a file the loader would refuse."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.cli.limits import oversize_warning
from reconciler.config.loader import document_limit, document_limit_set
from reconciler.envvars import MAX_DOCUMENT_BYTES

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mappings.yaml"
OVER = MAX_DOCUMENT_BYTES + 1  # one byte over the default limit


def _big_mappings(tmp_path: Path, size: int = OVER) -> Path:
    """The example mappings file padded with a comment to exactly ``size`` bytes: valid YAML."""
    path = tmp_path / "mappings.yaml"
    shutil.copy(EXAMPLE, path)
    text = path.read_bytes()
    if not text.endswith(b"\n"):
        text += b"\n"
    padding = size - len(text) - 3  # "# " and the final newline
    path.write_bytes(text + b"# " + b"x" * padding + b"\n")
    assert path.stat().st_size == size
    return path


def _validate(path: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    base: dict[str, str | None] = {
        "RECONCILE_MAX_CONFIG_SIZE": None,
        "SALESBUILDR_WEBHOOK_SECRET": "example-secret",
    }
    return CliRunner().invoke(cli, [*args, "validate", str(path)], env={**base, **(env or {})})


def test_a_document_just_over_1_mb_is_refused_by_default_naming_the_option(
    tmp_path: Path,
) -> None:
    result = _validate(_big_mappings(tmp_path))
    assert result.exit_code != 0
    assert "the document is 1,048,577 bytes (1.0 MB)" in result.output
    assert "the limit is 1 MB (1,048,576 bytes)" in result.output
    assert "--max-config-size" in result.output
    assert "Traceback" not in result.output


def test_the_option_raises_the_limit_for_the_command(tmp_path: Path) -> None:
    path = _big_mappings(tmp_path)
    result = _validate(path, "--max-config-size", str(2 * MAX_DOCUMENT_BYTES))
    assert result.exit_code == 0, result.output
    # The limit lasts for the one command: the next refuses again.
    assert document_limit() == MAX_DOCUMENT_BYTES
    assert _validate(path).exit_code != 0


def test_the_environment_variable_raises_it_too(tmp_path: Path) -> None:
    path = _big_mappings(tmp_path)
    result = _validate(path, env={"RECONCILE_MAX_CONFIG_SIZE": str(OVER)})
    assert result.exit_code == 0, result.output


def test_a_raised_limit_is_still_enforced_and_named(tmp_path: Path) -> None:
    path = _big_mappings(tmp_path, size=OVER + 10)
    result = _validate(path, "--max-config-size", str(OVER))
    assert result.exit_code != 0
    assert f"the limit is 1 MB ({OVER:,} bytes)" in result.output


def test_a_limit_below_one_byte_is_a_usage_error(tmp_path: Path) -> None:
    result = _validate(tmp_path / "mappings.yaml", "--max-config-size", "0")
    assert result.exit_code == 1  # the CLI's exit code for a usage error, as for --max-pages
    assert "Invalid value for '--max-config-size'" in result.output
    assert "0 is not in the range x>=1" in result.output


def test_export_warns_about_yaml_over_the_limit_with_size_limit_and_option() -> None:
    text = "webhooks: []\n" + "#" * MAX_DOCUMENT_BYTES
    warning = oversize_warning(text)
    assert warning is not None
    size = len(text.encode())
    assert f"{size:,} bytes" in warning
    assert "1 MB limit (1,048,576 bytes)" in warning
    assert f"--max-config-size {size}" in warning
    assert f"RECONCILE_MAX_CONFIG_SIZE={size}" in warning


def test_export_does_not_warn_at_or_under_the_limit_or_when_raised() -> None:
    assert oversize_warning("#" * MAX_DOCUMENT_BYTES) is None
    with document_limit_set(4 * MAX_DOCUMENT_BYTES):
        assert oversize_warning("#" * (2 * MAX_DOCUMENT_BYTES)) is None
    assert document_limit() == MAX_DOCUMENT_BYTES


def test_the_limit_setting_is_restored_and_checked() -> None:
    with document_limit_set(5):
        assert document_limit() == 5
        with document_limit_set(None):
            assert document_limit() == MAX_DOCUMENT_BYTES
        assert document_limit() == 5
    with pytest.raises(ValueError), document_limit_set(0):
        pass


class _Connections:
    """Stands in for both API connections: export's reads are not what this test is about."""

    def __enter__(self) -> _Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def targets(self) -> dict[str, str]:
        return {"autotask": "http://127.0.0.1:9/atservicesrest"}

    def calls(self) -> dict[str, int]:
        return {"autotask": 1}


def _export_big(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, *args: str) -> Result:
    # The command imports these when it runs (start-up): patched where they are defined.
    monkeypatch.setattr("reconciler.session.connect_env", lambda *a, **k: _Connections())
    monkeypatch.setattr(
        "reconciler.session.read_everything",
        lambda *a, **k: SimpleNamespace(state=None, catalog=None),
    )
    monkeypatch.setattr("reconciler.psa.autotask.export.export_yaml", lambda *a, **k: text)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    out = tmp_path / "big.yaml"
    result = CliRunner().invoke(
        cli, [*args, "export", "--out", str(out)], env={"RECONCILE_MAX_CONFIG_SIZE": None}
    )
    written = out.read_text(encoding="utf-8") if out.exists() else ""
    assert written == text, result.output
    return result


def test_export_of_a_big_state_warns_before_writing_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = "version: 1\n" + "# padding\n" * (MAX_DOCUMENT_BYTES // 10 + 1)
    result = _export_big(monkeypatch, tmp_path, text)
    assert result.exit_code == 0, result.output
    warning = result.output.index("warning[export_over_size_limit]: the exported YAML is")
    assert warning < result.output.index("Wrote ")
    assert f"--max-config-size {len(text.encode())}" in result.output


def test_export_with_a_raised_limit_does_not_warn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = "version: 1\n" + "# padding\n" * (MAX_DOCUMENT_BYTES // 10 + 1)
    result = _export_big(
        monkeypatch, tmp_path, text, "--max-config-size", str(2 * MAX_DOCUMENT_BYTES)
    )
    assert result.exit_code == 0, result.output
    assert "warning[" not in result.output
