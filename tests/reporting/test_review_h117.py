"""Review (helper-117) of the statistics report's perturbed losses: every loss the document shows,
in its text and its charts, is the published one, and a loss not published cannot be read off
anything else in it (a table's order, a network's score)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bigfish.reporting import charts, compute_statistics, parse_period, write_report
from bigfish.reporting.disclosure import MIN_CELL, OTHER, pooled, rounded_loss
from bigfish.reporting.stats import Statistics, Tally
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.reporting.html import words as _text

#: A fixed secret: the figures below are those of this secret every time.
SECRET = b"helper-117: a fixed secret for the tests, never a node's"

NOW = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong."""
    yield from build_partnership(sqlite_store)


def _usd(
    report_id: str, country: str, amount: str, month: str, phone: str, scam_type: str
) -> dict[str, object]:
    return report(
        report_id,
        country=country,
        phone=phone,
        scam_type=scam_type,
        loss_amount=amount,
        loss_currency="USD",
        reported_at=f"2025-{month}-1{len(report_id) % 10}T10:00:00Z",
    )


def _submit(p: Partnership) -> None:
    """TH: 8 reports of some $50,000 (one network); PH: 6 reports of which 2 state $30,000 (a
    network of its own: its loss is not published); VN: 7 reports of some $10,500 (not published
    beside PH's); MY: 9 reports of some $5,400; KH and LA: 5 reports pooled into "Other"."""
    rows: list[dict[str, object]] = []
    months = ("10", "11", "12")
    for i in range(8):
        amount = f"{6173.29 + 17 * i:.2f}"
        rows.append(_usd(f"th{i}", "TH", amount, months[i % 3], "+66812345678", "investment"))
    for i in range(6):
        amount = "15000.37" if i < 2 else "0"
        rows.append(_usd(f"ph{i}", "PH", amount, months[i % 3], "+639171234567", "romance"))
    for i in range(7):
        phone = f"+8491234{5670 + i}"
        rows.append(_usd(f"vn{i}", "VN", f"{1511.13 + i:.2f}", months[i % 3], phone, "job_task"))
    for i in range(9):
        phone = f"+6012345{6780 + i}"
        rows.append(_usd(f"my{i}", "MY", f"{601.17 + i:.2f}", months[i % 3], phone, "job_task"))
    for i in range(3):
        phone = f"+85512345{670 + i}"
        rows.append(_usd(f"kh{i}", "KH", "777.71", months[i % 3], phone, "investment"))
    for i in range(2):
        phone = f"+85620234{5670 + i}"
        rows.append(_usd(f"la{i}", "LA", "3333.33", months[i % 3], phone, "job_task"))
    answer = p.submit("B", rows, distribution="partnership", tlp="green")
    assert answer["rejected"] == [], answer["rejected"]
    from bigfish.linking.service import rebuild_networks

    rebuild_networks(p.store)


def _write(p: Partnership, tmp_path: Path, secret: bytes | None = SECRET) -> str:
    out = tmp_path / "summit.html"
    write_report(p.store, Viewer.node_operator(), out, parse_period("2025"), now=NOW, secret=secret)
    return out.read_text("utf-8")


def _exact_losses(p: Partnership) -> list[float]:
    """Every loss of a cell of the report, exact: the period's, each country's, month's and
    typology's, each "Other"'s and each network's."""
    from bigfish.reporting.document import _top_networks

    stats = compute_statistics(p.store, Viewer.node_operator(), parse_period("2025"), now=NOW)
    losses = [stats.loss_usd]
    for table in (stats.by_country, stats.by_month, stats.by_typology):
        losses += [t.loss_usd for t in table]
        losses += [t.loss_usd for t in pooled(table, MIN_CELL) if t.key == OTHER]
    networks = _top_networks(p.store, Viewer.node_operator(), parse_period("2025"), 10)
    losses += [n.stats.total_loss_usd for n in networks]
    return [x for x in losses if x > 0]


def test_no_exact_loss_of_any_cell_is_in_the_document(
    partnership: Partnership, tmp_path: Path
) -> None:
    """With the node's secret, no loss of a cell appears as it is, nor rounded as it is: only
    changed by its key (the check is meaningful: without the secret they do appear)."""
    _submit(partnership)
    exact = _exact_losses(partnership)
    assert len(exact) >= 10

    def shown(text: str) -> list[float]:
        return [x for x in exact if f"${x:,.0f}" in text or f"${rounded_loss(x):,.0f}" in text]

    assert shown(_text(_write(partnership, tmp_path, secret=None)))  # the test can see them
    assert shown(_text(_write(partnership, tmp_path))) == []


