"""`bigfish ingest` replacing a report (its report_id sent again) while PostgreSQL ends a
deadlock by undoing the batch's transaction: the batch runs again and is stored once, its
counts once, the ids the undone attempt learned not written (`tests.store.test_write_retry`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.intake.service import ingest_file
from bigfish.models import TLP, Marking
from bigfish.store import Store
from bigfish.store.schema import ingest_runs, reports
from bigfish.store.schema_interop import report_withdrawals
from tests.store.test_write_retry import (
    DOMAIN,
    EMAIL,
    PHONE,
    crossed_on_values,
    identifier_count,
    mentioned,
)


def _csv(path: Path, *rows: tuple[str, str, str]) -> Path:
    """PATH with ROWS, each (report_id, phones, emails) of a report in Thailand."""
    lines = [
        "report_id,reported_at,country,phones,emails",
        *(f"{r},2025-11-02T10:00:00Z,TH,{phone},{email}" for r, phone, email in rows),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_report_replaced_by_an_ingest_while_deadlocked_is_stored_once(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_file(store, _csv(tmp_path / "first.csv", ("R-1", PHONE, "")), org="TH-AOC")
    again = _csv(tmp_path / "again.csv", ("R-1", PHONE, EMAIL), ("R-2", "", EMAIL))
    with crossed_on_values(store, monkeypatch, "TH-AOC") as calls:
        result = ingest_file(store, again, org="TH-AOC", marking=Marking(tlp=TLP.RED))
    assert calls == [2 if store.dialect == "postgresql" else 1]
    assert (result.received, result.stored, result.updated, result.rejected) == (2, 1, 1, 0)
    assert mentioned(store) == {"R-1": [PHONE, EMAIL, DOMAIN], "R-2": [EMAIL, DOMAIN]}
    assert identifier_count(store) == 3
    with store.connect() as conn:
        run = conn.execute(sa.select(ingest_runs).where(ingest_runs.c.id == result.run_id)).one()
        held = conn.execute(sa.select(reports.c.report_id, reports.c.tlp)).all()
        withdrawn = conn.execute(sa.select(report_withdrawals.c.report_id)).scalars().all()
    assert (run.received, run.stored, run.updated, run.rejected) == (2, 1, 1, 0)
    assert sorted(held) == [("R-1", "red"), ("R-2", "red")]
    assert withdrawn == ["R-1"]  # re-marked: its readers are told once
