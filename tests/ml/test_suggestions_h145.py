"""Same-script suggestions after reports go (helper 145's review): a run after a report is
deleted keeps what a full run keeps, also when a new report takes the deleted one's row id; an
analyst's decision and a run that withdraws its pair meanwhile do not lose the decision."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.suggestions import find, review
from bigfish.suggestions import run as suggestions_run
from tests.api.helpers import Partnership, build_partnership, report
from tests.ml.test_similar import narrative
from tests.ml.test_suggestions import (
    OTHER,
    SCRIPT,
    _decide,
    _full_run_with_the_kept_idf,
    _put,
    _similar,
    _suggested,
)
from tests.polling import WAIT, eventually


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


@pytest.fixture
def node(store: Store) -> Iterator[Partnership]:
    for p in build_partnership(store):  # A's two reports of one script, shared with all
        a1 = report("a1", phone="+66811111111", narrative=SCRIPT + "Bangkok.")
        a2 = report("a2", phone="+66822222222", narrative=SCRIPT + "Chiang Mai.")
        p.submit("A", [a1, a2], tlp="green", distribution="partnership")
        yield p


#: Seconds a run that reached the lock on its results without taking it is taken to be held
#: back on SQLite (it takes the lock in a millisecond when nothing holds it). PostgreSQL shows
#: the wait itself (pg_locks).
HELD_BACK = 1.0


def _held_back(store: Store, locked: threading.Event) -> bool:
    """Whether the run waits for the lock on its results (which an analyst's decision holds)."""
    if store.dialect != "postgresql":
        return not locked.wait(HELD_BACK)
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )

    def waits() -> bool:
        with store.connect() as conn:
            return bool(conn.execute(waiting).scalar_one())

    assert eventually(lambda: locked.is_set() or waits())
    return not locked.is_set()


def test_a_decision_made_while_a_run_withdraws_the_pair_is_kept_or_refused(
    node: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An analyst decides on a1~a2 while a run that no longer suggests it stores its results:
    # the decision was written to a pair the run had just deleted (FOREIGN KEY constraint
    # failed: a 500), or on PostgreSQL deleted with it after being acknowledged. Now one waits
    # for the other: the decision is stored and the run keeps the pair for A, or the run goes
    # first and the decision finds no pair (404).
    find(node.store, min_score=0.5)
    with node.store.begin() as conn:  # a2 now tells another script: a run would withdraw a1~a2
        conn.execute(reports.update().where(reports.c.report_id == "a2").values(narrative=OTHER))
    real, real_lock = review.upsert, suggestions_run.lock_results
    runs: list[threading.Thread] = []
    locking, locked = threading.Event(), threading.Event()

    def lock_results(conn: Any) -> int:
        locking.set()
        generation = real_lock(conn)
        locked.set()
        return generation

    def run_meanwhile(conn: Any, table: Any, rows: Any, keys: Any) -> None:
        # The run starts between the decision's reads and its write, and is given time to
        # finish (it finishes at once unless the decision holds it back: it then waits at
        # the lock on its results, and only there).
        run = threading.Thread(target=find, args=(node.store,), kwargs={"min_score": 0.5})
        runs.append(run)
        run.start()
        assert eventually(lambda: locking.is_set() or not run.is_alive())
        if _held_back(node.store, locked):
            assert run.is_alive() and not locked.is_set()
        else:
            run.join(timeout=WAIT)
        real(conn, table, rows, keys)

    monkeypatch.setattr(suggestions_run, "lock_results", lock_results)
    monkeypatch.setattr(review, "upsert", run_meanwhile)
    answer = _decide(node, "A", ("A", "a1", "A", "a2"), "accepted")
    runs[0].join()
    assert answer.status_code in (200, 404), answer.text
    shown = _similar(node, "A", "A", "a1")[1]["suggestions"]
    if answer.status_code == 200:
        assert [(s["report_id"], s["decision"]) for s in shown] == [("a2", "accepted")]
    else:
        assert shown == []
    assert _similar(node, "C", "A", "a1")[1]["suggestions"] == []  # withdrawn for the others
