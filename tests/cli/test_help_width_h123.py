"""`--help` fits the terminal: prose reflows to its width, examples keep their lines.

Typer (rich markup mode) joined the lines of a command's first paragraph only: every later
paragraph kept the docstring's line breaks, so at 200 columns `bigfish ingest --help` showed
three short lines where one fitted, and at 60 columns a sentence broke twice in a row.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()
WIDTHS = (60, 200)
PADDING = 2  # typer's help text panel pads one column on each side

# A line of a docstring printed as written: indented, a list item, a shell prompt, or a
# label before a command or a block ("Example: bigfish …", "Example:").
LITERAL = re.compile(r"[ \t]|[-*$]\s|[A-Z][\w' -]{0,40}:\s*(bigfish\s|$)")


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


_ROOT = typer.main.get_command(app)
COMMANDS = [
    pytest.param(path, command, id=" ".join(path) or "bigfish")
    for path, command in [((), _ROOT), *_commands(_ROOT)]
]


def _docstring(command: Any) -> str:
    return inspect.cleandoc(command.help or "")


def _literal_lines(doc: str) -> list[str]:
    """The literal lines of DOC (whitespace-normalised), each one a line of the help."""
    return [" ".join(line.split()) for line in doc.splitlines() if LITERAL.match(line)]


def _description(path: tuple[str, ...], width: int) -> list[str]:
    """The lines of `bigfish PATH --help` between the usage line and the first panel, without
    the panel's padding ("" between paragraphs)."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    text = [line[1:].rstrip() for line in lines[start:end]]
    while text and not text[0]:
        text.pop(0)
    while text and not text[-1]:
        text.pop()
    return text


def _part_of_a_literal(line: str, literals: list[str]) -> bool:
    """Whether LINE is a literal line, or a piece of one rich broke (too long for the width)."""
    words = " ".join(line.split())
    return bool(words) and any(words in literal for literal in literals)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "command"), COMMANDS)
def test_no_line_of_prose_stops_where_the_next_word_would_have_fitted(
    width: int, path: tuple[str, ...], command: Any
) -> None:
    literals = _literal_lines(_docstring(command))
    lines = _description(path, width)
    for line, following in itertools.pairwise(lines):
        if not line or not following:
            continue  # a paragraph ends
        if _part_of_a_literal(line, literals) or _part_of_a_literal(following, literals):
            continue  # an example keeps its lines
        next_word = following.split()[0]
        room = width - PADDING - len(line)
        assert len(next_word) + 1 > room, (path, width, line, following)


@pytest.mark.parametrize(("path", "command"), COMMANDS)
def test_examples_keep_their_lines(path: tuple[str, ...], command: Any) -> None:
    """At 200 columns every literal line of the docstring is one line of the help, and the
    lines of a multi-line example follow one another as written."""
    doc = _docstring(command)
    shown = [" ".join(line.split()) for line in _description(path, 200)]
    for paragraph in doc.split("\n\n"):
        literals = _literal_lines(paragraph)
        if not literals:
            continue
        assert literals[0] in shown, (path, literals[0], shown)
        first = shown.index(literals[0])
        block = shown[first : first + len(literals)]
        consecutive = [" ".join(line.split()) for line in paragraph.splitlines()]
        if consecutive == literals:  # a block of literal lines only: printed as a block
            assert block == literals, (path, block)
        else:
            assert all(literal in shown for literal in literals), (path, literals, shown)


def test_a_paragraph_of_several_source_lines_is_one_line_when_it_fits() -> None:
    lines = _description(("ingest",), 500)
    webhooks = [line for line in lines if "signed" in line or "fails nothing" in line]
    assert len(webhooks) == 1 and webhooks[0].startswith("Once each file")
    assert webhooks[0].endswith("and fails nothing."), webhooks


def test_every_summary_in_a_list_of_commands_is_one_line_when_it_fits() -> None:
    for path in ((), ("evidence",), ("request",)):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
        panel = result.output[result.output.index("─ Commands ") :].splitlines()[1:-1]
        continued = [row for row in panel if row[1:].lstrip() and row[2] == " "]
        assert panel and not continued, (path, continued)


def test_reflow_joins_prose_and_keeps_lists_examples_and_marked_blocks() -> None:
    from bigfish.cli._help import reflow  # here: the test of the commands runs without it

    doc = """First
    line.

    Prose that the source
    broke in
    three.

    - an item
    - another
    $ bigfish org list
    Example: bigfish org list --json
    A partner's: bigfish org add vn --country VN
    (one line per
    pull)

    Example:

        bigfish evidence add f \\
            --org a

    \b
    kept as
    written
    \fhidden
    text"""
    assert reflow(doc).split("\n\n") == [
        "First line.",
        "Prose that the source broke in three.",
        "- an item\n- another\n$ bigfish org list\nExample: bigfish org list --json\n"
        "A partner's: bigfish org add vn --country VN\n(one line per pull)",
        "Example:",
        "    bigfish evidence add f \\\n        --org a",
        "kept as\nwritten\n\fhidden\n    text",
    ]
    assert reflow(reflow("a\nb\n\n- c\n- d")) == reflow("a\nb\n\n- c\n- d") == "a b\n\n- c\n- d"
