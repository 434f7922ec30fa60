"""The organizations a new or updated report alerts, each with its alerts (for webhooks)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import NamedFromClause

from bigfish.alerts.infrastructure import infrastructure, not_stopped
from bigfish.alerts.model import Alert, as_utc, utc
from bigfish.models import TLP, Distribution
from bigfish.sharing.policy import ItemMarking, Viewer, can_see, visible_reports
from bigfish.store import Store
from bigfish.store.schema import group_members, identifiers, mentions, organizations, reports

# The aliases the queries join, made once, not on every call (as `paging` does): an alias of
# `reports` builds a proxy of each of its columns when first read. The SQL is the same.
_OWN = reports.alias("own")
_OWN_MENTIONS = mentions.alias("own_mentions")
_MINE = reports.alias("mine")
_MINE_MENTIONS = mentions.alias("mine_mentions")
_BEFORE = reports.alias("before")
_BEFORE_MENTIONS = mentions.alias("before_mentions")


def holders_to_alert(
    store: Store, report_pks: Sequence[int], holders: Collection[int] | None = None
) -> dict[int, list[Alert]]:
    """For reports REPORT_PKS just stored or updated: the organizations to alert, each with its
    alerts oldest first (for webhooks). Another organization holding one of their values and
    allowed to see them gets their alerts; the submitting organization, for each value it did
    not hold before this write, gets the alerts of the other organizations' reports it may see
    that mention it (as `list_alerts` dates them: when it came to hold the value). With
    HOLDERS, only those organizations are alerted (the ones with a webhook, say), and the
    search for values newly held, most of the cost, runs only for reports of theirs."""
    found: dict[int, dict[str, Alert]] = {}
    wanted = None if holders is None else frozenset(holders)
    with store.connect() as conn:
        for start in range(0, len(report_pks), 500):
            chunk = list(report_pks[start : start + 500])
            rows = [*conn.execute(_to_holders(chunk))]
            if wanted is None or _submitters(conn, chunk) & wanted:
                rows += conn.execute(_to_new_holders(chunk))
            if wanted is not None:  # filtered here: in the query it turned SQLite's plan 5x slower
                rows = [r for r in rows if int(r.holder) in wanted]
            shared = infrastructure(
                conn, {int(r.identifier_id): (str(r.kind), str(r.canonical)) for r in rows}
            )
            rows = [r for r in rows if int(r.identifier_id) not in shared]
            viewers = _viewers(conn, {int(r.holder) for r in rows})
            for r in rows:
                item = ItemMarking(
                    int(r.org_id), TLP(r.tlp), Distribution(r.distribution), r.group_id
                )
                if not can_see(viewers[int(r.holder)], item):
                    continue
                alert = Alert(
                    id=f"{r.id}-{r.identifier_id}",
                    created_at=max(as_utc(r.updated_at), as_utc(r.held)),
                    kind=r.kind,
                    canonical=r.canonical,
                    org=r.name,
                    report_id=r.report_id,
                    country=r.country,
                    reported_at=utc(r.reported_at),
                )
                found.setdefault(int(r.holder), {})[alert.id] = alert
    return {
        holder: sorted(alerts.values(), key=lambda a: (a.created_at, _pair(a.id)))
        for holder, alerts in found.items()
    }


def _submitters(conn: Connection, report_pks: Sequence[int]) -> set[int]:
    """The organizations of REPORT_PKS."""
    return {
        int(org_id)
        for org_id in conn.execute(
            sa.select(reports.c.org_id).where(reports.c.id.in_(report_pks)).distinct()
        ).scalars()
    }


def _pair(alert_id: str) -> tuple[int, int]:
    report_pk, ident_id = alert_id.split("-")
    return int(report_pk), int(ident_id)


def _to_holders(report_pks: Sequence[int]) -> sa.Select[Any]:
    """Each other organization that holds a value of REPORT_PKS (holder), when it first held
    it (held), and the alert of the report on it."""
    return _held_alerts(_OWN, _OWN_MENTIONS, reports.c.id.in_(report_pks))


def _to_new_holders(report_pks: Sequence[int]) -> sa.Select[Any]:
    """The organization of each of REPORT_PKS (holder) for each value it holds first through
    them (held: none of its reports stamped before this write mentions it), and the alert of
    every other organization's report on that value. A replaced report is stamped by this
    write like a new one: its values, new or not, are held from now when no other report of
    the organization mentions them, as `list_alerts` dates them (and serves them again)."""
    mine, mine_mentions = _MINE, _MINE_MENTIONS
    before, before_mentions = _BEFORE, _BEFORE_MENTIONS
    held_before = sa.exists().where(
        before_mentions.c.identifier_id == mine_mentions.c.identifier_id,
        before.c.id == before_mentions.c.report_pk,
        before.c.org_id == mine.c.org_id,
        before.c.updated_at < mine.c.updated_at,
    )
    return _held_alerts(mine, mine_mentions, mine.c.id.in_(report_pks), ~held_before)


def _held_alerts(
    holding: NamedFromClause, holding_mentions: NamedFromClause, *where: ColumnElement[bool]
) -> sa.Select[Any]:
    """The alerts of the reports of other organizations than HOLDING's (an alias of `reports`,
    its mentions HOLDING_MENTIONS) on the values HOLDING mentions, where WHERE holds: per
    organization of HOLDING (holder), the earliest updated_at of those of its reports (held)
    and the alert's report and value."""
    return (
        sa.select(
            holding.c.org_id.label("holder"),
            sa.func.min(holding.c.updated_at).label("held"),
            *_alert_columns(),
        )
        .select_from(mentions)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .join(holding_mentions, holding_mentions.c.identifier_id == mentions.c.identifier_id)
        .join(holding, holding.c.id == holding_mentions.c.report_pk)
        .where(
            *where,
            holding.c.org_id != reports.c.org_id,
            identifiers.c.valid.is_(True),
            not_stopped(),
        )
        .group_by(holding.c.org_id, reports.c.id, identifiers.c.id, organizations.c.id)
    )


