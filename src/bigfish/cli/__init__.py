"""The `bigfish` command: thin shells, each calling one library function.

One module per command group registers its commands on the shared Typer app.
"""

from __future__ import annotations

import inspect

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
from bigfish.errors import BigfishError


def _one_line_summaries(group: typer.Typer) -> None:
    """Give every command whose help opens with a paragraph of several source lines that
    paragraph on one line as its summary: the lists of `bigfish --help` (and of each group's)
    otherwise break it where the docstring does, mid-sentence."""
    for info in group.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if info.short_help is None and doc:
            first = inspect.cleandoc(doc).split("\n\n")[0]
            if "\n" in first:
                info.short_help = " ".join(first.split())
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _one_line_summaries(sub.typer_instance)


_one_line_summaries(app)


def main() -> None:
    """Entry point of the console script: a database or file the command cannot use ends it
    with a message on stderr and status 1, never a traceback. So does a BigfishError a command
    let through (an unsupported --db URL, say), a number too large for the store, and a file
    a library read as UTF-8 that is not."""
    try:
        app()
    except BigfishError as exc:
        typer.echo(f"error: {exc}", err=True)
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
    except sa_exc.DBAPIError as exc:
        cause = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        typer.echo(f"error: the database could not be used: {cause[0]} (check --db)", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        raise SystemExit(1) from None


__all__ = ["app", "main"]
