"""Several `bigfish` commands in one process (CliRunner, an application embedding `app`): each
command uses the database and data directory it was given, flags or environment as they are
when it runs, and closes the stores it opened; nothing one command set is found by the next."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import bigfish.store
from bigfish.cli import _app, app
from bigfish.organizations import list_orgs
from bigfish.store import Store, open_store
from tests.serve_capture import capture_serve

runner = CliRunner()


def _orgs(url: str) -> list[str]:
    store = open_store(url)
    try:
        return sorted(o.name for o in list_orgs(store))
    finally:
        store.close()


def test_the_environment_is_read_when_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defaults of --db and --data-dir were read from the environment when bigfish.cli was
    imported: a variable set later (CliRunner's env=, a test's monkeypatch, a wrapper that
    imports first) was ignored and the command wrote ./bigfish.db of the working directory."""
    monkeypatch.chdir(tmp_path)  # where the old code's ./bigfish.db would go
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    env = {"BIGFISH_DATABASE_URL": url, "BIGFISH_DATA_DIR": str(tmp_path / "env-data")}
    result = runner.invoke(app, ["org", "add", "A", "--country", "TH"], env=env)
    assert result.exit_code == 0, result.output
    assert _orgs(url) == ["A"]
    assert not (tmp_path / "bigfish.db").exists()
    assert _app.OPTIONS.data_dir == tmp_path / "env-data"
    flagged = f"sqlite:///{tmp_path / 'flag.db'}"  # a flag still wins over the environment
    result = runner.invoke(app, ["--db", flagged, "org", "add", "B", "--country", "VN"], env=env)
    assert result.exit_code == 0, result.output
    assert _orgs(flagged) == ["B"] and _orgs(url) == ["A"]


def test_each_command_closes_the_stores_it_opened_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stores of a run (`_app._invocation().stores`) are filled and emptied within it: the
    global callback registers the closing on the invocation's context, which click closes when
    the command ends, normally, by `typer.Exit` or by an exception. So a store never outlives
    its command, and the next command, with another --db, opens its own."""
    opened: list[tuple[str, Store]] = []
    closed: list[Store] = []
    real_open = bigfish.store.open_store

    def recording_open(url: str, **kwargs: Any) -> Store:
        store = real_open(url, **kwargs)
        real_close = store.close

        def close() -> None:
            closed.append(store)
            real_close()

        store.close = close  # type: ignore[method-assign]
        opened.append((url, store))
        return store

    monkeypatch.setattr(bigfish.store, "open_store", recording_open)
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("one.db", "two.db"))
    real_open(second).close()  # a command that only reads refuses a missing file (h151)
    runs: list[tuple[list[str], int]] = [
        (["--db", first, "org", "add", "A", "--country", "TH"], 0),
        (["--db", second, "org", "list", "--json"], 0),
        (["--db", second, "network", "999", "--json"], 1),  # fails in the store
        (["--db", first, "org", "add", "A", "--country", "TH"], 1),  # already there
        (["--db", second, "org", "list", "--json"], 0),
    ]
    for args, status in runs:
        before = len(opened)
        result = runner.invoke(app, args)
        assert result.exit_code == status, (args, result.output)
        mine = opened[before:]
        assert [url for url, _ in mine] == [args[1]], args
        assert [store for _, store in mine] == closed[before:], args
        assert _app._invocation().stores == []
    assert '"A"' not in runner.invoke(app, ["--db", second, "org", "list", "--json"]).output


def test_serve_leaves_the_environment_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish serve` puts its settings in the environment for its worker processes; run
    in-process it left them there, so the next command without --db used serve's database."""
    ran = capture_serve(monkeypatch, tmp_path)  # restores the variables after the test
    monkeypatch.delenv("BIGFISH_DATABASE_URL")
    monkeypatch.delenv("BIGFISH_DATA_DIR")
    monkeypatch.setenv("BIGFISH_RATE_LIMIT", "77")
    served = f"sqlite:///{tmp_path / 'served.db'}"
    data = ["--data-dir", str(tmp_path / "served-data")]
    result = runner.invoke(app, ["--db", served, *data, "serve", "--port", "8125"])
    assert result.exit_code == 0, result.output
    assert ran["port"] == 8125 and ran["rate_limit"] == "6000"  # set while serving
    assert "BIGFISH_DATABASE_URL" not in os.environ
    assert "BIGFISH_DATA_DIR" not in os.environ
    assert os.environ["BIGFISH_RATE_LIMIT"] == "77"
    monkeypatch.chdir(tmp_path)
    after = runner.invoke(app, ["org", "add", "A", "--country", "TH"])
    assert after.exit_code == 0, after.output
    assert _app.OPTIONS.db_url == "sqlite:///./bigfish.db"
    assert _orgs(f"sqlite:///{tmp_path / 'bigfish.db'}") == ["A"]
    assert not (tmp_path / "served.db").exists()  # serve's store is a stand-in here


@pytest.mark.parametrize(
    "command",
    [
        ["normalize", "--input", "{dir}"],
        ["classify", "--input", "{dir}"],
        ["evidence", "add", "{dir}", "--org", "A", "--report", "r1"],
    ],
)
def test_a_directory_given_as_the_input_file_is_an_input_error_saying_so(
    tmp_path: Path, command: list[str]
) -> None:
    """cli.md: status 1 for a problem with the input, its message saying what and where.
    `normalize --input DIR` was a usage error (2) and `evidence add DIR` said "no such file"
    of a directory that is there."""
    folder = tmp_path / "in"
    folder.mkdir()
    db = ["--db", f"sqlite:///{tmp_path / 'b.db'}", "--data-dir", str(tmp_path / "data")]
    args = [*db, *(part.replace("{dir}", str(folder)) for part in command)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0] and "is a directory" in lines[0].lower()
    assert "Traceback" not in result.output
