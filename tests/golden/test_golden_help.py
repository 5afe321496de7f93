"""Golden: `reconcile --help`, `--version` and the help page of every command and subcommand.

Run as real processes (see golden_support.run_reconcile). The commands are found the way a user
finds them, from the "Commands:" listing of each group's
help page, so a command added or removed changes the golden list (data/help/commands.txt).
"""

from __future__ import annotations

from pathlib import Path

from golden_support import Normaliser, check_golden, run_reconcile


def listed_commands(page: str) -> list[str]:
    """The command names of a group's help page ("Commands:" then two-space-indented rows)."""
    if "\nCommands:\n" not in page:
        return []
    rows = page.split("\nCommands:\n", 1)[1].splitlines()
    return [row.split()[0] for row in rows if row.startswith("  ") and not row.startswith("   ")]


def every_command(workdir: Path) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        path = pending.pop(0)
        page = run_reconcile([*path, "--help"], env={}, cwd=workdir, process=True).stdout
        for name in listed_commands(page):
            found.append((*path, name))
            pending.append((*path, name))
    return found


def test_the_help_page_of_every_command(tmp_path: Path) -> None:
    normaliser = Normaliser(env={}, workdir=tmp_path)
    commands = every_command(tmp_path)
    check_golden("help/commands.txt", "".join(" ".join(path) + "\n" for path in commands))
    assert ("webhooks", "status") in commands  # the walk reaches subcommands

    for path in [(), *commands]:
        outcome = run_reconcile([*path, "--help"], env={}, cwd=tmp_path, process=True)
        check_golden(f"help/{'-'.join(path) or 'reconcile'}.txt", normaliser.outcome(outcome))


def test_version_no_command_and_usage_errors(tmp_path: Path) -> None:
    normaliser = Normaliser(env={}, workdir=tmp_path)
    runs = [
        ["--version"],
        [],
        ["nonsense"],
        ["plan", "-v"],
        ["plan", "--format", "yaml"],
        ["apply", "--parallelism", "0"],
        ["webhooks"],
        ["webhooks", "nonsense"],
    ]
    outcomes = [run_reconcile(argv, env={}, cwd=tmp_path, process=True) for argv in runs]
    check_golden("help/version-and-usage-errors.txt", "\n".join(map(normaliser.outcome, outcomes)))
