"""`bigfish demo --no-serve`: a small partnership end to end through the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.accounts import authenticate_user
from bigfish.cli import app
from bigfish.demo import build_demo
from bigfish.linking.service import list_networks
from bigfish.sharing import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import reports

# The demo makes a dozen users: at argon2's full price their hashes were half of each run.
pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.mark.slow
def test_demo_command_prints_ingest_statistics_and_networks(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--no-serve", "--reports", "1500", "--workdir", str(workdir)]
    )
    assert result.exit_code == 0, result.output
    assert "received" in result.output and "stored" in result.output
    assert "networks" in result.output and "password for this demo" in result.output
    assert (workdir / "bigfish.db").exists()


@pytest.mark.slow
def test_demo_partnership_shares_at_every_level_and_its_users_sign_in(tmp_path: Path) -> None:
    store, result = build_demo(tmp_path / "demo", reports=1500, seed=3)
    stored = sum(r.stored for r in result.results)
    assert stored == sum(r.received for r in result.results) - sum(
        r.rejected for r in result.results
    )
    with store.connect() as conn:
        levels = set(conn.execute(sa.select(reports.c.distribution).distinct()).scalars())
    assert levels == {"organization", "group", "partnership"}
    assert authenticate_user(store, "th-aoc-analyst", result.password) is not None
    assert authenticate_user(store, "th-aoc-analyst", "wrong password!") is None
    page = list_networks(store, Viewer.node_operator(), top=5)
    assert page.networks and all(n.to_json()["report_count"] >= 2 for n in page.networks)


@pytest.mark.slow
def test_demo_never_removes_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work", "utf-8")
    runner = CliRunner()
    refused = runner.invoke(
        app, ["demo", "--no-serve", "--reports", "60", "--workdir", str(precious)]
    )
    assert refused.exit_code == 1 and "not made by `bigfish demo`" in refused.output
    assert (precious / "thesis.txt").read_text("utf-8") == "years of work"
    again = tmp_path / "demo"
    for _ in range(2):  # a new directory, then the demo's own again
        made = runner.invoke(
            app, ["demo", "--no-serve", "--reports", "60", "--workdir", str(again)]
        )
        assert made.exit_code == 0, made.output
    assert (again / "bigfish.db").exists()


def test_demo_closes_its_store_when_building_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error after the store is opened (here: linking) leaves no pooled connection behind:
    the caller never receives the store to close it."""
    import bigfish.demo as demo

    opened: list[Store] = []

    def open_and_keep(url: str) -> Store:
        store = open_store(url)
        opened.append(store)
        return store

    def broken_rebuild(store: Store) -> None:
        raise RuntimeError("linking failed")

    monkeypatch.setattr(demo, "open_store", open_and_keep)
    monkeypatch.setattr(demo, "rebuild_networks", broken_rebuild)
    with pytest.raises(RuntimeError, match="linking failed"):
        build_demo(tmp_path / "demo", reports=60, seed=3)
    assert len(opened) == 1
    assert opened[0].engine.pool.checkedin() == 0  # disposed: its pool holds nothing
