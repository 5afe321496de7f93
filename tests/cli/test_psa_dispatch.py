"""The operations commands dispatch to the PSA of the YAML: a PSA that lacks an operation is told
so by name (a usage error, exit 2), before any connection; ``sandbox --psa`` offers only PSAs
with a simulator. A fake PSA is registered for the test (no second real PSA is needed), and is
made the default, since a YAML cannot name a PSA before the config's ``psa`` field exists.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.apply_workflow import LockReporting, locked_journal
from reconciler.cli import cli
from reconciler.cli.psa_choice import simulated_psas
from reconciler.psa import registry
from reconciler.psa.autotask import psa as autotask_psa
from reconciler.psa.base import UNSUPPORTED_EXIT, JobAction, Psa, PsaOperations
from reconciler.psa.registry import psa_name
from reconciler.writes import WriteRecord

BARE = Psa(name="barepsa", title="BarePSA", env_vars=(), sections=dict, kinds=tuple)
"""A PSA with no operations at all."""

SYNC_ONLY = Psa(
    name="syncpsa",
    title="SyncPSA",
    env_vars=(),
    sections=dict,
    kinds=tuple,
    operations=lambda: PsaOperations(
        sync_modes={"full": "Full sync"},
        after_apply={"sync_full": JobAction("sync", "full", "reconcile sync --full")},
    ),
)
"""A PSA whose pages offer a full sync and nothing else."""


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Psa]]:
    psas = {"autotask": autotask_psa(), BARE.name: BARE, SYNC_ONLY.name: SYNC_ONLY}
    monkeypatch.setattr(registry, "installed", lambda: psas)
    yield psas


def run_as(
    monkeypatch: pytest.MonkeyPatch, psa: str, args: Sequence[str], tmp_path: Path
) -> Result:
    monkeypatch.setattr(registry, "DEFAULT", psa)
    monkeypatch.chdir(tmp_path)  # no mappings.yaml: the default PSA is the one used
    for name in ("SALESBUILDR_API_URL", "SALESBUILDR_API_KEY", "AUTOTASK_API_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner().invoke(cli, list(args), prog_name="reconcile", env={"NO_COLOR": "1"})


@pytest.mark.parametrize(
    ("psa", "args", "operation"),
    [
        ("barepsa", ["sync", "--full"], "sync --full"),
        ("syncpsa", ["sync", "--fields"], "sync --fields"),
        ("barepsa", ["import-products"], "product import"),
        ("syncpsa", ["import-products"], "product import"),
        ("syncpsa", ["webhooks", "status"], "webhooks"),
        ("syncpsa", ["webhooks", "report"], "webhooks"),
        ("barepsa", ["webhooks", "uninstall", "sb-companies"], "webhooks"),
    ],
)
def test_an_operation_the_psa_lacks_is_a_usage_error_naming_it(
    installed: Mapping[str, Psa],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    psa: str,
    args: list[str],
    operation: str,
) -> None:
    result = run_as(monkeypatch, psa, args, tmp_path)

    title = installed[psa].title
    assert result.exit_code == UNSUPPORTED_EXIT, result.output
    assert f"error: {title} (psa: {psa}) has no {operation}" in result.output
    assert "Traceback" not in result.output


def test_the_psa_comes_from_the_yaml_when_it_names_one(installed: Mapping[str, Psa]) -> None:
    assert psa_name(SimpleNamespace(psa="syncpsa")) == "syncpsa"
    assert psa_name(SimpleNamespace(psa=SimpleNamespace(value="barepsa"))) == "barepsa"  # an enum
    assert psa_name(SimpleNamespace()) == registry.DEFAULT
    assert psa_name(None) == registry.DEFAULT


def test_sandbox_offers_only_the_psas_with_a_simulator(
    installed: dict[str, Psa], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert simulated_psas() == ("autotask",)

    result = run_as(monkeypatch, "autotask", ["sandbox", "--psa", "syncpsa"], tmp_path)

    assert result.exit_code == 1, result.output  # a usage error of reconcile (CLI.md: 1)
    assert "'syncpsa' is not a PSA with a simulator (installed: autotask)" in result.output


def test_autotask_offers_every_operation_the_cli_has() -> None:
    operations = autotask_psa().require_operations("anything")

    assert set(operations.sync_modes) == {"full", "fields", "inventory"}
    assert operations.product_import is not None
    assert operations.callouts is not None and operations.callouts.noun == "webhook"
    assert set(operations.after_apply) == set(autotask_psa().after_apply)


def test_a_psa_without_operations_has_none_to_give() -> None:
    bare = replace(BARE, operations=None)

    with pytest.raises(Exception, match=r"BarePSA \(psa: barepsa\) has no sync --full"):
        bare.require_operations("sync --full")


# --- the lock and journal every writing command holds ------------------------------------------


class FakeLockClient:
    def __init__(self) -> None:
        self.events: list[str] = []

    def acquire_lock_or_take_over(self, owner: str, *, wait_s: float, on_wait: Any) -> None:
        self.events.append("acquire")

    def release_lock(self, owner: str) -> None:
        self.events.append("release")


def reporting(notes: list[str]) -> LockReporting:
    return LockReporting(on_wait=lambda _: None, warn_not_released=notes.append, note=notes.append)


def test_a_run_that_wrote_nothing_leaves_no_journal_and_no_lock(tmp_path: Path) -> None:
    client, notes = FakeLockClient(), []
    path = tmp_path / "journal.jsonl"

    with locked_journal(client, path, wait_s=0, reporting=reporting(notes)):  # type: ignore[arg-type]
        assert client.events == ["acquire"]

    assert client.events == ["acquire", "release"]
    assert not path.exists()
    assert notes == []


def test_a_run_that_wrote_names_its_journal_and_releases_the_lock_on_failure(
    tmp_path: Path,
) -> None:
    client, notes = FakeLockClient(), []
    path = tmp_path / "journal.jsonl"
    record = WriteRecord(address='webhooks["x"]', action="delete", request="DELETE", outcome="ok")

    with (
        pytest.raises(RuntimeError, match="boom"),
        locked_journal(client, path, wait_s=0, reporting=reporting(notes)) as journal,  # type: ignore[arg-type]
    ):
        journal(record)
        raise RuntimeError("boom")

    assert client.events == ["acquire", "release"]
    assert path.read_text(encoding="utf-8").strip()
    assert notes == [f"Journal: {path}"]


def _resolve(reference: str) -> object:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def test_the_autotask_hooks_name_what_exists() -> None:
    at = autotask_psa()
    assert at.simulator is not None

    for reference in (
        at.simulator.launcher,
        at.bench.read_floor,
        at.bench.write_floor,
        at.fixtures.sandbox_factory,
        at.fixtures.hostile_inputs,
    ):
        assert _resolve(reference) is not None, reference
    assert (Path(__file__).resolve().parents[2] / at.fixtures.example_config).is_file()
    assert at.request_floor_key in at.policy_keys
