"""The Typer application every command module registers on, and the global options."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bigfish.cli._lazy import LazyGroup

if TYPE_CHECKING:
    from bigfish.store import Store

app = typer.Typer(
    name="bigfish",
    help="Pool scam reports, link the small fish into the big networks, share under control.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@dataclass
class GlobalOptions:
    """Options every command can read (set by the callback below, from flags or environment)."""

    db_url: str = "sqlite:///./bigfish.db"
    data_dir: Path = Path("./bigfish-data")


OPTIONS = GlobalOptions()

DATABASE_URL_VARIABLE = "BIGFISH_DATABASE_URL"
DATA_DIR_VARIABLE = "BIGFISH_DATA_DIR"


def _print_version(asked: bool) -> None:
    if asked:
        from bigfish import __version__

        typer.echo(f"bigfish {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    db: str = typer.Option(
        GlobalOptions.db_url,
        "--db",
        envvar=DATABASE_URL_VARIABLE,
        help="Database URL: sqlite:///./bigfish.db or postgresql://…",
        show_default=True,
    ),
    data_dir: Path = typer.Option(
        GlobalOptions.data_dir,
        "--data-dir",
        envvar=DATA_DIR_VARIABLE,
        help="Evidence files and keys.",
        show_default=True,
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print bigfish's version and exit.",
    ),
) -> None:
    """bigfish: one command per task of a partnership node.

    The environment is read as each command runs, not when this module is imported: run
    in-process (CliRunner, an application embedding `app`), a variable set after the import
    was ignored and the command used ./bigfish.db and ./bigfish-data of the working directory."""
    OPTIONS.db_url = db
    OPTIONS.data_dir = data_dir
    ctx.call_on_close(_close_command_stores)


LARGEST_ID = 2**63 - 1
"""The largest id the store holds (a signed 64-bit integer on SQLite and PostgreSQL): a larger
one names nothing, and is answered as not found before the store is asked."""


_COMMAND_STORES: list[Store] = []
"""The stores the running command opened, closed when it ends (`command_store`)."""


def command_store() -> Store:
    """The store of --db for the command being run, closed when that command ends, normally or
    by error. A process's exit would close it anyway, but run in-process (CliRunner, an
    application embedding `app`) every command left its pooled connections open, until the
    database server refused new clients."""
    from bigfish.store import open_store

    store = open_store(OPTIONS.db_url)
    _COMMAND_STORES.append(store)
    return store


def _close_command_stores() -> None:
    """Close what `command_store` opened (run as the command's context closes: the typer
    this project uses keeps its own click, whose current context a module cannot reach)."""
    while _COMMAND_STORES:
        _COMMAND_STORES.pop().close()


def fail(message: str) -> typer.Exit:
    """Print MESSAGE on stderr and return the exit for a bad input or request (status 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar of LABEL on a terminal, advanced by (done, of) (None when stderr is
    piped: nothing is drawn into a log)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        yield advance
