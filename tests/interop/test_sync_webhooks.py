"""Reports arriving from a partner node alert this node's organizations by webhook, as reports
submitted to the API do: a `sync pull` after each committed page, a TAXII POST once stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.accounts import create_key
from bigfish.interop.sync import pull
from bigfish.models import ApiRole, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
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


def _pulling_node(tmp_path: Path) -> Store:
    """A node whose organization LOCAL holds the ring's phone and listens on a webhook."""
    node = open_store(f"sqlite:///{tmp_path / 'pulling.db'}")
    local = add_org(node, "LOCAL", country="TH")
    add_webhook(node, local.id, HOOK)
    ingest_json(node, tmp_path, "LOCAL", sample_reports("local", "TH", 1), Marking())
    return node


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
