"""`bigfish export stix|misp|csv|xlsx`, `bigfish sync pull` (spec/cli.md) and
`bigfish sync runs`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bigfish.cli._app import OPTIONS, app, command_store, fail
from bigfish.cli._sync_runs import list_sync_runs, run_document, run_lines
from bigfish.errors import BigfishError, PeerError, StoreError
from bigfish.interop.export import (
    FORMATS,
    ExportResult,
    export_csv,
    export_misp,
    export_stix,
    export_xlsx,
    network_views,
)
from bigfish.interop.sync import PullFailed, SyncResult, pull, pull_every
from bigfish.organizations import get_org
from bigfish.outgoing import origin_of
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.base import redact
from bigfish.webhooks import allow_peer

sync_app = typer.Typer(help="Pull partner nodes' TAXII 2.1 collections.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


def _viewer(store: Store, org: str | None) -> Viewer:
    if org is None:
        return Viewer.node_operator()
    from bigfish.accounts import viewer_as

    return viewer_as(store, org)


@app.command("export")
def export_command(
    fmt: str = typer.Argument(..., help="stix, misp, csv or xlsx."),
    out: Path = typer.Option(..., "--out", help="The file to write."),
    as_org: str | None = typer.Option(
        None, "--as-org", help="Export only what this organization may see (default: everything)."
    ),
    sent_by: str | None = typer.Option(
        None,
        "--sent-by",
        help="Export only the reports this organization sent (to ingest them again elsewhere"
        " with --org).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON document."),
) -> None:
    """Export what ORG may see (everything for the operator) as STIX 2.1, MISP events, CSV,
    or xlsx: the CSV's rows as an Excel workbook whose every cell is text, to open in a
    spreadsheet (nothing in it runs as a formula).

    Example: bigfish export stix --out partnership.stix.json --as-org th-aoc

    Example: bigfish export csv --out th-aoc.csv --sent-by th-aoc

    Example: bigfish export xlsx --out th-aoc.xlsx --as-org th-aoc
    """
    if fmt not in FORMATS:  # a usage error (status 2), as for any unknown choice
        raise typer.BadParameter(f"one of {', '.join(FORMATS)}", param_hint="FORMAT")
    try:
        store = command_store(reads_only=True)
        viewer = _viewer(store, as_org)
        if sent_by is not None:  # named before the file is opened, and so left as it was
            with store.connect() as conn:
                get_org(conn, sent_by)
        if fmt == "xlsx":
            result = _export_workbook(store, viewer, out, sent_by)
        else:
            result = _export_text(store, viewer, out, fmt, sent_by)
    except BigfishError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(f"{out}: {exc.strerror}") from None
    doc = {"format": result.format, "reports": result.reports, "objects": result.objects}
    if as_json:
        typer.echo(json.dumps(doc | {"out": str(out)}))
    else:
        typer.echo(f"{out}: {result.reports:,} reports, {result.objects:,} {_UNITS[fmt]}")


def _export_text(
    store: Store, viewer: Viewer, out: Path, fmt: str, sent_by: str | None
) -> ExportResult:
    """Write the STIX, MISP or CSV export to OUT."""
    with out.open("w", encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            return export_csv(store, viewer, handle, sent_by=sent_by)
        export = export_stix if fmt == "stix" else export_misp
        networks = network_views(store, viewer)
        return export(store, viewer, handle, networks=networks, sent_by=sent_by)


def _export_workbook(store: Store, viewer: Viewer, out: Path, sent_by: str | None) -> ExportResult:
    """Write the xlsx export to OUT; a file it could not finish is removed (a workbook cut
    short is no workbook to open), unless OUT is no file of its own (/dev/stdout)."""
    with out.open("wb") as handle:
        try:
            return export_xlsx(store, viewer, handle, sent_by=sent_by)
        except BaseException:
            handle.close()
            if out.is_file() and not out.is_symlink():
                out.unlink()
            raise


_UNITS = {"stix": "STIX objects", "misp": "MISP events", "csv": "rows", "xlsx": "rows"}
"""What an export's `objects` count in each format ("1245 misp objects" were events, "3580 csv
objects" rows)."""


