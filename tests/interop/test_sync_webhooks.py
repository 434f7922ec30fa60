"""Reports arriving from a partner node alert this node's organizations by webhook, as reports
submitted to the API do: a `sync pull` after each committed page, a TAXII POST once stored. A
pull counts its deliveries, and those that failed, as `bigfish ingest` does: in its result, in
`sync pull --json`, and on stderr by organization and origin, never with the webhook's secret."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.accounts import create_key
from bigfish.cli import app
from bigfish.interop.sync import pull
from bigfish.models import ApiRole, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import add_webhook, allow_peer
from tests.interop.builders import (
    LOCATION,
    bank_b_objects_url,
    foreign_report,
    ingest_json,
    partnership,
    sample_reports,
)
from tests.interop.servers import bigfish_server
from tests.webhook_capture import catch_webhooks

HOOK = "https://hooks.local-bank.example/bigfish"
DOWN = "https://hooks.down.example/bigfish"  # answers 500, every time


def _listening(node: Store, tmp_path: Path, *hooks: str) -> list[str]:
    """NODE's organization LOCAL holds the ring's phone and listens on HOOKS; their secrets."""
    local = add_org(node, "LOCAL", country="TH")
    secrets = [add_webhook(node, local.id, hook)[1] for hook in hooks]
    ingest_json(node, tmp_path, "LOCAL", sample_reports("local", "TH", 1), Marking())
    return secrets


def _pulling_node(tmp_path: Path) -> Store:
    """A node whose organization LOCAL holds the ring's phone and listens on a webhook."""
    node = open_store(f"sqlite:///{tmp_path / 'pulling.db'}")
    _listening(node, tmp_path, HOOK)
    return node


def _down_is_down(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500 if request.headers["host"] == "hooks.down.example" else 204)


def _peer_serving(tmp_path: Path) -> tuple[Store, str]:
    """A partner node (SQLite) with the partnership's reports, and VN-POLICE's sync key there."""
    peer = open_store(f"sqlite:///{tmp_path / 'peer.db'}")
    partnership(peer, tmp_path)
    return peer, create_key(peer, org="VN-POLICE", role=ApiRole.SYNC).secret


@pytest.mark.parametrize("webhooks", [True, False])
def test_a_pull_alerts_the_holders_of_what_it_brings(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhooks: bool
) -> None:
    partnership(store, tmp_path)
    key = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    node = _pulling_node(tmp_path)
    caught = catch_webhooks(monkeypatch)
    with bigfish_server(store) as base:
        allow_peer(node, base, "test peer on loopback")
        result = pull(node, f"{base}/taxii2/", key, page=2, webhooks=webhooks)
    assert result.new == 3
    if not webhooks:
        assert caught.requests == []
        return
    assert caught.delivered == len(caught.requests) >= 1  # one per page that alerted
    assert {(r.headers["host"], r.url.path) for r in caught.requests} == {
        ("hooks.local-bank.example", "/bigfish")  # sent to the address checked for that name
    }
    alerts = [a for r in caught.requests for a in json.loads(r.content)["alerts"]]
    about = {(a["report"]["report_id"], a["identifier"]["canonical"]) for a in alerts}
    assert ("shared-0", "+66812345678") in about and ("shared-1", "+66812345678") in about
    # group-0's group is unknown here: kept within its organization, it alerts no one
    assert {report_id for report_id, _ in about} == {"shared-0", "shared-1"}


