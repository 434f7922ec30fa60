"""`bigfish report`: the statistics report for ministers and summits (spec/cli.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from bigfish.cli._app import OPTIONS, app, command_store, fail
from bigfish.errors import BigfishError
from bigfish.sharing.policy import Viewer


@app.command()
def report(
    out: Path = typer.Option(..., "--out", help="FILE.html or FILE.pdf"),
    period: str = typer.Option(
        "all", "--period", help="2025, 2025-Q4, 2025-11, 2025-01..2025-06 or all"
    ),
    as_org: str | None = typer.Option(
        None, "--as-org", help="Only what this organization may see (default: everything)."
    ),
    top: int = typer.Option(10, "--top", min=1, max=100, help="Networks to list."),
    any_period: bool = typer.Option(
        False,
        "--any-period",
        help="Allow a period that is not whole calendar months (2025-01-15..2025-02-14); "
        "the report says so, since it can be differenced against an overlapping one.",
    ),
) -> None:
    """Write the statistics report with charts: losses by country, month and typology, top
    networks, cross-border flows and cooperation requests, after a one-page summary.

    Example: bigfish report --out summit-2025.pdf --period 2025
    """
    from bigfish.accounts import viewer_as
    from bigfish.evidence.log import signing_key
    from bigfish.evidence.node_key import KEY_PATH
    from bigfish.reporting import parse_period, write_report
    from bigfish.reporting.cell_keys import report_secret

    try:
        chosen = parse_period(period)
        store = command_store(reads_only=True)
        viewer = Viewer.node_operator() if as_org is None else viewer_as(store, as_org)
        # Losses are perturbed by their cells' keys under the node's own secret, so that two
        # reports differing by a few reports do not give those reports' losses by subtraction.
        had_key = (OPTIONS.data_dir / KEY_PATH).exists()
        secret = report_secret(signing_key(store, OPTIONS.data_dir))
        if not had_key:  # a report run from another folder made a key of its own, silently
            typer.echo(
                f"note: no node key was at {OPTIONS.data_dir / KEY_PATH}; one was created. "
                "The published losses are perturbed under this key: run every report of this "
                "node with the same --data-dir (or BIGFISH_DATA_DIR), or reports made under "
                "different keys could be averaged towards the exact losses.",
                err=True,
            )
        result = write_report(
            store, viewer, out, chosen, top=top, any_period=any_period, secret=secret
        )
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(
        f"wrote {result.path} ({result.format}): {result.report_count:,} reports, "
        f"{result.network_count:,} networks, period {chosen.label}"
    )
