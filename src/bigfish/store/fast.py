"""Bulk inserts without per-row SQL compilation, for the ingest hot path.

Values pass through each column type's own bind processor, so what lands in the database is
exactly what SQLAlchemy would have written, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_many(
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict_ignore: Sequence[str] | None = None,
) -> None:
    """INSERT ROWS (tuples in COLUMNS order) into TABLE with one executemany."""
    if not rows:
        return
    dialect = conn.dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    if any(processors):
        rows = [
            tuple(
                p(v) if p is not None and v is not None else v
                for p, v in zip(processors, row, strict=True)
            )
            for row in rows
        ]
    mark = _placeholder(conn)
    # Names come from the declared schema, never from input; values are bound parameters.
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    if on_conflict_ignore:
        sql += f" ON CONFLICT ({', '.join(on_conflict_ignore)}) DO NOTHING"
    conn.exec_driver_sql(sql, list(rows))
