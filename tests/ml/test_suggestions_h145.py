"""Same-script suggestions after reports go (helper 145's review): a run after a report is
deleted keeps what a full run keeps, also when a new report takes the deleted one's row id."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.suggestions import find
from tests.ml.test_similar import narrative
from tests.ml.test_suggestions import _full_run_with_the_kept_idf, _put, _suggested


def test_a_new_report_in_a_deleted_reports_row_with_its_script_is_suggested(
    store: Store,
) -> None:
    # SQLite gives a new row the deleted newest row's id (no AUTOINCREMENT): a report deleted
    # and sent again, or the next report of the same script with other numbers (masked, so the
    # same digest), takes it. The deleted report's pairs went with it; the new one's must come.
    rng = random.Random(5)
    org = add_org(store, "A", country="TH").id
    texts = {f"r{i}": narrative(rng) for i in range(30)}
    texts["r29"] += "Call 081-234-5678."
    _put(store, org, texts)
    find(store, top_k=10, min_score=0.3)
    with store.begin() as conn:
        old = conn.execute(sa.select(reports).where(reports.c.report_id == "r29")).one()
        conn.execute(reports.delete().where(reports.c.id == old.id))
        now = datetime.now(UTC)
        conn.execute(
            reports.insert().values(
                id=old.id, org_id=org, report_id="r29-again", reported_at=now, country="TH",
                narrative=texts["r29"].replace("081-234-5678", "+66 89 999 9999"),
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
    result = find(store, top_k=10, min_score=0.3)
    assert not result.full
    expected = _full_run_with_the_kept_idf(store, 10, 0.3)
    assert any(old.id in pair[:2] for pair in expected)  # the script has others
    assert _suggested(store) == expected
