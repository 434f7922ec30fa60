from __future__ import annotations

import multiprocessing
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

import bigfish.store
from bigfish.store import Store, create_engine, metadata, migrate, open_store
from bigfish.store.schema import reports


def test_migrations_produce_exactly_the_declared_schema(store: Store) -> None:
    with store.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, metadata) == []


def run_migration(target: Store | sa.Engine, step: str, revision: str) -> None:
    """Run alembic's STEP (upgrade | downgrade) to REVISION on TARGET's database, in one
    transaction: the migration round trips of these tests and of tests/ml/test_suggestions.py."""
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(bigfish.store.__file__).with_name("migrations"))
    )
    engine = target.engine if isinstance(target, Store) else target
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, revision)


_run = run_migration  # the name tests/security/test_audit_signed_head.py imports


def test_0003_page_figures_downgrades_and_upgrades_again(store: Store) -> None:
    assert "page_figures" in sa.inspect(store.engine).get_table_names()
    run_migration(store, "downgrade", "0002")
    assert "page_figures" not in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "0003")
    assert "page_figures" in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0004_request_signatures_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("request_events")}

    assert {"signature", "signed_by"} <= columns()
    run_migration(store, "downgrade", "0003")
    assert not {"signature", "signed_by"} & columns()
    assert "peer_keys" not in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0005_page_figures_facets_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("page_figures")}

    assert "facets" in columns()
    run_migration(store, "downgrade", "0004")
    assert "facets" not in columns() and "rest" in columns()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0006_network_parts_downgrades_and_upgrades_again(store: Store) -> None:
    assert "network_parts" in sa.inspect(store.engine).get_table_names()
    run_migration(store, "downgrade", "0005")
    assert "network_parts" not in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0007_custody_acquisition_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("custody_events")}

    assert "acquisition" in columns()
    run_migration(store, "downgrade", "0006")
    assert "acquisition" not in columns() and "signature" in columns()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0008_report_withdrawals_downgrades_and_upgrades_again(store: Store) -> None:
    assert "report_withdrawals" in sa.inspect(store.engine).get_table_names()
    run_migration(store, "downgrade", "0007")
    assert "report_withdrawals" not in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_0017_reports_content_digest_downgrades_and_upgrades_again(store: Store) -> None:
    engine = store.engine
    rows = _fill(engine)
    assert rows["reports"]["content_digest"] == "v-content_digest"
    with engine.begin() as conn:  # signed records would stop the downgrade at 0024
        conn.execute(sa.text(_UNSIGNED))

    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(engine).get_columns("reports")}

    def count(name: str) -> int:
        with engine.connect() as conn:
            table = metadata.tables[name]
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    assert "content_digest" in columns()
    run_migration(engine, "downgrade", "0016")
    # in place: a copy of reports would have deleted its mentions (ON DELETE CASCADE)
    assert "content_digest" not in columns()
    assert count("reports") == 1 and count("mentions") == 1
    run_migration(engine, "upgrade", "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.select(reports.c.content_digest)).scalar_one() is None
    assert count("mentions") == 1


# Every revision before the newest, with a row in every table it has: the upgrade keeps them
# and reaches exactly the declared schema (types, nullability, indexes, keys, defaults).
_VERSIONS = Path(bigfish.store.__file__).parent / "migrations" / "versions"
EARLIER = sorted(p.name[:4] for p in _VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[:-1]
WHEN = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def _value(column: sa.Column[Any]) -> object:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if column.foreign_keys:
        return 1
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Float):
        return 1.5
    if isinstance(kind, sa.DateTime):
        return WHEN
    if isinstance(kind, sa.JSON):
        return {"ชื่อ": "ข้อความ 🐟", "large": 2**62, "list": [None, True]}
    assert isinstance(kind, sa.String), column
    return f"v-{column.name}"[: kind.length or 100]


def _fill(engine: sa.Engine) -> dict[str, dict[str, object]]:
    # Every table's columns reflected at once: PostgreSQL answers in one query, not one a table.
    present = {
        name: {c["name"] for c in columns}
        for (_schema, name), columns in sa.inspect(engine).get_multi_columns().items()
    }
    rows: dict[str, dict[str, object]] = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name in present:
                names = present[table.name]
                row = {c.name: _value(c) for c in table.columns if c.name in names}
                conn.execute(table.insert().values(**row))
                rows[table.name] = row
    return rows


@pytest.fixture(scope="module")
def _sqlite_at(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An empty SQLite file at each earlier revision, made by one walk up the chain (one
    upgrade a step, as alembic runs each revision on the way to a later one), closed."""
    folder = tmp_path_factory.mktemp("revisions")
    walked = folder / "walked.db"
    engine = create_engine(f"sqlite:///{walked}")
    files = {}
    for revision in EARLIER:
        run_migration(engine, "upgrade", revision)
        engine.dispose()  # the WAL folded into the file before it is copied
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith("walked.db-")]
        assert not leftovers, f"the SQLite file at {revision} is not whole: {leftovers}"
        files[revision] = folder / f"{revision}.db"
        shutil.copyfile(walked, files[revision])
    return files


def _at_revision(store_url: str, revision: str, request: pytest.FixtureRequest) -> sa.Engine:
    """An engine on STORE_URL's empty database brought to REVISION: a copy of the walked
    SQLite file, or PostgreSQL migrated there."""
    if store_url.startswith("sqlite:///"):
        shutil.copyfile(
            request.getfixturevalue("_sqlite_at")[revision], store_url[len("sqlite:///") :]
        )
        return create_engine(store_url)
    engine = create_engine(store_url)
    run_migration(engine, "upgrade", revision)
    return engine


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_at_an_earlier_revision_with_data_upgrades_to_the_declared_schema(
    store_url: str, revision: str, request: pytest.FixtureRequest
) -> None:
    engine = _at_revision(store_url, revision, request)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == revision
    rows = _fill(engine)
    engine.dispose()
    store = open_store(store_url)
    with store.connect() as conn:
        options = {"compare_type": True, "compare_server_default": True}
        assert compare_metadata(MigrationContext.configure(conn, opts=options), metadata) == []
        for name, row in rows.items():
            (kept,) = conn.execute(sa.select(metadata.tables[name])).mappings().all()
            for column, value in row.items():
                got = kept[column]
                if isinstance(got, datetime) and got.tzinfo is None:  # SQLite keeps UTC naive
                    got = got.replace(tzinfo=UTC)
                assert got == value, (name, column)
    store.close()


class _Interrupted(Exception):
    """Stands for a kill, a full disk or a lost connection in the middle of a migration."""


@pytest.mark.parametrize(
    ("start", "statement"),
    [
        (None, "CREATE TABLE reports"),  # the first open of a new store
        ("0003", "CREATE TABLE peer_keys"),  # 0004, after it added request_events' columns
    ],
)
def test_an_interrupted_migration_leaves_the_database_as_it_was(
    store_url: str, start: str | None, statement: str, request: pytest.FixtureRequest
) -> None:
    if start is None:
        engine = create_engine(store_url)
    else:
        engine = _at_revision(store_url, start, request)
        _fill(engine)
    before = sorted(sa.inspect(engine).get_table_names())

    def interrupt(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if statement in sql:
            raise _Interrupted(sql)

    sa.event.listen(engine, "before_cursor_execute", interrupt)
    with pytest.raises(_Interrupted):
        migrate(engine)
    engine.dispose()
    engine = create_engine(store_url)
    assert sorted(sa.inspect(engine).get_table_names()) == before
    if start is not None:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("request_events")}
        assert "signature" not in columns
    engine.dispose()
    store = open_store(store_url)  # and the next open migrates it whole
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        if start is not None:
            assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar() == 1
    store.close()


def _open_in_a_process(url: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        open_store(url).close()
        results.put("opened")
    except Exception as exc:  # reported to the test, which shows it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_store_at_once_all_open_it(store_url: str) -> None:
    # Server workers, an ingest and a cron job may start together on a new or older store:
    # they migrate one after the other, and the later ones find the work done. Each is a
    # process of its own, forked from a server process that imported this module (and so
    # bigfish.store) once: spawned, each imported them itself, about a second of CPU.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    barrier = context.Barrier(3)
    results = context.Queue()
    processes = [
        context.Process(target=_open_in_a_process, args=(store_url, barrier, results))
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join()
    assert outcomes == ["opened"] * 3
    store = open_store(store_url)
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    store.close()


_UNDECIDED = "DELETE FROM script_link_decisions"
_UNSIGNED = "UPDATE custody_events SET recorded_by = NULL"


@pytest.mark.parametrize(
    ("revision", "cleared"),
    [
        # custody records that sign the account that wrote them would no longer verify
        ("0024", []),
        # an analyst's decision on a same-script suggestion cannot be made again
        ("0011", [_UNSIGNED]),
        # a withdrawal from one organization alone (audience_org_id) would widen to every reader
        ("0010", [_UNSIGNED, _UNDECIDED]),
        # withdrawn reports would never be revoked at their readers
        (
            "0008",
            [_UNSIGNED, _UNDECIDED, "UPDATE report_withdrawals SET audience_org_id = NULL"],
        ),
        # a peer's signature of a request's change cannot be made again, nor the operator's pin
        (
            "0004",
            [
                _UNSIGNED,
                _UNDECIDED,
                "DELETE FROM report_withdrawals",
                "UPDATE custody_events SET acquisition = NULL",
            ],
        ),
    ],
)
def test_a_downgrade_that_would_lose_data_is_refused_and_changes_nothing(
    store: Store, revision: str, cleared: list[str]
) -> None:
    _fill(store.engine)
    with store.begin() as conn:
        for statement in cleared:  # what would stop an earlier downgrade on the way
            conn.execute(sa.text(statement))
    run_migration(store, "downgrade", revision)
    before = _counts(store)
    with pytest.raises(RuntimeError, match=f"below {revision}"):
        run_migration(store, "downgrade", f"{int(revision) - 1:04d}")
    assert _counts(store) == before
    with store.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == revision


def _counts(store: Store) -> dict[str, tuple[int, tuple[str, ...]]]:
    inspector = sa.inspect(store.engine)
    found = {}
    with store.connect() as conn:
        for name in inspector.get_table_names():
            columns = tuple(sorted(c["name"] for c in inspector.get_columns(name)))
            count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            found[name] = (int(count), columns)
    return found
