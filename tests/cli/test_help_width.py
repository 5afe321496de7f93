"""`reconcile --help` fits an 80-column terminal, one complete summary per command (issue #16).

click shortens a command's first sentence with "..." when it does not fit beside the command
names; a summary cut mid-sentence tells nothing. So each command's first docstring sentence must fit
whole, and every line of every help page, `\\b` blocks included (click never rewraps them), must
fit 80 columns. Each page also explains itself: a summary and at least one more paragraph.
"""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import cli

COLUMNS = 80


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group under ``group`` (``("webhooks", "status")``)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


def help_page(*args: str) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--help"], prog_name="reconcile", env={"COLUMNS": str(COLUMNS)}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def summary(command: click.Command) -> str:
    """The command's summary as click makes it, whatever room there is: its first sentence."""
    return command.get_short_help_str(limit=10_000)


ALL = list(commands(cli))
GROUPS = [(), *(p for p in ALL if isinstance(command_at(p), click.Group))]


def test_the_walk_finds_the_commands_and_the_webhooks_group() -> None:
    assert {("validate",), ("plan",), ("apply",), ("webhooks",), ("webhooks", "status")} <= set(ALL)
    assert ("webhooks",) in GROUPS


@pytest.mark.parametrize("path", [*ALL, ()], ids=lambda p: " ".join(p) or "reconcile")
def test_no_line_of_a_help_page_exceeds_80_columns(path: tuple[str, ...]) -> None:
    page = help_page(*path)

    too_long = [line for line in page.splitlines() if len(line) > COLUMNS]
    assert too_long == [], "\n".join(too_long)


@pytest.mark.parametrize("group", GROUPS, ids=lambda p: " ".join(p) or "reconcile")
def test_each_command_is_listed_with_its_whole_summary_on_one_line(group: tuple[str, ...]) -> None:
    page = help_page(*group)
    listing = page.split("Commands:\n", 1)[1].splitlines()
    rows = {line.split()[0]: line for line in listing if line.startswith("  ") and line.strip()}
    listed = command_at(group)
    assert isinstance(listed, click.Group)

    for name in listed.list_commands(click.Context(listed)):
        command = command_at((*group, name))
        expected = summary(command)
        row = rows.get(name)
        assert row is not None, f"{name} is not listed on a line of its own:\n{page}"
        assert row.split(None, 1)[1] == expected, f"{name}: summary cut or wrapped:\n{page}"
        assert expected.endswith("."), f"{name}: the summary is not one sentence: {expected!r}"
    # No continuation lines: every line of the listing starts a command's row.
    continuation = [line for line in listing if line.startswith(" " * 4)]
    assert continuation == [], "\n".join(continuation)


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_each_help_page_explains_its_command_beyond_the_summary(path: tuple[str, ...]) -> None:
    command = command_at(path)
    page = help_page(*path)
    paragraphs = [p for p in (command.help or "").strip().split("\n\n") if p.strip()]

    assert f"Usage: reconcile {' '.join(path)}" in page
    assert summary(command) in " ".join(page.split())
    assert len(paragraphs) >= 2, f"{' '.join(path)}: only a summary, no explanation"
