"""Every `bigfish` command closes the store it opened when it ends, normally or by error: run
in-process (CliRunner, or anyone embedding `bigfish.cli.app`), each run used to leave its
PostgreSQL connections open, until the server refused new clients ("too many clients")."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import Store
from tests.intake.conftest import csv_text, row
from tests.polling import WAIT

runner = CliRunner()

RUNS = 3

#: How long a closed connection's server process may take to leave pg_stat_activity: the client
#: does not wait for it to exit.
SETTLE_SECONDS = WAIT

_OTHER_CONNECTIONS = sa.text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _other_connections(store: Store) -> int:
    """The connections to the test's database other than the one asking."""
    with store.connect() as conn:
        return int(conn.execute(_OTHER_CONNECTIONS).scalar_one())


def _settled_connections(store: Store, at_most: int) -> int:
    """The other connections, once at most AT_MOST (or SETTLE_SECONDS have passed)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    count = _other_connections(store)
    while count > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
        count = _other_connections(store)
    return count


def _commands(url: str, folder: Path) -> list[tuple[list[str], int]]:
    """Commands of several modules, each with its expected exit status: one ingest, reads, and
    ones that fail in the store (an unknown network, a key for an unknown organization)."""
    path = folder / "a.csv"
    path.write_text(csv_text([row("r1"), row("r2", phones="081-999-0000")]), encoding="utf-8")
    db = ["--db", url]
    return [
        ([*db, "ingest", str(path), "--org", "A", "--json"], 0),
        ([*db, "networks", "--json"], 0),
        ([*db, "lookup", "081-234-5678", "--kind", "phone", "--country", "TH", "--json"], 0),
        ([*db, "org", "list", "--json"], 0),
        ([*db, "network", "999", "--json"], 1),
        ([*db, "key", "create", "--org", "nobody", "--json"], 1),
    ]


def test_repeated_commands_leave_no_connection_open(
    pg_store: Store, postgres_url: str, tmp_path: Path
) -> None:
    add_org(pg_store, "A", country="TH", sector="police")
    before = _other_connections(pg_store)
    for _ in range(RUNS):
        for args, status in _commands(postgres_url, tmp_path):
            result = runner.invoke(app, args)
            assert result.exit_code == status, (args, result.output, result.exception)
    after = _settled_connections(pg_store, at_most=before)
    assert after == before, f"{after - before} connections left open by {RUNS} runs"
