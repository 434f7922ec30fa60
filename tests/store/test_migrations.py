from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.store import Store, metadata


def test_migrations_produce_exactly_the_declared_schema(store: Store) -> None:
    with store.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, metadata) == []
