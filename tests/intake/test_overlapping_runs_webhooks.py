"""Two ingest runs of one organization that overlap (two processes, or a file being ingested
while the same report comes again): a report the first run wrote and the second found
unchanged is the second's (`ingest_run`), but stamped before the second began. Its alerts must
still reach the webhooks once, by one run or the other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.alerts import send_ingest_webhooks
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.webhooks import add_webhook
from tests.intake.conftest import csv_text, row
from tests.webhook_capture import CapturedWebhooks, catch_webhooks

PHONE = "081-234-5678"  # B holds it
SHARED = Marking(tlp=TLP.GREEN, distribution=Distribution.PARTNERSHIP)


@pytest.fixture
def node(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, CapturedWebhooks]]:
    caught = catch_webhooks(monkeypatch)
    store = open_store(store_url)
    try:
        b = add_org(store, "B", country="TH", sector="bank")
        add_org(store, "A", country="TH", sector="anti_scam_centre")
        held = tmp_path / "b.csv"
        held.write_text(csv_text([row("b1", phones=PHONE)]), "utf-8")
        ingest_file(store, held, org="B", marking=SHARED)
        add_webhook(store, b.id, "https://hooks.b.example/bigfish")
        yield store, caught
    finally:
        store.close()


def test_a_report_sent_again_unchanged_by_an_overlapping_run_is_pushed_once(
    node: tuple[Store, CapturedWebhooks], tmp_path: Path
) -> None:
    store, caught = node
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(csv_text([row("a1", phones=PHONE, narrative="one")]), "utf-8")
    second.write_text(csv_text([row("a1", phones=PHONE, narrative="one")]), "utf-8")
    run_one = ingest_file(store, first, org="A", marking=SHARED)
    # The second run begins after a1 was written, and finds it unchanged, before the first
    # run's webhooks go out (another process; or a1 in the first run's first batch of many).
    run_two = ingest_file(store, second, org="A", marking=SHARED)
    assert (run_one.stored, run_two.updated) == (1, 1)
    sent = send_ingest_webhooks(store, run_one.run_id).delivered
    sent += send_ingest_webhooks(store, run_two.run_id).delivered
    assert (sent, len(caught.requests)) == (1, 1)
