"""`bigfish ingest`, `bigfish org add`, `bigfish org list` (spec/cli.md) and
`bigfish ingest --runs`."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TimeRemainingColumn
from rich.table import Column, Table

from bigfish.cli._app import OPTIONS, app, command_store, fail, known_org, problem
from bigfish.cli._ingest_runs import FileLines, list_ingest_runs, run_document, run_lines
from bigfish.cli._lines import printable
from bigfish.errors import BigfishError, InputError
from bigfish.intake import (
    ColumnMapping,
    IngestResult,
    forks_workers,
    ingest_file,
    load_manifest,
    load_mapping,
)
from bigfish.intake.manifest import ManifestEntry
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import (
    SECTORS,
    NewOrgs,
    OrgNode,
    add_org,
    group_id_by_name,
    list_org_nodes,
    list_orgs,
)
from bigfish.store import Store

if TYPE_CHECKING:
    from bigfish.alerts import WebhookQueue
    from bigfish.audit import ConsoleAudit

org_app = typer.Typer(help="Organizations of the partnership.", no_args_is_help=True)
app.add_typer(org_app, name="org")

_FORMATS = ("auto", "csv", "jsonl", "xlsx", "stix", "misp")


def _hand_to_webhooks(
    queue: WebhookQueue | None, lines: FileLines, place: int, result: IngestResult
) -> None:
    """Hand the alerts RESULT's reports raise to the webhooks' QUEUE (the file at PLACE: its
    line is printed once their deliveries are done), without waiting for them; a failure is
    named on stderr and never fails the ingest (the reports are stored, `GET /api/v1/alerts`
    has the alerts)."""
    lines.ingested(place, result, alerting=queue is not None)
    if queue is None:
        return
    try:
        queue.add_ingest_run(result.run_id, place)
    except (BigfishError, sa.exc.SQLAlchemyError) as exc:
        typer.echo(
            f"warning: {printable(result.file)}: its alerts were not all handed to the "
            f"webhooks: {exc}",
            err=True,
        )


def _ingest_one(
    store: Store,
    path: Path,
    *,
    org: str,
    fmt: str,
    column_map: ColumnMapping | None,
    marking: Marking,
    show_bar: bool,
    audit: ConsoleAudit | None,
) -> IngestResult:
    if not show_bar:
        return ingest_file(
            store, path, org=org, fmt=fmt, mapping=column_map, marking=marking, audit=audit
        )
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(path.name, total=None)

        def advance(done: int, total: int, task: TaskID = task) -> None:
            bar.update(task, completed=done, total=total)

        return ingest_file(
            store,
            path,
            org=org,
            fmt=fmt,
            mapping=column_map,
            marking=marking,
            progress=advance,
            audit=audit,
        )


def _entry_mapping(entry: ManifestEntry, manifest: Path) -> ColumnMapping | None:
    """ENTRY's format checked and its mapping read, or InputError naming the entry's field."""
    if entry.fmt not in _FORMATS:
        raise InputError(
            f"unsupported format {entry.fmt!r}; one of {', '.join(_FORMATS)}",
            file=str(manifest),
            field=f"{entry.where}.format",
        )
    if entry.mapping is None:
        return None
    try:
        return load_mapping(entry.mapping)
    except InputError as exc:
        raise InputError(str(exc), file=str(manifest), field=f"{entry.where}.map") from None


@app.command()
def ingest(
    files: list[Path] | None = typer.Argument(
        None, help="CSV, JSON Lines, .xlsx, STIX or MISP files."
    ),
    org: str | None = typer.Option(
        None,
        "--org",
        help="Submitting organization (created if missing); with --runs, only its runs.",
    ),
    fmt: str = typer.Option("auto", "--format", help="auto, csv, jsonl, xlsx, stix or misp."),
    mapping: Path | None = typer.Option(None, "--map", help="TOML column mapping."),
    manifest: Path | None = typer.Option(
        None,
        "--manifest",
        help="JSON list of files by organization (the partnership.json of bigfish synth), "
        "instead of FILE…, --org and --map.",
    ),
    tlp: TLP = typer.Option(TLP.AMBER, "--tlp", help="TLP marking of the reports."),
    distribution: Distribution = typer.Option(
        Distribution.ORGANIZATION, "--distribution", help="Who the reports are shared with."
    ),
    group: str | None = typer.Option(None, "--group", help="Sharing group (with group)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="One JSON line of counts per file (with --runs: one JSON document of the runs).",
    ),
    webhooks: bool = typer.Option(
        True,
        "--webhooks/--no-webhooks",
        help="Send the alerts each file's reports raise to the webhooks of the organizations "
        "holding their values, as the API does (--no-webhooks for a back-fill of old reports).",
    ),
    runs: bool = typer.Option(
        False,
        "--runs",
        help="Ingest nothing: list the ingest runs, newest first (of --org only, when given), "
        "with how each ended.",
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="With --runs: show the N newest runs (20)."
    ),
) -> None:
    """Store reports submitted by ORG; rejected rows go to FILE.rejects.jsonl with reasons.

    Once each file is stored, the alerts its new and updated reports raise go,
    signed, to the webhooks of the organizations they alert, as through the
    API; the next file does not wait for them. Each file's line is printed, in
    order, once its alerts' deliveries are done, and counts those deliveries
    (one that carried alerts of several files counts in each); a delivery that
    fails is named on stderr, not retried, and fails nothing.

    Networks are updated once, after the last file.

    Example: bigfish ingest th-aoc.csv --org th-aoc

    Example: bigfish ingest --manifest partnership.json --json

    Example: bigfish ingest --manifest old-reports.json --no-webhooks

    --runs lists the runs instead: when each started and ended, how it ended
    (finished; did not finish, killed or its machine stopped, as the next
    ingest of its file says; or under way, or stopped without ending) and
    what it received, stored, updated and rejected.

    Example: bigfish ingest --runs --org th-aoc --limit 5
    """
    if runs:
        _list_runs(files, manifest, mapping, org, limit, as_json)
        return
    if limit is not None:
        raise typer.BadParameter("only with --runs", param_hint="--limit")
    # imported here, not with the module, which `bigfish org` loads too: bigfish.interop
    # registers the stix and misp readers; the alerts load the linking (scipy)
    import bigfish.interop  # noqa: F401
    from bigfish.alerts import WebhookQueue

    if fmt not in _FORMATS:
        raise typer.BadParameter(f"one of {', '.join(_FORMATS)}", param_hint="--format")
    if manifest is not None and (files or org is not None or mapping is not None):
        raise typer.BadParameter("replaces FILE…, --org and --map", param_hint="--manifest")
    if manifest is None and not files:
        raise typer.BadParameter("give FILE… and --org, or --manifest", param_hint="FILE…")
    if manifest is None and org is None:
        raise typer.BadParameter("required with FILE…", param_hint="--org")
    if (distribution is Distribution.GROUP) != (group is not None):
        raise fail("--group is required with --distribution group, and only with it")
    try:
        marking = Marking(tlp, distribution, group)
        show_bar = sys.stderr.isatty() and not as_json
        if manifest is not None:
            entries = load_manifest(manifest)
        else:
            entries = [ManifestEntry(path, org or "", fmt) for path in files or []]
        column_map = load_mapping(mapping) if mapping else None
        store = command_store()
        audit = _audit_if_creating(store, entries)  # asked before anything is done
        if group is not None:  # named before any file is read, with the command that adds it
            with store.connect() as conn:
                group_id_by_name(conn, group)
        _add_manifest_orgs(store, entries, manifest, audit)
        _warm_up([e.path for e in entries])
    except BigfishError as exc:
        raise fail(exc) from None
    failed = 0
    lines = FileLines(as_json, on_callers_thread=show_bar)  # see FileLines: a bar takes stdout
    # one queue for every file's alerts: a slow receiver holds up its own alerts, not the files
    queue = WebhookQueue(store, settled=lines.sent) if webhooks else None
    try:
        for place, entry in enumerate(entries):  # a bad file or entry is named; the others go on
            try:
                if manifest is not None:
                    column_map = _entry_mapping(entry, manifest)
                result = _ingest_one(
                    store,
                    entry.path,
                    org=entry.org,
                    fmt=entry.fmt,
                    column_map=column_map,
                    marking=marking,
                    show_bar=show_bar,
                    audit=audit,
                )
            except BigfishError as exc:
                typer.echo(f"error: {printable(problem(exc))}", err=True)  # the next step for an id
                # every file given has its line with --json (what it committed: ingest --runs)
                refused = {"file": str(entry.path), "org": entry.org, "error": problem(exc)}
                lines.refused(place, refused)
                failed += 1
                continue
            except KeyboardInterrupt:  # the run row says so; say it here too (status 130)
                typer.echo(
                    f"interrupted: {printable(entry.path)}: the reports committed before Ctrl-C, "
                    "if any, are kept and counted in its run (bigfish ingest --runs); ingest the "
                    "file again for the rest",
                    err=True,
                )
                if lines.waiting():
                    typer.echo(
                        "waiting for the webhook deliveries of the files before it (each ends "
                        "within 30 s; Ctrl-C again not to wait)",
                        err=True,
                    )
                raise
            _hand_to_webhooks(queue, lines, place, result)
            lines.flush()  # the lines of the files before, if their deliveries are done
        try:
            after_ingest(store)  # once for all the files, whatever their organizations
        except BigfishError as exc:
            raise fail(exc) from None
    finally:  # even interrupted: the files before are stored, their alerts handed over
        if queue is not None:
            queue.close()  # each delivery within its deadline; their lines are printed as done
        lines.flush()
    if failed == len(entries) == 1:
        raise fail("the file was not read (above); nothing was stored")
    if failed == len(entries):
        raise fail(f"none of the {failed} files was read (above); nothing was stored")
    if failed:
        raise fail(f"{failed} of {len(entries)} files were not read (above); the others are stored")


def _list_runs(
    files: list[Path] | None,
    manifest: Path | None,
    mapping: Path | None,
    org: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """`bigfish ingest --runs`: the LIMIT newest ingest runs (of ORG only), read only."""
    if files or manifest is not None or mapping is not None:
        raise typer.BadParameter(
            "lists the runs: give no FILE…, --manifest or --map", param_hint="--runs"
        )
    try:
        store = command_store(reads_only=True)
        if org is not None:  # "no ingest runs of nosuch yet" hid a mistyped name
            known_org(store, org)
        listed = list_ingest_runs(store, org=org, limit=limit or 20)
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"runs": [run_document(run) for run in listed]}))
        return
    if not listed:
        typer.echo("no ingest runs" + (f" of {org}" if org else "") + " yet")
    for run in listed:
        typer.echo("\n".join(run_lines(run)))


def _audit_if_creating(store: Store, entries: list[ManifestEntry]) -> ConsoleAudit | None:
    """The console's audit log when ENTRIES name an organization the node lacks (ingest creates
    it, with its audit row: `console_audit` may refuse before anything is done, as for `org
    add`), else None: an ingest into known organizations needs no node key."""
    existing = {o.name for o in list_orgs(store)}
    if all(entry.org in existing for entry in entries):
        return None
    from bigfish.audit import console_audit

    return console_audit(store, OPTIONS.data_dir)


def _add_manifest_orgs(
    store: Store, entries: list[ManifestEntry], manifest: Path | None, audit: ConsoleAudit | None
) -> None:
    """Create the manifest's organizations that do not exist yet, with its country and sector."""
    existing = {o.name for o in list_orgs(store)}
    for entry in entries:
        if entry.org in existing or (entry.country is None and entry.sector is None):
            continue
        try:
            created = NewOrgs(audit, "org add by ingest", str(manifest)) if audit else None
            add_org(store, entry.org, country=entry.country, sector=entry.sector, audit=created)
        except InputError as exc:
            raise InputError(
                f"organization {entry.org!r}: {exc.message}",
                file=str(manifest),
                field=exc.field,
            ) from None
        existing.add(entry.org)