@sync_app.command("pull")
def sync_pull_command(
    peer_url: str = typer.Argument(..., help="The peer's TAXII discovery URL or API root."),
    key: str = typer.Option(
        ..., "--key", envvar="BIGFISH_PEER_KEY", help="The API key the peer issued to this node."
    ),
    org: str | None = typer.Option(
        None, "--org", help="Holds reports that name no organization (default peer-HOST-PORT)."
    ),
    basic_user: str | None = typer.Option(
        None, "--basic-user", help="Send the key as the password of HTTP Basic for this user."
    ),
    page: int = typer.Option(1000, "--page", min=1, max=10_000, help="Objects per request."),
    every: float | None = typer.Option(
        None,
        "--every",
        min=1,
        help="Pull again every SECONDS until stopped; a failed pull is reported and retried.",
    ),
    runs: int | None = typer.Option(
        None, "--runs", min=1, help="With --every: stop after this many pulls."
    ),
    from_start: bool = typer.Option(
        False,
        "--from-start",
        help="Ask for every object again, not only those added since the last pull"
        " (with --every: the first pull).",
    ),
    webhooks: bool = typer.Option(
        True,
        "--webhooks/--no-webhooks",
        help="Send the alerts pulled reports raise to this node's organizations' webhooks"
        " (--no-webhooks: a first pull of a partner's old reports, say).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON document."),
) -> None:
    """Pull a partner node's TAXII collections: incremental, resumable, accounted.

    Example: bigfish sync pull https://vn.example.org/taxii2/ --key "$VN_KEY"
    Scheduled: bigfish sync pull https://vn.example.org/taxii2/ --key "$VN_KEY" --every 900 --json
    (one JSON line per pull; a pull that failed, on the peer's side or the database's, prints
    {"peer": …, "error": …} with what it stored and delivered before, and the next turn tries
    again).
    """
    from bigfish.audit import console_audit

    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)  # asked before anything is pulled

        first = [from_start]

        def once() -> SyncResult:
            again, first[0] = first[0], False
            return pull(
                store,
                peer_url,
                key,
                default_org=org,
                basic_user=basic_user,
                page=page,
                from_start=again,
                webhooks=webhooks,
                audit=audit,
            )

        if every is None:
            try:
                result = once()
            except PullFailed as exc:  # what it stored and delivered, then `error: …`, status 1
                _print_failed(peer_url, exc, as_json)
                raise
            _print_pull(result, as_json)
            return
        for outcome in pull_every(once, every, runs=runs):
            if isinstance(outcome, PeerError | StoreError):  # the peer's or the database's outage
                _print_failed(peer_url, outcome, as_json)
                if not as_json:
                    typer.echo(
                        f"{peer_url}: pull failed, retrying later: "
                        f"{_with_allow_step(peer_url, outcome)}",
                        err=True,
                    )
            else:
                _print_pull(outcome, as_json)
    except BigfishError as exc:
        raise fail(_with_allow_step(peer_url, exc)) from None


#: The end of the outgoing guard's refusal of an internal address that nobody allowed.
_NOT_ALLOWED = "an administrator must allow this exact peer"


def _with_allow_step(peer_url: str, error: BigfishError) -> str | BigfishError:
    """ERROR, or, when the guard refused the peer as internal, its message with the command
    that allows it: the refusal alone left the operator to find `bigfish sync allow`."""
    if not isinstance(error, PeerError) or not str(error).endswith(_NOT_ALLOWED):
        return error
    try:
        origin = origin_of(peer_url)
    except BigfishError:
        return error
    return f"{error}: bigfish sync allow {origin}"


@sync_app.command("runs")
def sync_runs_command(
    peer: str | None = typer.Option(None, "--peer", help="Only the runs of this peer URL."),
    limit: int = typer.Option(20, "--limit", min=1, help="Show the N newest runs."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as one JSON document."),
) -> None:
    """List the pulls of partner nodes, newest first: when each started and ended, how it
    ended (finished; failed, and why; did not finish, killed or its machine stopped; or under
    way, or stopped without ending) and what it received, stored, rejected and delivered.

    Example: bigfish sync runs --peer https://vn.example.org/taxii2/ --limit 5
    """
    try:
        runs = list_sync_runs(command_store(reads_only=True), peer=peer, limit=limit)
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"runs": [run_document(run) for run in runs]}))
        return
    if not runs:
        typer.echo("no sync runs" + (f" of {redact(peer)}" if peer else "") + " yet")
    for run in runs:
        typer.echo("\n".join(run_lines(run)))


