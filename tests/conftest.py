"""Shared fixtures: a store on SQLite and, when a server answers, on PostgreSQL too.

Store tests take the `store` fixture and run once per backend. PostgreSQL is used when
BIGFISH_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432; with CI=true a missing
PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bigfish.store import Store, metadata, open_store

_DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules holding a test marked slow run first, each in its own order: under `pytest -n 2`
    a test of a minute that starts last keeps one worker busy after the other has finished.
    Browser tests run last, together: their module's browser is opened once per worker."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(
        key=lambda item: (item.get_closest_marker("browser") is not None, item.path not in slow)
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules the tests import are loaded now: their objects (some 300,000) live as long
    as the worker, and each full garbage collection would walk them again. Freezing them leaves
    those collections the objects the tests make."""
    gc.collect()
    gc.freeze()


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


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs: the same code path, a test-sized price (for tests that make
    users but are not about the cost of their passwords)."""
    import bigfish.accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(bigfish.accounts, "_HASHER", cheap)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bigfish.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


# Migrating an empty database takes most of a store test's setup (about 0.4 s on SQLite, 1.4 s
# on PostgreSQL, for every test). The fixtures below migrate once per worker and give each test
# a copy of that database: the SQLite file itself, or PostgreSQL's dump of it (schema, sequences
# and alembic_version) replayed. open_store then finds the newest revision and migrates nothing.
# tests/store/test_migrations.py still migrates empty databases on both backends.


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision, closed (its WAL folded in)."""
    path = tmp_path_factory.mktemp("migrated") / "bigfish.db"
    open_store(f"sqlite:///{path}").close()
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the migrated SQLite file is not whole: {leftovers}"
    return path


@pytest.fixture(scope="session")
def _migrated_postgres_sql(postgres_url: str) -> str | None:
    """The SQL that recreates a freshly migrated PostgreSQL database (pg_dump of one), or None
    without pg_dump (each test then migrates)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    _reset_postgres(postgres_url)
    open_store(postgres_url).close()
    dumped = subprocess.run(
        [pg_dump, "--no-owner", "--no-privileges", "--inserts", "-d", postgres_url],
        capture_output=True,
        text=True,
    )
    _reset_postgres(postgres_url)
    if dumped.returncode != 0:  # another major version than the server's, say
        return None
    # psql's meta-commands (\\restrict) are not SQL; the rest is.
    return "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))


def _copy_migrated(url: str, request: pytest.FixtureRequest) -> None:
    """Make the empty database at URL a copy of the migrated one; leave one that is no longer
    empty (another fixture opened it first) as it is."""
    if url.startswith("sqlite:///"):
        target = Path(url[len("sqlite:///") :])
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), target)
        return
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            migrated = conn.execute(sa.text("SELECT to_regclass('public.alembic_version')"))
            if migrated.scalar_one() is not None:
                return
        # Made (once a worker) on this same, empty, database; it leaves it empty again.
        sql: str | None = request.getfixturevalue("_migrated_postgres_sql")
        if sql is not None:
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture
def store(store_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open, migrated, empty store on each backend."""
    _copy_migrated(store_url, request)
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def pg_store(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open, migrated, empty store on PostgreSQL, for what only it shows: two organizations'
    writers at once, row and advisory locks, deadlocks."""
    _reset_postgres(postgres_url)
    _copy_migrated(postgres_url, request)
    opened = open_store(postgres_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An open, migrated, empty SQLite store (for tests that are not about the backend)."""
    url = f"sqlite:///{tmp_path / 'bigfish.db'}"
    _copy_migrated(url, request)
    opened = open_store(url)
    try:
        yield opened
    finally:
        opened.close()
