"""`evidence add` of a pipe says it is no regular file, not that there is no such file."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import open_store
from tests.evidence.conftest import add_report


def test_a_pipe_is_named_as_no_regular_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    pipe = tmp_path / "chat-export"
    os.mkfifo(pipe)
    answer = CliRunner().invoke(
        app,
        [
            "--db",
            url,
            "--data-dir",
            str(tmp_path / "data"),
            "evidence",
            "add",
            str(pipe),
            "--org",
            "TH-AOC",
            "--report",
            "R-1",
            "--by",
            "Somchai",
        ],
    )
    assert answer.exit_code == 1
    assert f"{pipe}: is not a regular file" in answer.stderr
    assert "no such file" not in answer.stderr
