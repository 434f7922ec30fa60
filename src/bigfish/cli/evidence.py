"""`bigfish evidence …`: evidence with a chain of custody (spec/cli.md).

At the console the operator acts for the node; `verify` touches no database at all. The commands
that add to the custody log (add, show, event, export) also append one row to the audit log
when they succeed (`bigfish.audit.console`), as the API's requests do.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import mimetypes
import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from bigfish.audit import console_actor, console_audit
from bigfish.cli._app import OPTIONS, app, command_store, fail, known_org
from bigfish.errors import BigfishError
from bigfish.evidence.custody import (
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    Party,
    load_or_create_node_key,
    utc_text,
)
from bigfish.evidence.model import Acquisition, Disposal, EvidenceRecord
from bigfish.evidence.package import AcquiredBy, verify_package
from bigfish.sharing.policy import Viewer

evidence_app = typer.Typer(
    help="Evidence files with a signed, hash-chained chain of custody.", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")

_PERSON = typer.Option(None, "--by", help="Who does this (default: your login name).")


class StatedEvent(StrEnum):
    """The custody events stated by hand (bigfish records acquisitions, accesses and exports
    itself when they happen, and refuses them stated by hand): only these are offered."""

    TRANSFERRED = CustodyEvent.TRANSFERRED.value
    SEALED = CustodyEvent.SEALED.value
    DISPOSED = CustodyEvent.DISPOSED.value


def _person(by: str | None) -> str:
    return by or getpass.getuser()


def _disposal_json(disposal: Disposal | None) -> dict[str, Any] | None:
    """A disposal as `verify --json` names one (None: not disposed of)."""
    if disposal is None:
        return None
    return {
        "evidence_id": disposal.evidence_id,
        "disposed_by": disposal.disposed_by,
        "organization": disposal.organization,
        "at": utc_text(disposal.at),
        "purpose": disposal.purpose,
        "seq": disposal.seq,
    }


def _disposal_text(disposal: Disposal) -> str:
    """Who disposed of an item, for whom, when, why and in which record, in words."""
    return (
        f"disposed of by {_shown(disposal.disposed_by or '-')} "
        f"({_shown(disposal.organization or '-')}) on {utc_text(disposal.at)}, custody record "
        f"seq {disposal.seq}, purpose: {_shown(disposal.purpose)}"
    )


def _evidence_json(item: EvidenceRecord) -> dict[str, Any]:
    return {
        "evidence_id": item.evidence_id,
        "org": item.org,
        "report_id": item.report_id,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "file_name": item.file_name,
        "acquired_by": item.acquired_by,
        "acquired_at": utc_text(item.acquired_at),
        "source": item.source,
        "method": item.method,
        "tool": item.tool,
        "tool_version": item.tool_version,
        "description": item.description,
        "tlp": item.tlp,
        "distribution": item.distribution,
        "group": item.group,
        "integrity": item.integrity.value,
        "disposed": _disposal_json(item.disposal),  # None unless disposed of
    }


def _shown(text: object) -> str:
    """TEXT on one line as typed, what is not printable escaped: a purpose or file name someone
    typed (through the API too) must not print a line that reads like a custody record, nor
    turn the rest of the line around (a bidi override: "invoice\u202efdp.exe")."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(text))


def _custody_line(record: CustodyRecord) -> str:
    d = record.draft
    return (
        f"{record.seq:>6}  {utc_text(d.at)}  {d.event.value:<11} "
        f"{_shown(d.released_by.person or '-')} ({_shown(d.released_by.organization or '-')}) -> "
        f"{_shown(d.received_by.person or '-')} ({_shown(d.received_by.organization or '-')})  "
        f"hash {d.hash_check.value}; {_shown(d.purpose)}"
        + (f"; recorded by {_shown(d.recorded_by)}" if d.recorded_by is not None else "")
    )


