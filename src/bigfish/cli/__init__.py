"""The `bigfish` command: thin shells, each calling one library function.

One module per command group registers its commands on the shared Typer app.
"""

from __future__ import annotations

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
    """Entry point of the console script."""
    app()


__all__ = ["app", "main"]
