"""Review h167 (README "Usage": an ingest stopped by Ctrl-C ends its run row, "interrupted
(Ctrl-C)"). The command then ended with status 130 and nothing on stderr: the operator was not
told which file was cut short, that what it committed is kept, nor where to see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from tests.intake.conftest import csv_text, row

runner = CliRunner()


def test_ctrl_c_names_the_file_and_what_is_kept(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_text([row("r1")]), encoding="utf-8")

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("bigfish.cli.intake.ingest_file", interrupted)
    result = runner.invoke(app, ["--db", store_url, "ingest", str(path), "--org", "A"])
    assert result.exit_code == 130
    assert f"interrupted: {path}" in result.stderr
    assert "bigfish ingest --runs" in result.stderr
