"""Review (helper-101) of the statistics report: a loss rests on the reports that state one, a
report is published for whole calendar periods, and chart labels keep their dollar signs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.organizations import list_orgs
from bigfish.reporting import compute_statistics, parse_period, write_report
from bigfish.reporting.disclosure import OTHER, publishable
from bigfish.reporting.stats import audience_totals, key_figures
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.reporting.html import words as _text


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong, on SQLite and on PostgreSQL."""
    yield from build_partnership(store)


def _usd(report_id: str, country: str, amount: str | None, **extra: object) -> dict[str, object]:
    currency = None if amount is None else "USD"
    return report(report_id, country=country, loss_amount=amount, loss_currency=currency, **extra)


def _one_victim_among_ten(p: Partnership) -> None:
    """TH: ten reports, one of which states a loss ($48,000; the others none or $0); VN: six
    reports of $100 each."""
    th = [_usd("th-victim", "TH", "48000")]
    th += [_usd(f"th-none{i}", "TH", None) for i in range(6)]
    th += [_usd(f"th-zero{i}", "TH", "0") for i in range(3)]
    vn = [_usd(f"vn{i}", "VN", "100") for i in range(6)]
    p.submit("B", th + vn, distribution="partnership", tlp="green")


def test_a_country_of_ten_reports_one_stating_a_loss_keeps_its_count_not_its_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """TH's ten reports passed the threshold, so its loss was printed: "TH: 10 reports and
    $48,000 in losses", which is the one victim's loss. (The SQL aggregate, on each backend.)"""
    _one_victim_among_ten(partnership)
    period = parse_period("2025")
    out = tmp_path / "summit.html"
    write_report(partnership.store, Viewer.node_operator(), out, period)
    text = _text(out.read_text("utf-8"))
    assert "48,000" not in text
    assert "The most affected country is TH : 10 reports and not published in losses" in text
    stats = compute_statistics(partnership.store, Viewer.node_operator(), period)
    counted = {t.key: (t.reports, t.with_loss) for t in stats.by_country}
    assert counted == {"TH": (10, 1), "VN": (6, 6)}
    assert stats.with_loss == 7
    typologies = {t.key: (t.reports, t.with_loss) for t in stats.by_typology}
    assert typologies == {"investment": (16, 7)}
    months = {t.key: (t.reports, t.with_loss) for t in stats.by_month}
    assert months == {"2025-11": (16, 7)}

    shown = publishable(stats, []).stats
    countries = {t.key: t for t in shown.by_country}
    assert countries["TH"].reports == 10 and math.isnan(countries["TH"].loss_usd)
    # VN's loss goes too: the total minus VN's would be TH's.
    assert countries["VN"].reports == 6 and math.isnan(countries["VN"].loss_usd)
    # seven reports state it, but one of them $48,000 of $48,600 (the p % rule, helper-120)
    assert math.isnan(shown.loss_usd)


def test_a_period_whose_loss_few_reports_state_keeps_its_count_not_its_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """Eight reports of which two state a loss: the period's total is those two victims'."""
    reports = [_usd("a", "TH", "30000"), _usd("b", "TH", "18000")]
    reports += [_usd(f"n{i}", "TH", None) for i in range(6)]
    partnership.submit("B", reports, distribution="partnership")
    out = tmp_path / "period.html"
    write_report(partnership.store, Viewer.node_operator(), out, parse_period("2025"))
    text = _text(out.read_text("utf-8"))
    assert "8 scam reports not published reported losses" in text
    assert "48,000" not in text and "30,000" not in text and "18,000" not in text
    stats = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    shown = publishable(stats, []).stats
    losses = [t.loss_usd for t in (*shown.by_country, *shown.by_typology, *shown.by_month)]
    assert losses and all(math.isnan(x) for x in losses)
    assert [(t.key, t.reports) for t in shown.by_country] == [("TH", 8)]


def test_other_keeps_its_count_not_a_loss_few_of_its_reports_state(
    partnership: Partnership,
) -> None:
    """ "Other" pools small countries by reports; its loss rests on those stating one."""
    reports = [_usd(f"th{i}", "TH", "100") for i in range(6)]
    reports += [_usd(f"vn{i}", "VN", "100") for i in range(6)]
    reports += [_usd("la", "LA", "48000"), _usd("kh0", "KH", None)]
    reports += [_usd(f"kh{i}", "KH", None, phone="+66811111111") for i in range(1, 4)]
    partnership.submit("B", reports, distribution="partnership")
    stats = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    shown = {t.key: t for t in publishable(stats, []).stats.by_country}
    assert (shown[OTHER].reports, shown[OTHER].with_loss) == (5, 1)
    assert math.isnan(shown[OTHER].loss_usd)
    # and the smallest stating group goes with it (the total minus TH and VN is LA's loss);
    # so does the other (helper-120): "Other" and TH's $600 would tell LA's $48,000 to 1.3 %
    assert sum(math.isnan(shown[k].loss_usd) for k in ("TH", "VN")) == 2


def _viewers(store: Store) -> list[Viewer]:
    return [Viewer.node_operator()] + [Viewer(o.id, o.name) for o in list_orgs(store)]


