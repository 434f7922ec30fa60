"""The store seam: one SQLAlchemy engine for SQLite (default) or PostgreSQL, migrated on open.

Every problem opening the store is a `ConfigError` (the URL) or a `StoreError` (the database)
naming the setting (`--db` / BIGFISH_DATABASE_URL), never a driver traceback, and never with the
password of the URL: messages show it as ``***``.
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from bigfish.errors import ConfigError, StoreError

DEFAULT_URL = "sqlite:///./bigfish.db"
SETTING = "--db / BIGFISH_DATABASE_URL"
_MIGRATIONS = Path(__file__).with_name("migrations")
# Held for the whole migration on PostgreSQL, so that processes opening the store at once
# (server workers, a cron job) migrate one after the other: the later ones find it done.
_MIGRATION_LOCK = 0x6269_6766_6973_6801  # "bigfish" + 1, any constant the node does not reuse
# Alembic keeps the migration under way in process-wide proxies (`alembic.op`, `alembic.context`):
# two threads migrating at once ran one's DDL on the other's connection, then crashed the
# process. Threads of one process therefore migrate one at a time, whatever their databases.
_MIGRATING_IN_THIS_PROCESS = threading.Lock()
_USERINFO = re.compile(r"^(?P<scheme>[^:/?#]+://)(?P<user>[^/?#]*?):(?P<password>[^/?#]*)@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&#]*")
#: How long a SQLite connection waits for another one's lock before `database is locked`.
BUSY_TIMEOUT_MS = 30_000


def redact(url: str) -> str:
    """URL as it may be shown or logged: a password (in the user part or a query) as ***."""
    shown = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _QUERY_PASSWORD.sub(r"\1***", shown)


def _normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3; a SQLite path starting
    with ~ is in the home directory (SQLite itself would read ~ as a directory's name)."""
    if url.startswith("sqlite:///~"):
        path, sep, query = url[len("sqlite:///") :].partition("?")
        url = f"sqlite:///{Path(path).expanduser()}{sep}{query}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _pause(seconds: float) -> None:
    """Wait between two attempts to switch a new database to WAL (tests replace it)."""
    time.sleep(seconds)


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, waiting for other openers of a new file as long as the busy
    timeout, or the driver's error (still `database is locked`, with how long it waited).

    On a file not yet in WAL mode the pragma reads the header under a SHARED lock, then
    writes it. When another connection took its RESERVED lock in between (another process
    opening the new store at the same moment, a migration under way in rollback mode),
    SQLite answers SQLITE_BUSY at once rather than wait, the busy timeout notwithstanding:
    waiting while holding the SHARED lock could deadlock. Letting go and trying again is
    safe: by then the other usually made the file WAL, and the next try only reads that."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY
            if not busy:
                raise
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError(
                    f"{exc} (another connection kept it locked for "
                    f"{BUSY_TIMEOUT_MS / 1000:g} s while this one opened it)"
                ) from exc
        _pause(delay)
        delay = min(delay * 2, 0.05)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the one writer writes; FULL survives power loss.
    # The busy timeout first: switching a new file to WAL waits as long for other openers.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _parsed(url: str) -> sa.URL:
    """URL parsed, or ConfigError naming the setting (the password never shown)."""
    try:
        parsed = sa.make_url(url)
    except ValueError as exc:  # a port that is not a number
        reason = "its port is not a number" if "int()" in str(exc) else "it cannot be read"
        raise ConfigError(f"{SETTING} {redact(url)!r} is not a database URL: {reason}") from None
    except sa.exc.ArgumentError:  # its message quotes the whole URL, password and all
        raise ConfigError(f"{SETTING} {redact(url)!r} is not a database URL") from None
    if parsed.host is not None and "@" in parsed.host:
        raise ConfigError(
            f"{SETTING} {redact(url)!r}: write an '@' in the user name or password as %40"
        )
    return parsed


def create_engine(url: str) -> Engine:
    """An engine for URL with the pragmas bigfish relies on; ConfigError for a URL it cannot use."""
    url = _normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(_parsed(url), connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                "PostgreSQL needs the postgres extra: pip install 'bigfish[postgres]'"
            ) from exc
        return sa.create_engine(_parsed(url), pool_pre_ping=True)
    raise ConfigError(
        f"unsupported database URL {redact(url)!r} ({SETTING}): use sqlite:///… or postgresql://…"
    )


T = TypeVar("T")
#: Seconds: the most a transaction undone by the database waits, per attempt so far, before
#: it runs again (`Store.transaction`).
RETRY_PAUSE = 0.05
#: SQLSTATEs of a transaction the database undid on its own: serialization failure, deadlock.
_UNDONE = frozenset({"40001", "40P01"})


def _undone_by_the_database(error: StoreError) -> bool:
    """True when ERROR (from `Store.begin`) is a deadlock or serialization failure."""
    cause = error.__cause__
    orig = getattr(cause, "orig", None)
    return getattr(orig, "sqlstate", None) in _UNDONE


class Store:
    """A database with the bigfish schema. Pass it to library functions; it does no domain work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    def transaction(self, work: Callable[[Connection], T], attempts: int = 3) -> T:
        """WORK's result, WORK run in one transaction; run again (ATTEMPTS in all) when the
        database undid the transaction to end a deadlock or a serialization failure, which
        says nothing about the work itself: a report deleted while the background linker
        rewrites its network's members (PostgreSQL aborts one of the two) is deleted at the
        second try instead of answering 503. Any other error is raised at once. Before it runs
        again it waits a random moment (up to `RETRY_PAUSE` seconds times the attempts so far):
        run again at once, the undone transaction can take its first lock before the one that
        won does, and the two deadlock again."""
        for attempt in range(1, attempts + 1):
            try:
                with self.begin() as conn:
                    return work(conn)
            except StoreError as exc:
                if attempt == attempts or not _undone_by_the_database(exc):
                    raise
            time.sleep(random.uniform(0, RETRY_PAUSE * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads."""
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


