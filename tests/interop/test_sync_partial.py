"""A pull that fails part-way keeps, and says, what it did before: the pages it stored and the
webhook deliveries their alerts made (and those that failed) are in its error's `result`, in
`sync pull --json` (one-shot, status 1, and each turn of `--every`), on stderr for the failed
webhooks (by organization and origin, never the secret), and in its `sync_runs` row with the
error. A pull that ends records its deliveries there too."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import PeerError, StoreError
from bigfish.interop import sync
from bigfish.interop.markings import SHARING_EXTENSION, TLP2_IDS
from bigfish.interop.sync import PullFailed, SyncResult, pull
from bigfish.models import TLP
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import allow_peer
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_hostile import _report
from tests.interop.test_sync_webhooks import DOWN, HOOK, _down_is_down, _listening
from tests.store.test_migrations import run_migration
from tests.webhook_capture import CapturedWebhooks, catch_webhooks

GARBAGE = b"<html>502 Bad Gateway</html>"
#: What `sync pull --json` printed for a pull before failures carried counts.
FIELDS = {
    *("peer", "run", "collections", "received", "stored", "rejected", "new", "updated"),
    *("unchanged", "withdrawn", "webhooks", "webhooks_failed"),
}
DOWN_NAMED = "organization LOCAL: https://hooks.down.example:443 answered 500"


def _shared(n: int) -> dict[str, Any]:
    """The peer's report N, TLP:GREEN for the partnership: it alerts LOCAL, which holds its
    phone."""
    report: dict[str, Any] = _report(n)
    sharing = {"extension_type": "property-extension", "distribution": "partnership"}
    extensions = {**report["extensions"], SHARING_EXTENSION: sharing}
    return report | {"object_marking_refs": [TLP2_IDS[TLP.GREEN]], "extensions": extensions}


class _GoodThenGarbage:
    """A peer's objects: page 1 (reports 1 and 2, `next` 1), then garbage for the next page
    FAILURES times (a pull asks twice: its token, then again from the start), then page 2
    (report 3, the last)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def __call__(self, query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        if query.get("next") is None:
            body: Any = {"more": True, "next": "1", "objects": [_shared(1), _shared(2)]}
        elif self.failures > 0:
            self.failures -= 1
            body = GARBAGE
        else:
            body = {"more": False, "objects": [_shared(3)]}
        conn.sendall(json_answer(body))


def _run_row(store: Store, run_id: int) -> dict[str, Any]:
    with store.connect() as conn:
        row = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == run_id)).mappings().one()
    return dict(row)


def _held(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one())


def _node_listening(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], CapturedWebhooks]:
    """STORE's organization LOCAL holds the phone the peer's reports name, on a webhook that
    answers and one that answers 500; their secrets, and what the webhooks got."""
    secrets = _listening(store, tmp_path, HOOK, DOWN)
    return secrets, catch_webhooks(monkeypatch, _down_is_down)


def _assert_first_page_only(store: Store, result: SyncResult, caught: CapturedWebhooks) -> None:
    """RESULT, its run's row and STORE hold page 1 (read twice: the second time already held)
    and its deliveries: one to each webhook, the failed one named."""
    assert (result.received, result.stored, result.rejected) == (4, 4, 0)
    assert (result.new, result.unchanged) == (2, 2)
    assert (result.webhooks, result.webhooks_failed) == (caught.delivered, 1) == (1, 1)
    assert len(caught.requests) == 2
    assert result.webhook_problems == (DOWN_NAMED,)
    assert _held(store) == 1 + 2  # LOCAL's own report and page 1's two
    row = _run_row(store, result.run_id)
    assert (row["received"], row["stored"], row["rejected"]) == (4, 4, 0)
    assert (row["webhooks"], row["webhooks_failed"]) == (1, 1)
    assert row["finished_at"] is not None and "did not answer JSON" in row["error"]


