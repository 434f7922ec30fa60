"""The audit rows of evidence actions, read back: each writer's form (console, API, web) gives
the custody event and subject it appended; a row of a status that appended nothing, or of
another action, gives none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.audit import AuditEntry, evidence_actions, record, stored_actor
from bigfish.audit.evidence_rows import evidence_action
from bigfish.store import Store

EV = "ev-0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("action", "target", "org", "status", "found"),
    [
        ("evidence add", EV, "TH-AOC", 201, ("acquired", ("evidence", EV))),
        ("evidence add", EV, "TH-AOC", 200, None),  # held before: nothing was recorded
        ("evidence show", EV, "TH-AOC", 200, ("accessed", ("evidence", EV))),
        ("evidence event", f"{EV} sealed", "TH-AOC", 201, ("sealed", ("evidence", EV))),
        ("evidence event", f"{EV} acquired", "TH-AOC", 201, None),  # never stated by hand
        ("evidence export", "TH-AOC/R-1", "TH-AOC", 200, ("exported", ("report", "TH-AOC/R-1"))),
        ("evidence export", "R/1", None, 200, ("exported", ("report id", "R/1"))),  # no --org
        ("POST /api/v1/reports/A/R/1/evidence", "x", "A", 201, ("acquired", ("report", "A/R/1"))),
        ("POST /api/v1/reports/A/R/1/evidence", "x", "A", 200, None),
        (
            "POST /api/v1/reports/A/R-1/evidence/package",
            "x",
            "A",
            200,
            ("exported", ("report", "A/R-1")),
        ),
        (f"GET /api/v1/evidence/{EV}", "x", "A", 200, ("accessed", ("evidence", EV))),
        (f"GET /api/v1/evidence/{EV}", "x", "A", 404, None),
        (f"GET /api/v1/evidence/{EV}/content", "x", "A", 409, ("accessed", ("evidence", EV))),
        (f"GET /api/v1/evidence/{EV}/custody", "x", "A", 200, None),  # a read: no record
        (f"POST /evidence/{EV}/verify", "x", "A", 200, ("accessed", ("evidence", EV))),
        (f"GET /evidence/{EV}", "x", "A", 200, None),  # the page: no record
        ("POST /api/v1/reports", "x", "A", 200, None),
    ],
)
def test_each_writers_row_gives_the_event_and_subject(
    action: str, target: str, org: str | None, status: int, found: object
) -> None:
    assert evidence_action(action, target, org, status) == found


def test_a_cut_action_is_read_from_its_target() -> None:
    path = "/api/v1/reports/A/" + "R" * 300 + "/evidence"
    action = f"POST {path}"[:300]  # the action column's width
    assert evidence_action(action, path + "?x=1", "A", 201) == (
        "acquired",
        ("report", "A/" + "R" * 300),
    )


def test_an_actor_is_compared_as_the_log_stores_it() -> None:
    assert stored_actor("user:" + "a" * 200) == "user:" + "a" * 115
    assert stored_actor("user:a\x00b") == "user:a\\u0000b"


def test_the_rows_are_read_from_the_log_since_a_time(sqlite_store: Store, tmp_path: Path) -> None:
    record(
        sqlite_store,
        [AuditEntry("key:1", "A", "evidence show", EV, 200, "2020-01-01T00:00:00.000000Z")],
    )
    record(
        sqlite_store,
        [
            AuditEntry("key:2", "A", "GET /api/v1/lookup", "/api/v1/lookup?x=1", 200),
            AuditEntry("key:2", "A", f"GET /api/v1/evidence/{EV}", "x", 200),
            AuditEntry("user:b", "A", f"POST /evidence/{EV}/verify", "x", 404),
        ],
    )
    with sqlite_store.connect() as conn:
        found = list(evidence_actions(conn, "2025-01-01T00:00:00.000000Z"))
    assert [(a.seq, a.actor, a.event, a.subject) for a in found] == [
        (3, "key:2", "accessed", ("evidence", EV))
    ]
