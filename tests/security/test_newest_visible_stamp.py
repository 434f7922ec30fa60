"""`newest_visible_stamp` (the `as_of` an organization is shown) against the plain definition:
the newest `updated_at` of the reports the viewer may see (`can_see`), whatever FLOOR a poll
gives to make it cheaper to find."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigfish.accounts import viewer_as
from bigfish.models import TLP, Distribution
from bigfish.sharing.policy import ItemMarking, can_see, newest_visible_stamp
from bigfish.store.schema import reports
from tests.api.helpers import Partnership, report

_MARKINGS = [
    {"tlp": "green", "distribution": "partnership"},
    {"tlp": "red", "distribution": "partnership"},
    {"tlp": "amber", "distribution": "organization"},
    {"tlp": "amber", "distribution": "group", "group": "mekong"},
]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_the_newest_stamp_a_viewer_may_see_whatever_the_floor(partnership: Partnership) -> None:
    p = partnership
    rng = random.Random(20261130)
    for n in range(24):
        who = rng.choice("ABC")
        marking = rng.choice(_MARKINGS[:3] if who == "B" else _MARKINGS)  # B is not in mekong
        p.submit(who, [report(f"{who}-{n}", phone=f"+6681{n:07d}")], **marking)
    with p.store.connect() as conn:
        rows = conn.execute(
            sa.select(
                reports.c.org_id,
                reports.c.tlp,
                reports.c.distribution,
                reports.c.group_id,
                reports.c.updated_at,
            )
        ).all()
        stamps = sorted({_aware(r.updated_at) for r in rows})
        upto = stamps[-1]
        for org in "ABC":
            viewer = viewer_as(p.store, org)
            seen = [
                _aware(r.updated_at)
                for r in rows
                if can_see(
                    viewer,
                    ItemMarking(
                        int(r.org_id), TLP(r.tlp), Distribution(r.distribution), r.group_id
                    ),
                )
            ]
            for bound in (upto, stamps[len(stamps) // 2], stamps[0] - timedelta(seconds=1)):
                expected = max((s for s in seen if s <= bound), default=None)
                floors = [None, *stamps, stamps[0] - timedelta(days=1), upto + timedelta(days=1)]
                for floor in floors:
                    found = newest_visible_stamp(conn, viewer, bound, floor=floor)
                    assert found == expected, (org, bound, floor)