@sync_app.command("allow")
def sync_allow_command(
    peer_url: str = typer.Argument(..., help="A partner node on an internal address."),
    note: str | None = typer.Option(None, "--note", help="Why it is allowed."),
) -> None:
    """Allow this exact peer (scheme, host and port) although its address is internal
    (loopback, private, link-local): sync pulls and webhooks refuse such addresses otherwise.

    Example: bigfish sync allow https://10.20.0.5:8443 --note "VN node on the partnership VPN"
    """
    from bigfish.audit import console_audit

    try:
        store = command_store()
        # It lifts the guard against internal addresses for one peer: a change to what the
        # node may reach, audited as the API's POST /api/v1/peers is (asked before acting).
        audit = console_audit(store, OPTIONS.data_dir)
        origin = allow_peer(store, peer_url, note)
        audit.done(None, "sync allow", origin, 201)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"allowed {origin}")


def _counts(result: SyncResult) -> dict[str, object]:
    return {
        "run": result.run_id,
        "collections": result.collections,
        "received": result.received,
        "stored": result.stored,
        "rejected": result.rejected,
        "new": result.new,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "withdrawn": result.withdrawn,
        "webhooks": result.webhooks,
        "webhooks_failed": result.webhooks_failed,
    }


def _summary(result: SyncResult) -> str:
    supporting = result.stored - result.new - result.updated - result.unchanged - result.withdrawn
    line = (
        f"received {result.received} objects: stored {result.stored} "
        f"(reports: {result.new} new, {result.updated} updated, {result.unchanged} already "
        f"held, {result.withdrawn} withdrawn by the peer; {supporting} supporting objects), "
        f"rejected {result.rejected}"
    )
    if result.webhooks or result.webhooks_failed:
        line += f"; webhooks delivered {result.webhooks:,}"
        line += f", failed {result.webhooks_failed:,}" if result.webhooks_failed else ""
    return line


def _print_pull(result: SyncResult, as_json: bool) -> None:
    _warn_webhooks(result)
    if as_json:
        typer.echo(json.dumps({"peer": result.peer} | _counts(result)))
    else:
        typer.echo(f"{result.peer}: {_summary(result)}")


def _print_failed(peer_url: str, error: BigfishError, as_json: bool) -> None:
    """A pull that failed: with --json its line `{"peer", "error"}`, and, when it failed
    part-way (its run began), what it did before, as a pull that ended prints it (`run`,
    `stored`, `webhooks`, …); the text line only when it received or delivered anything. The
    failed webhooks are named on stderr; the caller says the error."""
    partial = error.result if isinstance(error, PullFailed) else None
    if partial is not None:
        _warn_webhooks(partial)
    if as_json:
        doc: dict[str, object] = {"peer": peer_url, "error": str(error)}
        typer.echo(json.dumps(doc | (_counts(partial) if partial is not None else {})))
    elif partial is not None and (partial.received or partial.webhooks or partial.webhooks_failed):
        typer.echo(f"{partial.peer}: before the pull failed: {_summary(partial)}")


#: Reasons of failed deliveries shown per pull; the log has them all.
_PROBLEMS_SHOWN = 5


def _warn_webhooks(result: SyncResult) -> None:
    """Name the webhook deliveries of RESULT that failed on stderr, as `bigfish ingest` does:
    they fail nothing (the reports are stored, `GET /api/v1/alerts` has the alerts)."""
    if not result.webhooks_failed:
        return
    shown = "; ".join(result.webhook_problems[:_PROBLEMS_SHOWN])
    more = len(result.webhook_problems) - _PROBLEMS_SHOWN
    typer.echo(
        f"warning: {result.peer}: {result.webhooks_failed:,} of "
        f"{result.webhooks_failed + result.webhooks:,} webhook deliveries failed and are not "
        f"retried (the reports are stored; GET /api/v1/alerts?since=… catches up): {shown}"
        + (f" and {more} other reasons" if more > 0 else ""),
        err=True,
    )
