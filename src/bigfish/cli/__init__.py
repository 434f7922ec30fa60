"""The `bigfish` command: thin shells, each calling one library function.

One module per command group registers its commands on the shared Typer app.
"""

from __future__ import annotations

import typer
from sqlalchemy import exc as sa_exc

from bigfish.cli import (  # noqa: F401  (imported for their registrations)
    access,
    demo,
    evidence,
    identifiers,
    intake,
    interop,  # also registers the stix and misp readers of `bigfish ingest`
    ml,
    networks,
    report,
    requests,
    serve,
    synth,
)
from bigfish.cli._app import app


def main() -> None:
    """Entry point of the console script: a database or file the command cannot use ends it
    with a message on stderr and status 1, never a traceback."""
    try:
        app()
    except sa_exc.DBAPIError as exc:
        cause = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        typer.echo(f"error: the database could not be used: {cause[0]} (check --db)", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        raise SystemExit(1) from None


__all__ = ["app", "main"]
