"""`bigfish synth`: write a synthetic partnership data set (spec/cli.md)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import typer

from bigfish.cli._app import app, fail, progress_bar
from bigfish.errors import BigfishError
from bigfish.synth import MAX_REPORTS, generate


@app.command("synth")
def synth(
    out_dir: Path = typer.Argument(..., help="Directory to write the data set into."),
    reports: int = typer.Option(
        50_000, "--reports", "-n", help="Number of reports.", min=1, max=MAX_REPORTS
    ),
    seed: int = typer.Option(
        7, "--seed", min=0, help="Random seed; the same seed gives the same files."
    ),
    start: datetime | None = typer.Option(
        None, "--start", formats=["%Y-%m-%d"], help="First day of the ~18 months (2024-07-01)."
    ),
    no_noise: bool = typer.Option(
        False, "--no-noise", help="Leave out shared infrastructure (hotlines, platform domains)."
    ),
) -> None:
    """Write a synthetic partnership: one report file per organization, truth.json, planted.jsonl.

    Example: bigfish synth ./demo-data --reports 20000 --seed 7
    """
    began = time.perf_counter()
    try:
        with progress_bar(reports, "reports") as advance:
            summary = generate(
                out_dir,
                reports=reports,
                seed=seed,
                start=start.date() if start else None,
                noise=not no_noise,
                progress=advance,
            )
    except BigfishError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail(f"{out_dir}: {exc.strerror or exc}") from exc
    elapsed = time.perf_counter() - began
    typer.echo(
        f"wrote {summary.reports} reports ({summary.ring_reports} in {summary.rings} rings, "
        f"largest {summary.largest_ring}; {summary.lone_reports} lone scams) "
        f"for {len(summary.organizations)} organizations to {summary.out_dir} in {elapsed:.1f}s"
    )
    for name, rows in summary.organizations:
        typer.echo(f"  {name:<12} {rows:>8} reports")
    typer.echo(f"truth: {summary.out_dir / 'truth.json'}; planted identifiers: {summary.planted}")
