"""The `bigfish` command: thin shells, each calling one library function.

One module per command group registers its commands on the shared Typer app, imported when
one of its commands is run (`_lazy.py`), so that a command starts without the others' libraries.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from bigfish.cli._app import app, problem
from bigfish.errors import BigfishError

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError


def _database_error(exc: Exception) -> str | None:
    """The first line of the driver's message when EXC is SQLAlchemy's DBAPIError, else None
    (SQLAlchemy is not imported for it: a command that never loaded it raised none)."""
    dbapi_error: type[DBAPIError] | None = getattr(
        sys.modules.get("sqlalchemy.exc"), "DBAPIError", None
    )
    if dbapi_error is None or not isinstance(exc, dbapi_error):
        return None
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]


def main() -> None:
    """Entry point of the console script: a database or file the command cannot use ends it
    with a message on stderr and status 1, never a traceback. So does a BigfishError a command
    let through (an unsupported --db URL, say), a number too large for the store, and a file
    a library read as UTF-8 that is not."""
    try:
        app()
    except BigfishError as exc:
        typer.echo(f"error: {problem(exc)}", err=True)
        raise SystemExit(1) from None
    except OverflowError as exc:
        typer.echo(f"error: a number given is out of range ({exc})", err=True)
        raise SystemExit(1) from None
    except UnicodeDecodeError as exc:
        typer.echo(
            f"error: the input is not valid UTF-8 (byte {exc.start + 1}: {exc.reason}); "
            "save it as UTF-8",
            err=True,
        )
        raise SystemExit(1) from None
    except Exception as exc:
        cause = _database_error(exc)
        if cause is not None:
            typer.echo(f"error: the database could not be used: {cause} (check --db)", err=True)
            raise SystemExit(1) from None
        if not isinstance(exc, OSError):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        raise SystemExit(1) from None


__all__ = ["app", "main"]
