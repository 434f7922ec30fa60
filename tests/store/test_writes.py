"""Batched writes: a report the store cannot keep as it is is refused alone, with the reason,
on both backends; the rest of its batch is stored."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.fx import reference_rates
from bigfish.intake.prepare import prepare_mentions
from bigfish.intake.records import build_report
from bigfish.intake.service import ingest_file
from bigfish.models import ApiRole, Marking
from bigfish.organizations import add_org
from bigfish.reports import submit_reports
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.base import _sqlite_pragmas
from bigfish.store.schema import identifiers, ingest_runs, reports
from bigfish.store.writes import (
    CANONICAL_CHARS,
    BatchOutcome,
    IdentifierIds,
    Pending,
    write_batch,
)

# Valid in intake (under its 2,000 characters a value) but not in the store: a URL whose path
# percent-encodes to 11,893 characters, and a domain-like value of 1,200 CJK characters whose
# 3,600 bytes PostgreSQL cannot put in the unique index of identifiers.
LONG_URL = "http://shop.example/" + "é" * 1980
random.seed(7)
WIDE_DOMAIN = "".join(chr(random.randrange(0x4E00, 0x9FFF)) for _ in range(1200))
# And in a narrative, where a value has no limit of its own: a URL of 2,520 characters.
NARRATED_URL = "http://shop.example/" + "a" * 2500
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def _stored(store: Store) -> list[str]:
    with store.connect() as conn:
        return sorted(conn.execute(sa.select(reports.c.report_id)).scalars())


def test_ingest_refuses_the_report_the_store_cannot_keep_and_stores_the_rest(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["report_id", "reported_at", "country", "urls", "domains", "narrative"])
        writer.writerow(["R-1", "2025-01-02T03:04:05Z", "TH", "http://ok.example/a", "", ""])
        writer.writerow(["R-2", "2025-01-02T03:04:05Z", "TH", LONG_URL, "", ""])
        writer.writerow(["R-3", "2025-01-02T03:04:05Z", "TH", "", WIDE_DOMAIN, ""])
        writer.writerow(["R-4", "2025-01-02T03:04:05Z", "TH", "", "", f"see {NARRATED_URL} now"])
        writer.writerow(["R-5", "2025-01-02T03:04:05Z", "TH", "http://ok.example/b", "", ""])
    result = ingest_file(store, path, org="bank-a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (5, 2, 3)
    assert _stored(store) == ["R-1", "R-5"]
    lines = path.with_name("reports.csv.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    rejects = {r["report_id"]: r for r in map(json.loads, lines)}
    assert sorted(rejects) == ["R-2", "R-3", "R-4"]
    assert "the url value 'http://shop.example/" in rejects["R-2"]["reason"]
    assert "11,893 characters" in rejects["R-2"]["reason"]
    assert "the domain value" in rejects["R-3"]["reason"]
    assert "3,600 bytes" in rejects["R-3"]["reason"]
    assert "in the narrative" in rejects["R-4"]["reason"]
    # each names where the value was given (it named report_id)
    assert [rejects[r]["field"] for r in ("R-2", "R-3", "R-4")] == ["urls", "domains", "narrative"]
    with store.connect() as conn:
        longest = conn.execute(sa.select(sa.func.max(sa.func.length(identifiers.c.canonical))))
        assert longest.scalar_one() <= 2000


def test_an_api_batch_keeps_its_good_reports_beside_one_the_store_cannot_keep(
    store: Store,
) -> None:
    org = add_org(store, "bank-a", country="TH")
    viewer = Viewer(org_id=org.id, org_name="bank-a", role=ApiRole.ANALYST)
    batch = [
        {"report_id": "A-1", "reported_at": "2025-01-02T03:04:05Z", "country": "TH"},
        {
            "report_id": "A-2",
            "reported_at": "2025-01-02T03:04:05Z",
            "country": "TH",
            "identifiers": [{"kind": "url", "value": LONG_URL}],
        },
    ]
    result = submit_reports(store, viewer, batch, Marking())
    assert (result.received, result.stored) == (2, 1)
    (refused,) = result.rejected
    assert refused.report_id == "A-2" and "over the 2,000 characters" in refused.reason
    assert refused.field == "urls"
    assert _stored(store) == ["A-1"]


def test_the_limit_of_a_canonical_form_is_the_column_s() -> None:
    assert getattr(identifiers.c.canonical.type, "length", None) == CANONICAL_CHARS


def _pending(report_id: str) -> Pending:
    report = build_report(
        {"report_id": report_id, "reported_at": "2025-01-02T03:04:05Z", "country": "TH"}
    )
    return Pending(report, prepare_mentions(report), "api", 0)


def _run(store: Store, org_id: int) -> int:
    with store.begin() as conn:
        query = ingest_runs.insert().values(org_id=org_id, source="api", started_at=WHEN)
        return int(conn.execute(query.returning(ingest_runs.c.id)).scalar_one())


def test_two_writers_of_one_organization_s_reports_take_turns(store: Store) -> None:
    # An ingest and an API submit of the same reports at once: the second found R-1 new while
    # the first had not committed it, inserted it too and failed its whole batch on the unique
    # (org_id, report_id). Now it waits, finds R-1 and updates it.
    org = add_org(store, "bank-a", country="TH")
    first_run, second_run = _run(store, org.id), _run(store, org.id)
    second_engine = sa.create_engine(store.engine.url, poolclass=sa.pool.NullPool)
    if store.dialect == "sqlite":
        sa.event.listen(second_engine, "connect", _sqlite_pragmas)
    second_started = threading.Event()

    def read_reports(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith("SELECT") and "FROM reports" in sql:
            second_started.set()  # it has read which reports exist

    def waits_its_turn(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if "organizations" in sql:
            second_started.set()  # it is about to wait for the first to end

    sa.event.listen(second_engine, "after_cursor_execute", read_reports)
    sa.event.listen(second_engine, "before_cursor_execute", waits_its_turn)
    outcomes: list[object] = []

    def second_writer() -> None:
        try:
            with Store(second_engine).begin() as conn:
                outcomes.append(
                    write_batch(
                        conn,
                        org_id=org.id,
                        run_id=second_run,
                        batch=[_pending("R-1")],
                        ids=IdentifierIds(),
                        rates=reference_rates(),
                    )
                )
        except Exception as exc:  # the test shows it
            outcomes.append(exc)

    with store.begin() as conn:
        write_batch(
            conn,
            org_id=org.id,
            run_id=first_run,
            batch=[_pending("R-1")],
            ids=IdentifierIds(),
            rates=reference_rates(),
        )
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert second_started.wait(timeout=120)
    thread.join(timeout=120)
    second_engine.dispose()
    (outcome,) = outcomes
    assert isinstance(outcome, BatchOutcome), outcome
    assert (outcome.stored, outcome.updated, outcome.duplicates) == (0, 1, [])
    assert _stored(store) == ["R-1"]


def test_the_writes_module_imports_on_its_own() -> None:
    # bigfish.intake imports it: importing it first failed on the circle (a script, a worker).
    done = subprocess.run(
        [sys.executable, "-c", "import bigfish.store.writes"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
