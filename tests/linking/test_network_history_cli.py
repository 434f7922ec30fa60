"""`bigfish network ID` as text shows the network's history (created, merges, splits), as its
`--json` always did: an investigator reading the table saw two rings become one with no word."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.linking import update_networks
from bigfish.store import open_store
from tests.linking.conftest import Ingest, report

runner = CliRunner()


def test_a_merge_is_in_the_networks_history(tmp_path: Path, ingest: Ingest) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(url)
    ingest(
        store,
        "th-aoc",
        [report("a1", ("phone", "0811111111")), report("a2", ("phone", "0811111111"))],
    )
    update_networks(store)
    ingest(
        store,
        "th-aoc",
        [report("b1", ("phone", "0822222222")), report("b2", ("phone", "0822222222"))],
    )
    update_networks(store)
    ingest(store, "th-aoc", [report("c1", ("phone", "0811111111"), ("phone", "0822222222"))])
    update_networks(store)
    store.close()
    shown = json.loads(runner.invoke(app, ["--db", url, "networks", "--json"]).output)
    [network] = shown["networks"]
    detail = runner.invoke(app, ["--db", url, "network", str(network["id"]), "--json"])
    events = json.loads(detail.output)["events"]
    merged = [e for e in events if e["kind"] == "merged"]
    assert merged, events
    text = runner.invoke(app, ["--db", url, "network", str(network["id"])])
    assert text.exit_code == 0, text.output
    history = text.output.split("history:\n", 1)[1].splitlines()
    assert len(history) == len(events)
    assert any(
        " merged (" in line and all(str(i) in line for i in merged[0]["other_ids"])
        for line in history
    ), history
