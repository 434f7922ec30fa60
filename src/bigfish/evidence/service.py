"""The evidence seam: add, show, list, record custody events and export, through the policy.

Every function takes the store, the data directory (files and key) and a `Viewer`; evidence
follows the marking of its report, so a viewer who cannot see the report gets NotFound, exactly
as for an id that does not exist. API routes and CLI commands call one function each.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import (
    AccessDenied,
    Conflict,
    InputError,
    IntegrityError,
    NotFound,
    check_text,
)
from bigfish.evidence import log, merkle
from bigfish.evidence.custody import (
    AcquiredFile,
    CustodyDraft,
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    Party,
    TreeHead,
    parse_utc,
    utc_text,
)
from bigfish.evidence.files import blob_path, check_blob, store_stream
from bigfish.evidence.model import Acquisition, EvidenceRecord
from bigfish.evidence.package import (
    PackageContents,
    partial_path,
    verify_package,
    write_documents,
    write_files,
)
from bigfish.models import TLP, Distribution
from bigfish.sharing.policy import ItemMarking, Viewer, can_edit, can_see, visible_reports
from bigfish.store import Store
from bigfish.store.schema import organizations, reports, sharing_groups
from bigfish.store.schema_evidence import custody_events, evidence

_LIMITS = {"source": 500, "method": 500, "acquired_by": 200, "media_type": 200}
_FILE_NAME_LIMIT = 500  # the column's width
_CLOCK_LEEWAY = timedelta(days=1)  # clocks and time zones of the acquiring side
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # a year before 1000 once made the log unreadable


@dataclass(frozen=True, slots=True)
class Activity:
    """Who does something to evidence, why, where and over which channel."""

    person: str
    purpose: str
    place: str = "bigfish node"
    channel: str = "bigfish"
    org: str | None = None  # the person's organization; None: the node's operator, for the holder


def _report_query() -> sa.Select[Any]:
    return (
        sa.select(
            reports.c.id,
            reports.c.org_id,
            reports.c.report_id,
            reports.c.tlp,
            reports.c.distribution,
            reports.c.group_id,
            organizations.c.name.label("org"),
            sharing_groups.c.name.label("group_name"),
        )
        .join(organizations, organizations.c.id == reports.c.org_id)
        .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
    )


def _marking(row: Any) -> ItemMarking:
    return ItemMarking(row.org_id, TLP(row.tlp), Distribution(row.distribution), row.group_id)


def _find_report(conn: Connection, viewer: Viewer, org: str | None, report_id: str) -> Any:
    query = _report_query().where(reports.c.report_id == report_id)
    if org is not None:
        query = query.where(organizations.c.name == org)
    rows = [r for r in conn.execute(query).all() if can_see(viewer, _marking(r))]
    if not rows:
        raise NotFound("report", report_id if org is None else f"{org}/{report_id}")
    if len(rows) > 1:
        raise InputError(
            f"several organizations hold a report {report_id!r}: name the organization",
            field="org",
        )
    return rows[0]


def _evidence_query() -> sa.Select[Any]:
    return (
        sa.select(evidence, *[c for c in _report_query().selected_columns if c.name != "id"])
        .join(reports, reports.c.id == evidence.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
    )


def _record(row: Any, integrity: HashCheck) -> EvidenceRecord:
    return EvidenceRecord(
        evidence_id=row.evidence_id,
        org=row.org,
        report_id=row.report_id,
        sha256=row.sha256,
        size=int(row.size),
        media_type=row.media_type,
        file_name=row.file_name,
        acquired_by=row.acquired_by,
        acquired_at=parse_utc(row.acquired_at),
        source=row.source,
        method=row.method,
        tool=row.tool,
        tool_version=row.tool_version,
        description=row.description,
        tlp=row.tlp,
        distribution=row.distribution,
        group=row.group_name,
        integrity=integrity,
    )


def _find_evidence(conn: Connection, viewer: Viewer, evidence_id: str) -> Any:
    row = conn.execute(_evidence_query().where(evidence.c.evidence_id == evidence_id)).first()
    if row is None or not can_see(viewer, _marking(row)):
        raise NotFound("evidence", evidence_id)
    return row


def _draft(
    row: Any, event: CustodyEvent, activity: Activity, check: HashCheck, received: Party
) -> CustodyDraft:
    return CustodyDraft(
        evidence_id=row.evidence_id,
        sha256=row.sha256,
        report=f"{row.org}/{row.report_id}",
        event=event,
        purpose=activity.purpose,
        released_by=Party(activity.person, activity.org or row.org),
        received_by=received,
        at=datetime.now(UTC),
        place=activity.place,
        channel=activity.channel,
        hash_check=check,
        tlp=row.tlp,
        distribution=row.distribution,
        group=row.group_name,
    )


def _check_purpose(activity: Activity) -> None:
    _check_activity(activity)
    if not activity.purpose.strip():
        raise InputError("purpose is required: say why (it is logged)", field="purpose")


def _check_activity(activity: Activity, recipient: Party | None = None) -> None:
    for field in ("person", "purpose", "place", "channel", "org"):
        check_text(getattr(activity, field), field)
    if recipient is not None:
        check_text(recipient.person, "to_person")
        check_text(recipient.organization, "to_org")


def _refuse_disposed(conn: Connection, evidence_ids: list[str], event: str) -> None:
    """Conflict when one of EVIDENCE_IDS was disposed of: nothing may happen to it after."""
    found = conn.execute(
        sa.select(custody_events.c.evidence_id, custody_events.c.seq)
        .where(
            custody_events.c.evidence_id.in_(evidence_ids),
            custody_events.c.event == CustodyEvent.DISPOSED.value,
        )
        .order_by(custody_events.c.seq)
        .limit(1)
    ).first()
    if found is not None:
        raise Conflict(
            f"evidence {found.evidence_id} was disposed of (custody record seq {found.seq}); "
            f"it cannot be {event}"
        )


def _known_recipient(conn: Connection, recipient: Party) -> Party:
    """RECIPIENT, whose organization (when named) must be one this node knows."""
    name = recipient.organization
    if name is None:
        return recipient
    if not name.strip():
        raise InputError("the receiving organization is empty", field="to_org")
    known = conn.execute(
        sa.select(organizations.c.name).where(organizations.c.name == name)
    ).scalar()
    if known is None:
        raise InputError(
            f"organization {name!r} is not known to this node (add it with `bigfish org add`)",
            field="to_org",
        )
    return recipient


def _check_acquisition(acq: Acquisition) -> None:
    for field in (
        "acquired_by",
        "source",
        "method",
        "tool",
        "tool_version",
        "media_type",
        "description",
        "file_name",
        "place",
    ):
        check_text(getattr(acq, field), field)
    for name, limit in _LIMITS.items():
        value = getattr(acq, name)
        if not value or not str(value).strip():
            raise InputError(f"{name} is required", field=name)
        if len(value) > limit:
            raise InputError(f"{name} is longer than {limit} characters", field=name)
    if acq.acquired_at is not None and acq.acquired_at.tzinfo is None:
        raise InputError("acquired_at needs a time zone (UTC)", field="acquired_at")
    if acq.acquired_at is not None and acq.acquired_at < _EARLIEST:
        raise InputError(
            f"acquired_at {acq.acquired_at.isoformat()} is before {_EARLIEST.date()}: "
            "not a time digital evidence was acquired",
            field="acquired_at",
        )
    if acq.acquired_at is not None and acq.acquired_at > datetime.now(UTC) + _CLOCK_LEEWAY:
        raise InputError(
            f"acquired_at {acq.acquired_at.isoformat()} is in the future", field="acquired_at"
        )
    if acq.file_name is not None and len(acq.file_name) > _FILE_NAME_LIMIT:
        raise InputError(
            f"file_name is longer than {_FILE_NAME_LIMIT} characters", field="file_name"
        )


def _acquired_file(acq: Acquisition, size: int) -> AcquiredFile:
    """The file metadata the acquired record signs (so that the evidence row is checked)."""
    return AcquiredFile(
        file_name=acq.file_name,
        size=size,
        media_type=acq.media_type,
        source=acq.source,
        method=acq.method,
        tool=acq.tool,
        tool_version=acq.tool_version,
        description=acq.description,
    )


def add_evidence(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    stream: BinaryIO,
    *,
    org: str,
    report_id: str,
    acquisition: Acquisition,
) -> EvidenceRecord:
    """Store the bytes of STREAM as evidence of report ORG/REPORT_ID and log their acquisition.

    The same bytes added twice to one report give back the existing record, `held_before` (its
    acquisition stands; nothing new is logged).
    """
    _check_acquisition(acquisition)
    with store.connect() as conn:
        report = _find_report(conn, viewer, org, report_id)
    if not (viewer.operator or can_edit(viewer, _marking(report))):
        raise AccessDenied(f"only {org} may add evidence to report {org}/{report_id}")
    key = log.signing_key(store, data_dir)  # before storing: a wrong data dir stores nothing
    stored = store_stream(data_dir, stream)
    with store.connect() as conn:
        existing = conn.execute(
            _evidence_query().where(
                evidence.c.report_pk == report.id, evidence.c.sha256 == stored.sha256
            )
        ).first()
    if existing is not None:
        return dataclasses.replace(_record(existing, HashCheck.MATCH), held_before=True)
    acquired_at = acquisition.acquired_at or datetime.now(UTC)
    evidence_id = f"ev-{uuid.uuid4().hex}"
    with store.begin() as conn:
        conn.execute(
            evidence.insert().values(
                evidence_id=evidence_id,
                report_pk=report.id,
                org_id=report.org_id,
                sha256=stored.sha256,
                size=stored.size,
                media_type=acquisition.media_type,
                file_name=acquisition.file_name,
                acquired_by=acquisition.acquired_by,
                acquired_at=utc_text(acquired_at),
                source=acquisition.source,
                method=acquisition.method,
                tool=acquisition.tool,
                tool_version=acquisition.tool_version,
                description=acquisition.description,
                created_at=datetime.now(UTC),
            )
        )
    with store.connect() as conn:
        row = _find_evidence(conn, Viewer.node_operator(), evidence_id)
    activity = Activity(
        acquisition.acquired_by,
        f"acquisition from {acquisition.source} by {acquisition.method}",
        acquisition.place,
        "upload",
    )
    draft = replace(
        _draft(row, CustodyEvent.ACQUIRED, activity, HashCheck.MATCH, Party(None, None)),
        released_by=Party(None, acquisition.source),
        received_by=Party(acquisition.acquired_by, report.org),
        at=acquired_at,
        acquisition=_acquired_file(acquisition, stored.size),
    )
    log.append(store, key, [draft])
    return _record(row, HashCheck.MATCH)


def get_evidence(
    store: Store, data_dir: Path, viewer: Viewer, evidence_id: str, activity: Activity
) -> EvidenceRecord:
    """One piece of evidence, its bytes re-hashed and the access logged; a mismatch is flagged."""
    _check_activity(activity)
    with store.connect() as conn:
        row = _find_evidence(conn, viewer, evidence_id)
    check = check_blob(data_dir, row.sha256)
    received = Party(activity.person, viewer.org_name)
    log.append(
        store,
        log.signing_key(store, data_dir),
        [_draft(row, CustodyEvent.ACCESSED, activity, check, received)],
    )
    return _record(row, check)


def evidence_file(
    store: Store, data_dir: Path, viewer: Viewer, evidence_id: str, activity: Activity
) -> tuple[EvidenceRecord, Path]:
    """The record and the path of the bytes for a download; IntegrityError when they changed."""
    record = get_evidence(store, data_dir, viewer, evidence_id, activity)
    if record.integrity is not HashCheck.MATCH:
        raise IntegrityError(
            f"evidence {evidence_id}: the stored bytes do not match digest {record.sha256} "
            f"({record.integrity.value})"
        )
    return record, blob_path(data_dir, record.sha256)


def _quick_check(data_dir: Path, row: Any, last: str | None) -> HashCheck:
    try:
        size = blob_path(data_dir, row.sha256).stat().st_size
    except FileNotFoundError:
        return HashCheck.MISSING
    if size != row.size:
        return HashCheck.MISMATCH
    return HashCheck(last) if last else HashCheck.NOT_CHECKED


def list_evidence(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    *,
    org: str | None = None,
    report_id: str | None = None,
) -> list[EvidenceRecord]:
    """Evidence VIEWER may see, optionally of one report, with the last integrity check.

    The check is the last re-hash in the custody log, or a mismatch when the stored size differs.
    """
    query = _evidence_query().where(visible_reports(viewer)).order_by(evidence.c.id)
    if org is not None:
        query = query.where(organizations.c.name == org)
    if report_id is not None:
        query = query.where(reports.c.report_id == report_id)
    with store.connect() as conn:
        rows = conn.execute(query).all()
        latest = (
            sa.select(sa.func.max(custody_events.c.seq))
            .where(custody_events.c.hash_check != HashCheck.NOT_CHECKED.value)
            .group_by(custody_events.c.evidence_id)
        )
        last = dict(
            conn.execute(
                sa.select(custody_events.c.evidence_id, custody_events.c.hash_check).where(
                    custody_events.c.seq.in_(latest)
                )
            ).all()
        )
    return [_record(row, _quick_check(data_dir, row, last.get(row.evidence_id))) for row in rows]


def list_custody(store: Store, viewer: Viewer, evidence_id: str) -> list[CustodyRecord]:
    """The chain of custody of one piece of evidence, in order."""
    with store.connect() as conn:
        _find_evidence(conn, viewer, evidence_id)
        return log.read_records(conn, [evidence_id])


# The events a person states (`bigfish evidence event`); bigfish records the others itself.
_STATED_BY_HAND = (CustodyEvent.TRANSFERRED, CustodyEvent.SEALED, CustodyEvent.DISPOSED)


def record_custody_event(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    evidence_id: str,
    event: CustodyEvent,
    activity: Activity,
    received_by: Party,
) -> CustodyRecord:
    """Log a transfer, seal or disposal by the holding organization.

    The other events are bigfish's own record of what it did (acquired when it stores the
    file, accessed when it serves it, exported when a package is written and verified): stated
    by hand they would put a second acquisition or an export that never happened in the signed
    chain, and are refused.
    """
    if event not in _STATED_BY_HAND:
        raise InputError(
            f"the record '{event.value}' is written by bigfish itself when it happens; record "
            f"{', '.join(e.value for e in _STATED_BY_HAND)}",
            field="type",
        )
    _check_purpose(activity)
    _check_activity(activity, received_by)
    with store.connect() as conn:
        row = _find_evidence(conn, viewer, evidence_id)
        if not (viewer.operator or can_edit(viewer, _marking(row))):
            raise AccessDenied(f"only {row.org} may record custody events of {evidence_id}")
        _refuse_disposed(conn, [evidence_id], event.value)
        received_by = _known_recipient(conn, received_by)
    check = check_blob(data_dir, row.sha256)
    key = log.signing_key(store, data_dir)
    log.append(store, key, [_draft(row, event, activity, check, received_by)])
    with store.connect() as conn:
        return log.read_records(conn, [evidence_id])[-1]


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
) -> ExportResult:
    """Write the evidence package of report ORG/REPORT_ID (ORG may be left out) to OUT.

    Logs an `exported` custody event for every piece of evidence, only once the package is
    written and verified: the events are appended in the same transaction that finishes the
    package, so a failed export (a bad path, a full disk, a file that no longer matches its
    digest, a log that does not verify) records nothing. The files go into the package first,
    hashed on the way, outside the transaction.
    """
    _check_purpose(activity)
    _check_activity(activity, recipient)
    if out.is_dir():
        raise InputError(f"{out} is a directory; name the package file", field="out")
    with store.connect() as conn:
        report = _find_report(conn, viewer, org, report_id)
        if not viewer.operator and not can_edit(viewer, _marking(report)):
            # A package discloses the evidence onward and adds to its holder's custody chain:
            # a partner the report is shared with may read it, not release it (class 7).
            raise AccessDenied("only the holding organization's analysts export its evidence")
        rows = conn.execute(
            _evidence_query().where(evidence.c.report_pk == report.id).order_by(evidence.c.id)
        ).all()
        if not rows:
            raise InputError(f"report {org}/{report_id} has no evidence", field="report")
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
            _draft(row, CustodyEvent.EXPORTED, activity, HashCheck.MATCH, received) for row in rows
        ]

        def finish(conn: Connection, head: TreeHead) -> None:
            ids = [item.evidence_id for item in items]
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
