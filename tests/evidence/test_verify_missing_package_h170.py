"""`bigfish evidence verify` given a path with no file (a typo in the package's name) says there
is no such file, naming it once, without Python's errno text."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app


def test_a_missing_package_is_named_once(tmp_path: Path) -> None:
    missing = tmp_path / "case-0001.zip"
    result = CliRunner().invoke(app, ["evidence", "verify", str(missing)])
    assert result.exit_code == 1
    assert "Errno" not in result.stderr
    assert result.stderr.count(str(missing)) == 1
    assert "no such file" in result.stderr.lower()
