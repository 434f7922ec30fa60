"""`bigfish demo`: a realistic demo partnership in one command (spec/cli.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bigfish.cli._app import OPTIONS, app, fail
from bigfish.demo import DEMO_DATA_DIR, DemoResult, build_demo, check_workdir
from bigfish.errors import BigfishError
from bigfish.intake import IngestResult
from bigfish.store import Store
from bigfish.synth import MAX_REPORTS


def _ingest_table(result: DemoResult) -> Table:
    table = Table(title="Ingest of the demo partnership")
    for column in ("file", "received", "stored", "updated", "rejected"):
        table.add_column(column, justify="left" if column == "file" else "right")
    totals = [0, 0, 0, 0]
    for r in result.results:
        values = (r.received, r.stored, r.updated, r.rejected)
        table.add_row(Path(r.file).name, *(f"{v:,}" for v in values))
        totals = [a + b for a, b in zip(totals, values, strict=True)]
    table.add_row("all", *(f"{v:,}" for v in totals), style="bold")
    return table


def _networks_table(store: Store, top: int) -> Table:
    from bigfish.linking.service import list_networks
    from bigfish.sharing import Viewer

    page = list_networks(store, Viewer.node_operator(), top=top)
    table = Table(title=f"Top {top} networks (the big fish)")
    for column in ("id", "score", "reports", "countries", "organizations", "loss USD", "seen"):
        table.add_column(column, justify="right" if column in ("score", "reports") else "left")
    for n in page.networks:
        data = n.to_json()
        table.add_row(
            str(data["id"]),
            f"{data['score']:.1f}",
            f"{data['report_count']:,}",
            " ".join(data["countries"]),
            str(len(data["organizations"])),
            f"{data['total_loss_usd']:,.0f}",
            f"{str(data['first_seen'])[:10]} → {str(data['last_seen'])[:10]}",
        )
    return table


@app.command()
def demo(
    no_serve: bool = typer.Option(False, "--no-serve", help="Exit after printing."),
    reports: int = typer.Option(
        50_000, "--reports", min=1, max=MAX_REPORTS, help="Number of synthetic reports."
    ),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed of the synthetic partnership."),
    workdir: Path = typer.Option(
        Path("./bigfish-demo"),
        "--workdir",
        help="Recreated: data files and the demo's own database (--db and --data-dir are not"
        " used). Must be new, empty or an earlier demo's.",
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=0, max=65535),
    top: int = typer.Option(10, "--top", min=1, help="Networks to show."),
) -> None:
    """Build a demo partnership (countries' centres, banks, a telco), ingest, link, show the
    top networks, then serve the API and web application until stopped.

    Example: bigfish demo --no-serve --reports 20000
    """
    if not no_serve:
        _refuse_an_address_in_use(host, port)
    try:  # refused before saying what it would do (build_demo checks it again)
        check_workdir(workdir)
    except BigfishError as exc:
        raise fail(exc) from None
    console = Console()
    console.print(f"Synthesizing {reports:,} reports into {workdir} …")

    def on_file(result: IngestResult) -> None:
        console.print(
            f"  {Path(result.file).name}: received {result.received:,} / "
            f"stored {result.stored:,} / updated {result.updated:,} / "
            f"rejected {result.rejected:,}"
        )

    try:
        store, result = build_demo(workdir, reports=reports, seed=seed, on_file=on_file)
    except BigfishError as exc:
        raise fail(exc) from None
    try:  # the server started below opens its own store
        console.print(_ingest_table(result))
        console.print(_networks_table(store, top))
    finally:
        store.close()
    console.print(
        f"synth {result.synth_seconds:.1f} s, ingest {result.ingest_seconds:.1f} s, "
        f"link {result.link_seconds:.1f} s; database {result.store_url}"
    )
    if result.users:
        console.print(
            f"web users: {', '.join(result.users)}; password for this demo: {result.password}"
        )
    if no_serve:
        return
    _serve(result.store_url, workdir / DEMO_DATA_DIR, host, port)


def _refuse_an_address_in_use(host: str, port: int) -> None:
    """Exit 1 when nothing could listen on HOST:PORT now: found before the minutes of
    synthesizing, ingesting and linking, not after them (`serve` says so again if it is taken
    meanwhile)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind(address)
    except OSError as exc:
        raise fail(
            f"cannot serve on {host}:{port} ({exc.strerror or exc}): choose another --port, stop"
            " what listens there, give a --host of this machine, or add --no-serve"
        ) from None


def _serve(url: str, data_dir: Path, host: str, port: int) -> None:
    from bigfish.cli.serve import run_server

    sys.stdout.flush()  # `serve` says where it serves, after the tables above
    # Both in the workdir: with --data-dir's default (./bigfish-data, where a node in the
    # current directory keeps its key) the demo's audit log was signed with that node's key
    # and its high-water mark written there, so the node's own log then looked cut back.
    OPTIONS.db_url = url
    OPTIONS.data_dir = data_dir
    run_server(host=host, port=port)
