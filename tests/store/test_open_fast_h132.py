"""Opening a store at the newest revision only reads it (helper 132): the migrations' revisions
are read once a process, and Alembic does not run. Every other database still takes the
migration: one a revision behind is upgraded, one at a revision this code does not know is
refused, an empty one is created."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.errors import StoreError
from bigfish.store import Store, base, metadata, open_store
from tests.store.test_migrations import run_migration


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _counting_upgrades(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The targets of every `command.upgrade` open_store runs from now on (it still runs)."""
    calls: list[str] = []
    real: Callable[..., Any] = base.command.upgrade

    def upgrade(cfg: Any, revision: str, *args: Any, **kwargs: Any) -> None:
        calls.append(revision)
        real(cfg, revision, *args, **kwargs)

    monkeypatch.setattr(base.command, "upgrade", upgrade)
    return calls


def _refuse(name: str) -> Callable[..., Any]:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError(f"{name} ran on opening a migrated store")

    return refused


class _Refused:
    """Stands for a lock that opening a migrated store must not take."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        raise AssertionError(f"{self.name} was taken on opening a migrated store")

    def __exit__(self, *_exc: object) -> None:
        return None


def test_opening_a_migrated_store_neither_runs_alembic_nor_reads_the_scripts_again(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = _revision(store_url)
    assert head is not None and base._scripts().head == head
    store.close()
    monkeypatch.setattr(base.command, "upgrade", _refuse("command.upgrade"))
    monkeypatch.setattr(base.ScriptDirectory, "from_config", _refuse("ScriptDirectory"))
    monkeypatch.setattr(base, "_MIGRATING_IN_THIS_PROCESS", _Refused("the migration lock"))
    for migrate_schema in (True, False, True):
        open_store(store_url, migrate_schema=migrate_schema).close()
    assert _revision(store_url) == head
    again = open_store(store_url)
    with again.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    again.close()


def test_a_store_one_revision_behind_is_still_upgraded(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = base._scripts().head  # read already: the fast path's cache is warm
    assert head is not None
    run_migration(store, "downgrade", "-1")
    store.close()
    behind = _revision(store_url)
    assert behind is not None and behind != head
    calls = _counting_upgrades(monkeypatch)
    upgraded = open_store(store_url)
    assert calls == ["head"]
    assert _revision(store_url) == head
    with upgraded.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    upgraded.close()
    calls.clear()
    open_store(store_url).close()  # and then it is at the newest: nothing runs
    assert calls == []


def test_a_store_at_a_revision_this_code_does_not_know_is_still_refused(
    store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert base._scripts().head is not None
    with store.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    store.close()
    calls = _counting_upgrades(monkeypatch)
    for migrate_schema in (True, False):
        with pytest.raises(StoreError, match=r"'ffff'.*newer bigfish"):
            open_store(store_url, migrate_schema=migrate_schema)
    assert calls == []
    assert _revision(store_url) == "ffff"


def test_an_empty_store_is_still_created(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert base._scripts().head is not None
    assert _revision(store_url) is None
    calls = _counting_upgrades(monkeypatch)
    created = open_store(store_url)
    assert calls == ["head"]
    assert _revision(store_url) == base._scripts().head
    with created.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    created.close()


def test_threads_reading_the_scripts_at_once_read_them_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    started = threading.Barrier(8)

    class Slow(base._Scripts):
        def __init__(self) -> None:
            made.append(self)
            threading.Event().wait(0.05)  # every thread reaches _scripts() meanwhile
            super().__init__()

    monkeypatch.setattr(base, "_SCRIPTS", None)
    monkeypatch.setattr(base, "_Scripts", Slow)
    got: list[base._Scripts] = []

    def read() -> None:
        started.wait()
        got.append(base._scripts())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert len(got) == 8 and all(scripts is made[0] for scripts in got)
    assert made[0] is base._scripts()