class _Scripts:
    """What this code's migrations are: every revision they know, and their heads. The same
    for the whole process, so read once (reading them walks every script, ~10 ms)."""

    def __init__(self) -> None:
        script = ScriptDirectory.from_config(_config())
        self.known = frozenset(s.revision for s in script.walk_revisions())
        self.heads = frozenset(script.get_heads())
        #: The single newest revision, as the StoreError names it (None with several heads).
        self.head = next(iter(self.heads)) if len(self.heads) == 1 else None


_SCRIPTS: _Scripts | None = None
_READING_SCRIPTS = threading.Lock()


def _scripts() -> _Scripts:
    """This code's migrations, read on first use by one thread while the others wait."""
    global _SCRIPTS
    scripts = _SCRIPTS
    if scripts is None:
        with _READING_SCRIPTS:
            if _SCRIPTS is None:
                _SCRIPTS = _Scripts()
            scripts = _SCRIPTS
    return scripts


def _current_heads(conn: Connection) -> frozenset[str]:
    """The revisions the database at CONN is at (none for an empty one)."""
    return frozenset(MigrationContext.configure(conn).get_current_heads())


def _check_revision(conn: Connection) -> frozenset[str]:
    """The database's current revisions; StoreError when one is a revision this code does not
    know: a newer bigfish wrote it, and neither migrating it nor using it as it is would be
    safe."""
    scripts = _scripts()
    current = _current_heads(conn)
    for revision in sorted(current):
        if revision not in scripts.known:
            raise StoreError(
                f"the database ({SETTING} {redact(conn.engine.url.render_as_string())!r}) is at "
                f"schema revision {revision!r}, which this version of bigfish does not know "
                f"(its newest is {scripts.head!r}): it was written by a newer "
                "bigfish; upgrade bigfish, or give another database"
            )
    return current


def _at_head(current: frozenset[str]) -> bool:
    """True when a database at the CURRENT revisions has nothing to migrate: it is at this
    code's one head (with several heads, `command.upgrade` decides, and refuses)."""
    scripts = _scripts()
    return scripts.head is not None and current == scripts.heads


def _upgrade(conn: Connection) -> None:
    # Checked again under the migration's locks: another process may have migrated meanwhile.
    if _at_head(_check_revision(conn)):
        return
    cfg = _config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on first use), all or nothing: a
    failure or an interruption leaves the database as it was. Processes that migrate at once
    wait for each other, and so do threads of one process.

    A database already at the newest revision is only read: no lock is taken, and Alembic
    neither loads its environment nor runs. A revision is written only by a migration, which
    commits it with the schema, so a database read at the newest one stays there; any other
    (none, an older one, an unknown one) takes the locked path below, which reads it again."""
    with engine.connect() as conn:
        if _at_head(_current_heads(conn)):
            return
    # Taken before any lock of the database, so that no thread waits for it while holding one.
    with _MIGRATING_IN_THIS_PROCESS:
        _migrate(engine)


def _migrate(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            _upgrade(conn)
        return
    # The sqlite3 module commits DDL as it goes (it opens a transaction only before DML), so a
    # migration stopped half-way left tables it cannot create again. One explicit IMMEDIATE
    # transaction makes it atomic and makes other writers (and migrators) wait for it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _upgrade(conn)
        except BaseException:
            # SQLAlchemy closes the connection on an interruption: closing rolls back too.
            with suppress(Exception):
                raw.rollback()
            raise
        if raw.in_transaction:
            raw.commit()


def _sqlite_file(url: str) -> str | None:
    """The path of URL's SQLite database file (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    if not path or path.startswith("file:"):
        return None
    return path


def _sqlite_exists(url: str) -> None:
    """StoreError unless URL's SQLite database file exists: a command that only reads, run in
    the wrong folder, made a new empty ./bigfish.db and answered "no networks yet"."""
    path = _sqlite_file(url)
    if path is not None and not Path(path).is_file():
        raise StoreError(
            f"there is no database {str(Path(path).absolute())!r} ({SETTING}): give --db the"
            " node's database, or create it by ingesting reports (bigfish ingest FILE --org ORG)"
        )


def _sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file, or StoreError naming the setting."""
    path = _sqlite_file(url)
    if path is None:
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the directory of the database {path!r} ({SETTING}): "
            f"{exc.strerror or exc}"
        ) from None


def _refusal(url: str, exc: sa.exc.DBAPIError) -> StoreError:
    """A StoreError for a database that could not be opened or migrated."""
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    cause = lines[0]
    password = sa.make_url(url).password
    if password and len(str(password)) >= 3:  # a driver may quote what it was given
        cause = cause.replace(str(password), "***")
    return StoreError(f"the database could not be used ({SETTING} {redact(url)!r}): {cause}")


def open_store(
    url: str = DEFAULT_URL, *, migrate_schema: bool = True, create: bool = True
) -> Store:
    """Open (and on first use create and migrate) the store at URL; with CREATE false, a
    SQLite database file that does not exist is a StoreError naming it, and nothing is made.

    ConfigError for a URL bigfish cannot use, StoreError for a database it cannot open, or
    one written by a newer bigfish; both name the setting and never show a password."""
    url = _normalize_url(url)
    if not create:
        _sqlite_exists(url)
    engine = create_engine(url)
    _sqlite_directory(url)
    try:
        if migrate_schema:
            migrate(engine)
        else:
            with engine.connect() as conn:
                _check_revision(conn)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise _refusal(url, exc) from exc
    except StoreError:
        engine.dispose()
        raise
    return Store(engine)
