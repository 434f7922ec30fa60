"""A command that only reads refuses a SQLite database file that does not exist, naming it,
and creates nothing: run in the wrong folder, `bigfish networks` made ./bigfish.db and answered
"no networks yet" (helper 148's walk-through). Commands that write still create it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import Store

READS = [
    ["networks"],
    ["network", "1"],
    ["report", "--out", "{tmp}/r.html", "--period", "2025"],
    ["export", "csv", "--out", "{tmp}/out.csv"],
    ["ingest", "--runs"],
    ["sync", "runs"],
    ["org", "list"],
    ["evidence", "list"],
    ["evidence", "verify-log"],
    ["request", "list", "--org", "th-aoc"],
    ["contact", "list", "--org", "th-aoc"],
    ["key", "list"],
    ["user", "list"],
    ["audit", "verify"],
    ["lookup", "+66812345678"],
]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:2]) for a in READS])
def test_a_command_that_only_reads_refuses_a_database_file_that_does_not_exist(
    tmp_path: Path, args: list[str]
) -> None:
    db = tmp_path / "wrong" / "bigfish.db"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", *argv])
    assert result.exit_code == 1, result.output
    assert f"there is no database '{db}'" in result.output
    assert "give --db" in result.output and "bigfish ingest" in result.output
    assert not db.exists() and not db.parent.exists()


def test_the_default_database_is_not_made_in_the_wrong_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BIGFISH_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["networks"])
    assert result.exit_code == 1 and "there is no database" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_writes_still_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "bigfish.db"
    url = f"sqlite:///{db}"
    added = CliRunner().invoke(app, ["--db", url, "org", "add", "th-aoc", "--country", "TH"])
    assert added.exit_code == 0, added.output
    listed = CliRunner().invoke(app, ["--db", url, "networks"])
    assert listed.exit_code == 0 and "no networks yet" in listed.output


def test_an_existing_empty_database_is_read_as_before(sqlite_store: Store) -> None:
    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", url, "networks"])
    assert result.exit_code == 0 and "no networks yet" in result.output
