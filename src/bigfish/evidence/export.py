"""The export of a report's evidence as a package (`bigfish.evidence.package`), logged in the
chain of custody only once the package is written and verified.

An item disposed of goes into the package without its bytes: its manifest entry, marked
disposed, and its whole chain up to the signed `disposed` record (who, when, why), which a court
must see; no `exported` record follows it. A report whose evidence was all disposed of has
nothing to release and is refused.

Split from `bigfish.evidence.service`, which re-exports its names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import AccessDenied, Conflict, InputError, IntegrityError
from bigfish.evidence import log, merkle
from bigfish.evidence.access import (
    Activity,
    _check_activity,
    _check_purpose,
    _draft,
    _evidence_query,
    _find_report,
    _known_recipient,
    _marking,
    _record,
    _refuse_disposed,
    recording_account,
)
from bigfish.evidence.custody import CustodyEvent, HashCheck, Party, TreeHead
from bigfish.evidence.files import blob_path
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.package import (
    PackageContents,
    partial_path,
    verify_package,
    write_documents,
    write_files,
)
from bigfish.sharing.policy import Viewer, can_edit
from bigfish.store import Store
from bigfish.store.schema_evidence import custody_events, evidence


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What `export_package` wrote."""

    path: Path
    evidence: int  # the files in the package
    records: int
    key_fingerprint: str
    tree_size: int
    disposed: tuple[str, ...] = ()  # the items it carries without bytes (disposed of)


def _disposals(conn: Connection, evidence_ids: Sequence[str]) -> dict[str, int]:
    """The seq of the `disposed` record of each of EVIDENCE_IDS that was disposed of."""
    rows = conn.execute(
        sa.select(custody_events.c.evidence_id, sa.func.min(custody_events.c.seq))
        .where(
            custody_events.c.evidence_id.in_(list(evidence_ids)),
            custody_events.c.event == CustodyEvent.DISPOSED.value,
        )
        .group_by(custody_events.c.evidence_id)
    ).all()
    return {evidence_id: int(seq) for evidence_id, seq in rows}


def _refuse_all_disposed(report: str, disposed: dict[str, int]) -> None:
    first = min(disposed, key=disposed.__getitem__)
    raise Conflict(
        f"report {report}: all of its evidence was disposed of ({len(disposed)} "
        f"{'item' if len(disposed) == 1 else 'items'}; {first} in custody record seq "
        f"{disposed[first]}): there is no file left to release, so it cannot be exported"
    )


def _unreadable(store: Store, kept: Sequence[EvidenceRecord], problem: str) -> Exception:
    """What to raise when the bytes of an item of KEPT are missing or changed (PROBLEM): the
    Conflict of a disposal recorded since KEPT was read (a disposal destroys the bytes),
    otherwise an IntegrityError."""
    with store.connect() as conn:
        try:
            _refuse_disposed(conn, [item.evidence_id for item in kept], "exported")
        except Conflict as disposed:
            return disposed
    return IntegrityError(f"{problem}; not exported")


