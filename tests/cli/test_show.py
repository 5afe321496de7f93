"""`reconcile show PLAN`: a plan from `plan --out` (against the sandbox over real HTTP), rendered
offline after the checks apply makes; a tampered or wrongly signed plan is refused with apply's
own error. No socket may be opened: the simulators are stopped first, the environment still
points at their (now closed) ports, and every connecting call of `socket` raises."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.plan.integrity import SIGNATURE_FIELD, SIGNING_KEY_VARIABLE
from reconciler.render.escape import markdown_code
from reconciler.sandbox.common import start_sandbox

REPO = Path(__file__).resolve().parents[2]
KEY = "show-test-signing-key"


class Planned:
    """Plans written by `plan --out` (unsigned and signed) and what `plan` printed for each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env: dict[str, str | None] = {}
        self.printed: dict[str, str] = {}

    def path(self, name: str) -> Path:
        return self.root / name


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planned]:
    root = tmp_path_factory.mktemp("show")
    mappings = root / "mappings.yaml"
    mappings.write_text((REPO / "examples" / "mappings.yaml").read_text(encoding="utf-8"))
    result = Planned(root)
    sandbox = start_sandbox(seed="empty")
    try:
        env: dict[str, str | None] = {**sandbox.env, SIGNING_KEY_VARIABLE: None, "NO_COLOR": "1"}
        for fmt in ("text", "json", "markdown"):
            out = root / f"plan-{fmt}.json"
            run = invoke(["plan", str(mappings), "--out", str(out), "--format", fmt], env)
            assert run.exit_code == 0, run.output
            result.printed[fmt] = run.stdout
        signed = invoke(
            ["plan", str(mappings), "--out", str(root / "signed.json")],
            {**env, SIGNING_KEY_VARIABLE: KEY},
        )
        assert signed.exit_code == 0, signed.output
        result.env = env
    finally:
        sandbox.stop()  # from here on, nothing listens at the URLs in the environment
    yield result


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every attempt to resolve or connect is recorded and fails."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access in a test of `reconcile show`")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def invoke(argv: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_renders_the_saved_plan_as_plan_printed_it_without_network(
    planned: Planned, no_network: list[Any], fmt: str
) -> None:
    path = planned.path(f"plan-{fmt}.json")
    result = invoke(["show", str(path), "--format", fmt], planned.env)
    assert result.exit_code == 0, result.output
    assert no_network == []
    assert result.stderr == f"{path}: checksum verified; not signed\n"
    if fmt == "markdown":
        # The view `plan` printed (its footer names the same file), then what show verified.
        assert result.stdout == (
            planned.printed[fmt] + "\n<code>reconcile show</code>: checksum verified; not signed.\n"
        )
    else:
        assert result.stdout == planned.printed[fmt]
    if fmt == "json":
        assert result.stdout == path.read_text(encoding="utf-8")  # the artifact itself
    if fmt == "text":
        assert "to create" in result.stdout  # a real plan, not an empty one


def test_show_verifies_the_signature_when_the_key_is_set(
    planned: Planned, no_network: list[Any]
) -> None:
    path = planned.path("signed.json")
    assert json.loads(path.read_text())[SIGNATURE_FIELD].startswith("hmac-sha256:")
    signed = invoke(
        ["show", str(path), "--format", "markdown"], {**planned.env, SIGNING_KEY_VARIABLE: KEY}
    )
    assert signed.exit_code == 0, signed.output
    verified = f"checksum verified; signature verified with {SIGNING_KEY_VARIABLE}"
    assert signed.stderr == f"{path}: {verified}\n"
    assert signed.stdout.endswith(
        "<code>reconcile show</code>: checksum verified; signature verified with "
        f"{markdown_code(SIGNING_KEY_VARIABLE)}.\n"
    )

    unchecked = invoke(["show", str(path)], planned.env)  # signed, but no key here
    assert unchecked.exit_code == 0, unchecked.output
    assert unchecked.stderr.splitlines() == [
        f"warning[signature_not_checked]: {path} is signed, but {SIGNING_KEY_VARIABLE} is not "
        "set: its signature was not checked (only its checksum)",
        f"{path}: checksum verified; signed, signature not checked "
        f"({SIGNING_KEY_VARIABLE} is not set)",
    ]
    assert no_network == []


def refused_like_apply(planned: Planned, path: Path, env: dict[str, str | None]) -> str:
    """show's error for ``path``, asserted equal to apply's (which makes no request either)."""
    shown = invoke(["show", str(path)], env)
    applied = invoke(["apply", str(path), "--auto-approve"], env)
    assert (shown.exit_code, applied.exit_code) == (1, 1), shown.output + applied.output
    assert shown.stdout == "" and applied.stdout == ""
    assert shown.stderr == applied.stderr
    return shown.stderr


def test_a_tampered_plan_is_refused_with_applys_error(
    planned: Planned, no_network: list[Any], tmp_path: Path
) -> None:
    data = json.loads(planned.path("plan-text.json").read_text())
    change = next(c for c in data["changes"] if c["action"] == "create")
    change["address"] += "-edited"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data, indent=2), encoding="utf-8")
    error = refused_like_apply(planned, tampered, planned.env)
    assert f"error: {tampered} is not the plan `reconcile plan` wrote" in error
    assert "field `checksum` does not match the plan's content" in error
    assert no_network == []


def test_an_unsigned_or_wrongly_signed_plan_is_refused_when_the_key_is_set(
    planned: Planned, no_network: list[Any]
) -> None:
    keyed = {**planned.env, SIGNING_KEY_VARIABLE: KEY}
    unsigned = refused_like_apply(planned, planned.path("plan-text.json"), keyed)
    assert f"field `signature` is missing, and {SIGNING_KEY_VARIABLE} is set" in unsigned
    other = {**planned.env, SIGNING_KEY_VARIABLE: "another-key"}
    wrong = refused_like_apply(planned, planned.path("signed.json"), other)
    assert f"field `signature` does not verify with {SIGNING_KEY_VARIABLE}" in wrong
    assert no_network == []


def test_a_truncated_download_is_refused_with_its_location(
    planned: Planned, tmp_path: Path
) -> None:
    truncated = tmp_path / "plan.json"
    truncated.write_bytes(planned.path("plan-text.json").read_bytes()[:500])
    error = refused_like_apply(planned, truncated, planned.env)
    assert f"error: {truncated}:" in error and "the file ends early (truncated?)" in error


def test_show_refuses_what_is_not_a_saved_plan(planned: Planned) -> None:
    mappings = planned.path("mappings.yaml")
    result = invoke(["show", str(mappings)], planned.env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"error: {mappings} is not a saved plan" in result.stderr
    assert f"`reconcile plan {mappings}`" in result.stderr
    assert "Traceback" not in result.stderr

    missing = invoke(["show", str(planned.path("nowhere.json"))], planned.env)
    assert missing.exit_code == 1
    assert "cannot read" in missing.stderr and "nowhere.json" in missing.stderr
