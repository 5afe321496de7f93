"""Issue 15 item 6: files are written safely.

The attacker opens a pull request that plants symbolic links where reconcile writes: at the plan
file (``--out``), the export, the journal, or as the ``.reconcile`` journal folder, pointing at a
file the pipeline's user can write. Every write is refused (exit 1, a message naming the link)
before any API write, and the link's target is untouched. Files reconcile does write are
complete (temp file + rename), private where they hold live data (0600), and a journal is only
ever appended to."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redact_support import CREDENTIALS, Runner, example

from reconciler.errors import UnsafePathError
from reconciler.files import (
    PRIVATE_MODE,
    PUBLIC_MODE,
    open_append_only,
    write_text_atomically,
)
from reconciler.sandbox.common import Sandbox, start_sandbox

VICTIM_TEXT = "precious: do not overwrite\n"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    running = start_sandbox(seed="demo", credentials=CREDENTIALS)
    yield running
    running.stop()


@pytest.fixture
def run(sandbox: Sandbox, tmp_path: Path) -> Runner:
    for simulator in (sandbox.autotask, sandbox.salesbuildr):
        simulator.set_faults({})
        simulator.reset("demo")
    workdir = tmp_path / "repo"
    workdir.mkdir()
    (workdir / "mappings.yaml").write_text(example(), encoding="utf-8")
    return Runner(sandbox, workdir)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the checkout the attacker would like overwritten."""
    path = tmp_path / "outside" / "victim.txt"
    path.parent.mkdir()
    path.write_text(VICTIM_TEXT, encoding="utf-8")
    return path


def _untouched(victim: Path) -> None:
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_a_link_at_plan_out_is_refused(run: Runner, victim: Path) -> None:
    (run.workdir / "plan.json").symlink_to(victim)
    refused = run("plan", "mappings.yaml", "--out", "plan.json")
    assert refused.returncode == 1, refused.output
    assert "plan.json is a symbolic link" in refused.stderr, refused.output
    assert "Traceback" not in refused.stderr
    _untouched(victim)
    assert (run.workdir / "plan.json").is_symlink()


@pytest.mark.parametrize("force", [False, True])
def test_a_link_at_export_out_is_refused(run: Runner, victim: Path, force: bool) -> None:
    (run.workdir / "exported.yaml").symlink_to(victim)
    refused = run("export", "--out", "exported.yaml", *(["--force"] if force else []))
    assert refused.returncode == 1, refused.output
    assert "exported.yaml is a symbolic link" in refused.stderr, refused.output
    _untouched(victim)


def test_a_dangling_link_at_export_out_is_refused(run: Runner, tmp_path: Path) -> None:
    """A link to a file that does not exist yet: writing through it would create that file."""
    target = tmp_path / "outside-new.yaml"
    (run.workdir / "exported.yaml").symlink_to(target)
    refused = run("export", "--out", "exported.yaml")
    assert refused.returncode == 1, refused.output
    assert "symbolic link" in refused.stderr
    assert not target.exists()


def test_a_link_at_the_journal_is_refused_before_any_write(run: Runner, victim: Path) -> None:
    made = run("plan", "mappings.yaml", "--out", "plan.json", "--detailed-exitcode")
    assert made.returncode in (2, 3), made.output  # the demo tenant needs changes
    (run.workdir / "plan.json.journal.jsonl").symlink_to(victim)
    refused = run("apply", "plan.json")
    assert refused.returncode == 1, refused.output
    assert "plan.json.journal.jsonl is a symbolic link" in refused.stderr, refused.output
    _untouched(victim)
    again = run("plan", "mappings.yaml", "--detailed-exitcode")
    assert again.returncode == made.returncode, "nothing was applied"
    # The lock was never taken (or was released): a later apply is not blocked by it.
    (run.workdir / "plan.json.journal.jsonl").unlink()
    applied = run("apply", "plan.json")
    assert applied.returncode == 0, applied.output


def test_a_linked_journal_folder_is_refused(run: Runner, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run.workdir / ".reconcile").symlink_to(elsewhere, target_is_directory=True)
    refused = run("apply", "mappings.yaml", "--auto-approve")
    assert refused.returncode == 1, refused.output
    assert ".reconcile is a symbolic link" in refused.stderr, refused.output
    assert list(elsewhere.iterdir()) == []


def test_written_files_have_safe_modes_and_journals_only_grow(run: Runner) -> None:
    made = run("plan", "mappings.yaml", "--out", "plan.json")
    assert made.returncode == 0, made.output
    plan = run.workdir / "plan.json"
    assert stat.S_IMODE(plan.stat().st_mode) == PRIVATE_MODE
    json.loads(plan.read_text(encoding="utf-8"))  # whole

    journal = run.workdir / "plan.json.journal.jsonl"
    journal.write_text('{"earlier": "run"}\n', encoding="utf-8")
    journal.chmod(0o644)
    inode = journal.stat().st_ino
    applied = run("apply", "plan.json")
    assert applied.returncode == 0, applied.output
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"earlier": "run"}', "an earlier run's lines are kept"
    assert len(lines) > 1 and all(json.loads(line) for line in lines)
    assert journal.stat().st_ino == inode, "appended to, never replaced"
    assert stat.S_IMODE(journal.stat().st_mode) == PRIVATE_MODE

    exported = run("export", "--out", "exported.yaml")
    assert exported.returncode == 0, exported.output
    mode = stat.S_IMODE((run.workdir / "exported.yaml").stat().st_mode)
    assert mode == PUBLIC_MODE & ~_umask()
    leftovers = [p.name for p in run.workdir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_yaml_apply_journal_is_private(run: Runner) -> None:
    applied = run("apply", "mappings.yaml", "--auto-approve")
    assert applied.returncode == 0, applied.output
    journals = list((run.workdir / ".reconcile").glob("journal-*.jsonl"))
    assert len(journals) == 1
    assert stat.S_IMODE(journals[0].stat().st_mode) == PRIVATE_MODE


# --- the helpers themselves -----------------------------------------------------------------------


def test_atomic_write_replaces_a_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plan.json"
    write_text_atomically(target, "one\n")
    write_text_atomically(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.json"]


def test_atomic_write_refuses_a_link_and_leaves_no_temp_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    link = tmp_path / "env"
    link.symlink_to(victim)
    with pytest.raises(UnsafePathError, match="is a symbolic link"):
        write_text_atomically(link, "export X=1\n")
    _untouched(victim)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env", "victim"]


def test_append_only_refuses_links_and_non_files(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text(VICTIM_TEXT, encoding="utf-8")
    link = tmp_path / "journal.jsonl"
    link.symlink_to(victim)
    with pytest.raises(UnsafePathError, match="is a symbolic link"):
        open_append_only(link)
    _untouched(victim)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePathError):
        open_append_only(fifo)  # never blocks waiting for a reader


def test_append_only_creates_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / ".reconcile" / "journal.jsonl"
    with open_append_only(path) as file:
        file.write("a\n")
    with open_append_only(path) as file:
        file.write("b\n")
    assert path.read_text(encoding="utf-8") == "a\nb\n"
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_MODE
