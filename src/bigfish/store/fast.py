"""Bulk inserts without per-row SQL compilation, for the ingest hot path.

Values pass through each column type's own bind processor, so what lands in the database is
exactly what SQLAlchemy would have written, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        bind = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if bind is not None:
            processors.append((index, bind))
    if processors:
        width = len(columns)
        processed: list[Sequence[Any]] = []
        # Each column's last value and what its processor made of it: a value that is the
        # same object as the row before's (a batch's one time stamp in every row) is not
        # processed again. A bind processor gives the same for the same value.
        last: list[tuple[Any, Any]] = [(None, None)] * len(processors)
        for row in rows:
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values for {width} columns")
            values = list(row)
            for at, (index, processor) in enumerate(processors):
                value = values[index]
                if value is not None:
                    before, done = last[at]
                    if value is not before:
                        done = processor(value)
                        last[at] = (value, done)
                    values[index] = done
            processed.append(tuple(values))
        rows = processed
    mark = _placeholder(conn)
    # Names come from the declared schema, never from input; values are bound parameters.
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    if on_conflict_ignore:
        sql += f" ON CONFLICT ({', '.join(on_conflict_ignore)}) DO NOTHING"
    conn.exec_driver_sql(sql, list(rows))


def upsert(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """INSERT ROWS (dicts with the same columns) into TABLE, a row whose KEYS are held already
    taking the new values of its other columns; one executemany."""
    if not rows:
        return
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
    update = {c: insert.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(insert.on_conflict_do_update(index_elements=list(keys), set_=update), rows)