class _Drawn:
    """What the report's charts were given to draw."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tallies: dict[str, tuple[Tally, ...]] = {}
        for name in ("bar_chart", "month_chart"):
            monkeypatch.setattr(charts, name, self._recorder(getattr(charts, name)))

    def _recorder(self, draw: Any) -> Any:
        def recorded(title: str, tallies: Sequence[Tally], **options: Any) -> str:
            self.tallies[title] = tuple(tallies)
            return str(draw(title, tallies, **options))

        return recorded


def _published_stats(p: Partnership) -> Statistics:
    """The figures `publishable` gives the report, with the cell keys of SECRET."""
    from bigfish.reporting.cell_keys import report_cell_keys
    from bigfish.reporting.disclosure import publishable
    from bigfish.reporting.document import _top_networks
    from bigfish.reporting.stats import networks_stating_loss

    viewer, period = Viewer.node_operator(), parse_period("2025")
    stats = compute_statistics(p.store, viewer, period, now=NOW)
    networks = _top_networks(p.store, viewer, period, 10)
    keys = report_cell_keys(p.store, viewer, period, SECRET, networks, stats=stats)
    stating = networks_stating_loss(p.store, networks)
    return publishable(stats, networks, stating=stating, keys=keys).stats


def test_the_charts_draw_the_published_losses(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The country and typology bars and the month line are drawn from the perturbed, rounded
    losses, those not published left out (NaN): a bar's length shows a loss as a number does."""
    _submit(partnership)
    drawn = _Drawn(monkeypatch)
    _write(partnership, tmp_path)
    published = _published_stats(partnership)
    exact = compute_statistics(
        partnership.store, Viewer.node_operator(), parse_period("2025"), now=NOW
    )
    for title, table, plain in (
        ("Losses by victims' country", published.by_country, exact.by_country),
        ("Reports and losses by month", published.by_month, exact.by_month),
        ("Losses by typology", published.by_typology, exact.by_typology),
    ):
        given = drawn.tallies[title]
        assert sorted(given, key=lambda t: t.key) == sorted(table, key=lambda t: t.key), title
        exact_loss = {t.key: t.loss_usd for t in plain}
        for t in given:
            if math.isnan(t.loss_usd) or t.key == OTHER:
                continue
            assert t.loss_usd == rounded_loss(t.loss_usd), (title, t)
            assert t.loss_usd != rounded_loss(exact_loss[t.key]), (title, t)
    by_country = {t.key: t.loss_usd for t in drawn.tallies["Losses by victims' country"]}
    assert math.isnan(by_country["PH"])  # 2 of its 6 reports state a loss
    assert math.isnan(by_country[OTHER])  # the fewest stating beside it


def _losses_in_order(tallies: Sequence[Tally]) -> list[tuple[str, float]]:
    return [(t.key, t.loss_usd) for t in tallies]


def test_a_loss_not_published_is_not_placed_among_the_published_by_its_exact_value(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tables (and the charts, drawn in their order) were sorted by exact loss before the
    losses were left out: TH $48,700, PH not published, VN $10,200, MY $5,210 put PH's
    $30,000 between $10,200 and $48,700; and "The costliest typology is investment (not
    published)" said that its hidden loss was larger than job_task's published one."""
    _submit(partnership)
    drawn = _Drawn(monkeypatch)
    text = _text(_write(partnership, tmp_path))
    countries = drawn.tallies["Losses by victims' country"]
    assert [t.key for t in countries] == ["TH", "VN", "MY", "PH", OTHER]
    published = [loss for _, loss in _losses_in_order(countries) if not math.isnan(loss)]
    assert published == sorted(published, reverse=True)
    typologies = drawn.tallies["Losses by typology"]
    assert [t.key for t in typologies] == ["job_task", "investment", "romance"]
    assert "The costliest typology is investment" not in text
    assert "The costliest typology of those whose losses are published is job_task" in text
    assert "The most affected country of those whose losses are published is TH" in text


