"""The evidence seam: add, show, list, record custody events and export, through the policy.

Every function takes the store, the data directory (files and key) and a `Viewer`; evidence
follows the marking of its report, so a viewer who cannot see the report gets NotFound, exactly
as for an id that does not exist. API routes and CLI commands call one function each.

Finding reports and evidence through the policy, and the activity a person states, are in
`bigfish.evidence.access`; the export of a package in `bigfish.evidence.export`. Their names are
re-exported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import (
    AccessDenied,
    BigfishError,
    Conflict,
    InputError,
    IntegrityError,
    StoreError,
    check_text,
)
from bigfish.evidence import log
from bigfish.evidence.access import (
    ORG_LIMIT,
    PLACE_LIMIT,
    _check_activity,
    _check_purpose,
    _draft,
    _evidence_query,
    _find_evidence,
    _find_report,
    _known_recipient,
    _marking,
    _record,
    _refuse_disposed,
    check_length,
    recording_account,
)
from bigfish.evidence.access import Activity as Activity
from bigfish.evidence.custody import (
    AcquiredFile,
    CustodyDraft,
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    NodeKey,
    Party,
    TreeHead,
    parse_utc,
    utc_text,
)
from bigfish.evidence.export import ExportResult as ExportResult
from bigfish.evidence.export import export_package as export_package
from bigfish.evidence.files import (
    EVIDENCE_DIR,
    StagedFile,
    blob_path,
    check_blob,
    discard_staged,
    keep_staged,
    remove_blob,
    stage_stream,
)
from bigfish.evidence.model import Acquisition, Disposal, EvidenceRecord
from bigfish.sharing.policy import Viewer, can_edit, visible_reports
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_evidence import custody_events, evidence

_log = logging.getLogger(__name__)

# source is also the acquired record's released_by.organization (its column is ORG_LIMIT wide).
_LIMITS = {"source": ORG_LIMIT, "method": 500, "acquired_by": 200, "media_type": 200}
_FILE_NAME_LIMIT = 500  # the column's width
_CLOCK_LEEWAY = timedelta(days=1)  # clocks and time zones of the acquiring side
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # a year before 1000 once made the log unreadable


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
    now = datetime.now(UTC)
    if acq.acquired_at is not None and acq.acquired_at > now + _CLOCK_LEEWAY:
        raise InputError(
            f"acquired_at {acq.acquired_at.isoformat()} is more than a day ahead of this "
            f"node's clock ({now.isoformat(timespec='seconds')}): check its date and time zone",
            field="acquired_at",
        )
    check_length(acq.tool, "tool", 200)  # the widths of the evidence table's columns
    check_length(acq.tool_version, "tool_version", 100)
    check_length(acq.place, "place", PLACE_LIMIT)
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


def _disposals(conn: Connection, evidence_ids: list[str] | None) -> dict[str, Disposal]:
    """The `disposed` record of each of EVIDENCE_IDS disposed of (None: of all evidence)."""
    query = (
        sa.select(custody_events)
        .where(custody_events.c.event == CustodyEvent.DISPOSED.value)
        .order_by(custody_events.c.seq)
    )
    if evidence_ids is not None:
        query = query.where(custody_events.c.evidence_id.in_(evidence_ids))
    found: dict[str, Disposal] = {}
    for row in conn.execute(query):
        found.setdefault(
            row.evidence_id,
            Disposal(
                evidence_id=row.evidence_id,
                disposed_by=row.released_person,
                organization=row.released_org,
                at=parse_utc(row.at),
                purpose=row.purpose,
                seq=int(row.seq),
            ),
        )
    return found


def _reacquisitions(conn: Connection, evidence_ids: list[str] | None) -> dict[str, Disposal]:
    """Of EVIDENCE_IDS (None: all evidence), each item acquired again after an earlier item of
    its report holding the same bytes was disposed of: the latest such disposal, the one its
    `acquired` record names (every earlier item of those bytes was disposed of before it was
    acquired, or the add would have answered that item)."""
    earlier = evidence.alias("earlier")
    query = sa.select(evidence.c.evidence_id, earlier.c.evidence_id.label("earlier_id")).where(
        earlier.c.report_pk == evidence.c.report_pk,
        earlier.c.sha256 == evidence.c.sha256,
        earlier.c.id < evidence.c.id,
    )
    if evidence_ids is not None:
        query = query.where(evidence.c.evidence_id.in_(evidence_ids))
    pairs = conn.execute(query).all()
    disposals = _disposals(conn, sorted({pair.earlier_id for pair in pairs})) if pairs else {}
    found: dict[str, Disposal] = {}
    for pair in pairs:
        disposal = disposals.get(pair.earlier_id)
        if disposal is not None and (
            pair.evidence_id not in found or disposal.seq > found[pair.evidence_id].seq
        ):
            found[pair.evidence_id] = disposal
    return found


def _with_disposals(
    conn: Connection, records: list[EvidenceRecord], *, read_all: bool = False
) -> list[EvidenceRecord]:
    """RECORDS, each item disposed of carrying its disposal and each item acquired again after
    a disposal carrying that one (READ_ALL: read those of the whole log rather than name
    RECORDS in the queries, for a listing of many)."""
    ids = None if read_all else [r.evidence_id for r in records]
    found = _disposals(conn, ids)
    after = _reacquisitions(conn, ids)
    return [
        dataclasses.replace(
            r, disposal=found.get(r.evidence_id), reacquired_after=after.get(r.evidence_id)
        )
        for r in records
    ]


def _same_bytes(conn: Connection, report_pk: int, sha256: str) -> tuple[Any, Disposal | None]:
    """The live item of report REPORT_PK holding the bytes SHA256 (None when there is none) and
    the latest disposal of an earlier item of those bytes (None when none was disposed of)."""
    rows = conn.execute(
        _evidence_query()
        .where(evidence.c.report_pk == report_pk, evidence.c.sha256 == sha256)
        .order_by(evidence.c.id)
    ).all()
    disposed = _disposals(conn, [row.evidence_id for row in rows])
    live = next((row for row in rows if row.evidence_id not in disposed), None)
    latest = max(disposed.values(), key=lambda d: d.seq) if disposed else None
    return live, latest


def _held(conn: Connection, row: Any) -> EvidenceRecord:
    """The answer to an add of bytes the report holds already as the live item ROW."""
    record = _with_disposals(conn, [_record(row, HashCheck.MATCH)])[0]
    return dataclasses.replace(record, held_before=True)


def _live_holder(conn: Connection, sha256: str) -> str | None:
    """An evidence item, of any report, that holds the bytes SHA256 and was not disposed of
    (None when there is none)."""
    disposed = sa.exists().where(
        custody_events.c.evidence_id == evidence.c.evidence_id,
        custody_events.c.event == CustodyEvent.DISPOSED.value,
    )
    query = sa.select(evidence.c.evidence_id).where(evidence.c.sha256 == sha256, ~disposed)
    found = conn.execute(query.order_by(evidence.c.id).limit(1)).scalar()
    return None if found is None else str(found)


def _destroy_unheld(store: Store, data_dir: Path, sha256: str) -> bool:
    """Delete the stored bytes SHA256 unless an item not disposed of holds them; True when they
    were deleted. Under the log's lock, where acquisitions move their bytes into the store and
    add their item: one that holds these bytes is either seen here, or moves them in again."""
    with log.locked(store) as conn:
        if _live_holder(conn, sha256) is not None:
            return False
        return remove_blob(data_dir, sha256)


class _HeldMeanwhile(Exception):
    """The same bytes were added to the same report while this acquisition waited for the log."""

    def __init__(self, row: Any) -> None:
        super().__init__(row.evidence_id)
        self.row = row


class _DisposedMeanwhile(Exception):
    """An item of the same bytes was disposed of while this acquisition waited for the log: its
    acquired record must name that disposal, so it is drafted again."""


_ACQUISITION_ATTEMPTS = 5


def add_evidence(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    stream: BinaryIO,
    *,
    org: str,
    report_id: str,
    acquisition: Acquisition,
    recorded_by: str | None = None,
) -> EvidenceRecord:
    """Store the bytes of STREAM as evidence of report ORG/REPORT_ID and log their acquisition.

    The acquired record signs the acquirer ACQUISITION states and the account that added it,
    RECORDED_BY (the audit log's actor; the console's when None). The same bytes added twice to
    one report give back the existing record, `held_before` (its acquisition stands; nothing new
    is logged). Bytes of an item of the report that was disposed of are a new acquisition (a new
    copy is a new fact): a new item with its own chain, whose acquired record names the
    disposed item, `reacquired_after` its disposal; the disposed item's chain stays closed.

    The bytes are copied and hashed first, then moved into the store under the custody log's
    lock, where the item's row is added: whether the report holds them already, and which
    disposal of them the new record names, is decided there, and a disposal destroying the same
    bytes meanwhile cannot take them from the new item.
    """
    _check_acquisition(acquisition)
    account = recording_account(recorded_by)
    with store.connect() as conn:
        report = _find_report(conn, viewer, org, report_id)
    if not (viewer.operator or can_edit(viewer, _marking(report))):
        raise AccessDenied(f"only {org} may add evidence to report {org}/{report_id}")
    key = log.signing_key(store, data_dir)  # before storing: a wrong data dir stores nothing
    staged = stage_stream(data_dir, stream)
    try:
        # Re-hashed before the lock is taken: a stored copy that no longer matches is replaced.
        intact = check_blob(data_dir, staged.sha256) is HashCheck.MATCH
        for _ in range(_ACQUISITION_ATTEMPTS):
            try:
                return _acquire(store, data_dir, key, report, staged, intact, acquisition, account)
            except _DisposedMeanwhile:
                continue
        raise StoreError(
            f"could not add evidence to report {report.org}/{report.report_id}: items of the "
            "same bytes kept being disposed of meanwhile; try again"
        )
    finally:
        discard_staged(staged)


def _acquire(
    store: Store,
    data_dir: Path,
    key: NodeKey,
    report: Any,
    staged: StagedFile,
    intact: bool,
    acquisition: Acquisition,
    account: str,
) -> EvidenceRecord:
    """One attempt of `add_evidence` with the bytes STAGED (INTACT: the stored copy of their
    digest matched); _DisposedMeanwhile when it must be drafted again."""
    with log.locked(store) as conn:
        existing, disposed = _same_bytes(conn, report.id, staged.sha256)
        if existing is not None:
            keep_staged(data_dir, staged, stored_intact=intact)
            return _held(conn, existing)
    acquired_at = acquisition.acquired_at or datetime.now(UTC)
    evidence_id = f"ev-{uuid.uuid4().hex}"
    purpose = f"acquisition from {acquisition.source} by {acquisition.method}"
    if disposed is not None:  # signed: the new chain says which closed one it follows
        purpose += (
            f", again after evidence {disposed.evidence_id} of the same bytes was disposed of "
            f"(custody record seq {disposed.seq})"
        )
    draft = CustodyDraft(
        evidence_id=evidence_id,
        sha256=staged.sha256,
        report=f"{report.org}/{report.report_id}",
        event=CustodyEvent.ACQUIRED,
        purpose=purpose,
        released_by=Party(None, acquisition.source),
        received_by=Party(acquisition.acquired_by, report.org),
        at=acquired_at,
        place=acquisition.place,
        channel="upload",
        hash_check=HashCheck.MATCH,
        tlp=report.tlp,
        distribution=report.distribution,
        group=report.group_name,
        acquisition=_acquired_file(acquisition, staged.size),
        recorded_by=account,
    )
    moved: list[bool] = []

    def insert_row(conn: Connection, _head: object) -> None:
        # In the transaction of the acquired record: a row without its record (an append that
        # failed) would make the log fail verification for good. Under the log's lock: the same
        # bytes added to the same report meanwhile hold (no constraint says so since 0025), the
        # latest disposal of an earlier item of these bytes is the one the record names, and a
        # disposal that destroyed these bytes meanwhile is done (they are moved in again).
        meanwhile, latest = _same_bytes(conn, report.id, staged.sha256)
        if meanwhile is not None:
            keep_staged(data_dir, staged, stored_intact=intact)
            raise _HeldMeanwhile(meanwhile)
        if latest != disposed:
            raise _DisposedMeanwhile()
        moved.append(True)
        keep_staged(data_dir, staged, stored_intact=intact)
        conn.execute(
            evidence.insert().values(
                evidence_id=evidence_id,
                report_pk=report.id,
                org_id=report.org_id,
                sha256=staged.sha256,
                size=staged.size,
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

    try:
        log.append(store, key, [draft], insert_row)
    except _HeldMeanwhile as held:
        # The same bytes added to the same report at the same moment: the other one stands.
        with store.connect() as conn:
            return _held(conn, held.row)
    except BaseException:
        if moved:  # in the store, but no item holds them: not left behind (nor a disposed item's)
            with contextlib.suppress(BigfishError, OSError):
                _destroy_unheld(store, data_dir, staged.sha256)
        raise
    with store.connect() as conn:
        row = _find_evidence(conn, Viewer.node_operator(), evidence_id)
    return dataclasses.replace(_record(row, HashCheck.MATCH), reacquired_after=disposed)


def _look(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    evidence_id: str,
    activity: Activity,
    recorded_by: str | None,
    allowed: Callable[[Connection], None] | None = None,
    *,
    record_access: bool = True,
) -> tuple[Any, HashCheck]:
    """Re-hash one piece of evidence and log the access. ALLOWED, when given, may refuse the
    access: it runs once the item is found and again under the log's lock, before the commit.
    RECORD_ACCESS false (an HTTP HEAD, whose answer shows nothing): the same checks, refusals
    and re-hash, but no `accessed` record appended (nor signed)."""
    _check_activity(activity)
    account = recording_account(recorded_by)
    with store.connect() as conn:
        row = _find_evidence(conn, viewer, evidence_id)
        if allowed is not None:
            allowed(conn)
    check = check_blob(data_dir, row.sha256)
    if not record_access:
        return row, check
    received = Party(activity.person, viewer.org_name)
    draft = _draft(row, CustodyEvent.ACCESSED, activity, check, received, account)

    def still_allowed(conn: Connection, _head: TreeHead) -> None:
        if allowed is not None:
            allowed(conn)

    finish = None if allowed is None else still_allowed  # None: an append tried again on contention
    log.append(store, log.signing_key(store, data_dir), [draft], finish)
    return row, check


def get_evidence(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    evidence_id: str,
    activity: Activity,
    *,
    recorded_by: str | None = None,
    record_access: bool = True,
) -> EvidenceRecord:
    """One piece of evidence, its bytes re-hashed and the access logged; a mismatch is flagged.
    An item disposed of can still be looked at (each look is logged).

    The accessed record signs RECORDED_BY, the account asking (the console's when None).
    RECORD_ACCESS false (a HEAD, which shows nothing): the same checks and re-hash, nothing
    logged."""
    row, check = _look(
        store, data_dir, viewer, evidence_id, activity, recorded_by, record_access=record_access
    )
    with store.connect() as conn:
        return _with_disposals(conn, [_record(row, check)])[0]


def _refuse_release(evidence_id: str) -> Callable[[Connection], None]:
    """A check that EVIDENCE_ID was not disposed of: the bytes of an item disposed of are
    released no more (they may still be stored: another item, of this report or another, may
    hold the same bytes). A refused download logs no access (the look it would have been never
    was)."""

    def refuse(conn: Connection) -> None:
        disposal = _disposals(conn, [evidence_id]).get(evidence_id)
        if disposal is not None:
            raise Conflict(
                f"evidence {evidence_id} was disposed of by {disposal.disposed_by or '-'} "
                f"({disposal.organization or '-'}) on {utc_text(disposal.at)} (custody record "
                f"seq {disposal.seq}): its bytes are no longer released"
            )

    return refuse


def evidence_file(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    evidence_id: str,
    activity: Activity,
    *,
    recorded_by: str | None = None,
    record_access: bool = True,
) -> tuple[EvidenceRecord, Path]:
    """The record and the path of the bytes for a download, the access logged; IntegrityError
    when they changed (logged too), Conflict when the item was disposed of (nothing logged).
    RECORD_ACCESS false (a HEAD, no bytes read): the same checks, refusals and re-hash, nothing
    logged."""
    refuse = _refuse_release(evidence_id)
    row, check = _look(
        store,
        data_dir,
        viewer,
        evidence_id,
        activity,
        recorded_by,
        refuse,
        record_access=record_access,
    )
    if check is not HashCheck.MATCH:
        raise IntegrityError(
            f"evidence {evidence_id}: the stored bytes do not match digest {row.sha256} "
            f"({check.value})"
        )
    return _record(row, check), blob_path(data_dir, row.sha256)


def _quick_check(data_dir: Path, row: Any, last: str | None) -> HashCheck:
    try:
        size = blob_path(data_dir, row.sha256).stat().st_size
    except FileNotFoundError:
        return HashCheck.MISSING
    if size != row.size:
        return HashCheck.MISMATCH
    return HashCheck(last) if last else HashCheck.NOT_CHECKED


@dataclasses.dataclass(frozen=True)
class EvidencePage:
    """A page of evidence in the order it was stored, and the cursor of the next page (the last
    evidence id shown; None at the end)."""

    evidence: list[EvidenceRecord]
    next_cursor: str | None


def _visible_evidence(viewer: Viewer, org: str | None, report_id: str | None) -> sa.Select[Any]:
    query = _evidence_query().where(visible_reports(viewer)).order_by(evidence.c.id)
    if org is not None:
        query = query.where(organizations.c.name == org)
    if report_id is not None:
        query = query.where(reports.c.report_id == report_id)
    return query


def _last_checks(conn: Connection, evidence_ids: list[str] | None) -> dict[str, str]:
    """The last re-hash in the custody log of each of EVIDENCE_IDS (None: of all evidence)."""
    latest = sa.select(sa.func.max(custody_events.c.seq)).where(
        custody_events.c.hash_check != HashCheck.NOT_CHECKED.value
    )
    if evidence_ids is not None:
        latest = latest.where(custody_events.c.evidence_id.in_(evidence_ids))
    latest = latest.group_by(custody_events.c.evidence_id)
    rows = conn.execute(
        sa.select(custody_events.c.evidence_id, custody_events.c.hash_check).where(
            custody_events.c.seq.in_(latest)
        )
    ).all()
    return {row.evidence_id: row.hash_check for row in rows}


def list_evidence(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    *,
    org: str | None = None,
    report_id: str | None = None,
) -> list[EvidenceRecord]:
    """All evidence VIEWER may see, optionally of one report, with the last integrity check
    (`evidence_page` reads one page).

    The check is the last re-hash in the custody log, or a mismatch when the stored size differs.
    """
    with store.connect() as conn:
        rows = conn.execute(_visible_evidence(viewer, org, report_id)).all()
        last = _last_checks(conn, None)
        items = [
            _record(row, _quick_check(data_dir, row, last.get(row.evidence_id))) for row in rows
        ]
        return _with_disposals(conn, items, read_all=True)


def evidence_page(
    store: Store,
    data_dir: Path,
    viewer: Viewer,
    *,
    org: str | None = None,
    report_id: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> EvidencePage:
    """The page of evidence VIEWER may see (as `list_evidence`, in the same order) after the
    evidence whose id is CURSOR (the `next_cursor` of the previous page; None: from the first),
    LIMIT long. Only the page is read and only its files are checked. Keyed, not counted:
    evidence stored meanwhile comes at the end and none repeats. InputError (field `cursor`)
    for an id VIEWER cannot see."""
    if limit < 1:
        raise InputError("a page holds at least one piece of evidence", field="limit")
    query = _visible_evidence(viewer, org, report_id)
    with store.connect() as conn:
        if cursor is not None:
            shown = conn.execute(
                _evidence_query().where(visible_reports(viewer), evidence.c.evidence_id == cursor)
            ).first()
            if shown is None:
                raise InputError(
                    "cursor must be the next_cursor of a previous page", field="cursor"
                )
            query = query.where(evidence.c.id > shown.id)
        rows = conn.execute(query.limit(limit + 1)).all()  # one more: is there a next page?
        page = rows[:limit]
        last = _last_checks(conn, [row.evidence_id for row in page])
        items = [
            _record(row, _quick_check(data_dir, row, last.get(row.evidence_id))) for row in page
        ]
        items = _with_disposals(conn, items)
    following = page[-1].evidence_id if len(rows) > limit else None
    return EvidencePage(items, following)


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
    *,
    recorded_by: str | None = None,
) -> CustodyRecord:
    """Log a transfer, seal or disposal by the holding organization, signed with RECORDED_BY,
    the account that states it (the console's when None).

    A disposal destroys the stored bytes once it is recorded, unless another item that is not
    disposed of (of any report) holds the same bytes: they go with the last such item's
    disposal. StoreError, naming the recorded disposal, when they could not be deleted. It then
    deletes the bytes left stored by earlier disposals that no item not disposed of holds
    (`sweep_disposed_bytes`: disposals recorded before bigfish deleted bytes, or whose deletion
    did not happen); one it cannot delete is logged as a warning, not an error of this one.

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
    account = recording_account(recorded_by)
    with store.connect() as conn:
        row = _find_evidence(conn, viewer, evidence_id)
        if not (viewer.operator or can_edit(viewer, _marking(row))):
            raise AccessDenied(f"only {row.org} may record custody events of {evidence_id}")
        _refuse_disposed(conn, [evidence_id], event.value)
        received_by = _known_recipient(conn, received_by)
    check = check_blob(data_dir, row.sha256)
    key = log.signing_key(store, data_dir)

    def not_disposed_since(conn: Connection, head: TreeHead) -> None:
        # Again under the append's lock: a disposal may have been recorded since the check
        # above (the new record is the last of the log).
        _refuse_disposed(conn, [evidence_id], event.value, before=head.size)

    head = log.append(
        store,
        key,
        [_draft(row, event, activity, check, received_by, account)],
        not_disposed_since,
    )
    if event is CustodyEvent.DISPOSED:
        _destroy_disposed(store, data_dir, evidence_id, row.sha256, head.size)
    with store.connect() as conn:
        return next(r for r in log.read_records(conn, [evidence_id]) if r.seq == head.size)


def _destroy_disposed(
    store: Store, data_dir: Path, evidence_id: str, sha256: str, seq: int
) -> None:
    """Destroy the bytes of EVIDENCE_ID, disposed of in custody record SEQ, unless an item not
    disposed of holds them, then those of earlier disposals left stored (`sweep_disposed_bytes`).
    After the commit: a disposal that failed must leave them."""
    try:
        _destroy_unheld(store, data_dir, sha256)
    except (OSError, StoreError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
        raise StoreError(
            f"evidence {evidence_id} was disposed of (custody record seq {seq}), but its stored "
            f"bytes could not be deleted ({reason}): unless another item holds the same bytes, "
            f"delete {blob_path(data_dir, sha256)} by hand"
        ) from exc
    try:
        swept = sweep_disposed_bytes(store, data_dir)
    except (BigfishError, OSError, sa.exc.SQLAlchemyError) as exc:
        # This disposal is recorded and its bytes are gone; the next one sweeps again.
        _log.warning(
            "evidence %s was disposed of (custody record seq %s), but the stored bytes of "
            "earlier disposals were not looked for: %s",
            evidence_id,
            seq,
            exc,
        )
        return
    if swept.deleted:
        _log.info(
            "deleted the stored bytes of %d digest(s) whose every evidence item was disposed of "
            "earlier (after the disposal of %s, custody record seq %s)",
            len(swept.deleted),
            evidence_id,
            seq,
        )
    if swept.failed:
        shown = ", ".join(
            f"{blob_path(data_dir, sha)} ({reason})" for sha, reason in swept.failed[:5]
        )
        more = len(swept.failed) - 5
        _log.warning(
            "evidence %s was disposed of (custody record seq %s), but the stored bytes of "
            "items disposed of earlier, which no item that is not disposed of holds, could not "
            "be deleted: %s%s; delete them by hand (every disposal tries again)",
            evidence_id,
            seq,
            shown,
            f" and {more} more" if more > 0 else "",
        )


@dataclasses.dataclass(frozen=True)
class SweptBytes:
    """What `sweep_disposed_bytes` did: the digests whose stored bytes it deleted, and those it
    could not delete with the reason (the error's text)."""

    deleted: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


_SWEEP_BATCH = 100  # digests deleted per hold of the log's lock (acquisitions wait meanwhile)


def _held_by_disposed_only(conn: Connection) -> list[str]:
    """The digests that evidence items hold and every item holding them was disposed of."""
    disposed = (
        sa.select(custody_events.c.evidence_id)
        .where(custody_events.c.event == CustodyEvent.DISPOSED.value)
        .distinct()
        .subquery()
    )
    query = (
        sa.select(evidence.c.sha256)
        .select_from(evidence.outerjoin(disposed, disposed.c.evidence_id == evidence.c.evidence_id))
        .group_by(evidence.c.sha256)
        .having(sa.func.count() == sa.func.count(disposed.c.evidence_id))
        .order_by(evidence.c.sha256)
    )
    return [str(sha) for sha in conn.execute(query).scalars()]


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _stored(data_dir: Path, digests: list[str]) -> list[str]:
    """Of DIGESTS, those with a file at their place in the store under DATA_DIR (`blob_path`,
    by text: a Path per digest took 3 times as long); a column edited to something that is not
    a digest has no such place."""
    root = os.fspath(data_dir / EVIDENCE_DIR)
    return [
        sha
        for sha in digests
        if _DIGEST.fullmatch(sha) and os.path.lexists(os.path.join(root, sha[:2], sha[2:4], sha))
    ]


def sweep_disposed_bytes(store: Store, data_dir: Path) -> SweptBytes:
    """Delete the stored bytes of every digest whose every evidence item was disposed of: the
    files of disposals recorded before bigfish deleted them, and of a disposal whose deletion
    did not happen (the process stopped after its commit, or the deletion failed). Idempotent,
    and runs after every disposal.

    Only the places of digests evidence items hold are touched: a file no item names (an
    operator's, in the data directory) and uploads in progress (`evidence/incoming/`) stay. Each
    file is deleted under the custody log's lock, once no item that is not disposed of holds
    its digest, as a disposal's own file is (`_destroy_unheld`): an acquisition of the same
    bytes either is seen there as a holder, or moves its bytes in again after. A file already
    gone is no error; a file that cannot be deleted is counted in `failed` and the others are
    still deleted."""
    with store.connect() as conn:  # read without the lock: most digests have no file left
        candidates = _stored(data_dir, _held_by_disposed_only(conn))
    deleted: list[str] = []
    failed: list[tuple[str, str]] = []
    for start in range(0, len(candidates), _SWEEP_BATCH):
        with log.locked(store) as conn:
            for sha in candidates[start : start + _SWEEP_BATCH]:
                if _live_holder(conn, sha) is not None:  # acquired again meanwhile
                    continue
                try:
                    if remove_blob(data_dir, sha):
                        deleted.append(sha)
                except OSError as exc:
                    failed.append((sha, exc.strerror or str(exc)))
    return SweptBytes(tuple(deleted), tuple(failed))
