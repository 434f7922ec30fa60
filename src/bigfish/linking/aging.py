"""Growth ages as days pass: a network nobody touched is recounted once a day.

A network's `growth_30d` (members reported in the 30 days before the run) and the score it
feeds are stored by the run that last relinked the network. Days later, with no report joining
it, its reports leave the window but its stored growth would not fall, so a ring that stopped
working would keep the rank of one still growing. `age_networks` recounts, as of NOW, every
active network with a growth above zero whose statistics were stored on an earlier UTC day (a
growth of zero cannot rise without a new report, which relinks the network), and rewrites its
growth and score. The incremental update does it first, at its first run of a UTC day
(`update_networks`), so a server (whose background linker runs once an hour) and each
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
    (module doc); returns how many changed. Runs inside the caller's link run (its lock)."""
    now = now.astimezone(UTC)
    stale = conn.execute(
        sa.select(
            networks.c.id,
            networks.c.report_count,
            networks.c.total_loss_usd,
            networks.c.countries,
            networks.c.growth_30d,
        ).where(
            networks.c.status == "active",
            networks.c.growth_30d > 0,
            networks.c.updated_at < start_of_day(now),
        )
    ).all()
    recent: dict[int, int] = {}
    for part in chunked([int(row.id) for row in stale]):
        counted = conn.execute(
            sa.select(network_members.c.network_id, sa.func.count())
            .join(reports, reports.c.id == network_members.c.report_pk)
            .where(
                network_members.c.network_id.in_(part),
                reports.c.reported_at > now - GROWTH_WINDOW,
                reports.c.reported_at <= now,
            )
            .group_by(network_members.c.network_id)
        )
        recent.update((int(nid), int(n)) for nid, n in counted)
    # Every stale network gets today's stamp, changed or not: it is not read again today.
    updates = []
    for row in stale:
        growth = recent.get(int(row.id), 0)
        score = network_score(
            float(row.total_loss_usd), len(row.countries or ()), growth, int(row.report_count)
        )
        updates.append({"nid": int(row.id), "growth": growth, "score": score, "at": now})
    if updates:
        conn.execute(
            networks.update()
            .where(networks.c.id == sa.bindparam("nid"))
            .values(
                growth_30d=sa.bindparam("growth"),
                score=sa.bindparam("score"),
                updated_at=sa.bindparam("at"),
            ),
            updates,
        )
    return sum(1 for row in stale if recent.get(int(row.id), 0) != row.growth_30d)
