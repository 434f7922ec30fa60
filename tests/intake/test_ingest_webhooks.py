"""`bigfish ingest` tells other organizations by webhook, as the API does: B, which holds a
phone number, receives a signed delivery when A ingests a file mentioning it, on both backends;
never for a report B may not see or for shared infrastructure; nothing with --no-webhooks; and
a webhook that cannot be reached is named on stderr while the file stays stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.webhooks import add_webhook, allow_peer, remove_webhook
from tests.intake.conftest import csv_text, row, stored_ids
from tests.webhook_capture import catch_webhooks

runner = CliRunner()

PHONE = "081-234-5678"  # B holds it; +66812345678
OTHER = "081-999-0000"  # nobody else holds it
HOTLINE = "02-888-8888"  # hotlines-th.json: a bank's published number (shared infrastructure)
HOOK = "https://hooks.b.example/bigfish"
SHARED = ["--tlp", "green", "--distribution", "partnership"]


@dataclass
class Node:
    """A node where B holds PHONE and HOTLINE and has a webhook; A ingests next."""

    store: Store
    url: str
    b_id: int
    hook_id: int
    secret: str
    folder: Path

    def ingest(self, *rows: dict[str, str], options: list[str] | None = None) -> Any:
        """A's file of ROWS ingested with --json and OPTIONS; the CLI's result."""
        path = self.folder / "a.csv"
        path.write_text(csv_text(list(rows)), encoding="utf-8")
        args = ["--db", self.url, "ingest", str(path), "--org", "A", "--json", *(options or [])]
        return runner.invoke(app, args)


@pytest.fixture
def node(store: Store, store_url: str, tmp_path: Path) -> Node:
    b = add_org(store, "B", country="TH", sector="bank")
    add_org(store, "A", country="TH", sector="anti_scam_centre")
    held = tmp_path / "b.csv"
    held.write_text(csv_text([row("b1", phones=PHONE), row("b2", phones=HOTLINE)]), "utf-8")
    stored = runner.invoke(app, ["--db", store_url, "ingest", str(held), "--org", "B"])
    assert stored.exit_code == 0, stored.output
    hook, secret = add_webhook(store, b.id, HOOK)
    return Node(store, store_url, b.id, hook.id, secret, tmp_path)


def _counts(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1
    return lines[0]


def _alerted(request: httpx.Request) -> list[tuple[str, str]]:
    body = json.loads(request.content)
    return [(a["report"]["report_id"], a["identifier"]["canonical"]) for a in body["alerts"]]


def test_b_receives_a_signed_delivery_when_a_ingests_its_phone(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught = catch_webhooks(monkeypatch)
    counts = _counts(node.ingest(row("a1", phones=PHONE), row("a2", phones=OTHER), options=SHARED))
    assert (counts["stored"], counts["webhooks"], counts["webhooks_failed"]) == (2, 1, 0)
    assert caught.delivered == 1 and len(caught.requests) == 1
    request = caught.requests[0]
    assert request.headers["Host"] == "hooks.b.example"
    assert _alerted(request) == [("a1", "+66812345678")]
    timestamp = request.headers["X-Bigfish-Timestamp"]
    expected = hmac.new(
        node.secret.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256
    ).hexdigest()
    assert request.headers["X-Bigfish-Signature"] == f"sha256={expected}"


def test_an_updated_report_alerts_again_as_through_the_api(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught = catch_webhooks(monkeypatch)
    _counts(node.ingest(row("a1", phones=PHONE), options=SHARED))
    counts = _counts(node.ingest(row("a1", phones=PHONE, narrative="corrected"), options=SHARED))
    assert (counts["updated"], counts["webhooks"]) == (1, 1)
    first, again = (json.loads(r.content)["alerts"] for r in caught.requests)
    assert [a["id"] for a in first] == [a["id"] for a in again]  # the same alert: one id


@pytest.mark.parametrize(
    "marking",
    [
        ["--tlp", "red", "--distribution", "partnership"],
        ["--tlp", "green", "--distribution", "organization"],
        [],  # amber, the organization's own
    ],
    ids=["red", "organization", "default"],
)
def test_a_report_b_may_not_see_sends_nothing(
    node: Node, monkeypatch: pytest.MonkeyPatch, marking: list[str]
) -> None:
    caught = catch_webhooks(monkeypatch)
    counts = _counts(node.ingest(row("a1", phones=PHONE), options=marking))
    assert (counts["stored"], counts["webhooks"], counts["webhooks_failed"]) == (1, 0, 0)
    assert caught.requests == []


def test_a_warning_listed_value_sends_nothing(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    caught = catch_webhooks(monkeypatch)
    counts = _counts(node.ingest(row("a1", phones=HOTLINE), options=SHARED))
    assert (counts["stored"], counts["webhooks"]) == (1, 0)
    assert caught.requests == []


def test_no_webhooks_sends_nothing(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    caught = catch_webhooks(monkeypatch)
    counts = _counts(node.ingest(row("a1", phones=PHONE), options=[*SHARED, "--no-webhooks"]))
    assert (counts["stored"], counts["webhooks"], counts["webhooks_failed"]) == (1, 0, 0)
    assert caught.requests == []


def test_an_unreachable_webhook_does_not_fail_the_ingest(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    caught = catch_webhooks(monkeypatch, unreachable)
    result = node.ingest(row("a1", phones=PHONE), row("a2", phones=PHONE), options=SHARED)
    counts = _counts(result)
    assert (counts["stored"], counts["webhooks"], counts["webhooks_failed"]) == (2, 0, 1)
    assert len(caught.requests) == 1  # one delivery for the file's alerts, not retried
    assert "1 of 1 webhook deliveries failed" in result.stderr
    assert "organization B: webhook delivery to https://hooks.b.example:443" in result.stderr
    assert node.secret not in result.stderr
    assert stored_ids(node.store) == ["a1", "a2", "b1", "b2"]


def test_a_closed_port_is_reported_and_the_human_line_counts_it(node: Node, tmp_path: Path) -> None:
    """Without a test double: a webhook on an allowed local port nobody listens on."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends
    allow_peer(node.store, f"http://127.0.0.1:{port}")
    remove_webhook(node.store, node.b_id, node.hook_id)  # its name would go to the DNS
    add_webhook(node.store, node.b_id, f"http://127.0.0.1:{port}/hook")
    path = tmp_path / "a.csv"
    path.write_text(csv_text([row("a1", phones=PHONE)]), encoding="utf-8")
    result = runner.invoke(app, ["--db", node.url, "ingest", str(path), "--org", "A", *SHARED])
    assert result.exit_code == 0, result.output
    assert "received 1 / stored 1" in result.stdout
    assert "webhooks delivered 0, failed 1" in result.stdout
    assert f"http://127.0.0.1:{port}" in result.stderr
    assert stored_ids(node.store) == ["a1", "b1", "b2"]
