"""Growth ages as days pass: a network nobody touched is recounted once a day.

A network's `growth_30d` (members reported in the 30 days before the run) and the score it
feeds are stored by the run that last relinked the network. Days later, with no report joining
it, its reports leave the window but its stored growth would not fall, so a ring that stopped
working would keep the rank of one still growing; and a member dated after that run (a report
dated in Bangkok's today while it is still yesterday in UTC) enters the window without any
report joining. `age_networks` recounts, as of NOW, every active network whose statistics were
stored on an earlier UTC day and that has a growth above zero or a member reported after they
were stored (otherwise its growth is zero and stays so until a report relinks it), and
rewrites its growth and score. The incremental update does it first, at its first run of a UTC
day (`update_networks`), so a server (whose background linker runs once an hour) and each
`bigfish ingest` keep the ranking as of today; a rebuild recounts everything anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.linking.loading import chunked
from bigfish.linking.score import GROWTH_WINDOW, network_score
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_members, networks


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of NOW's day."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def age_networks(conn: Connection, now: datetime) -> int:
    """Recount the growth and score of the networks whose growth was stored before NOW's UTC day
    and may have changed since (module doc); returns how many changed. Runs inside the caller's
    link run (its lock)."""
    now = now.astimezone(UTC)
    is_stale = sa.and_(
        networks.c.status == "active",
        sa.or_(networks.c.growth_30d > 0, networks.c.last_seen > networks.c.updated_at),
        networks.c.updated_at < start_of_day(now),
    )
    stale = dict(
        conn.execute(sa.select(networks.c.id, networks.c.growth_30d).where(is_stale)).all()
    )
    if not stale:
        return 0
    # One pass over the window's reports (an index range), not over the stale networks' members.
    counted = conn.execute(
        sa.select(network_members.c.network_id, sa.func.count())
        .select_from(reports)
        .join(network_members, network_members.c.report_pk == reports.c.id)
        .where(reports.c.reported_at > now - GROWTH_WINDOW, reports.c.reported_at <= now)
        .group_by(network_members.c.network_id)
    )
    recent = {int(nid): int(n) for nid, n in counted}
    changed = sorted(nid for nid, growth in stale.items() if recent.get(nid, 0) != growth)
    updates = []
    for part in chunked(changed):
        for row in conn.execute(
            sa.select(
                networks.c.id,
                networks.c.report_count,
                networks.c.total_loss_usd,
                networks.c.countries,
            ).where(networks.c.id.in_(part))
        ):
            growth = recent.get(int(row.id), 0)
            score = network_score(
                float(row.total_loss_usd), len(row.countries or ()), growth, int(row.report_count)
            )
            updates.append({"nid": int(row.id), "growth": growth, "score": score})
    if updates:
        conn.execute(
            networks.update()
            .where(networks.c.id == sa.bindparam("nid"))
            .values(growth_30d=sa.bindparam("growth"), score=sa.bindparam("score")),
            updates,
        )
    # Every stale network gets today's stamp, changed or not: it is not read again today.
    conn.execute(networks.update().where(is_stale).values(updated_at=now))
    return len(changed)
