"""Alembic environment: always run with a connection handed over by bigfish.store.migrate."""

from __future__ import annotations

from alembic import context

import bigfish.store  # noqa: F401  (imports every area's tables)
from bigfish.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use
    raise SystemExit("run migrations through bigfish (bigfish.store.migrate)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
