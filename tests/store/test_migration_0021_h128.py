"""Migration 0021 (ingest_runs.error) down and up again, with an ingest run and its report kept:
in place, so the reports that refer to the run (reports.ingest_run) are not touched."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.organizations import ensure_org
from bigfish.store import Store, metadata
from bigfish.store.schema import ingest_runs, reports
from tests.store.test_migrations import run_migration

WHEN = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def test_0021_ingest_run_error_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> dict[str, dict[str, object]]:
        return {c["name"]: dict(c) for c in sa.inspect(store.engine).get_columns("ingest_runs")}

    assert columns()["error"]["nullable"] is True
    with store.begin() as conn:
        org_id = ensure_org(conn, "a")
        conn.execute(
            ingest_runs.insert().values(
                id=7, org_id=org_id, source="f.csv", started_at=WHEN, received=3, error="x"
            )
        )
        conn.execute(
            reports.insert().values(
                org_id=org_id,
                report_id="R1",
                reported_at=WHEN,
                created_at=WHEN,
                updated_at=WHEN,
                country="TH",
                ingest_run=7,
            )
        )
    run_migration(store, "downgrade", "0020")
    assert "error" not in columns()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        options = {"compare_type": True, "compare_server_default": True}
        assert compare_metadata(MigrationContext.configure(conn, opts=options), metadata) == []
        run = conn.execute(sa.select(ingest_runs)).one()
        report = conn.execute(sa.select(reports.c.report_id, reports.c.ingest_run)).one()
    # The run and its counts are kept; its error went with the column (NULL: none known).
    assert (run.id, run.source, run.received, run.finished_at, run.error) == (
        7,
        "f.csv",
        3,
        None,
        None,
    )
    assert tuple(report) == ("R1", 7)