def test_the_python_fold_counts_the_reports_stating_a_loss_as_the_sql_does(
    partnership: Partnership,
) -> None:
    """`AudienceTotals.figures_for` (the web overview's fold of one GROUP BY) agrees with the
    per-viewer aggregate on every viewer, on each backend."""
    _one_victim_among_ten(partnership)
    partnership.submit("A", [_usd("red", "LA", "5000")], tlp="red")
    partnership.submit("C", [_usd("c0", "KH", "700"), _usd("c1", "KH", None)])
    with partnership.store.connect() as conn:
        totals = audience_totals(conn, partnership.store.dialect)
    checked = 0
    for viewer in _viewers(partnership.store):
        folded = totals.figures_for(viewer, 0)
        queried = key_figures(partnership.store, viewer)
        for mine, theirs in (
            (folded.by_country, queried.by_country),
            (folded.by_month, queried.by_month),
        ):
            assert sorted((t.key, t.reports, t.with_loss) for t in mine) == sorted(
                (t.key, t.reports, t.with_loss) for t in theirs
            ), viewer
        checked += 1
    operator = totals.figures_for(Viewer.node_operator(), 0)
    assert {t.key: t.with_loss for t in operator.by_country} == {
        "TH": 1,
        "VN": 6,
        "LA": 1,
        "KH": 1,
    }
    assert checked == 4


def test_a_network_whose_loss_one_member_states_keeps_its_row_not_its_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """A network of six reports, one of which states $900,000, printed that loss in its row and
    in "the largest network" sentence. A network whose six reports all state one keeps it."""
    from bigfish.linking.service import rebuild_networks

    lone = [_usd("big", "TH", "900000", phone="+66810001000")]
    lone += [_usd(f"quiet{i}", "TH", None, phone="+66810001000") for i in range(5)]
    many = [_usd(f"m{i}", "TH", "1000", phone="+66819999999") for i in range(7)]
    partnership.submit("B", lone + many, distribution="partnership")
    rebuild_networks(partnership.store)
    period = parse_period("2025")
    out = tmp_path / "networks.html"
    write_report(partnership.store, Viewer.node_operator(), out, period)
    text = _text(out.read_text("utf-8"))
    assert "900,000" not in text
    assert "$7,000" in text  # the network of seven losses keeps its loss
    assert "The largest network links 7 reports of victims in TH, with $7,000" in text

    from bigfish.linking.views import list_networks
    from bigfish.reporting.stats import networks_stating_loss

    listed = list_networks(partnership.store, Viewer.node_operator()).networks
    stating = networks_stating_loss(partnership.store, listed)
    assert sorted(stating.values()) == [1, 7]
    shown = publishable(
        compute_statistics(partnership.store, Viewer.node_operator(), period), listed
    )
    by_size = {n.stats.report_count: n.stats.total_loss_usd for n in shown.networks}
    assert math.isnan(by_size[6]) and math.isnan(by_size[7])  # not told how many state one
    kept = publishable(
        compute_statistics(partnership.store, Viewer.node_operator(), period),
        listed,
        stating=stating,
    )
    by_size = {n.stats.report_count: n.stats.total_loss_usd for n in kept.networks}
    assert math.isnan(by_size[6]) and by_size[7] == 7000.0