def _warm_up(paths: list[Path]) -> None:
    """Load the linking code, and the classifier when a file is big enough for workers, then
    exempt every object loaded so far from garbage collection. Otherwise each full collection
    rescans the million objects of those libraries (a third of the parent's CPU on a big file),
    and workers forked later share them without copying. Small files load the classifier only
    if they have a narrative to classify, as before."""
    if any(forks_workers(path) for path in paths):
        from bigfish.ml import load_classifier

        load_classifier()
    try:
        import bigfish.linking.service  # noqa: F401  (imported now to be frozen with the rest)
    except ImportError:
        pass
    gc.freeze()


def after_ingest(store: Store) -> None:
    """Update what depends on new reports (networks), when that part is installed."""
    try:
        from bigfish.linking.service import update_networks
    except ImportError:
        return
    update_networks(store)


@org_app.command("add")
def org_add(
    name: str = typer.Argument(..., help="Short unique name, e.g. th-aoc."),
    country: str = typer.Option(..., "--country", help="ISO 3166-1 alpha-2."),
    sector: str | None = typer.Option(None, "--sector", help=" | ".join(SECTORS)),
    node: str | None = typer.Option(
        None,
        "--node",
        help="URL of the partner node it lives on (only that node speaks for it in requests).",
    ),
    node_key: str | None = typer.Option(
        None,
        "--node-key",
        help="Fingerprint of that node's key (its `bigfish evidence key`, obtained separately): "
        "only changes signed by it are accepted. Without it, the first key the node uses is kept.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the organization as JSON."),
) -> None:
    """Add an organization to the partnership.

    Example: bigfish org add th-aoc --country TH --sector anti_scam_centre
    A partner node's: bigfish org add vn-bank --country VN --node https://vn.example.org
    """
    from bigfish.cooperation.federation import pin_node_key
    from bigfish.cooperation.signing import FINGERPRINT

    if node_key is not None and node is None:
        raise typer.BadParameter(
            "only with --node: the key of the partner node the organization lives on",
            param_hint="--node-key",
        )
    if node_key is not None and not FINGERPRINT.match(node_key.lower()):
        raise typer.BadParameter(
            f"{node_key!r} is not a key fingerprint (64 hex digits, as the partner's "
            "`bigfish evidence key` prints it)",
            param_hint="--node-key",
        )
    from bigfish.audit import console_audit

    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        # recorded with it, before the pin: a pin refused leaves the organization added
        created = NewOrgs(audit, "org add")
        org = add_org(store, name, country=country, sector=sector, node=node, audit=created)
        if node is not None and node_key is not None:
            pin_node_key(store, node, node_key, audit=audit)  # its row in its transaction
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"name": org.name, "country": org.country, "sector": org.sector}))
    else:
        typer.echo(f"added {org.name} ({org.country})")