@evidence_app.command("add")
def add(
    file: Path = typer.Argument(..., help="The evidence file."),
    org: str = typer.Option(..., "--org", help="The organization that holds the report."),
    report: str = typer.Option(..., "--report", help="The report id within that organization."),
    source: str = typer.Option(
        "file submitted to the node operator", "--source", help="Where the bytes came from."
    ),
    method: str = typer.Option("file copy", "--method", help="How they were acquired."),
    tool: str | None = typer.Option(None, "--tool", help="The acquisition tool."),
    tool_version: str | None = typer.Option(None, "--tool-version", help="Its version."),
    media_type: str | None = typer.Option(None, "--media-type", help="Default: from the name."),
    description: str | None = typer.Option(None, "--description", help="What it shows."),
    acquired_at: datetime | None = typer.Option(
        None, "--acquired-at", help="When it was acquired (ISO 8601 with zone; default now)."
    ),
    by: str | None = _PERSON,
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Store FILE as evidence of a report, content-addressed by SHA-256, and log its acquisition.

    Example:

        bigfish evidence add chat.zip --org th-aoc --report R-2025-0001 \\
            --source "victim's phone" --method "WhatsApp export" --tool WhatsApp \\
            --tool-version 2.25.1
    """
    from bigfish.evidence.service import add_evidence

    if not file.is_file():  # an input that cannot be read: status 1, as in every command
        raise fail(f"{file}: {_not_a_file(file)}")

    acquisition = Acquisition(
        acquired_by=_person(by),
        source=source,
        method=method,
        tool=tool,
        tool_version=tool_version,
        media_type=media_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream",
        description=description,
        file_name=file.name,
        acquired_at=acquired_at,
    )
    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        with file.open("rb") as stream:
            item = add_evidence(
                store,
                OPTIONS.data_dir,
                Viewer.node_operator(),
                stream,
                org=org,
                report_id=report,
                acquisition=acquisition,
                recorded_by=console_actor(),
            )
        # 200 when the report held these bytes already (nothing added), as the API answers
        audit.done(item.org, "evidence add", item.evidence_id, 200 if item.held_before else 201)
    except BigfishError as exc:
        raise fail(exc) from exc
    if as_json:
        extra = {
            "held_before": item.held_before,
            "reacquired_after": _disposal_json(item.reacquired_after),
        }
        typer.echo(json.dumps(_evidence_json(item) | extra))
    else:
        typer.echo(
            f"{item.evidence_id}  sha256 {item.sha256}  {item.size} bytes  {_shown(item.report)}"
        )
    if item.reacquired_after is not None and not item.held_before:
        earlier = item.reacquired_after
        typer.echo(
            f"note: these bytes were evidence {earlier.evidence_id} of this report, "
            f"{_disposal_text(earlier)}; recorded as a new acquisition ({item.evidence_id}) "
            "with its own chain of custody",
            err=True,
        )
    if item.held_before:
        typer.echo(
            f"already held as {item.evidence_id} (acquired {utc_text(item.acquired_at)} by "
            f"{_shown(item.acquired_by)}); this acquisition was not recorded",
            err=True,
        )


@evidence_app.command("show")
def show(
    evidence_id: str = typer.Argument(..., help="The evidence id (ev-…)."),
    purpose: str = typer.Option("review", "--purpose", help="Why it is accessed (logged)."),
    by: str | None = _PERSON,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one piece of evidence and its chain of custody; re-hashes the file and logs the access.

    Exits 1 when the stored bytes no longer match the digest.

    Example: bigfish evidence show ev-3f2a… --purpose "case review"
    """
    from bigfish.evidence.service import Activity, get_evidence, list_custody

    viewer = Viewer.node_operator()
    try:
        store = command_store(reads_only=True)
        audit = console_audit(store, OPTIONS.data_dir)
        item = get_evidence(
            store,
            OPTIONS.data_dir,
            viewer,
            evidence_id,
            Activity(_person(by), purpose),
            recorded_by=console_actor(),
        )
        chain = list_custody(store, viewer, evidence_id)
        # the access is in the custody log whatever the re-hash found: so is its audit row
        audit.done(item.org, "evidence show", evidence_id, 200)
    except BigfishError as exc:
        raise fail(exc) from exc
    if as_json:
        doc = _evidence_json(item) | {"custody": [r.to_json() for r in chain]}
        typer.echo(json.dumps(doc))
    else:
        for name, value in _evidence_json(item).items():
            if name != "disposed":
                typer.echo(f"{name:>13}: {_shown(value)}")
        if item.disposal is not None:
            typer.echo(f"{'disposed':>13}: {_disposal_text(item.disposal)}")
        typer.echo("custody:")
        for record in chain:
            typer.echo(_custody_line(record))
    if item.disposal is not None and item.integrity is HashCheck.MISSING:
        # As recorded: the bytes of an item disposed of may be gone from the node.
        typer.echo(
            f"note: evidence {evidence_id}: its bytes are no longer stored; it was "
            f"{_disposal_text(item.disposal)}",
            err=True,
        )
    elif item.integrity is not HashCheck.MATCH:
        raise fail(
            f"evidence {evidence_id}: the stored bytes do not match their digest "
            f"({item.integrity.value})"
        )


@evidence_app.command("list")
def list_(
    org: str | None = typer.Option(None, "--org", help="Only this organization's reports."),
    report: str | None = typer.Option(None, "--report", help="Only this report."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List evidence with its last integrity check.

    Example: bigfish evidence list --org th-aoc --report R-2025-0001
    """
    from bigfish.evidence.service import list_evidence

    try:
        store = command_store(reads_only=True)
        if org is not None:
            known_org(store, org)
        items = list_evidence(
            store, OPTIONS.data_dir, Viewer.node_operator(), org=org, report_id=report
        )
    except BigfishError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps({"evidence": [_evidence_json(i) for i in items]}))
        return
    if not items:  # said, as other listings say it: an empty output looked like a failure
        typer.echo(f"no evidence {_scope(org, report)} yet: bigfish evidence add stores a file")
    for i in items:
        disposed = (
            f"  (disposed of {utc_text(i.disposal.at)}, seq {i.disposal.seq})" if i.disposal else ""
        )
        typer.echo(
            f"{i.evidence_id}  {_shown(i.report)}  {i.sha256[:16]}…  {i.size:>12}  "
            f"{i.integrity.value:<11} {_shown(i.file_name or '')}{disposed}"
        )


def _count(number: int, noun: str) -> str:
    """NUMBER NOUN, the noun plural unless the number is 1 ("1 files" read as a slip)."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _scope(org: str | None, report: str | None) -> str:
    """What `evidence list` was asked for, in words: of a report, of an organization's reports,
    or on this node."""
    if report is not None:
        return f"of report {org}/{report}" if org is not None else f"of report {report}"
    return f"of {org}'s reports" if org is not None else "on this node"


@evidence_app.command("event")
def event(
    evidence_id: str = typer.Argument(..., help="The evidence id (ev-…)."),
    kind: StatedEvent = typer.Option(
        ..., "--type", help="A hand-over, a seal or a disposal (bigfish records the others)."
    ),
    purpose: str = typer.Option(..., "--purpose", help="Why."),
    to_person: str | None = typer.Option(None, "--to-person", help="Who received it."),
    to_org: str | None = typer.Option(None, "--to-org", help="For which organization."),
    place: str = typer.Option("bigfish node", "--place", help="Place or system."),
    channel: str = typer.Option("bigfish", "--channel", help="How it travelled."),
    by: str | None = _PERSON,
) -> None:
    """Record a custody event (a hand-over, a seal, a disposal) in the signed log.

    Example:

        bigfish evidence event ev-3f2a… --type transferred --purpose "MLA 2025/17" \\
            --to-person "Lan Nguyen" --to-org VN-MPS --channel "sealed courier"
    """
    from bigfish.evidence.service import Activity, record_custody_event

    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        record = record_custody_event(
            store,
            OPTIONS.data_dir,
            Viewer.node_operator(),
            evidence_id,
            CustodyEvent(kind.value),
            Activity(_person(by), purpose, place, channel),
            Party(to_person, to_org),
            recorded_by=console_actor(),
        )
        holder = record.draft.report.partition("/")[0]
        audit.done(holder, "evidence event", f"{evidence_id} {kind.value}", 201)
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(_custody_line(record))


@evidence_app.command("export")
def export(
    report: str = typer.Option(..., "--report", help="The report id."),
    out: Path = typer.Option(..., "--out", help="The package to write (PACKAGE.zip)."),
    org: str | None = typer.Option(None, "--org", help="The organization (when ids clash)."),
    purpose: str = typer.Option("disclosure to a partner", "--purpose", help="Why (logged)."),
    to_org: str | None = typer.Option(None, "--to-org", help="Who receives it (logged)."),
    to_person: str | None = typer.Option(None, "--to-person", help="Who receives it (logged)."),
    by: str | None = _PERSON,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write an evidence package: files, manifest, custody records, proofs, key, CASE/UCO, summary.

    Example: bigfish evidence export --report R-2025-0001 --org th-aoc --out case-0001.zip
    """
    from bigfish.evidence.service import Activity, export_package

    try:
        store = command_store(reads_only=True)
        audit = console_audit(store, OPTIONS.data_dir)
        result = export_package(
            store,
            OPTIONS.data_dir,
            Viewer.node_operator(),
            org=org,
            report_id=report,
            out=out,
            activity=Activity(_person(by), purpose),
            recipient=Party(to_person, to_org),
            recorded_by=console_actor(),
        )
        audit.done(org, "evidence export", f"{org}/{report}" if org else report, 200)
    except BigfishError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail(f"{out}: {exc.strerror or exc}") from exc
    doc = {
        "path": str(result.path),
        "evidence": result.evidence,
        "custody_records": result.records,
        "tree_size": result.tree_size,
        "key_fingerprint": result.key_fingerprint,
        # Items disposed of: carried as their entry and chain up to the disposal, no bytes.
        "disposed": list(result.disposed),
    }
    if as_json:
        typer.echo(json.dumps(doc))
    else:
        files = "its file" if len(result.disposed) == 1 else "their files"
        disposed = (
            f" and {_count(len(result.disposed), 'item')} disposed of, carried without {files} "
            f"({', '.join(result.disposed)})"
            if result.disposed
            else ""
        )
        typer.echo(
            f"wrote {result.path}: {_count(result.evidence, 'file')}{disposed}, "
            f"{_count(result.records, 'custody record')}\n"
            f"key fingerprint (give it to the recipient separately): {result.key_fingerprint}"
        )


@evidence_app.command("verify")
def verify(
    package: Path = typer.Argument(..., help="The package (PACKAGE.zip)."),
    key: str | None = typer.Option(
        None, "--key", help="The sender's key fingerprint (SHA-256, hex), obtained separately."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Verify an evidence package offline; exit 1 naming the first problem.

    Needs nothing but the package: no database, no network.

    Example: bigfish evidence verify case-0001.zip --key 9f86d081884c7d65…
    """
    if key is not None and not re.fullmatch(
        r"[0-9a-f]{64}", key.strip().lower().replace(":", "").removeprefix("sha256")
    ):
        raise fail(f"--key {key!r}: not a key fingerprint (SHA-256, 64 hex digits)")
    check = verify_package(package, key)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": check.ok,
                    "problem": check.problem,
                    "report": check.report,
                    "files": check.files,
                    "custody_records": check.records,
                    "key_fingerprint": check.key_fingerprint,
                    # False: the package is signed by the key it carries, which nobody vouched for
                    "key_checked": key is not None,
                    "notes": list(check.notes),
                    "tree_size": check.tree_size,
                    "tree_head_timestamp": check.tree_head_at,
                    "created_at": check.created_at,
                    "acquired": [
                        {
                            "evidence_id": a.evidence_id,
                            "acquired_by": a.acquired_by,
                            "recorded_by": a.recorded_by,
                        }
                        for a in check.acquired
                    ],
                    # The fields `_disposal_json` writes: evidence_id, disposed_by, …, seq.
                    "disposed": [dataclasses.asdict(d) for d in check.disposed],
                }
            )
        )
    for note in check.notes:
        typer.echo(f"note: {note}", err=True)
    if not check.ok:
        raise fail(f"{package}: {check.problem}")
    if not as_json:
        typer.echo(
            f"OK: {package}: report {check.report}, {_count(check.files, 'file')}, "
            f"{_count(check.records, 'custody record')}, signed by key {check.key_fingerprint}"
        )
        # An older package of the same report verifies too: the log's size and time tell it.
        typer.echo(
            f"it shows the sender's custody log at {_count(check.tree_size or 0, 'record')}, "
            f"signed {check.tree_head_at} (package created {check.created_at}); an older "
            "package shows fewer: ask the sender which is the latest"
        )
        for acquired in check.acquired:
            typer.echo(_acquired_line(acquired))
        if key is None:
            typer.echo(
                "warning: no --key given; compare the fingerprint above with the sender's",
                err=True,
            )


def _acquired_line(acquired: AcquiredBy) -> str:
    """Who an item's signed acquired record names: the acquirer stated, and the account that
    wrote the record (or that the record is older than bigfish signing it)."""
    account = (
        f"recorded by {_shown(acquired.recorded_by)}"
        if acquired.recorded_by is not None
        else "the account that recorded it is not signed: the record is older than that"
    )
    acquirer = _shown(acquired.acquired_by or "-")
    return f"{_shown(acquired.evidence_id)}: acquired by {acquirer} ({account})"


@evidence_app.command("verify-log")
def verify_log(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check the node's custody log (records, links, signatures, tree heads); exit 1 if broken.

    With the --data-dir that holds the node key, the log is also held to the highest tree head
    the node signed for this database (kept beside the key): newest records deleted with their
    tree heads, or another log in the database's place, are named. Each record that signs the
    account that wrote it (recorded_by) is held to the audit log's row of its action: a row
    naming another account is named; a record whose action has no row is a note.

    Example: bigfish evidence verify-log
    """
    from bigfish.evidence.audited import unaudited_note
    from bigfish.evidence.log import verify_custody_log

    try:
        check = verify_custody_log(command_store(reads_only=True), OPTIONS.data_dir)
    except BigfishError as exc:
        raise fail(exc) from exc
    notes = list(check.notes)
    if check.without_audit_row:
        notes.append(unaudited_note(check.without_audit_row))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": check.ok,
                    "problem": check.problem,
                    "records": check.records,
                    "tree_heads": check.tree_heads,
                    "notes": notes,  # every note stderr gets
                    "recorded_by_checked": check.recorded_by_checked,
                    "without_audit_row": list(check.without_audit_row),
                }
            )
        )
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if not check.ok:
        raise fail(f"custody log: {check.problem}")
    if not as_json:
        typer.echo(
            f"OK: {check.records} custody records, {check.tree_heads} signed tree heads; the "
            f"recorded_by of {_count(check.recorded_by_checked, 'record')} agrees with the "
            "audit log"
        )


@evidence_app.command("key")
def key(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """This node's public key: it signs the chain of custody, evidence packages and this node's
    changes to cooperation requests. Give the fingerprint to partners out of band (their
    `evidence verify --key` and `org add --node-key`). Created on first use; refused when the
    custody log is signed by another key (a wrong --data-dir).

    Example: bigfish evidence key --json
    """
    from bigfish.evidence.log import signing_key

    url = OPTIONS.db_url
    no_database = url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists()
    try:
        # A node without a database has no custody log the key must match (and gets none).
        node_key = (
            load_or_create_node_key(OPTIONS.data_dir)
            if no_database
            else signing_key(command_store(), OPTIONS.data_dir)
        )
    except BigfishError as exc:
        raise fail(exc) from exc
    pem = node_key.public_pem().decode()
    if as_json:
        typer.echo(json.dumps({"fingerprint": node_key.fingerprint, "public_key": pem}))
    else:
        typer.echo(f"fingerprint: {node_key.fingerprint}\n{pem}", nl=False)


@evidence_app.command("head")
def head(
    from_size: int | None = typer.Option(
        None, "--from-size", help="Also prove the log grew from this earlier size."
    ),
) -> None:
    """Print the latest signed tree head as JSON (with a consistency proof from --from-size).

    A partner keeps the head; later it asks for a proof from that size to show the log only grew.

    Example: bigfish evidence head --from-size 120
    """
    from bigfish.evidence.log import latest_tree_head, prove_growth

    try:
        store = command_store(reads_only=True)
        if from_size is None:
            current = latest_tree_head(store)
            doc: dict[str, Any] = {"tree_head": current.to_json() if current else None}
        else:
            growth = prove_growth(store, from_size)
            doc = {
                "tree_head": growth.tree_head.to_json(),
                "from_size": growth.old_size,
                "consistency_proof": list(growth.proof),
            }
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(doc))


@evidence_app.command("check-growth")
def check_growth(
    kept: Path = typer.Argument(
        ..., help="The tree head you kept: `head`'s JSON, or a package's manifest.json."
    ),
    answer: Path = typer.Argument(..., help="The sender's `head --from-size N` JSON."),
    public_key: Path = typer.Option(
        ..., "--public-key", help="The sender's public key (PEM: a package's public_key.pem)."
    ),
    key: str = typer.Option(
        ..., "--key", help="The sender's key fingerprint (SHA-256, hex), obtained separately."
    ),
) -> None:
    """Check offline that the sender's custody log only grew since a tree head you kept; exit 1
    naming the problem (records removed or rewritten, a bad signature, another key).

    Example: bigfish evidence check-growth kept-head.json head-now.json \\
        --public-key public_key.pem --key 9f86d081884c7d65…
    """
    from bigfish.evidence.log import growth_problem

    documents = []
    for path in (kept, answer, public_key):
        try:
            documents.append(path.read_bytes())
        except OSError as exc:
            raise fail(f"{path}: {exc.strerror or exc}") from exc
    try:
        old, new = json.loads(documents[0]), json.loads(documents[1])
    except (ValueError, RecursionError) as exc:
        raise fail(f"{kept} or {answer}: not JSON ({exc})") from exc
    if not isinstance(old, dict) or not isinstance(new, dict):
        raise fail(f"{kept} and {answer} must each hold a JSON object")
    problem = growth_problem(
        old, new, documents[2], key, kept_name=str(kept), answer_name=str(answer)
    )
    if problem is not None:
        raise fail(problem)
    typer.echo(
        f"OK: the log grew from {old['tree_head']['size']} to {new['tree_head']['size']} "
        f"records (tree heads signed {old['tree_head']['timestamp']} and "
        f"{new['tree_head']['timestamp']}), signed by key {key.strip().lower()}"
    )


def _not_a_file(path: Path) -> str:
    """Why PATH, which is no regular file, cannot be evidence."""
    if path.is_dir():
        return "is a directory"
    if not path.exists():
        return "no such file"
    # A pipe or a device has no fixed bytes to digest: what was hashed could not be shown again.
    return "is not a regular file (a pipe, socket or device): save what it holds to a file first"
