"""The index of open ingest runs (migration 0022) holds organizations, not sources: a run whose
source is a long path or URL in any script is stored on both backends."""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import ingest_runs


def test_a_run_of_a_long_multibyte_source_is_stored(store: Store) -> None:
    org = add_org(store, "TH-ACSC", country="TH")
    source = "报告" * 500  # 1,000 characters, 3,000 bytes in UTF-8: past a btree row's limit
    with store.begin() as conn:
        conn.execute(
            ingest_runs.insert().values(
                org_id=org.id, source=source, started_at=sa.func.current_timestamp()
            )
        )
    with store.connect() as conn:
        stored = conn.execute(sa.select(ingest_runs.c.source)).scalar_one()
        indexes = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("ingest_runs")}
    assert stored == source
    assert indexes["ix_ingest_runs_open"]["column_names"] == ["org_id"]
