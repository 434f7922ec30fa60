"""`bigfish sync runs`: the pulls of partner nodes as their `sync_runs` rows tell them.

Real pulls against a TAXII peer on loopback make a failed run and a finished one; a run
killed before it ended is a row without `finished_at` (as a SIGKILL leaves it,
tests/interop/test_sync_kill_h121.py), which the next pull of that peer marks as not finished;
a run of another peer is under way. The listing says how each ended and what it counted,
and never shows the key the pulls used.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.interop.sync import DID_NOT_FINISH
from bigfish.store import Store
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import allow_peer
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_hostile import _report

KEY = "peer-key-h126-never-shown"
OTHER = "https://vn.example.org/taxii2/"
KILLED_AT = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


class _GarbageThenGood:
    """A peer's objects: garbage on the first objects request, then one report, the last."""

    def __init__(self) -> None:
        self.garbage = True

    def __call__(self, query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        if self.garbage:
            self.garbage = False
            conn.sendall(json_answer(b"<html>502 Bad Gateway</html>"))
        else:
            conn.sendall(json_answer({"more": False, "objects": [_report(1)]}))


def _insert_run(store: Store, peer: str, **counts: int) -> int:
    """A run that never ended, as a killed pull leaves its row."""
    with store.begin() as conn:
        return int(
            conn.execute(
                sync_runs.insert()
                .values(peer=peer, started_at=KILLED_AT, **counts)
                .returning(sync_runs.c.id)
            ).scalar_one()
        )


def _invoke(store_url: str, *args: str) -> Any:
    done = CliRunner().invoke(app, ["--db", store_url, *args])
    assert done.exit_code == 0, done.output
    assert KEY not in done.output
    return done


def _runs_of_every_kind(store: Store, store_url: str) -> str:
    """A killed run, a failed pull and a finished one of one peer, and a run of OTHER under
    way; the peer's URL as its runs record it."""
    with hostile_peer(_GarbageThenGood()) as peer:
        peer_url = f"{peer.base}/taxii2/"
        allow_peer(store, peer.base, "test peer on loopback")
        _insert_run(store, peer_url, received=3, stored=2, rejected=1, webhooks=4)
        pull = ["--db", store_url, "sync", "pull", peer_url, "--key", KEY, "--no-webhooks"]
        failed = CliRunner().invoke(app, pull)
        assert failed.exit_code == 1 and "did not answer JSON" in failed.stderr, failed.output
        _invoke(store_url, "sync", "pull", peer_url, "--key", KEY, "--no-webhooks")
    _insert_run(store, OTHER, received=7, stored=7, webhooks_failed=2)
    return peer_url


def test_sync_runs_json_lists_every_run_newest_first_with_how_it_ended(
    store: Store, store_url: str
) -> None:
    peer_url = _runs_of_every_kind(store, store_url)
    (line,) = _invoke(store_url, "sync", "runs", "--json").stdout.splitlines()
    runs = json.loads(line)["runs"]
    assert [r["run"] for r in runs] == [4, 3, 2, 1]
    assert [r["peer"] for r in runs] == [OTHER, peer_url, peer_url, peer_url]
    assert [r["status"] for r in runs] == ["not_ended", "finished", "failed", "did_not_finish"]
    under_way, finished, failed, killed = runs
    assert set(under_way) == {
        *("run", "peer", "started_at", "finished_at", "status", "error"),
        *("received", "stored", "rejected", "webhooks", "webhooks_failed"),
    }
    assert under_way["started_at"] == "2026-11-30T23:00:00+00:00"
    assert (under_way["finished_at"], under_way["error"]) == (None, None)
    assert (under_way["received"], under_way["webhooks_failed"]) == (7, 2)
    assert finished["error"] is None and finished["finished_at"] is not None
    assert (finished["received"], finished["stored"], finished["rejected"]) == (1, 1, 0)
    assert failed["finished_at"] is not None and "did not answer JSON" in failed["error"]
    assert (killed["finished_at"], killed["error"]) == (None, DID_NOT_FINISH)
    assert (killed["received"], killed["stored"], killed["rejected"]) == (3, 2, 1)
    assert (killed["webhooks"], killed["webhooks_failed"]) == (4, 0)


def test_sync_runs_text_says_how_each_run_ended_and_what_it_counted(
    store: Store, store_url: str
) -> None:
    peer_url = _runs_of_every_kind(store, store_url)
    out = _invoke(store_url, "sync", "runs").stdout
    blocks = out.strip().split("\nrun ")
    assert len(blocks) == 4
    under_way, finished, failed, killed = blocks
    assert under_way.startswith(f"run 4 from {OTHER}: under way, or stopped without ending\n")
    assert "started 2026-11-30T23:00:00+00:00, finished -" in under_way
    assert "received 7: stored 7, rejected 0; webhooks delivered 0, failed 2" in under_way
    assert finished.startswith(f"3 from {peer_url}: finished\n")
    assert "received 1: stored 1, rejected 0" in finished
    assert failed.startswith(f"2 from {peer_url}: failed: ") and "did not answer JSON" in failed
    assert killed.startswith(f"1 from {peer_url}: did not finish (killed or machine stopped)\n")
    assert "received 3: stored 2, rejected 1; webhooks delivered 4, failed 0" in killed


def test_sync_runs_of_one_peer_and_the_newest_only(store: Store, store_url: str) -> None:
    peer_url = _runs_of_every_kind(store, store_url)

    def listed(*options: str) -> list[int]:
        (line,) = _invoke(store_url, "sync", "runs", "--json", *options).stdout.splitlines()
        return [r["run"] for r in json.loads(line)["runs"]]

    assert listed("--peer", peer_url) == [3, 2, 1]
    assert listed("--peer", peer_url.rstrip("/")) == [3, 2, 1]  # as `sync pull` takes it
    assert listed("--peer", OTHER, "--limit", "5") == [4]
    assert listed("--limit", "2") == [4, 3]
    assert listed("--peer", "https://nobody.example.org/taxii2/") == []
    none = _invoke(store_url, "sync", "runs", "--peer", "https://nobody.example.org/taxii2/")
    assert none.stdout == "no sync runs of https://nobody.example.org/taxii2/ yet\n"


def test_sync_runs_reads_only(store: Store, store_url: str) -> None:
    """Listing runs marks nothing: a run that never ended stays as it is until the next pull
    of its peer."""
    run = _insert_run(store, OTHER)
    _invoke(store_url, "sync", "runs")
    with store.connect() as conn:
        row = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == run)).mappings().one()
    assert (row["finished_at"], row["error"]) == (None, None)


def test_sync_runs_on_a_node_that_never_pulled(store: Store, store_url: str) -> None:
    assert _invoke(store_url, "sync", "runs").stdout == "no sync runs yet\n"
    assert json.loads(_invoke(store_url, "sync", "runs", "--json").stdout) == {"runs": []}
