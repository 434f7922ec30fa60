"""The top networks of a period's report are networks of that period: two of their reports or
more fall in it, as "linked networks" counts them. A network was listed when its first and last
reports spanned the period, so November's report said "0 linked networks" on its first page and
then "The largest network links 6 reports" and listed it: five reports of October and one of
November, or even none of November (October and December)."""

from __future__ import annotations

from pathlib import Path

from bigfish.linking.service import rebuild_networks
from bigfish.organizations import add_org
from bigfish.reporting import parse_period, write_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.linking.conftest import jsonl_ingest, report
from tests.reporting.html import words


def _report(store: Store, tmp_path: Path, period: str) -> str:
    out = tmp_path / f"{period}.html"
    write_report(store, Viewer.node_operator(), out, parse_period(period))
    return words(out.read_text("utf-8"))


def test_a_network_is_listed_for_the_periods_that_hold_two_of_its_reports(
    store: Store, tmp_path: Path
) -> None:
    add_org(store, "TH-AOC", country="TH")
    phone = ("phone", "+66877777777")
    rows = [report(f"oct{i}", phone, month=10, day=i + 1, loss="100") for i in range(5)]
    rows += [report("dec0", phone, month=12, day=3, loss="100")]
    jsonl_ingest(tmp_path)(store, "TH-AOC", rows)
    rebuild_networks(store)
    for period in ("2025-11", "2025-12"):  # none, then one of its reports
        text = _report(store, tmp_path, period)
        assert "0 linked networks" in text, period
        assert "No network in this period" in text and "The largest network" not in text, period
    for period in ("2025-10", "2025-Q4", "2025-10..2025-11", "all"):
        text = _report(store, tmp_path, period)
        assert "1 linked networks" in text, period
        assert "The largest network links 6 reports" in text, period
