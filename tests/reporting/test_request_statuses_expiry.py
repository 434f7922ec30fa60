"""The report's cooperation requests by status count an open request past its deadline as
expired, as every listing and lookup shows it (docs/evidence.md, "Expiry"), even on a node where
nobody has looked at it since and `bigfish request expire` has not run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigfish.cooperation.model import (
    RequestStatus,
)
from bigfish.cooperation.service import acting_as, create_request, transition
from bigfish.organizations import add_org
from bigfish.reporting import compute_statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_evidence import cooperation_requests
from tests.reporting.test_request_drafts import _draft


def test_an_overdue_open_request_is_counted_expired_not_sent(store: Store) -> None:
    for name, cc in (("TH-AOC", "TH"), ("KH-NPA", "KH")):
        add_org(store, name, country=cc)
    th, kh = acting_as(store, "TH-AOC"), acting_as(store, "KH-NPA")
    soon = datetime.now(UTC) + timedelta(hours=1)
    overdue = create_request(store, th, _draft(soon), send=True)
    acknowledged = create_request(store, th, _draft(soon), send=True)
    transition(store, kh, acknowledged.request_id, RequestStatus.ACKNOWLEDGED, None, actor="D")
    create_request(store, th, _draft(soon + timedelta(days=30)), send=True)  # still open
    create_request(store, th, _draft(soon))  # a draft past its deadline stays a draft
    later = datetime.now(UTC) + timedelta(days=2)
    # nobody has listed or looked up the requests since their deadline passed
    with store.begin() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).where(
                    cooperation_requests.c.status.in_(["sent", "acknowledged"])
                )
            ).scalar_one()
            == 3
        )
    for viewer, drafts in ((th, 1), (Viewer.node_operator(), 1), (kh, 0)):
        counts = dict(compute_statistics(store, viewer, now=later).requests_by_status)
        expected = {"expired": 2, "sent": 1, **({"draft": drafts} if drafts else {})}
        assert counts == expected, (viewer, overdue.request_id)
    # and before the deadline nothing is expired
    before = dict(compute_statistics(store, th, now=soon - timedelta(minutes=5)).requests_by_status)
    assert before == {"sent": 2, "acknowledged": 1, "draft": 1}
