"""`bigfish ingest FILE…` hands each file's alerts to one queue of webhook deliveries for the
whole command and goes on to the next file without waiting for them: it waits for the
deliveries once, at the end. Each file's line still counts the deliveries that carried its
alerts, printed in the order of the files once they are done. Before, each file waited for its
own deliveries, so a receiver taking 10-30 s a delivery made N files take N times that."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bigfish.alerts import delivery
from bigfish.cli import app
from bigfish.intake import ingest_file
from bigfish.organizations import add_org
from bigfish.webhooks import remove_webhook
from tests.intake.conftest import csv_text, row
from tests.intake.test_ingest_webhooks import (
    OTHER,
    PHONE,
    SHARED,
    Node,
    node,  # noqa: F401  (fixture)
)
from tests.webhook_capture import catch_webhooks
from tests.webhook_receiver import Receiver, hook_up, patient_deliveries, release_when, serving

runner = CliRunner()


def _files(folder: Path, *phones: str) -> list[str]:
    """One file of A's per phone in PHONES, a1.csv with report a1, a2.csv with a2, …"""
    paths = []
    for i, phone in enumerate(phones, 1):
        path = folder / f"a{i}.csv"
        path.write_text(csv_text([row(f"a{i}", phones=phone)]), encoding="utf-8")
        paths.append(str(path))
    return paths


def _ingest(at: Node, files: list[str], *options: str) -> Any:
    return runner.invoke(app, ["--db", at.url, "ingest", *files, "--org", "A", *SHARED, *options])


def _lines(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _alerted(requests: list[httpx.Request]) -> list[str]:
    return sorted(
        a["report"]["report_id"] for r in requests for a in json.loads(r.content)["alerts"]
    )


def test_ctrl_c_on_a_later_file_still_delivers_and_tells_the_earlier_ones(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caught = catch_webhooks(monkeypatch)

    def second_interrupted(store: Any, path: Path, **options: Any) -> Any:
        if path.name == "a2.csv":
            raise KeyboardInterrupt
        return ingest_file(store, path, **options)

    monkeypatch.setattr("bigfish.cli.intake.ingest_file", second_interrupted)
    result = _ingest(node, _files(node.folder, PHONE, PHONE), "--json")
    assert result.exit_code == 130
    assert "interrupted: " in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(line["file"]).name, line["webhooks"]) for line in lines] == [("a1.csv", 1)]
    assert _alerted(caught.requests) == ["a1"]


def test_several_files_wait_for_their_deliveries_once(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caught = catch_webhooks(monkeypatch)
    waits: list[int] = []
    close = delivery._Outbox.close

    def counted(outbox: Any) -> None:
        waits.append(1)
        close(outbox)

    monkeypatch.setattr(delivery._Outbox, "close", counted)
    lines = _lines(_ingest(node, _files(node.folder, PHONE, PHONE, PHONE), "--json"))
    assert len(waits) == 1  # not once a file
    assert [Path(line["file"]).name for line in lines] == ["a1.csv", "a2.csv", "a3.csv"]
    # each file's alert went out in a delivery that succeeded (one or several: shared or not)
    assert [(line["webhooks"], line["webhooks_failed"]) for line in lines] == [(1, 0)] * 3
    assert _alerted(caught.requests) == ["a1", "a2", "a3"]


@pytest.fixture
def receivers(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Receiver, Receiver]]:
    """B's webhook on a receiver that holds its answers (until told), C's on one that answers
    at once; C holds OTHER. Both on loopback, allowed; deliveries wait for them (WAIT)."""
    patient_deliveries(monkeypatch)
    c = add_org(node.store, "C", country="TH")
    held = node.folder / "c.csv"
    held.write_text(csv_text([row("c1", phones=OTHER)]), encoding="utf-8")
    stored = runner.invoke(app, ["--db", node.url, "ingest", str(held), "--org", "C"])
    assert stored.exit_code == 0, stored.output
    remove_webhook(node.store, node.b_id, node.hook_id)  # its name would go to the DNS
    slow, fast = Receiver(hold_until=threading.Event()), Receiver()
    with serving(slow, fast) as origins:
        for receiver, org_id, origin in ((slow, node.b_id, origins[0]), (fast, c.id, origins[1])):
            hook_up(node.store, org_id, receiver, origin)
        yield slow, fast


def test_the_next_file_is_stored_while_a_slow_receiver_holds_the_first_ones_alerts(
    node: Node,  # noqa: F811
    receivers: tuple[Receiver, Receiver],
) -> None:
    slow, fast = receivers
    release_when(slow, fast, "a2")  # B's answer waits until C has file 2's alert
    lines = _lines(_ingest(node, _files(node.folder, PHONE, OTHER), "--json"))
    assert slow.waited == [True]  # released by file 2's alert: file 2 did not wait for it
    # in the order of the files, though file 2's deliveries were done first
    assert [Path(line["file"]).name for line in lines] == ["a1.csv", "a2.csv"]
    assert [(line["webhooks"], line["webhooks_failed"]) for line in lines] == [(1, 0), (1, 0)]
    assert (slow.got, fast.got) == ([["a1"]], [["a2"]])
    assert slow.signed == fast.signed == [True]


def test_the_text_lines_count_each_files_deliveries(
    node: Node,  # noqa: F811
    receivers: tuple[Receiver, Receiver],
) -> None:
    slow, fast = receivers
    release_when(slow, fast, "a2", "a3")
    result = _ingest(node, _files(node.folder, PHONE, OTHER, OTHER))
    assert result.exit_code == 0, result.output
    assert slow.waited[0] is True
    shown = result.stdout.splitlines()
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in shown] == [
        "a1.csv",
        "a2.csv",
        "a3.csv",
    ]
    assert all(line.endswith("; webhooks delivered 1") for line in shown), shown
    assert sorted(slow.ids() + fast.ids()) == ["a1", "a2", "a3"]