def test_a_report_for_days_rather_than_whole_months_is_refused_unless_asked(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`--period 2025-01-01..2025-12-30` beside `--period 2025` gave the last day's losses away
    by subtraction: a period that is not whole calendar months needs `--any-period`, which the
    report then states."""
    from typer.testing import CliRunner

    from bigfish.cli import app

    url = str(sqlite_store.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def run(period: str, name: str, *extra: str) -> tuple[int, str, Path]:
        out = tmp_path / name
        data = str(tmp_path / "data")
        argv = ["--db", url, "--data-dir", data, "report", "--out", str(out), "--period", period]
        argv += extra
        result = runner.invoke(app, argv)
        return result.exit_code, result.output, out

    code, output, out = run("2025-01-01..2025-12-30", "days.html")
    assert code == 1 and not out.exists()
    assert "field 'period'" in output and "--any-period" in output
    assert "2025-01-01 – 2025-12-30" in output  # names the period it refused
    for period in ("2025", "2025-Q4", "2025-11", "2025-01..2025-06", "2025-01-01..2025-03-31"):
        code, output, out = run(period, "whole.html")
        assert code == 0, (period, output)
        assert 'id="any-period"' not in out.read_text("utf-8")
    code, output, out = run("2025-01-01..2025-12-30", "asked.html", "--any-period")
    assert code == 0, output
    html = out.read_text("utf-8")
    assert 'id="any-period"' in html
    assert "This period is not whole calendar months (published with --any-period )" in _text(html)


def test_periods_that_are_whole_calendar_months() -> None:
    for whole in ("all", "2025", "2025-Q1", "2025-02", "2025-01..2025-03", "..2025-06", "2025.."):
        assert parse_period(whole).whole_months, whole
    assert parse_period("2025-01-01..2025-01-31").whole_months
    for days in ("2025-01-02..2025-03", "2025-01..2025-03-30", "2025-11-15..", "2025-02-03"):
        assert not parse_period(days).whole_months, days


def test_two_periods_a_day_apart_do_not_give_that_days_loss_away(
    partnership: Partnership, tmp_path: Path
) -> None:
    """2025 and 2025 but December printed $7,455,525 and $7,407,402: their difference is the
    one December victim's $48,123. Rounded to 3 significant figures, it is $50,000."""
    big = [_usd(f"th{i}", "TH", "1234567") for i in range(6)]
    partnership.submit("B", big, distribution="partnership")
    late = _usd("dec", "TH", "48123", reported_at="2025-12-31T10:00:00Z")
    partnership.submit("B", [late], distribution="partnership")
    texts = {}
    for period in ("2025", "2025-01..2025-11"):
        out = tmp_path / f"{period}.html"
        write_report(partnership.store, Viewer.node_operator(), out, parse_period(period))
        texts[period] = _text(out.read_text("utf-8"))
    assert "$7,460,000 reported losses" in texts["2025"]
    assert "$7,410,000 reported losses" in texts["2025-01..2025-11"]
    assert all("48,123" not in t and "7,455,525" not in t for t in texts.values())
    assert "rounded to 3 significant figures" in texts["2025"]
    stats = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    assert stats.loss_usd == 7_455_525.0  # the statistics stay exact; what is printed is not
    assert publishable(stats, []).stats.loss_usd == 7_460_000.0


def test_losses_are_rounded_to_three_significant_figures() -> None:
    from bigfish.reporting.disclosure import rounded_loss

    assert rounded_loss(48_613.0) == 48_600.0
    assert rounded_loss(7_455_525.0) == 7_460_000.0
    assert rounded_loss(999.6) == 1_000.0
    assert rounded_loss(90.0) == 90.0
    assert rounded_loss(12.345) == 12.3
    assert rounded_loss(0.0) == 0.0
    assert math.isnan(rounded_loss(math.nan))


def test_chart_labels_keep_their_dollar_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A group named "$1,000 to $5,000" was read as mathtext (italic "1,000 to", no dollars),
    and one that is not valid mathtext ("cash-out $\\frac$") failed the whole report; every
    chart draws its texts as written."""
    import io

    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from bigfish.reporting import charts
    from bigfish.reporting.stats import Flow, Tally

    drawn: list[tuple[list[Text], str]] = []
    real = charts._data_uri

    def capture(figure: Figure) -> str:
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            figure.savefig(buffer, format="svg")
        texts = [t for t in figure.findobj(Text) if "$" in t.get_text()]
        drawn.append((texts, buffer.getvalue()))
        return real(figure)

    monkeypatch.setattr(charts, "_data_uri", capture)
    band, odd = "$1,000 to $5,000", "over $5,000 $ or $"
    hostile = "cash-out $\\frac$ ring"
    tallies = [
        Tally(band, 9, 2_000_000.0, 9),
        Tally(odd, 7, 1_000_000.0, 7),
        Tally(hostile, 6, 500_000.0, 6),
    ]
    uris = [
        charts.bar_chart("Losses in $ by band ($)", tallies),
        charts.month_chart("Reports by $ month $", [Tally("2025-$1$", 9, 5.0, 9)]),
        charts.flow_chart("Flows $ to $", [Flow("$TH$", "$VN", 6)]),
        charts.status_chart("Requests $ by $ status", [("$sent$", 3)]),
        charts.bar_chart("Nothing $ here $", []),
    ]
    assert all(uri.startswith("data:image/png;base64,") for uri in uris)
    assert len(drawn) == 5
    for texts, svg in drawn:
        assert texts and all(not t.get_parse_math() for t in texts)
    svgs = [svg for _, svg in drawn]
    assert band in svgs[0] and odd in svgs[0] and "Losses in $ by band ($)" in svgs[0]
    assert hostile in svgs[0]
    assert "2025-$1$" in svgs[1] and "$TH$ → $VN" in svgs[2] and "$sent$" in svgs[3]
    assert "Nothing $ here $: no data in this period" in svgs[4]


def test_a_month_whose_loss_one_report_states_takes_the_fewest_stating_month_with_it() -> None:
    """January's nine reports hold one stated loss: it goes, and February (the fewest stating
    beside it) with it, else the total minus February and March would be January's."""
    from bigfish.reporting.disclosure import _months
    from bigfish.reporting.stats import Tally

    tallies = [
        Tally("2025-01", 9, 48_000.0, 1),
        Tally("2025-02", 6, 600.0, 6),
        Tally("2025-03", 20, 2_000.0, 20),
        Tally("2025-04", 7, 0.0, 0),
    ]
    shown = {t.key: t for t in _months(tallies, 5)}
    assert math.isnan(shown["2025-01"].loss_usd) and math.isnan(shown["2025-02"].loss_usd)
    assert shown["2025-03"].loss_usd == 2_000.0 and shown["2025-04"].loss_usd == 0.0
    assert [t.reports for t in shown.values()] == [9, 6, 20, 7]