def test_a_period_whose_losses_are_all_hidden_names_the_group_of_the_most_reports(
    partnership: Partnership, tmp_path: Path
) -> None:
    """Thirteen reports of which three state a loss: every loss is hidden, and "The most
    affected country is PH: 6 reports and not published in losses" (and "The costliest
    typology is romance (not published)") named the group of the largest exact loss; now it is
    the group of the most reports (TH's seven)."""

    def usd(report_id: str, country: str, amount: str, scam_type: str) -> dict[str, object]:
        phone = "+639171234567" if country == "PH" else "+66812345678"
        return report(
            report_id,
            country=country,
            phone=phone,
            scam_type=scam_type,
            loss_amount=amount,
            loss_currency="USD",
        )

    rows = [usd(f"ph{i}", "PH", "900" if i < 2 else "0", "romance") for i in range(6)]
    rows += [usd(f"th{i}", "TH", "100" if i < 1 else "0", "investment") for i in range(7)]
    partnership.submit("B", rows, distribution="partnership")
    text = _text(_write(partnership, tmp_path))
    assert "not published reported losses" in text
    assert "The most affected country is TH : 7 reports and not published in losses" in text
    assert "The typology of the most reports is investment (7 reports, losses not published)" in (
        text
    )
    assert "PH :" not in text and "costliest" not in text


def test_a_networks_score_does_not_give_its_loss_away(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The networks' table printed each score to 0.1: (1 + log10(1 + loss)) x reach x growth +
    0.25 log2(reports), where reach is 1 for one country and growth 1 for a network quiet for
    30 days. PH's network of 6 reports, 2 stating $30,000, had its loss "not published" and its
    score 6.1, which puts the loss between $25,300 and $31,900. The table ranks them instead."""
    from bigfish.reporting.document import _top_networks

    _submit(partnership)
    html = _write(partnership, tmp_path)
    table = html[html.index('<section id="details">') :]
    table = table[table.rindex("<h2>Top networks</h2>") :]
    head, _, body = table.partition("</thead>")
    assert "Score" not in head and "<th>Rank</th>" in head
    rows = {
        cells[1]: cells
        for cells in (
            re.findall(r"<td>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        )
    }
    networks = _top_networks(partnership.store, Viewer.node_operator(), parse_period("2025"), 10)
    hidden = next(n for n in networks if n.stats.countries == ("PH",))
    assert rows[str(hidden.id)][-1] == "not published"
    for rank, network in enumerate(networks, 1):
        cells = rows[str(network.id)]
        assert cells[0] == str(rank)
        assert f"{network.stats.score:.1f}" not in cells, cells


def test_a_report_stored_between_the_two_reads_leaves_its_cells_unpublished(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statistics and the cell keys are two reads: a report stored between them was in the
    keys of its cells (the period, TH, November, investment) but not in their losses, each
    then published changed by the key of other reports than its own (and a new country's was
    added to "Other"'s key). Such a cell is now not published; the others are, as before."""
    from bigfish.reporting import document

    _submit(partnership)
    read_keys = document.report_cell_keys

    def stored_meanwhile(*args: Any, **kwargs: Any) -> Any:
        late = [
            _usd("th-late", "TH", "7777.77", "11", "+66812345678", "investment"),
            _usd("sg-late", "SG", "4444.44", "10", "+6591234567", "job_task"),
        ]
        answer = partnership.submit("B", late, distribution="partnership", tlp="green")
        assert answer["rejected"] == []
        return read_keys(*args, **kwargs)

    monkeypatch.setattr(document, "report_cell_keys", stored_meanwhile)
    drawn = _Drawn(monkeypatch)
    text = _text(_write(partnership, tmp_path))
    assert "35 scam reports not published reported losses" in text

    def losses(title: str) -> dict[str, float]:
        return {t.key: t.loss_usd for t in drawn.tallies[title]}

    countries = losses("Losses by victims' country")
    assert math.isnan(countries["TH"])
    assert not math.isnan(countries["VN"]) and not math.isnan(countries["MY"])
    months = losses("Reports and losses by month")
    assert [k for k, v in months.items() if math.isnan(v)] == ["2025-10", "2025-11"]
    typologies = losses("Losses by typology")
    assert math.isnan(typologies["investment"]) and math.isnan(typologies["job_task"])
