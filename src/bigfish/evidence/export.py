"""The export of a report's evidence as a package (`bigfish.evidence.package`), logged in the
chain of custody only once the package is written and verified.

Split from `bigfish.evidence.service`, which re-exports its names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from bigfish.errors import AccessDenied, InputError, IntegrityError
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
from bigfish.evidence.package import (
    PackageContents,
    partial_path,
    verify_package,
    write_documents,
    write_files,
)
from bigfish.sharing.policy import Viewer, can_edit
from bigfish.store import Store
from bigfish.store.schema_evidence import evidence


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What `export_package` wrote."""

    path: Path
    evidence: int
    records: int
    key_fingerprint: str
    tree_size: int


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

    Logs an `exported` custody event for every piece of evidence, only once the package is
    written and verified: the events are appended in the same transaction that finishes the
    package, so a failed export (a bad path, a full disk, a file that no longer matches its
    digest, a log that does not verify) records nothing. The files go into the package first,
    hashed on the way, outside the transaction. The `exported` records sign RECORDED_BY, the
    account that asked for the package (the console's when None).
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
        _refuse_disposed(conn, [row.evidence_id for row in rows], "exported")
        received = _known_recipient(conn, recipient or Party(None, None))
    key = log.signing_key(store, data_dir)
    items = [_record(row, HashCheck.MATCH) for row in rows]
    for item in items:
        if not blob_path(data_dir, item.sha256).is_file():
            raise IntegrityError(
                f"evidence {item.evidence_id}: the stored bytes are missing; not exported"
            )
    tmp = partial_path(out)
    done: dict[str, int] = {}  # what finish did: records packaged, and whether OUT was named
    try:
        written = write_files(tmp, {i.sha256: blob_path(data_dir, i.sha256) for i in items})
        for item in items:
            if written[f"files/{item.sha256}"] != (item.sha256, item.size):
                raise IntegrityError(
                    f"evidence {item.evidence_id}: the stored bytes do not match their digest; "
                    "not exported"
                )
        drafts = [
            _draft(row, CustodyEvent.EXPORTED, activity, HashCheck.MATCH, received, account)
            for row in rows
        ]

        def finish(conn: Connection, head: TreeHead) -> None:
            ids = [item.evidence_id for item in items]
            # Again under the append's lock: a disposal may have been recorded since the check
            # above, and nothing may follow it.
            _refuse_disposed(conn, ids, "exported")
            records = [r for r in log.read_records(conn, ids) if r.seq <= head.size]
            tree = merkle.MerkleTree(log.stored_leaves(conn, head.size))
            contents = PackageContents(
                org=report.org,
                report_id=report.report_id,
                evidence=items,
                blobs={item.sha256: blob_path(data_dir, item.sha256) for item in items},
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
    return ExportResult(out, len(items), done["records"], key.fingerprint, head.size)
