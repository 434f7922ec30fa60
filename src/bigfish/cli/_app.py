"""The Typer application every command module registers on, and the global options."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
import typer._adapters

from bigfish.cli._lazy import LazyGroup
from bigfish.errors import NotFound

# typer builds pydantic adapters for a run's parameters inside a context manager that sets
# PYDANTIC_DISABLE_PLUGINS in os.environ and deletes it again: two runs in threads of one
# process (a program embedding the CLI; tests/cli/test_concurrent_runs_h123.py) both deleted it,
# and one failed with KeyError('PYDANTIC_DISABLE_PLUGINS'). The switch is taken one at a time.
_PLUGIN_SWITCH = threading.RLock()
_typers_switch = typer._adapters.disabled_pydantic_plugins


@contextmanager
def _one_at_a_time() -> Iterator[None]:
    with _PLUGIN_SWITCH, _typers_switch():
        yield


typer._adapters.disabled_pydantic_plugins = _one_at_a_time

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


@dataclass
class _Invocation:
    """One run of `bigfish`: its global options, and the stores its command opened."""

    options: GlobalOptions = field(default_factory=GlobalOptions)
    stores: list[Store] = field(default_factory=list)

    def close_stores(self) -> None:
        """Close what `command_store` opened for this run (as its click context closes)."""
        while self.stores:
            self.stores.pop().close()


_INVOCATION: ContextVar[_Invocation] = ContextVar("bigfish_cli_invocation")
"""The run of `bigfish` in this thread (or asyncio task): set by the global callback as each
run starts, and left in place when it ends, so that code in the same thread after it (a test
reading OPTIONS) sees the options it ran with, as before. A new thread starts without one."""


def _invocation() -> _Invocation:
    """The run of this thread; outside any, one with the default options (kept for the thread,
    so that what is set on OPTIONS before a run, `bigfish demo` from Python, is read back)."""
    try:
        return _INVOCATION.get()
    except LookupError:
        invocation = _Invocation()
        _INVOCATION.set(invocation)
        return invocation


def current_options() -> GlobalOptions:
    """The global options of the `bigfish` run in this thread (its --db and --data-dir)."""
    return _invocation().options


class CurrentOptions:
    """`OPTIONS`: the global options of the `bigfish` run in this thread, read and written
    through its attributes (`OPTIONS.db_url`, `OPTIONS.data_dir`), so call sites need not
    change. It holds no values itself: each attribute is that of `current_options()`.

    It used to be one module-level GlobalOptions that the callback wrote: two runs at once in
    one process (CliRunner from threads, an application embedding `app`, the API running a
    command's function) read each other's --db and --data-dir, and one command wrote to the
    other's database. Each run now keeps its own (a context variable the callback sets)."""

    @property
    def db_url(self) -> str:
        """The database URL of this thread's run (--db, BIGFISH_DATABASE_URL)."""
        return current_options().db_url

    @db_url.setter
    def db_url(self, value: str) -> None:
        current_options().db_url = value

    @property
    def data_dir(self) -> Path:
        """The evidence and key directory of this thread's run (--data-dir, BIGFISH_DATA_DIR)."""
        return current_options().data_dir

    @data_dir.setter
    def data_dir(self, value: Path) -> None:
        current_options().data_dir = value


OPTIONS = CurrentOptions()

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
    invocation = _Invocation(GlobalOptions(db_url=db, data_dir=data_dir))
    _INVOCATION.set(invocation)
    # closed as the run's context closes: the typer this project uses keeps its own click,
    # whose current context a module cannot reach
    ctx.call_on_close(invocation.close_stores)


LARGEST_ID = 2**63 - 1
"""The largest id the store holds (a signed 64-bit integer on SQLite and PostgreSQL): a larger
one names nothing, and is answered as not found before the store is asked."""


def command_store(*, reads_only: bool = False) -> Store:
    """The store of --db for the command being run, closed when that command ends, normally or
    by error. A process's exit would close it anyway, but run in-process (CliRunner, an
    application embedding `app`) every command left its pooled connections open, until the
    database server refused new clients. Each run closes only its own: two at once in one
    process closed each other's, when the stores were kept in one module-level list.

    READS_ONLY (a command that only reads): a SQLite file that does not exist is an error
    naming it, not a new empty node (run in the wrong folder, `networks` made ./bigfish.db
    and answered "no networks yet")."""
    from bigfish.store import open_store

    invocation = _invocation()
    store = open_store(invocation.options.db_url, create=not reads_only)
    invocation.stores.append(store)
    return store


NEXT_STEP: dict[str, str] = {
    "organization": "see bigfish org list, or add it with bigfish org add",
    "network": "see bigfish networks for the ids",
    "api key": "see bigfish key list for the ids",
    "user": "see bigfish user list, or add it with bigfish user add",
    "evidence": "see bigfish evidence list for the ids",
    "sharing group": "add it with bigfish group add",
    "request": "see bigfish request list --org ORG for the ids",
    "report": "check --org and the report id its organization gave it (bigfish ingest)",
}
"""What to do when an id of each kind (NotFound.what) is not on this node: the command that
lists them, or adds one. "organization 'x' not found" alone left the operator guessing."""


def problem(error: str | Exception) -> str:
    """The message for ERROR on the command line: its text, and for an id the node does not
    have, what to do (NEXT_STEP)."""
    step = NEXT_STEP.get(error.what) if isinstance(error, NotFound) else None
    return f"{error}; {step}" if step else str(error)


def known_org(store: Store, org: str) -> None:
    """NotFound unless ORG is an organization of this node: a listing filtered by an unknown
    --org is an error that says so, not an empty list (as `key list` and `request list`)."""
    from bigfish.organizations import list_orgs

    if org not in {o.name for o in list_orgs(store)}:
        raise NotFound("organization", org)


def fail(error: str | Exception) -> typer.Exit:
    """Print ERROR (a message, or an exception: see `problem`) on stderr and return the exit
    for a bad input or request (status 1)."""
    typer.echo(f"error: {problem(error)}", err=True)
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
