"""Shared fixtures: a store on SQLite and, when a server answers, on PostgreSQL too.

Store tests take the `store` fixture and run once per backend. PostgreSQL is used when
BIGFISH_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432; with CI=true a missing
PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.store import Store, metadata, open_store

_DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_server_url() -> str | None:
    url = os.environ.get("BIGFISH_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return _DEFAULT_PG
    except OSError:
        return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test worker, dropped at the end."""
    server = _pg_server_url()
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL answers on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL server (set BIGFISH_TEST_POSTGRES_URL)")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"bigfish_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin_url = server.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    import bigfish.store  # noqa: F401  (every area's tables)

    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bigfish.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated, empty store on each backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    """An open, migrated, empty store on PostgreSQL, for what only it shows: two organizations'
    writers at once, row and advisory locks, deadlocks."""
    _reset_postgres(postgres_url)
    opened = open_store(postgres_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open, migrated, empty SQLite store (for tests that are not about the backend)."""
    opened = open_store(f"sqlite:///{tmp_path / 'bigfish.db'}")
    try:
        yield opened
    finally:
        opened.close()