@org_app.command("list")
def org_list(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List the organizations, with the node each lives on and the key pinned for that node.

    A partner's organization shows its node's URL (`org add --node`, or the peer it was first
    learnt from) and the first 16 hex digits of the key pinned for that node, and who pinned it:
    the operator (`--node-key`) or the node's first signed change ("first use": compare it with
    the partner's `bigfish evidence key`). This node's own organizations show no node. --json
    gives the whole fingerprint.

    Example: bigfish org list --json
    """
    try:
        orgs = list_org_nodes(command_store(reads_only=True))
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        rows = [
            {
                "name": o.org.name,
                "country": o.org.country,
                "sector": o.org.sector,
                "node": o.node,
                "node_key": o.key,
                "node_key_pinned_by": o.pinned_by,
            }
            for o in orgs
        ]
        typer.echo(json.dumps({"organizations": rows}))
        return
    table = Table("name", "country", "sector", Column("node", overflow="fold"), "node key")
    for o in orgs:
        table.add_row(o.org.name, o.org.country or "", o.org.sector or "", o.node or "", _pin(o))
    Console().print(table)


def _pin(org: OrgNode) -> str:
    """The key pinned for ORG's node as `org list` shows it ("" for this node's own)."""
    if org.node is None:
        return ""
    if org.key is None:
        return "not pinned"
    return f"{org.key[:16]}… ({org.pinned_by})"