def export_package(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    *,
    org: str | None,
    report_id: str,
    out: Path,
    activity: Activity,
    recipient: Party | None = None,
    recorded_by: str | None = None,
) -> ExportResult:
    """Write the evidence package of report ORG/REPORT_ID (ORG may be left out) to OUT.

    Logs an `exported` custody event for every piece of evidence whose bytes it holds (an item
    disposed of goes in without its bytes and without an `exported` record: nothing may follow
    its disposal), only once the package is written and verified: the events are appended in
    the same transaction that finishes the package, so a failed export (a bad path, a full
    disk, a file that no longer matches its digest, a log that does not verify) records
    nothing. The files go into the package first, hashed on the way, outside the transaction.
    The `exported` records sign RECORDED_BY, the account that asked for the package (the
    console's when None).
    """
    _check_purpose(activity)
    _check_activity(activity, recipient)
    account = recording_account(recorded_by)
    if out.is_dir():
        raise InputError(f"{out} is a directory; name the package file", field="out")
    with store.connect() as conn:
        report = _find_report(conn, viewer, org, report_id)
        if not viewer.operator and not can_edit(viewer, _marking(report)):
            # A package discloses the evidence onward and adds to its holder's custody chain:
            # a partner the report is shared with may read it, not release it (class 7).
            raise AccessDenied(
                "only the holding organization's analysts and admins export its evidence"
            )
        rows = conn.execute(
            _evidence_query().where(evidence.c.report_pk == report.id).order_by(evidence.c.id)
        ).all()
        if not rows:
            raise InputError(f"report {report.org}/{report_id} has no evidence", field="report")
        disposed = _disposals(conn, [row.evidence_id for row in rows])
        kept_rows = [row for row in rows if row.evidence_id not in disposed]
        if not kept_rows:
            _refuse_all_disposed(f"{report.org}/{report_id}", disposed)
        received = _known_recipient(conn, recipient or Party(None, None))
    key = log.signing_key(store, data_dir)
    items = [_record(row, HashCheck.MATCH) for row in rows]
    kept = [item for item in items if item.evidence_id not in disposed]
    for item in kept:
        if not blob_path(data_dir, item.sha256).is_file():
            raise _unreadable(
                store, kept, f"evidence {item.evidence_id}: the stored bytes are missing"
            )
    tmp = partial_path(out)
    done: dict[str, int] = {}  # what finish did: records packaged, and whether OUT was named
    try:
        blobs = {i.sha256: blob_path(data_dir, i.sha256) for i in kept}
        try:
            written = write_files(tmp, blobs)
        except FileNotFoundError as exc:
            gone = [i for i in kept if str(blobs[i.sha256]) == exc.filename]
            if not gone:
                raise  # OUT's directory, not evidence
            problem = f"evidence {gone[0].evidence_id}: the stored bytes are missing"
            raise _unreadable(store, kept, problem) from None
        for item in kept:
            if written[f"files/{item.sha256}"] != (item.sha256, item.size):
                raise _unreadable(
                    store,
                    kept,
                    f"evidence {item.evidence_id}: the stored bytes do not match their digest",
                )
        drafts = [
            _draft(row, CustodyEvent.EXPORTED, activity, HashCheck.MATCH, received, account)
            for row in kept_rows
        ]

        def finish(conn: Connection, head: TreeHead) -> None:
            ids = [item.evidence_id for item in items]
            # Again under the append's lock: a disposal of an item whose bytes go into the
            # package may have been recorded since the check above, and nothing may follow it.
            _refuse_disposed(conn, [item.evidence_id for item in kept], "exported")
            records = [r for r in log.read_records(conn, ids) if r.seq <= head.size]
            tree = merkle.MerkleTree(log.stored_leaves(conn, head.size))
            contents = PackageContents(
                org=report.org,
                report_id=report.report_id,
                evidence=items,
                blobs={item.sha256: blob_path(data_dir, item.sha256) for item in kept},
                records=records,
                tree_head=head,
                proofs={r.seq: tree.inclusion_proof(r.seq - 1) for r in records},
            )
            write_documents(tmp, contents, key, created_at=datetime.now(UTC))
            check = verify_package(tmp, key.fingerprint, member_digests=written)
            if not check.ok:
                raise IntegrityError(
                    f"the custody log does not verify, nothing exported: {check.problem}"
                )
            # Named before the commit, so that a rename that fails records nothing; a commit
            # that fails takes the package away again (below).
            os.replace(tmp, out)
            done.update(records=len(records), renamed=1)

        head = log.append(store, key, drafts, finish)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if done.get("renamed"):
            out.unlink(missing_ok=True)
        raise
    return ExportResult(
        out, len(kept), done["records"], key.fingerprint, head.size, tuple(sorted(disposed))
    )
