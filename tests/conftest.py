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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bigfish.store import Store, metadata, open_store
from tests.polling import WAIT

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
        with socket.create_connection(("127.0.0.1", 5432), timeout=WAIT):
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
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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
    if "store" in request.fixturenames:  # migrated next: emptied in place when it can be
        _empty_postgres(url, request)
    else:  # the test migrates it itself, or opens it new
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


# A database that still has the freshly migrated schema (the same tables, columns, indexes,
# constraints, sequences, functions, triggers and revision: its "shape") is emptied in place:
# its rows deleted, the rows the migrations write put back, its sequences set back. That takes a
# few milliseconds where dropping and recreating it took most of a test's set-up. A test that
# changed the schema (tests/store/test_migrations.py) leaves another shape, and the next test
# gets the database dropped and recreated as before.
_SHAPE = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
  SELECT 'c:' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
         || ':' || coalesce(column_default, '') AS item
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'i:' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'k:' || conrelid::regclass::text || '.' || conname || ':'
         || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 's:' || sequence_name FROM information_schema.sequences
    WHERE sequence_schema = 'public'
  UNION ALL SELECT 'f:' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'v:' || version_num FROM alembic_version
) AS shape
"""


def _shape(conn: sa.Connection) -> str | None:
    """The shape of the database CONN is connected to (None when it has no revision table)."""
    migrated = conn.execute(sa.text("SELECT to_regclass('public.alembic_version')")).scalar_one()
    return None if migrated is None else str(conn.execute(sa.text(_SHAPE)).scalar_one())


@dataclass(frozen=True)
class _MigratedPostgres:
    """What recreates a freshly migrated PostgreSQL database (`sql`, pg_dump of one), its shape,
    and what empties one of that shape in place (`refill`)."""

    sql: str
    shape: str
    refill: str


@pytest.fixture(scope="session")
def _migrated_postgres(postgres_url: str) -> _MigratedPostgres | None:
    """A freshly migrated PostgreSQL database, dumped; None without pg_dump (each test then
    migrates)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    _reset_postgres(postgres_url)
    open_store(postgres_url).close()
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        shape = _shape(conn)
        tables = [
            str(name)
            for name in conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        ]
    engine.dispose()
    assert shape is not None
    dumped = subprocess.run(
        [pg_dump, "--no-owner", "--no-privileges", "--inserts", "-d", postgres_url],
        capture_output=True,
        text=True,
    )
    _reset_postgres(postgres_url)
    if dumped.returncode != 0:  # another major version than the server's, say
        return None
    # psql's meta-commands (\\restrict) are not SQL; the rest is.
    lines = [line for line in dumped.stdout.splitlines() if not line.startswith("\\")]
    # Emptied child tables first; then the migrations' own rows and the sequences, as dumped.
    order = {table.name: i for i, table in enumerate(metadata.sorted_tables)}
    emptied = sorted(tables, key=lambda name: order.get(name, -1), reverse=True)
    refill = [f'DELETE FROM public."{name}";' for name in emptied]
    refill += [
        line for line in lines if line.startswith(("INSERT INTO", "SELECT pg_catalog.setval"))
    ]
    return _MigratedPostgres("\n".join(lines), shape, "\n".join(refill))


def _empty_postgres(url: str, request: pytest.FixtureRequest) -> None:
    """Make the database at URL freshly migrated and empty: in place when it has the migrated
    shape, else dropped (and recreated by `_copy_migrated`)."""
    migrated: _MigratedPostgres | None = request.getfixturevalue("_migrated_postgres")
    if migrated is not None:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.begin() as conn:
                if _shape(conn) == migrated.shape:
                    conn.exec_driver_sql(migrated.refill)
                    return
        finally:
            engine.dispose()
    _reset_postgres(url)


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
        migrated: _MigratedPostgres | None = request.getfixturevalue("_migrated_postgres")
        if migrated is not None:
            with engine.begin() as conn:
                conn.exec_driver_sql(migrated.sql)
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
    _empty_postgres(postgres_url, request)
    _copy_migrated(postgres_url, request)
    opened = open_store(postgres_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def migrated_sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Gives the URL of a migrated, empty SQLite database NAME in the test's folder (a copy of
    the worker's migrated file), for a second node or a `--db` the test's commands open."""

    def make(name: str) -> str:
        url = f"sqlite:///{tmp_path / name}"
        _copy_migrated(url, request)
        return url

    return make


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