def test_a_taxii_post_hands_what_it_stored_to_the_webhooks(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(store)
    notified: list[list[int]] = []
    client.app.state.on_reports = notified.append  # type: ignore[attr-defined]
    posted = [LOCATION, foreign_report(1), foreign_report(2)]
    answer = client.post(
        objects_url,
        json={"objects": posted},
        headers=headers | {"Content-Type": "application/taxii+json;version=2.1"},
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["success_count"] == 3, answer.json()
    assert len(notified) == 1 and len(notified[0]) == 2
    again = client.post(  # the same versions again: nothing written, nobody alerted
        objects_url,
        json={"objects": posted},
        headers=headers | {"Content-Type": "application/taxii+json;version=2.1"},
    )
    assert again.status_code == 202 and len(notified) == 1


def test_a_pull_counts_its_deliveries_and_names_the_failed_ones(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The pulling node on both backends: every page's deliveries summed, a failing webhook
    counted and named by organization and origin, its secret nowhere."""
    peer, key = _peer_serving(tmp_path)
    secrets = _listening(store, tmp_path, HOOK, DOWN)
    caught = catch_webhooks(monkeypatch, _down_is_down)
    with bigfish_server(peer) as base, caplog.at_level(logging.WARNING):
        allow_peer(store, base, "test peer on loopback")
        result = pull(store, f"{base}/taxii2/", key, page=2)
    assert result.new == 3
    down = [r for r in caught.requests if r.headers["host"] == "hooks.down.example"]
    # each page that alerted went to both webhooks, all of them counted (pages committed
    # while a webhook was busy go out to it together: one delivery or more, 3627ac5)
    assert result.webhooks == caught.delivered == len(caught.requests) - len(down) >= 1
    assert result.webhooks_failed == len(down) == result.webhooks
    assert result.webhook_problems == (
        "organization LOCAL: https://hooks.down.example:443 answered 500",
    )
    logged = [r.getMessage() for r in caplog.records if r.name == "bigfish.interop.sync"]
    assert logged == [f"webhook not delivered: {result.webhook_problems[0]}"] * len(down)
    for secret in secrets:
        assert secret not in caplog.text and secret not in repr(result)
    with store.connect() as conn:  # the run's row counts them too
        (run,) = conn.execute(sa.select(sync_runs)).mappings().all()
    assert (run["id"], run["stored"], run["webhooks"], run["webhooks_failed"]) == (
        result.run_id,
        result.stored,
        result.webhooks,
        result.webhooks_failed,
    )
    assert run["finished_at"] is not None and run["error"] is None


@pytest.mark.parametrize("webhooks", [True, False])
def test_sync_pull_json_counts_webhooks_and_stderr_names_the_failed_ones(
    store: Store,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    webhooks: bool,
) -> None:
    """`sync pull --json` gives `webhooks` and `webhooks_failed`, as `ingest --json` does, and
    keeps every field it had; the text line counts them; stderr names the failed ones."""
    peer, key = _peer_serving(tmp_path)
    secrets = _listening(store, tmp_path, HOOK, DOWN)
    caught = catch_webhooks(monkeypatch, _down_is_down)
    with bigfish_server(peer) as base:
        allow_peer(store, base, "test peer on loopback")
        args = ["--db", store_url, "sync", "pull", f"{base}/taxii2/", "--key", key]
        args += ["--page", "2", *([] if webhooks else ["--no-webhooks"])]
        as_json = CliRunner().invoke(app, [*args, "--json"])
        again = CliRunner().invoke(app, [*args, "--from-start"])  # the same reports: no alert
    assert as_json.exit_code == 0, as_json.output
    (doc,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert set(doc) == {
        *("peer", "run", "collections", "received", "stored", "rejected", "new", "updated"),
        *("unchanged", "withdrawn", "webhooks", "webhooks_failed"),
    }
    assert again.exit_code == 0 and "already held" in again.stdout, again.output
    assert "webhook" not in again.stdout + again.stderr  # nothing written, nothing sent
    if not webhooks:
        assert (doc["new"], doc["webhooks"], doc["webhooks_failed"]) == (3, 0, 0)
        assert caught.requests == [] and as_json.stderr == ""
        return
    down = sum(1 for r in caught.requests if r.headers["host"] == "hooks.down.example")
    assert (doc["new"], doc["webhooks"], doc["webhooks_failed"]) == (3, caught.delivered, down)
    assert doc["webhooks"] == doc["webhooks_failed"] >= 2
    total = doc["webhooks"] + doc["webhooks_failed"]
    assert f"{down} of {total} webhook deliveries failed" in as_json.stderr
    assert "organization LOCAL: https://hooks.down.example:443 answered 500" in as_json.stderr
    for secret in secrets:
        assert secret not in as_json.output + again.output


def test_an_api_submission_hands_what_it_wrote_to_the_webhooks(
    store: Store, tmp_path: Path
) -> None:
    """The same hand-off as a TAXII POST's (`bigfish.api.deps.hand_off_reports`)."""
    partnership(store, tmp_path)
    client, headers, _ = bank_b_objects_url(store)
    notified: list[list[int]] = []
    client.app.state.on_reports = notified.append  # type: ignore[attr-defined]
    batch = {"reports": sample_reports("bank-b", "TH", 2)}
    answer = client.post("/api/v1/reports", json=batch, headers=headers)
    assert answer.status_code == 200 and answer.json()["stored"] == 2, answer.text
    assert len(notified) == 1 and len(notified[0]) == 2
    rejected = client.post(  # nothing written, nobody alerted
        "/api/v1/reports", json={"reports": [{"report_id": "x"}]}, headers=headers
    )
    assert rejected.status_code == 200 and rejected.json()["stored"] == 0, rejected.text
    assert len(notified) == 1
