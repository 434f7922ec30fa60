"""`bigfish ingest --runs --org NAME` of an organization the node does not have names it and
the command to find or add it, as `key list` and `evidence list` do; "no ingest runs of nosuch
yet" (status 0) hid a mistyped name (helper 148's walk-through)."""

from __future__ import annotations

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import Store


def test_ingest_runs_of_an_unknown_org_names_it_and_the_next_step(
    store: Store, store_url: str
) -> None:
    result = CliRunner().invoke(app, ["--db", store_url, "ingest", "--runs", "--org", "nosuch"])
    assert result.exit_code == 1
    assert "organization 'nosuch' not found; see bigfish org list" in result.output
    assert "no ingest runs" not in result.output