def _alert_columns() -> list[Any]:
    """The columns of an alert of the report `reports` on the value `identifiers`."""
    return [
        reports.c.id,
        reports.c.org_id,
        reports.c.tlp,
        reports.c.distribution,
        reports.c.group_id,
        reports.c.updated_at,
        reports.c.report_id,
        reports.c.country,
        reports.c.reported_at,
        organizations.c.name,
        identifiers.c.id.label("identifier_id"),
        identifiers.c.kind,
        identifiers.c.canonical,
    ]


def _viewers(conn: Connection, org_ids: set[int]) -> dict[int, Viewer]:
    """Each of ORG_IDS as a viewer, with its sharing groups."""
    groups: dict[int, set[int]] = {org_id: set() for org_id in org_ids}
    if org_ids:
        for org_id, group_id in conn.execute(
            sa.select(group_members.c.org_id, group_members.c.group_id).where(
                group_members.c.org_id.in_(sorted(org_ids))
            )
        ):
            groups[int(org_id)].add(int(group_id))
    return {org_id: Viewer(org_id, group_ids=frozenset(g)) for org_id, g in groups.items()}


def still_alerting(store: Store, holder: int, alerts: Sequence[Alert]) -> list[Alert]:
    """Those of ALERTS (HOLDER's, read a while ago) that still stand, in their order: the other
    organization's report still mentions the value, is still one HOLDER may see (its marking
    and HOLDER's groups as they are now) and the linking has not stopped the value since, and
    HOLDER still holds it. A webhook's waiting alerts are checked so before they go out: a
    re-marking, a deletion or a removal from a group takes effect on the next delivery."""
    pairs = {_pair(a.id) for a in alerts}
    pks = sorted({pk for pk, _ in pairs})
    ident_ids = sorted({ident for _, ident in pairs})
    standing: set[tuple[int, int]] = set()
    held: set[int] = set()
    with store.connect() as conn:
        viewer = _viewers(conn, {holder})[holder]
        for start in range(0, len(pks), 500):
            part = pks[start : start + 500]
            standing.update(
                (int(pk), int(ident))
                for pk, ident in conn.execute(
                    sa.select(reports.c.id, mentions.c.identifier_id)
                    .join(mentions, mentions.c.report_pk == reports.c.id)
                    .where(
                        reports.c.id.in_(part),
                        reports.c.org_id != holder,
                        visible_reports(viewer),
                        not_stopped(),
                    )
                    .distinct()
                )
            )
        for start in range(0, len(ident_ids), 500):
            part = ident_ids[start : start + 500]
            held.update(
                int(ident)
                for ident in conn.execute(
                    sa.select(mentions.c.identifier_id)
                    .join(reports, reports.c.id == mentions.c.report_pk)
                    .where(reports.c.org_id == holder, mentions.c.identifier_id.in_(part))
                    .distinct()
                ).scalars()
            )
    return [a for a in alerts if (pair := _pair(a.id)) in standing and pair[1] in held]
