"""`bigfish report` from a folder with no node key makes one (the published losses are perturbed
under it): it now says so, naming the path and --data-dir, since a second key gives the same
data other losses, and reports under several keys could be averaged towards the exact ones."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.evidence.node_key import KEY_PATH
from tests.web.conftest import WebPartnership


def test_a_new_key_is_named_and_a_kept_one_is_not(web: WebPartnership, tmp_path: Path) -> None:
    url = str(web.store.engine.url.render_as_string(hide_password=False))
    url = url.replace("postgresql+psycopg://", "postgresql://")
    data = tmp_path / "data"
    argv = ["--db", url, "--data-dir", str(data), "report", "--out", str(tmp_path / "r.html")]
    runner = CliRunner()
    first = runner.invoke(app, argv)
    assert first.exit_code == 0, first.output
    assert f"no node key was at {data / KEY_PATH}; one was created" in first.stderr
    assert "--data-dir" in first.stderr
    again = runner.invoke(app, argv)
    assert again.exit_code == 0 and "note:" not in again.stderr
