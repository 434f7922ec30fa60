"""Migration 0018 (link_state.withdrawn_upto) down and up again, with a link run's state kept."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.store import Store, metadata
from bigfish.store.schema_linking import link_state
from tests.store.test_migrations import run_migration

WHEN = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
LATER = datetime(2025, 1, 2, 4, 4, 5, 654321, tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def test_0018_link_state_withdrawals_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("link_state")}

    with store.begin() as conn:
        conn.execute(
            link_state.insert().values(
                id=1,
                watermark="w",
                degree_cap=7,
                rebuilt_at=WHEN,
                updated_at=LATER,
                withdrawn_upto=WHEN,
            )
        )
    assert "withdrawn_upto" in columns()
    run_migration(store, "downgrade", "0017")
    assert "withdrawn_upto" not in columns()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        row = conn.execute(sa.select(link_state)).one()
    # The run's state is kept; its bound is gone (NULL: the next run looks for shrunk networks).
    assert (row.id, row.watermark, row.degree_cap) == (1, "w", 7)
    assert (_aware(row.rebuilt_at), _aware(row.updated_at)) == (WHEN, LATER)
    assert row.withdrawn_upto is None
