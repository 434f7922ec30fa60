"""`sync pull`: accounted, idempotent, resumable, within markings; from bigfish and medallion."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.accounts import create_key
from bigfish.cli import app
from bigfish.errors import InputError, PeerError
from bigfish.interop.export import stix_objects
from bigfish.interop.sync import SyncResult, pull, pull_every, rejections
from bigfish.interop.views import iter_reports
from bigfish.models import ApiRole, Distribution
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_access import audit_log
from bigfish.webhooks import allow_peer
from tests.interop.builders import partnership
from tests.interop.servers import bigfish_server, medallion_server


def _held(store: Store) -> dict[str, tuple[str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.report_id, reports.c.distribution, organizations.c.name).join(
                organizations, organizations.c.id == reports.c.org_id
            )
        ).all()
    return {r.report_id: (r.distribution, r.name) for r in rows}


@pytest.fixture
def peer_store(tmp_path: Path) -> Store:
    """The pulling node: its own SQLite database."""
    return open_store(f"sqlite:///{tmp_path / 'peer.db'}")


def test_sync_pull_is_accounted_idempotent_and_respects_markings(
    store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)
    key = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    with bigfish_server(store) as base:
        allow_peer(peer_store, base, "test peer on loopback")
        first = pull(peer_store, f"{base}/taxii2/", key, page=7)
        assert first.received == first.stored + first.rejected and first.rejected == 0
        assert (first.new, first.updated) == (3, 0)
        held = _held(peer_store)
        assert set(held) == {"shared-0", "shared-1", "group-0"}  # never own-0, never red-0
        assert held["shared-0"] == ("partnership", "TH-AOC")
        # MEKONG is unknown on the pulling node: the most restrictive distribution
        assert held["group-0"][0] == Distribution.ORGANIZATION.value
        again = pull(peer_store, f"{base}/taxii2/", key, page=7)
        assert again.received == again.stored + again.rejected
        assert (again.new, again.updated) == (0, 0)
        # the node's address (as `org add --node` takes it) is not its TAXII address: said so
        with pytest.raises(PeerError, match=r"give the peer's TAXII address .*/taxii2/"):
            pull(peer_store, base, key)
    with peer_store.connect() as conn:
        views = list(iter_reports(conn, sa.true()))
    assert len(views) == 3 and all(v.source_id for v in views)


def test_sync_refuses_loopback_peers_an_admin_did_not_allow(
    store: Store, peer_store: Store
) -> None:
    with pytest.raises(PeerError, match="internal address"):
        pull(peer_store, "http://127.0.0.1:9/taxii2/", "bf_whatever")
    with pytest.raises(PeerError, match="internal address"):
        pull(peer_store, "http://10.1.2.3/taxii2/", "bf_whatever")


class _Crashing(httpx.BaseTransport):
    """A transport that dies after N requests, as a killed pull would."""

    def __init__(self, after: int) -> None:
        self.left = after
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.left -= 1
        if self.left < 0:
            raise httpx.ConnectError("the pull was killed")
        return self.inner.handle_request(request)


def test_sync_resumes_after_a_crash_and_stores_nothing_twice(
    sqlite_store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(sqlite_store, tmp_path)
    key = create_key(sqlite_store, org="VN-POLICE", role=ApiRole.SYNC).secret
    with bigfish_server(sqlite_store) as base:
        allow_peer(peer_store, base)
        with pytest.raises(PeerError):
            pull(peer_store, f"{base}/taxii2/", key, page=3, transport=_Crashing(5))
        partial = _held(peer_store)
        assert 0 < len(partial) < 3
        resumed = pull(peer_store, f"{base}/taxii2/", key, page=3)
        assert resumed.received == resumed.stored + resumed.rejected
    assert set(_held(peer_store)) == {"shared-0", "shared-1", "group-0"}


def test_sync_pulls_from_the_oasis_reference_server_medallion(
    sqlite_store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(sqlite_store, tmp_path)
    with sqlite_store.connect() as conn:
        views = list(iter_reports(conn, sa.true()))
    shared = [v for v in views if v.report_id.startswith("shared")]
    foreign = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "pattern": "[url:value = 'http://x.example/']",
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
    }
    # medallion reads an extension-definition's own "version" property as the object's version
    ours = [o for o in stix_objects(shared) if o["type"] != "extension-definition"]
    objects = [*ours, foreign]
    with medallion_server(tmp_path, objects, page=5) as url:
        allow_peer(peer_store, url)
        result = pull(peer_store, url, "secret", basic_user="peer", page=5)
    assert result.received == len(objects) == result.stored + result.rejected
    assert result.rejected == 1 and result.new == 2
    [(object_id, reason)] = rejections(peer_store, result.run_id)
    assert object_id == foreign["id"] and "indicator" in reason
    assert _held(peer_store) == {
        "shared-0": ("partnership", "TH-AOC"),
        "shared-1": ("partnership", "TH-AOC"),
    }
    assert Viewer.node_operator().operator


def test_scheduled_pulls_keep_going_when_the_peer_fails_and_never_overlap() -> None:
    now = [0.0]
    slept: list[float] = []
    answers: list[SyncResult | PeerError] = [
        SyncResult("p", 1, 1, 3, 3, 0, 3, 0, 0),
        PeerError("p: ConnectError"),
        SyncResult("p", 3, 1, 0, 0, 0, 0, 0, 0),
    ]

    def once() -> SyncResult:
        now[0] += 70.0  # each pull takes 70 s
        answer = answers.pop(0)
        if isinstance(answer, PeerError):
            raise answer
        return answer

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    got = list(pull_every(once, 60.0, runs=3, sleep=sleep, clock=lambda: now[0]))
    assert [type(g).__name__ for g in got] == ["SyncResult", "PeerError", "SyncResult"]
    assert slept == [0.0, 0.0]  # a pull longer than the interval is followed at once, none after
    now[0], slept[:] = 0.0, []
    answers[:] = [SyncResult("p", 4, 1, 0, 0, 0, 0, 0, 0)] * 2
    list(pull_every(once, 100.0, runs=2, sleep=sleep, clock=lambda: now[0]))
    assert slept == [30.0]  # the next pull starts 100 s after the previous one began
    with pytest.raises(InputError):
        next(pull_every(once, 0, runs=1))


def test_sync_pull_every_prints_one_json_line_per_pull(
    sqlite_store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(sqlite_store, tmp_path)
    key = create_key(sqlite_store, org="VN-POLICE", role=ApiRole.SYNC).secret
    peer_url = str(peer_store.engine.url)
    with bigfish_server(sqlite_store) as base:
        args = ["--db", peer_url, "sync", "pull", f"{base}/taxii2/", "--key", key]
        refused = CliRunner().invoke(app, args)
        assert refused.exit_code == 1 and "internal address" in refused.output
        allowed = CliRunner().invoke(app, ["--db", peer_url, "sync", "allow", f"{base}/taxii2/"])
        assert allowed.exit_code == 0 and allowed.output.strip() == f"allowed {base}"
        result = CliRunner().invoke(app, [*args, "--every", "1", "--runs", "2", "--json"])
        text = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    # objects and reports are told apart: the pull's objects, then what its reports were
    assert text.exit_code == 0 and ": received " in text.stdout, text.output
    assert "(reports: 0 new, 0 updated, 3 already held, 0 withdrawn by the peer; " in text.stdout
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert (first["new"], second["new"], second["unchanged"]) == (3, 0, 3)
    unreachable = ["--db", peer_url, "sync", "pull", "http://10.1.2.3/taxii2/", "--key", "bf_x"]
    down = CliRunner().invoke(app, [*unreachable, "--every", "1", "--runs", "2", "--json"])
    assert down.exit_code == 0, down.output
    errors = [json.loads(line) for line in down.output.splitlines()]
    assert len(errors) == 2 and all("internal address" in e["error"] for e in errors)
    assert key not in result.output + down.output
    # The organizations the pull created on its way have their audit rows, naming the peer.
    with peer_store.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.target)).all()
    created = [target for action, target in rows if action == "org add by sync pull"]
    assert created and all(t.endswith(f" from {base}/taxii2/") for t in created), rows
