"""Reports and evidence found through the policy, and the activity a person states: who does
something to evidence, why, where and over which channel, checked, and made the draft of a
custody record.

A viewer who cannot see a report, or the report of a piece of evidence, gets NotFound, exactly
as for an id that does not exist. Split from `bigfish.evidence.service`, which re-exports what
other modules import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.audit import console_actor
from bigfish.errors import Conflict, InputError, NotFound, check_text
from bigfish.evidence.custody import CustodyDraft, CustodyEvent, HashCheck, Party, parse_utc
from bigfish.evidence.model import EvidenceRecord
from bigfish.models import TLP, Distribution
from bigfish.sharing.policy import ItemMarking, Viewer, can_see
from bigfish.store.schema import organizations, reports, sharing_groups
from bigfish.store.schema_evidence import custody_events, evidence


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
    row: Any,
    event: CustodyEvent,
    activity: Activity,
    check: HashCheck,
    received: Party,
    recorded_by: str,
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
        recorded_by=recorded_by,
    )


ACCOUNT_LIMIT = 200  # the width of custody_events.recorded_by


def recording_account(recorded_by: str | None) -> str:
    """The account a custody record signs as the one that wrote it: RECORDED_BY, the audit log's
    actor of the request or command ("user:alice", "key:12"), or, for a call made in-process
    without one (the CLI, a script on the node), the console's (`console:<OS user>`)."""
    account = console_actor() if recorded_by is None else recorded_by
    check_text(account, "recorded_by")
    if not account.strip():
        raise InputError("recorded_by is empty: name the account", field="recorded_by")
    check_length(account, "recorded_by", ACCOUNT_LIMIT)
    return account


def _check_purpose(activity: Activity) -> None:
    _check_activity(activity)
    if not activity.purpose.strip():
        raise InputError("purpose is required: say why (it is logged)", field="purpose")


# The widths of the custody columns these go to (PostgreSQL refuses longer text with a
# DataError; SQLite would store and sign it, and the log could not move to PostgreSQL).
PERSON_LIMIT = 200
ORG_LIMIT = 200
PLACE_LIMIT = 500
CHANNEL_LIMIT = 100


def check_length(value: str | None, field: str, limit: int) -> None:
    """InputError naming FIELD when VALUE is longer than the LIMIT of its column."""
    if value is not None and len(value) > limit:
        raise InputError(f"{field} is longer than {limit} characters", field=field)


def _check_activity(activity: Activity, recipient: Party | None = None) -> None:
    for field in ("person", "purpose", "place", "channel", "org"):
        check_text(getattr(activity, field), field)
    check_length(activity.person, "person", PERSON_LIMIT)
    check_length(activity.org, "org", ORG_LIMIT)
    check_length(activity.place, "place", PLACE_LIMIT)
    check_length(activity.channel, "channel", CHANNEL_LIMIT)
    if recipient is not None:
        check_text(recipient.person, "to_person")
        check_text(recipient.organization, "to_org")
        check_length(recipient.person, "to_person", PERSON_LIMIT)
        check_length(recipient.organization, "to_org", ORG_LIMIT)


def _refuse_disposed(
    conn: Connection, evidence_ids: list[str], event: str, *, before: int | None = None
) -> None:
    """Conflict when one of EVIDENCE_IDS was disposed of (in a record before seq BEFORE, when
    given): nothing may happen to it after."""
    query = (
        sa.select(custody_events.c.evidence_id, custody_events.c.seq)
        .where(
            custody_events.c.evidence_id.in_(evidence_ids),
            custody_events.c.event == CustodyEvent.DISPOSED.value,
        )
        .order_by(custody_events.c.seq)
        .limit(1)
    )
    if before is not None:
        query = query.where(custody_events.c.seq < before)
    found = conn.execute(query).first()
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
