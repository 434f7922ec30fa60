"""Read reports from the store as `ReportView`s, in pages ordered by id.

The caller passes the condition from `bigfish.sharing.policy` (or a narrower one); this module
never decides who sees what. Pages are keyset-paginated on the id, so memory stays flat
however large the collection is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.interop.model import MentionView, ReportView
from bigfish.models import TLP, Distribution, Marking
from bigfish.store.schema import identifiers, mentions, organizations, reports, sharing_groups
from bigfish.store.schema_interop import interop_imports

_CHUNK = 500

_QUERY = (
    sa.select(
        reports,
        organizations.c.name.label("org_name"),
        organizations.c.country.label("org_country"),
        sharing_groups.c.name.label("group_name"),
        interop_imports.c.modified.label("source_modified"),
    )
    .join(organizations, organizations.c.id == reports.c.org_id)
    .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
    .outerjoin(interop_imports, interop_imports.c.report_pk == reports.c.id)
)


def utc(value: datetime) -> datetime:
    """VALUE as an aware UTC datetime (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _mentions(conn: Connection, pks: Sequence[int]) -> dict[int, list[MentionView]]:
    found: dict[int, list[MentionView]] = {pk: [] for pk in pks}
    for start in range(0, len(pks), _CHUNK):
        query = (
            sa.select(
                mentions.c.report_pk,
                mentions.c.source,
                mentions.c.role,
                mentions.c.raw,
                identifiers.c.kind,
                identifiers.c.canonical,
                identifiers.c.valid,
            )
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .where(mentions.c.report_pk.in_(pks[start : start + _CHUNK]))
            .order_by(mentions.c.report_pk, identifiers.c.kind, identifiers.c.canonical)
        )
        for row in conn.execute(query):
            found[row.report_pk].append(
                MentionView(row.kind, row.canonical, bool(row.valid), row.source, row.role, row.raw)
            )
    return found


def _view(row: sa.Row[tuple[object, ...]], found: list[MentionView]) -> ReportView:
    m = row._mapping
    distribution = Distribution(m["distribution"])
    group = m["group_name"] if distribution is Distribution.GROUP else None
    updated = utc(m["updated_at"])
    source_modified = m["source_modified"]
    return ReportView(
        pk=int(m["id"]),
        org=str(m["org_name"]),
        org_country=m["org_country"],
        report_id=str(m["report_id"]),
        reported_at=utc(m["reported_at"]),
        country=str(m["country"]),
        scam_type=m["scam_type"],
        channel=m["channel"],
        loss_amount=m["loss_amount"],
        loss_currency=m["loss_currency"],
        narrative=m["narrative"],
        marking=Marking(TLP(m["tlp"]), distribution, group),
        created_at=utc(m["created_at"]),
        updated_at=updated,
        modified=utc(source_modified) if source_modified is not None else updated,
        source_id=m["source_id"],
        mentions=tuple(found),
        attributes=_attributes(m["attributes"]),
    )


def _attributes(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def report_page(
    conn: Connection,
    condition: ColumnElement[bool],
    *,
    after: int | None = None,
    added_after: datetime | None = None,
    upto: datetime | None = None,
    limit: int = 1000,
) -> list[ReportView]:
    """Up to LIMIT reports matching CONDITION with an id above AFTER, stored (or changed) after
    ADDED_AFTER and not after UPTO, in id order.

    Pages are keyed on the id alone: time columns may be stored in more than one text layout on
    SQLite, so they are used only to filter (`>` there errs towards including), never as a key.
    """
    query = _QUERY.where(condition)
    if added_after is not None:
        query = query.where(reports.c.updated_at > added_after)
    if upto is not None:
        query = query.where(reports.c.updated_at <= upto)
    if after is not None:
        query = query.where(reports.c.id > after)
    rows = conn.execute(query.order_by(reports.c.id).limit(limit)).all()
    found = _mentions(conn, [int(r.id) for r in rows])
    return [_view(r, found[int(r.id)]) for r in rows]


def iter_reports(
    conn: Connection, condition: ColumnElement[bool], *, page: int = 1000
) -> Iterator[ReportView]:
    """Every report matching CONDITION, in id order, read page by page."""
    after: int | None = None
    while True:
        views = report_page(conn, condition, after=after, limit=page)
        yield from views
        if len(views) < page:
            return
        after = views[-1].pk
