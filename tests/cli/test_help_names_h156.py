"""Every option's names show whole in every command's help at 80 columns.

`COLUMNS=80 bigfish serve --help` showed `--max-connections-per…`: when typer's options table
was too wide, rich shrank every column alike, the names' too, and cut the one name longer than
its share. tests/cli/test_walkthrough_h148.py checks each word of each option's help; this
checks the names, and that no "…" is rich's (each is in the text the command was given).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()


def _command_paths(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*path, name))


_PATHS = [(), *_command_paths(typer.main.get_command(app))]


def _command(path: tuple[str, ...]) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _words(output: str) -> set[str]:
    """The words of a help page, the table's borders not among them."""
    return {word.strip("│╭╮╰╯─") for word in output.split()}


def _tables(output: str) -> set[str]:
    """The words of a help page's tables (options, arguments), not its description."""
    return _words("\n".join(line for line in output.splitlines() if line.startswith("│")))


@pytest.mark.parametrize("path", _PATHS, ids=lambda path: " ".join(path) or "bigfish")
def test_every_option_name_shows_whole_at_80_columns(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    shown = _tables(result.output)
    names = [
        name
        for param in _command(path).params
        if isinstance(param, typer.core.TyperOption)
        for name in (*param.opts, *param.secondary_opts)
    ]
    assert [name for name in names if name not in shown] == []


@pytest.mark.parametrize("path", _PATHS, ids=lambda path: " ".join(path) or "bigfish")
def test_no_ellipsis_at_80_columns_is_rich_cutting_a_word(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    command = _command(path)
    given = " ".join(
        [command.help or "", command.epilog or ""]
        + [getattr(param, "help", None) or "" for param in command.params]
    )
    cut = [w for w in _words(result.output) if w.endswith("…") and w not in given.split()]
    assert cut == []
