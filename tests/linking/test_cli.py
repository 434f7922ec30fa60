"""`bigfish link`, `networks`, `network`, `pin`: the JSON contract of spec/cli.md."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import open_store
from tests.linking.conftest import Ingest, report

runner = CliRunner()


def test_networks_json_contract(tmp_path: Path, ingest: Ingest) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = open_store(url)
    ingest(
        store,
        "th-aoc",
        [
            report("r1", ("phone", "0812345678"), ("phone", "02-888-8888"), loss="1000"),
            report("r2", ("phone", "+66812345678"), country="VN"),
            report("r3", ("phone", "02-888-8888")),
            report("r4", ("phone", "02-888-8888")),
        ],
    )
    store.close()
    pin = runner.invoke(
        app, ["--db", url, "pin", "0899999999", "--kind", "phone", "--country", "TH", "--no-link"]
    )
    assert pin.exit_code == 0 and "+66899999999" in pin.output
    linked = runner.invoke(app, ["--db", url, "link", "--json"])
    assert linked.exit_code == 0, linked.output
    assert json.loads(linked.output)["mode"] == "rebuild"
    result = runner.invoke(app, ["--db", url, "networks", "--json", "--top", "5"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc) == ["networks"]
    [network] = doc["networks"]
    assert list(network) == [
        "id", "score", "reports", "report_count", "countries", "organizations",
        "total_loss_usd", "first_seen", "last_seen", "identifiers",
    ]  # fmt: skip
    assert network["reports"] == [
        {"org": "th-aoc", "report_id": "r1"},
        {"org": "th-aoc", "report_id": "r2"},
    ]
    assert network["report_count"] == 2 and network["countries"] == ["TH", "VN"]
    assert isinstance(network["total_loss_usd"], float) and network["total_loss_usd"] > 0
    assert network["identifiers"] == [
        {"kind": "phone", "canonical": "+66812345678", "report_count": 2}
    ]
    detail = runner.invoke(app, ["--db", url, "network", str(network["id"]), "--json"])
    assert detail.exit_code == 0, detail.output
    explained = json.loads(detail.output)
    assert explained["links"][0]["reports"] == network["reports"]
    assert explained["not_linking"][0]["reason"] == "warning_list"
    table = runner.invoke(app, ["--db", url, "networks"])
    assert table.exit_code == 0 and "+66812345678" in table.output


def test_unknown_network_and_bad_pin_exit_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    open_store(url).close()  # a command that only reads refuses a missing file (h151)
    missing = runner.invoke(app, ["--db", url, "network", "404"])
    assert missing.exit_code == 1 and "not found" in missing.output
    bad = runner.invoke(app, ["--db", url, "pin", "x", "--kind", "fax", "--link"])
    assert bad.exit_code == 1 and "kind" in bad.output
