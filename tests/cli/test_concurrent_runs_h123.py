"""Two `bigfish` runs at once in one process each use their own --db and --data-dir.

The global options lived in one module-level object the callback wrote, and the stores a
command opened in one module-level list: run from two threads (tests, an application
embedding `app`, the API running a command's function), the second run's callback changed
the first run's database, and the first run to end closed the other's stores.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

import bigfish.cli.intake
import bigfish.store
from bigfish.cli import _app, app
from bigfish.organizations import list_orgs
from bigfish.store import Store, open_store

NAMES = ("th-aoc", "vn-police")
#: What `org list --json` adds for an organization of this node (no node, no key pinned).
NO_NODE = {"node": None, "node_key": None, "node_key_pinned_by": None}


def _orgs(url: str) -> list[str]:
    store = open_store(url)
    try:
        return sorted(o.name for o in list_orgs(store))
    finally:
        store.close()


def _run(args: list[str]) -> Any:
    """`bigfish ARGS` in this thread, as an application embedding `app` runs it (CliRunner
    swaps the process's sys.stdout, which two threads at once cannot share): the exit status
    a command ended with, None when it returned."""
    return app(args, prog_name="bigfish", standalone_mode=False)


def test_two_runs_at_once_each_write_and_read_their_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in NAMES}
    for url in urls.values():
        open_store(url).close()  # created and migrated here, one at a time
    _run(["--db", urls[NAMES[0]], "org", "list", "--json"])  # commands imported here first
    capsys.readouterr()
    both_inside = threading.Barrier(len(NAMES), timeout=120)
    real_command_store = bigfish.cli.intake.command_store
    real_open = bigfish.store.open_store
    opened: list[tuple[int, Store]] = []
    closed: list[tuple[int, Store]] = []

    def command_store_when_both_run(**kwargs: Any) -> Store:
        both_inside.wait()  # both runs have parsed their options and entered their command
        return real_command_store(**kwargs)

    def recording_open(url: str, **kwargs: Any) -> Store:
        store = real_open(url, **kwargs)  # at once in both threads (migrate() serialises)
        real_close = store.close

        def close() -> None:
            closed.append((threading.get_ident(), store))
            real_close()

        store.close = close  # type: ignore[method-assign]
        opened.append((threading.get_ident(), store))
        return store

    monkeypatch.setattr(bigfish.cli.intake, "command_store", command_store_when_both_run)
    monkeypatch.setattr(bigfish.store, "open_store", recording_open)
    statuses: dict[str, list[Any]] = {name: [] for name in NAMES}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        db = ["--db", urls[name], "--data-dir", str(tmp_path / f"{name}-data")]
        try:
            statuses[name].append(_run([*db, "org", "add", name, "--country", "TH"]))
            statuses[name].append(_run([*db, "org", "list", "--json"]))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            both_inside.abort()

    threads = [threading.Thread(target=run, args=(name,)) for name in NAMES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert statuses == {name: [None, None] for name in NAMES}
    for name in NAMES:
        assert _orgs(urls[name]) == [name]  # each wrote its own database
    out = capsys.readouterr().out.splitlines()
    assert sorted(line for line in out if line.startswith("added")) == [
        f"added {name} (TH)" for name in NAMES
    ]
    lists = (json.loads(line) for line in out if line.startswith('{"organizations"'))
    listed = sorted(lists, key=json.dumps)
    assert listed == [  # and each read its own
        {"organizations": [{"name": name, "country": "TH", "sector": None, **NO_NODE}]}
        for name in NAMES
    ]
    assert len(opened) == 2 * len(NAMES)
    by_thread = sorted((thread, id(store)) for thread, store in opened)
    assert by_thread == sorted((thread, id(store)) for thread, store in closed)  # by its run
    assert _app._invocation().stores == []


def test_options_are_those_of_the_run_in_this_thread(tmp_path: Path) -> None:
    """OPTIONS reads the run of the thread that asks; a thread that has run nothing reads
    the defaults, not another thread's --db."""
    url = f"sqlite:///{tmp_path / 'main.db'}"
    _run(["--db", url, "--data-dir", str(tmp_path / "main-data"), "org", "list", "--json"])
    seen: dict[str, object] = {}

    def read() -> None:
        seen["db_url"] = _app.OPTIONS.db_url
        seen["data_dir"] = _app.OPTIONS.data_dir

    other = threading.Thread(target=read)
    other.start()
    other.join()
    assert seen == {"db_url": "sqlite:///./bigfish.db", "data_dir": Path("./bigfish-data")}
    assert (_app.OPTIONS.db_url, _app.OPTIONS.data_dir) == (url, tmp_path / "main-data")
