"""Help texts that fit the terminal: prose reflows to its width, examples keep their lines.

Typer renders help with rich (`rich_markup_mode="rich"`, its default when rich is installed).
It joins the lines of a command's first paragraph, but prints every later paragraph with the
docstring's own line breaks, which rich only breaks further: at 60 columns a sentence broke
mid-line and again where the source did, at 200 columns each paragraph stayed as narrow as the
source. So every paragraph's prose is given on one line here, and rich wraps it to the
terminal; a literal line keeps its line (see `is_literal`), and so does every line of a
paragraph that opens with click's `\\b` marker (the marker itself is dropped: rich would print
it). Text after click's `\\f` marker is left as it is (neither typer nor click shows it).

An option's name is never cut: when typer's options table is too wide, rich shrank every column
alike, and cut `--max-connections-per-address` to `--max-connections-per…` at 80 columns
(`WholeOptionNames`: the columns of names keep their width, the type and help columns wrap).
"""

from __future__ import annotations

import inspect
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
import typer.main
from typer import _click  # the typer this project uses keeps its own click
from typer.core import TyperCommand

_NO_REWRAP = {"\b", "\\b"}
"""Click's marker, alone on a paragraph's first line: keep that paragraph's lines (written
"\\b" in a docstring, which Python reads as the backspace character, or raw)."""

_LITERAL = re.compile(
    r"""
    [ \t]                            # indented: a code or continuation block
    | [-*]\s                         # an item of a list
    | \$\s                           # a shell prompt
    | [A-Z][\w' -]{0,40}:\s*(?:bigfish\s|$)   # "Example: bigfish …", "Example:" before a block
    """,
    re.VERBOSE,
)


def is_literal(line: str) -> bool:
    """Whether LINE keeps its own line: indented, an item of a list, a shell prompt, or a
    label with a command ("Example: bigfish org list") or before a block ("Example:")."""
    return bool(_LITERAL.match(line))


def reflow(text: str) -> str:
    """TEXT with each paragraph's prose on one line and its literal lines kept (the
    terminal's width is unknown here: rich wraps the result to it)."""
    shown, marker, hidden = text.partition("\f")
    paragraphs = inspect.cleandoc(shown).split("\n\n")
    hidden_part = f"\n{marker}{hidden}" if marker else ""
    return "\n\n".join(_reflow_paragraph(p) for p in paragraphs) + hidden_part


def _reflow_paragraph(paragraph: str) -> str:
    """One paragraph: consecutive prose lines joined, every literal line on its own."""
    lines = paragraph.split("\n")
    if lines[0].strip() in _NO_REWRAP:
        return "\n".join(lines[1:])
    joined: list[str] = []
    prose = False  # whether the last line of JOINED is prose, which the next prose line joins
    for line in lines:
        if prose and not is_literal(line):
            joined[-1] = f"{joined[-1]} {line.strip()}"
            continue
        joined.append(line.rstrip())
        prose = not is_literal(line)
    return "\n".join(joined)


_FITTED: weakref.WeakSet[object] = weakref.WeakSet()
"""The registrations already fitted: each once, as a paragraph that loses its `\\b` marker
would have its lines joined by a second pass."""


def fit_help_texts(group: typer.Typer) -> None:
    """Reflow the help of GROUP, of each of its commands and of its groups, as registered
    (before typer builds the click commands): once for every command, whether its module was
    imported lazily or not."""
    if isinstance(group.info.help, str) and group.info not in _FITTED:
        group.info.help = reflow(group.info.help)
        _FITTED.add(group.info)
    for info in group.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc and info not in _FITTED:
            info.help = reflow(doc)
            _FITTED.add(info)
        if info.cls in (None, TyperCommand):  # typer's own: not a command's chosen class
            info.cls = WholeOptionNames
    for sub in group.registered_groups:
        doc = typer.main.solve_typer_info_help(sub)
        if isinstance(doc, str) and doc and sub not in _FITTED:
            sub.help = reflow(doc)
            _FITTED.add(sub)
        if sub.typer_instance is not None:
            fit_help_texts(sub.typer_instance)


class WholeOptionNames(TyperCommand):
    """A command whose help shows each option's names whole at any width rich can draw them:
    typer's options table shrank every column alike when too wide, names too, which rich then
    cut with an ellipsis (a name is one word: it cannot wrap)."""

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        with _names_unwrapped():
            super().format_help(ctx, formatter)


@contextmanager
def _names_unwrapped() -> Iterator[None]:
    """typer's help tables, while drawn, with their columns of names (all but the type and the
    help, the last two) kept whole: rich narrows the columns that may wrap first, and those
    only. Imported here, when help is drawn: rich is not loaded to run a command."""
    from rich.table import Table
    from typer import rich_utils

    class NamesWhole(Table):
        def add_row(self, *renderables: Any, **options: Any) -> None:
            super().add_row(*renderables, **options)
            for column in self.columns[:-2]:  # typer's commands table has two: none of them
                column.no_wrap = True

    drawn = rich_utils.Table  # type: ignore[attr-defined]
    rich_utils.Table = NamesWhole  # type: ignore[attr-defined]
    try:
        yield
    finally:
        rich_utils.Table = drawn  # type: ignore[attr-defined]
