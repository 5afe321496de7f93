"""Golden: `reconcile validate` of every YAML file in examples/ and of broken documents
(tests/golden/inputs/), offline: every diagnostic, its position, its hint, the exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golden_support import INPUTS, REPO, check_golden, transcript

EXAMPLES = sorted(
    path.relative_to(REPO).as_posix()
    for pattern in ("*.yaml", "*.yml")
    for path in (REPO / "examples").rglob(pattern)
    # The golden files freeze Autotask files; the other PSAs' examples get their own tests.
    if path.relative_to(REPO / "examples").parts[0] not in ("connectwise", "halopsa")
)
BROKEN = sorted(path.name for path in INPUTS.glob("*.yaml"))
SECRET = {"SALESBUILDR_WEBHOOK_SECRET": "golden-webhook-secret-0123456789abcdef"}


def test_the_lists_of_files() -> None:
    check_golden("validate/files.txt", "".join(f"{name}\n" for name in [*EXAMPLES, *BROKEN]))


@pytest.mark.parametrize("example", EXAMPLES)
def test_validate_an_example(example: str, workdir: Path) -> None:
    """With the variable its ${env:} names set (ok for mappings.yaml), then without it."""
    scenario = transcript(f"validate/{example}.txt", env=SECRET, workdir=workdir)
    scenario.run("validate", example)
    scenario.run("validate", example, env={"SALESBUILDR_WEBHOOK_SECRET": None})
    scenario.check()


@pytest.mark.parametrize("name", BROKEN)
def test_validate_a_broken_document(name: str, tmp_path: Path) -> None:
    shutil.copy(INPUTS / name, tmp_path / name)
    scenario = transcript(f"validate/broken/{name}.txt", env={}, workdir=tmp_path)
    scenario.run("validate", name)
    scenario.check()


def test_validate_files_and_environment(workdir: Path) -> None:
    """A missing file, the default file name, the size limit, and what a .env may give."""
    scenario = transcript("validate/files-and-environment.txt", env={}, workdir=workdir)
    scenario.run("validate", "no-such-file.yaml")
    scenario.run("validate")  # mappings.yaml by default; none here
    shutil.copy(workdir / "examples" / "mappings.yaml", workdir / "mappings.yaml")
    scenario.run("validate", env=SECRET)
    scenario.run("--max-config-size", "100", "validate", env=SECRET)
    scenario.run("validate", env={**SECRET, "RECONCILE_MAX_CONFIG_SIZE": "200"})

    (workdir / ".env").write_text("SALESBUILDR_WEBHOOK_SECRET=from-dot-env\n", encoding="utf-8")
    scenario.note(".env gives SALESBUILDR_WEBHOOK_SECRET")
    scenario.run("validate")

    (workdir / ".env").write_text(
        "SALESBUILDR_WEBHOOK_SECRET=from-dot-env\nAUTOTASK_API_SECRET=not-here\n",
        encoding="utf-8",
    )
    scenario.note(".env also sets AUTOTASK_API_SECRET (refused)")
    scenario.run("validate")
    scenario.check()
