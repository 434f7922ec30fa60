"""SQLite stores kept for the examples of a property test: one engine per file for the whole
test worker, its file replaced for each example.

A store opened anew for each example costs a new engine, and with it every statement compiled
again (SQLAlchemy keeps compiled statements per engine): about a third of an example of the
linking properties. The engine holds no other state of the database (on SQLite): each example
still starts from its own copy of the file it names."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from bigfish.store import Store, open_store

_kept: dict[Path, Store] = {}


def kept_store(path: Path, source: Path) -> Store:
    """The SQLite store at PATH, its file a fresh copy of SOURCE (closed, its WAL folded in,
    migrated): the same Store (engine) on every call for PATH. The caller closes it (lets go
    of its connections) when its example ends; the next call for PATH does so too."""
    store = _kept.get(path)
    if store is not None:
        store.close()  # no connection left on the file replaced
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    if store is None:
        store = _kept[path] = open_store(f"sqlite:///{path}")  # checks the revision once
    return store


_made: dict[tuple[Path, str], Path] = {}


def made_once(source: Path, label: str, work: Callable[[Store], object]) -> Path:
    """A copy of SOURCE after WORK (closed, its WAL folded in), made once a worker for LABEL,
    beside SOURCE: the set-up every example of a property starts with, run once."""
    key = (source, label)
    if key not in _made:
        folder = source.parent / f"made-{label}"
        folder.mkdir(exist_ok=True)  # made again after a WORK that failed
        path = folder / "bigfish.db"
        shutil.copyfile(source, path)
        store = open_store(f"sqlite:///{path}")
        try:
            work(store)
        finally:
            store.close()
        assert not path.with_name(path.name + "-wal").exists(), path
        _made[key] = path
    return _made[key]
