"""Review h167 (README "Quick start": `make demo` in a folder whose bigfish-demo/ is not a
demo's). The demo printed "Synthesizing 60 reports into DIR …" and then refused DIR: the
first line said it was doing what it then did not do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app


def test_a_workdir_that_is_not_a_demos_is_refused_before_anything_is_said(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "mine"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("mine", "utf-8")
    result = CliRunner().invoke(
        app, ["demo", "--no-serve", "--reports", "60", "--workdir", str(workdir)]
    )
    assert result.exit_code == 1, result.output
    assert "was not made by `bigfish demo`" in " ".join(result.output.split())
    assert "Synthesizing" not in result.output
    assert sorted(p.name for p in workdir.iterdir()) == ["notes.txt"]