def test_a_pull_failing_after_a_page_raises_what_it_stored_and_delivered(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secrets, caught = _node_listening(store, tmp_path, monkeypatch)
    with hostile_peer(_GoodThenGarbage(failures=2)) as peer, caplog.at_level(logging.DEBUG):
        allow_peer(store, peer.base, "hostile peer on loopback")
        with pytest.raises(PeerError, match=r"127\.0\.0\.1:\d+.* did not answer JSON") as failed:
            pull(store, f"{peer.base}/taxii2/", "key")
    assert isinstance(failed.value, PullFailed)
    _assert_first_page_only(store, failed.value.result, caught)
    for secret in secrets:
        assert secret not in caplog.text and secret not in repr(failed.value.result)


def test_a_pull_the_database_fails_part_way_is_a_store_error_with_what_it_did(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error in page 2's transaction (rolled back: counted nowhere) after page 1
    was committed and alerted."""
    _, caught = _node_listening(store, tmp_path, monkeypatch)
    saved = [0]
    real_save = sync.save_position

    def failing_second(*args: Any, **kwargs: Any) -> None:
        saved[0] += 1
        if saved[0] == 2:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("disk I/O error"))
        real_save(*args, **kwargs)

    monkeypatch.setattr(sync, "save_position", failing_second)
    with hostile_peer(_GoodThenGarbage(failures=0)) as peer:
        allow_peer(store, peer.base, "hostile peer on loopback")
        with pytest.raises(StoreError, match=r"^database error: disk I/O error$") as failed:
            pull(store, f"{peer.base}/taxii2/", "key")
    assert isinstance(failed.value, PullFailed)
    result = failed.value.result
    assert (result.received, result.stored, result.new) == (2, 2, 2)  # not page 2's
    assert (result.webhooks, result.webhooks_failed) == (caught.delivered, 1) == (1, 1)
    assert _held(store) == 1 + 2
    row = _run_row(store, result.run_id)
    assert (row["received"], row["stored"], row["webhooks"], row["webhooks_failed"]) == (2, 2, 1, 1)
    assert row["error"] == "database error: disk I/O error"


@pytest.mark.parametrize("as_json", [True, False])
def test_sync_pull_failing_part_way_prints_what_it_stored_and_delivered(
    store: Store,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    as_json: bool,
) -> None:
    """One-shot: status 1 and `error: …` as before; stdout says what was stored and delivered
    (with --json, every field of a pull that ended, with `error`); stderr names the failed
    webhook."""
    secrets, caught = _node_listening(store, tmp_path, monkeypatch)
    with hostile_peer(_GoodThenGarbage(failures=2)) as peer, caplog.at_level(logging.DEBUG):
        allow_peer(store, peer.base, "hostile peer on loopback")
        args = ["--db", store_url, "sync", "pull", f"{peer.base}/taxii2/", "--key", "k"]
        done = CliRunner().invoke(app, args + (["--json"] if as_json else []))
    assert done.exit_code == 1, done.output
    assert "error: http://127.0.0.1:" in done.stderr and "did not answer JSON" in done.stderr
    assert "1 of 2 webhook deliveries failed" in done.stderr and DOWN_NAMED in done.stderr
    (line,) = done.stdout.splitlines()
    with store.connect() as conn:
        (run_id,) = conn.execute(sa.select(sync_runs.c.id)).scalars().all()
    if as_json:
        doc = json.loads(line)
        assert set(doc) == FIELDS | {"error"}
        assert doc["peer"] == f"{peer.base}/taxii2/" and "did not answer JSON" in doc["error"]
        assert doc["run"] == run_id
        assert (doc["received"], doc["stored"], doc["rejected"], doc["new"]) == (4, 4, 0, 2)
        assert (doc["webhooks"], doc["webhooks_failed"]) == (caught.delivered, 1) == (1, 1)
    else:
        assert "before the pull failed: received 4 objects: stored 4" in line
        assert "webhooks delivered 1, failed 1" in line
    row = _run_row(store, run_id)
    assert (row["stored"], row["webhooks"], row["webhooks_failed"]) == (4, 1, 1)
    for secret in secrets:
        assert secret not in done.output + caplog.text


def test_sync_pull_every_prints_a_failed_turns_counts_and_goes_on(
    store: Store,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """--every --json: the failed turn's line has `error` and what it stored and delivered; the
    next turn goes on from page 2. Each run's row has its deliveries."""
    secrets, caught = _node_listening(store, tmp_path, monkeypatch)
    monkeypatch.setattr(sync.time, "sleep", lambda seconds: None)
    with hostile_peer(_GoodThenGarbage(failures=2)) as peer, caplog.at_level(logging.DEBUG):
        allow_peer(store, peer.base, "hostile peer on loopback")
        args = ["--db", store_url, "sync", "pull", f"{peer.base}/taxii2/", "--key", "k"]
        done = CliRunner().invoke(app, [*args, "--every", "1", "--runs", "2", "--json"])
    assert done.exit_code == 0, done.output
    failed, ended = [json.loads(line) for line in done.stdout.splitlines()]
    assert set(failed) == FIELDS | {"error"} and "did not answer JSON" in failed["error"]
    assert (failed["stored"], failed["new"], failed["webhooks"], failed["webhooks_failed"]) == (
        4,
        2,
        1,
        1,
    )
    assert set(ended) == FIELDS
    assert (ended["stored"], ended["new"], ended["webhooks"], ended["webhooks_failed"]) == (
        1,
        1,
        1,
        1,
    )
    assert caught.delivered == 2 and len(caught.requests) == 4
    assert done.stderr.count(DOWN_NAMED) == 2
    first, second = _run_row(store, failed["run"]), _run_row(store, ended["run"])
    assert (first["stored"], first["webhooks"], first["webhooks_failed"]) == (4, 1, 1)
    assert "did not answer JSON" in first["error"]
    assert (second["stored"], second["webhooks"], second["webhooks_failed"]) == (1, 1, 1)
    assert second["error"] is None and second["finished_at"] is not None
    for secret in secrets:
        assert secret not in done.output + caplog.text


def test_0014_sync_run_deliveries_downgrades_and_upgrades_again(store: Store) -> None:
    """Below 0014 the runs stay, without their deliveries and errors; above, they count 0."""
    with store.begin() as conn:
        conn.execute(
            sync_runs.insert().values(
                peer="https://vn.example.org/taxii2/",
                started_at=sa.func.now(),
                received=3,
                stored=3,
                rejected=0,
                webhooks=2,
                webhooks_failed=1,
                error="failed",
            )
        )

    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("sync_runs")}

    assert {"webhooks", "webhooks_failed", "error"} <= columns()
    run_migration(store, "downgrade", "0013")
    assert not {"webhooks", "webhooks_failed", "error"} & columns()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        row = conn.execute(sa.select(sync_runs)).mappings().one()
    assert (row["stored"], row["webhooks"], row["webhooks_failed"], row["error"]) == (3, 0, 0, None)


def test_a_pull_stopped_by_ctrl_c_is_recorded_as_stopped_with_what_it_did(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during page 2 (before its transaction): the run's row is dated, says it was
    interrupted and keeps page 1's counts; the interrupt goes on as it came. Before, the row
    stayed without `finished_at`, like a pull still running."""
    _, caught = _node_listening(store, tmp_path, monkeypatch)
    saved = [0]
    real_save = sync.save_position

    def interrupted_second(*args: Any, **kwargs: Any) -> None:
        saved[0] += 1
        if saved[0] == 2:
            raise KeyboardInterrupt
        real_save(*args, **kwargs)

    monkeypatch.setattr(sync, "save_position", interrupted_second)
    with hostile_peer(_GoodThenGarbage(failures=0)) as peer:
        allow_peer(store, peer.base, "hostile peer on loopback")
        with pytest.raises(KeyboardInterrupt):
            pull(store, f"{peer.base}/taxii2/", "key")
    with store.connect() as conn:
        (run_id,) = conn.execute(sa.select(sync_runs.c.id)).scalars().all()
    row = _run_row(store, run_id)
    assert row["finished_at"] is not None
    assert row["error"].startswith("KeyboardInterrupt")
    assert (
        (row["received"], row["stored"], row["webhooks"]) == (2, 2, caught.delivered) == (2, 2, 1)
    )
