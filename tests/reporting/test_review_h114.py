"""Review of the statistics report (helper-114): the losses in a currency with no reference rate
are named by currency, under the report's small-cell rules."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bigfish.reporting import ALL_TIME, compute_statistics, write_report
from bigfish.reporting import stats as reporting_stats
from bigfish.reporting.disclosure import OTHER, publishable
from bigfish.reporting.stats import Statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.reporting.html import words as _text


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong."""
    yield from build_partnership(sqlite_store)


def _unconverted_line(html: str) -> str:
    found = re.search(r'<li id="unconverted">(.*?)</li>', html, re.S)
    assert found is not None, "no line on the unconverted losses"
    return _text(found[1])


def _stated(prefix: str, currency: str, amounts: list[str]) -> list[dict[str, object]]:
    return [
        report(f"{prefix}{i}", loss_currency=currency, loss_amount=amount)
        for i, amount in enumerate(amounts)
    ]


def _report_of(p: Partnership, tmp_path: Path) -> str:
    out = tmp_path / "r.html"
    write_report(p.store, Viewer.node_operator(), out, ALL_TIME)
    return out.read_text("utf-8")


def test_the_report_names_the_currencies_it_could_not_convert(
    partnership: Partnership, tmp_path: Path
) -> None:
    """It said '8 reports state a loss in a currency with no reference rate' and no more: a
    minister could not tell which currencies, nor how much."""
    p = partnership
    npr = _stated("npr", "NPR", ["5000", "1200.50", "700", "48000", "3100", "999"])
    p.submit("A", [*npr, *_stated("xau", "XAU", ["5", "7"])])
    line = _unconverted_line(_report_of(p, tmp_path))
    assert line.startswith("8 reports state a loss in a currency with no reference rate")
    # not 59,000 NPR: one report's 48,000 of it dominates it (the p % rule, helper-120)
    assert "6 in NPR, amount not published" in line and "59,000" not in line
    # two XAU reports: counted, their currency not named and their amount not published
    assert "2 in currencies of fewer than 5 such reports each, not named" in line
    assert "XAU" not in line and "12" not in line
    stats = compute_statistics(p.store, Viewer.node_operator())
    Unconverted = reporting_stats.Unconverted  # read here: the old code has none
    assert stats.unconverted == 8
    assert stats.unconverted_by_currency == (
        # with the two largest amounts of each (the p % rule, helper-120)
        Unconverted("NPR", 6, 58999.5, 6, 48000.0, 5000.0),
        Unconverted("XAU", 2, 12.0, 2, 7.0, 5.0),
    )


def test_a_currency_stated_by_fewer_than_five_reports_keeps_its_count_not_its_amount(
    partnership: Partnership, tmp_path: Path
) -> None:
    """Five NPR reports of which one states 48,000 and four state 0: the amount is one
    victim's."""
    p = partnership
    p.submit("A", _stated("npr", "NPR", ["48000", "0", "0", "0", "0"]))
    line = _unconverted_line(_report_of(p, tmp_path))
    assert "5 in NPR, amount not published" in line
    assert "48" not in line


def test_only_the_named_currencies_amounts_are_published_and_every_count_stays() -> None:
    """`publishable`: counts exact, amounts rounded or left out (NaN), small currencies in OTHER
    without an amount."""
    Unconverted = reporting_stats.Unconverted
    stats = Statistics(
        period=ALL_TIME,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        report_count=40,
        loss_usd=0.0,
        network_count=0,
        by_country=(),
        by_month=(),
        by_typology=(),
        flows=(),
        requests_by_status=(),
        unconverted=40,
        unconverted_by_currency=(
            Unconverted("NPR", 20, 123456.75, 20),
            Unconverted("XAU", 9, 48000.0, 1),
            Unconverted("MMK", 4, 1000.0, 4),
            Unconverted("LAK", 1, 5.0, 1),
            Unconverted("KPW", 6, 0.0, 0),
        ),
    )
    shown = publishable(stats, []).stats.unconverted_by_currency
    assert shown[0] == Unconverted("NPR", 20, 123000.0, 20)
    assert (shown[1].currency, shown[1].reports) == ("XAU", 9) and math.isnan(shown[1].amount)
    assert shown[2] == Unconverted("KPW", 6, 0.0, 0)  # none states an amount: 0 is no one's
    assert (shown[3].currency, shown[3].reports) == (OTHER, 5) and math.isnan(shown[3].amount)
    assert publishable(stats, []).stats.unconverted == 40
    assert sum(u.reports for u in shown) == 40


# Cell-key perturbation of the published losses (`bigfish.reporting.disclosure`).

SECRET = b"a node's secret, for the tests"

#: The loss of the reports keyed below: none (a key takes one, `disclosure.loss_text`).
_NO_LOSS = "[null, null, null]"


def _losses_and_keys(n: int) -> tuple[list[float], list[int]]:
    """N reports of A: losses from $1,000 to $9,999 and their record keys under SECRET."""
    from bigfish.reporting import disclosure

    losses = [float(1000 + (i * 7919) % 9000) for i in range(n)]
    return losses, [disclosure.record_key(SECRET, "A", f"r{i}", loss=_NO_LOSS) for i in range(n)]


def test_the_same_reports_always_give_the_same_published_loss() -> None:
    """Run twice, in another order, or in another table or view: the same cell, the same figure;
    another secret or another report, another key."""
    from bigfish.reporting import disclosure

    keys = [disclosure.record_key(SECRET, "A", f"r{i}", loss=_NO_LOSS) for i in range(12)]
    assert keys == [disclosure.record_key(SECRET, "A", f"r{i}", loss=_NO_LOSS) for i in range(12)]
    assert disclosure.record_key(b"another secret", "A", "r0", loss=_NO_LOSS) != keys[0]
    assert disclosure.record_key(SECRET, "B", "r0", loss=_NO_LOSS) != keys[0]
    assert disclosure.record_key(SECRET, "A/r", "0", loss=_NO_LOSS) != disclosure.record_key(
        SECRET, "A", "r/0", loss=_NO_LOSS
    )
    assert all(0 <= k < disclosure.KEY_SPACE for k in keys)
    cell = disclosure.cell_key(keys)
    assert cell == disclosure.cell_key(reversed(keys)) == disclosure.cell_key(sorted(keys))
    published = disclosure.perturbed_loss(123_456.0, cell, 20_000.0, 15_000.0)
    again = disclosure.perturbed_loss(
        123_456.0, disclosure.cell_key(keys[::-1]), 20_000.0, 15_000.0
    )
    assert published == again
    assert published != 123_456.0
    assert disclosure.cell_key(keys[:-1]) != cell


def test_the_change_is_within_its_bound_and_uses_all_of_it() -> None:
    """It was |e| <= 5 % of the loss for any key. Now (helper-138) each of a cell's two draws is
    between NOISE_FLOOR (0.5) and 1 either way, over many cells across the whole of both
    ranges and averaging near 0 (no bias in the totals); the change is NOISE_SCALE (0.5) times
    p1 x the largest loss of one report plus p2 x the second largest: at most half the two
    either way, at least a quarter of the largest when there is no second, and never more than
    the loss (the two largest are in it)."""
    from bigfish.reporting import disclosure

    _, keys = _losses_and_keys(2000)
    cells = [disclosure.cell_key(keys[i : i + 5]) for i in range(len(keys) - 5)]
    draws = [disclosure.loss_draws(c) for c in cells]
    assert (disclosure.NOISE_SCALE, disclosure.NOISE_FLOOR) == (0.5, 0.5)
    for side in (0, 1):
        values = [d[side] for d in draws]
        assert all(0.5 <= abs(p) <= 1 for p in values)
        assert min(values) < -0.99 and max(values) > 0.99  # the whole range, both ways
        assert max(p for p in values if p < 0) > -0.51 and min(p for p in values if p > 0) < 0.51
        assert abs(sum(values) / len(values)) < 0.05
        assert 0.45 < sum(p > 0 for p in values) / len(values) < 0.55
    # the two draws of a cell are unrelated
    mean1, mean2 = (sum(d[i] for d in draws) / len(draws) for i in (0, 1))
    covariance = sum((d[0] - mean1) * (d[1] - mean2) for d in draws) / len(draws)
    assert abs(covariance) < 0.05
    for (p1, p2), c in zip(draws[:200], cells, strict=False):
        noise = disclosure.loss_noise(c, 8_000.0, 2_000.0)
        assert noise == pytest.approx(0.5 * (p1 * 8_000.0 + p2 * 2_000.0))
        assert abs(noise) <= 5_000.0
        assert disclosure.perturbed_loss(12_000.0, c, 8_000.0, 2_000.0) == 12_000.0 + noise
        assert disclosure.perturbed_loss(10_000.0, c, 8_000.0, 2_000.0) >= 5_000.0
        assert 2_000.0 <= abs(disclosure.loss_noise(c, 8_000.0, 0.0)) <= 4_000.0
    assert disclosure.loss_draws(0) == disclosure.loss_draws(0, 0.5)
    assert all(0.9 <= abs(p) <= 1 for c in cells[:100] for p in disclosure.loss_draws(c, 0.9))
    assert disclosure.perturbed_loss(0.0, cells[0], 0.0, 0.0) == 0.0
    assert math.isnan(disclosure.perturbed_loss(math.nan, cells[0], 1.0, 1.0))
    with pytest.raises(ValueError):
        disclosure.loss_draws(disclosure.KEY_SPACE)


def test_two_cells_differing_by_one_report_do_not_give_its_loss_away() -> None:
    """A cell of ten reports and the same with an eleventh, 300 times over: rounded only, their
    difference is the eleventh's loss to within a rounding ($100) every time; perturbed, it is
    never that loss, and more than $1,000 off it in most examples, and the two cells' changes
    are unrelated."""
    from bigfish.reporting import disclosure
    from bigfish.reporting.disclosure import rounded_loss
    from bigfish.reporting.stats import two_largest

    losses, keys = _losses_and_keys(320)
    rounded_gives_it, equal, far, before, after = 0, 0, 0, [], []
    for k in range(300):
        cell, extra = range(k, k + 10), k + 10
        loss = sum(losses[i] for i in cell)
        without = disclosure.cell_key(keys[i] for i in cell)
        with_it = disclosure.cell_key([*(keys[i] for i in cell), keys[extra]])
        rounded_gives_it += (
            abs(rounded_loss(loss + losses[extra]) - rounded_loss(loss) - losses[extra]) <= 100
        )
        top = two_largest(losses[i] for i in cell)
        top_with_it = two_largest([*(losses[i] for i in cell), losses[extra]])
        difference = rounded_loss(
            disclosure.perturbed_loss(loss + losses[extra], with_it, *top_with_it)
        )
        difference -= rounded_loss(disclosure.perturbed_loss(loss, without, *top))
        equal += difference == losses[extra]
        far += abs(difference - losses[extra]) > 1000
        before.append(disclosure.loss_draws(without)[0])
        after.append(disclosure.loss_draws(with_it)[0])
    assert rounded_gives_it == 300
    assert equal == 0
    # about four in five: the changes are 25 to 50 % of each of the two largest, some $9,000
    # (they were up to 5 % of some $55,000: two in three more than $1,000 off)
    assert far > 200
    mean_b, mean_a = sum(before) / 300, sum(after) / 300
    covariance = sum((b - mean_b) * (a - mean_a) for b, a in zip(before, after, strict=True))
    spread = math.sqrt(
        sum((b - mean_b) ** 2 for b in before) * sum((a - mean_a) ** 2 for a in after)
    )
    assert abs(covariance / spread) < 0.2  # unrelated: no correlation to speak of


def _usd(report_id: str, amount: str, month: str) -> dict[str, object]:
    at = f"2025-{month}-10T10:00:00Z"
    return report(report_id, loss_amount=amount, loss_currency="USD", reported_at=at)


def _quarter(p: Partnership) -> None:
    """Six $1,000 losses in each of October and November, shared with the partnership, and one
    $5,000 loss of December (B's alone)."""
    shared = [_usd(f"oct{i}", "1000", "10") for i in range(6)]
    shared += [_usd(f"nov{i}", "1000", "11") for i in range(6)]
    p.submit("B", shared, distribution="partnership", tlp="green")
    p.submit("B", [_usd("dec-victim", "5000", "12")], tlp="red")


def _published(
    p: Partnership,
    tmp_path: Path,
    period: str,
    *,
    secret: bytes | None = None,
    viewer: Viewer | None = None,
) -> str:
    """The words of the report of PERIOD as VIEWER (the operator) sees it, with SECRET."""
    from bigfish.reporting import parse_period

    out = tmp_path / f"{period}.html"
    who = viewer or Viewer.node_operator()
    now = datetime(2026, 1, 5, tzinfo=UTC)
    write_report(p.store, who, out, parse_period(period), now=now, secret=secret)
    return _text(out.read_text("utf-8"))


#: What the document says of the noise (helper-138; it said "changed by up to 5% either way").
CHANGED = (
    "is changed by 25 to 50% of the largest loss of one report in it and by 25 to 50% of the"
    " second largest, each up or down, the same for the same reports every time"
)


def _total(text: str) -> int:
    found = re.search(r"\$([\d,]+) reported losses", text)
    assert found is not None, text[:300]
    return int(found[1].replace(",", ""))


def test_a_quarter_against_its_first_two_months_does_not_give_the_third_away(
    partnership: Partnership, tmp_path: Path
) -> None:
    """Rounded only, 2025-Q4 ($17,000) minus 2025-10..2025-11 ($12,000) is December's one victim's
    $5,000; with the node's secret each total is changed by its own cell's key."""
    p = partnership
    _quarter(p)
    plain = _total(_published(p, tmp_path, "2025-Q4")) - _total(
        _published(p, tmp_path, "2025-10..2025-11")
    )
    assert plain == 5000  # what rounding alone gives away
    quarter = _published(p, tmp_path, "2025-Q4", secret=SECRET)
    months = _published(p, tmp_path, "2025-10..2025-11", secret=SECRET)
    assert _total(quarter) - _total(months) != 5000
    # within half the two largest losses of one report either way (helper-138; it was 5 %):
    # December's $5,000 and a $1,000, two $1,000 in October and November
    assert abs(_total(quarter) - 17_000) <= 0.5 * (5_000 + 1_000) + 50
    assert abs(_total(months) - 12_000) <= 0.5 * (1_000 + 1_000) + 50
    # and by more than the rounding when December's loss has no second as large as it
    # |0.5 x (p1 x $5,000 + p2 x $1,000)| >= 0.5 x (0.5 x $5,000 - $1,000), rounded to $100
    assert abs(_total(quarter) - 17_000) >= 0.5 * (0.5 * 5_000 - 1_000) - 50
    assert "13 scam reports" in quarter and "12 scam reports" in months  # counts exact
    assert CHANGED in quarter
    assert "is changed by" not in _published(p, tmp_path, "2025-Q4")
    # the same period again: the same figures
    assert _published(p, tmp_path, "2025-Q4", secret=SECRET) == quarter


def test_two_views_of_the_same_reports_publish_the_same_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """A sees B's shared October and November; the operator's view of the same months holds
    the same reports: the same figure, not two draws to average; a view of one report more is
    another cell."""
    from bigfish.organizations import list_orgs

    p = partnership
    _quarter(p)
    org = next(o for o in list_orgs(p.store) if o.name == "A")
    as_a = _published(p, tmp_path, "2025-10..2025-11", secret=SECRET, viewer=Viewer(org.id, "A"))
    as_operator = _published(p, tmp_path, "2025-10..2025-11", secret=SECRET)
    assert _total(as_a) == _total(as_operator)
    # A's 2025-Q4 holds the same twelve reports (December's is B's alone): the same figure again,
    # and the operator's quarter minus A's does not give December's loss away either
    a_quarter = _published(p, tmp_path, "2025-Q4", secret=SECRET, viewer=Viewer(org.id, "A"))
    assert _total(a_quarter) == _total(as_operator)
    operator_quarter = _published(p, tmp_path, "2025-Q4", secret=SECRET)
    assert _total(operator_quarter) - _total(a_quarter) != 5000


def test_perturbing_changes_the_losses_only() -> None:
    """`publishable` with cell keys: every count as without them, every loss within half its
    two largest losses of one report (and its rounding) of the loss without them (helper-138:
    it was 5 %); a group without a key is not published, nor one whose two largest losses are
    not known (the noise could not be sized)."""
    from bigfish.reporting import disclosure

    Unconverted, Tally = reporting_stats.Unconverted, reporting_stats.Tally
    tallies = tuple(
        Tally(c, 10 + i, 10_000.0 * (i + 1), 6 + i, 3_000.0 * (i + 1), 2_000.0 * (i + 1))
        for i, c in enumerate("ABCD")
    )
    stats = Statistics(
        period=ALL_TIME,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        report_count=46,
        loss_usd=100_000.0,
        network_count=0,
        by_country=(*tallies, Tally("XX", 2, 5_000.0, 2, 3_000.0, 2_000.0)),
        by_month=tallies,
        # built by hand without their two largest losses
        by_typology=tuple(replace(t, largest=None, second=None) for t in tallies),
        flows=(),
        requests_by_status=(),
        unconverted=6,
        unconverted_by_currency=(Unconverted("NPR", 6, 50_000.0, 6, 12_000.0, 10_000.0),),
    )
    groups = {
        c: disclosure.record_key(SECRET, "A", c, loss=_NO_LOSS) for c in ("A", "B", "C", "D", "XX")
    }
    keys = disclosure.CellKeys(
        total=disclosure.cell_key(groups.values()),
        by_country=groups,
        by_month={c: k for c, k in groups.items() if c != "D"},  # D: read after the keys
        by_typology=groups,
        currencies={"NPR": disclosure.record_key(SECRET, "A", "npr", loss=_NO_LOSS)},
        networks={},
    )
    plain = publishable(stats, []).stats
    noisy = publishable(stats, [], keys=keys).stats
    assert [(t.key, t.reports, t.with_loss) for t in noisy.by_country] == [
        (t.key, t.reports, t.with_loss) for t in plain.by_country
    ]
    assert (noisy.report_count, noisy.unconverted, noisy.network_count) == (46, 6, 0)
    for table in ("by_country", "by_month"):
        for before, after in zip(getattr(plain, table), getattr(noisy, table), strict=True):
            if math.isnan(after.loss_usd):
                continue
            assert before.largest is not None and before.second is not None
            bound = 0.5 * (before.largest + before.second) + 0.01 * before.loss_usd
            assert abs(after.loss_usd - before.loss_usd) <= bound, (table, before, after)
            assert after.loss_usd >= 0
    assert sum(a.loss_usd != b.loss_usd for a, b in zip(plain.by_country, noisy.by_country)) >= 3
    assert math.isnan(noisy.by_month[3].loss_usd)  # no key: not published unperturbed
    assert sum(not math.isnan(t.loss_usd) for t in noisy.by_month) == 3
    assert [t.key for t in noisy.by_typology] == [t.key for t in plain.by_typology]
    assert all(math.isnan(t.loss_usd) for t in noisy.by_typology)  # not known: not published
    assert not any(math.isnan(t.loss_usd) for t in plain.by_typology)
    # the period's two largest are its countries' (D's $12,000 and C's $9,000)
    assert abs(noisy.loss_usd - 100_000.0) <= 0.5 * (12_000 + 9_000) + 1_000.0
    assert abs(noisy.unconverted_by_currency[0].amount - 50_000.0) <= 0.5 * 22_000 + 500.0


def test_the_node_key_gives_one_secret_for_every_report(tmp_path: Path) -> None:
    """`report_secret`: the same node key (read again from its data directory) gives the same
    secret, another node's another; the secret is not the key's public fingerprint."""
    from bigfish.evidence.node_key import load_node_key, load_or_create_node_key
    from bigfish.reporting.cell_keys import report_secret

    key = load_or_create_node_key(tmp_path / "one")
    secret = report_secret(key)
    assert len(secret) == 32
    assert report_secret(load_node_key(tmp_path / "one")) == secret
    assert report_secret(load_or_create_node_key(tmp_path / "two")) != secret
    assert secret.hex() != key.fingerprint


def test_bigfish_report_perturbs_losses_by_the_node_key(
    partnership: Partnership, tmp_path: Path
) -> None:
    """`bigfish report` published exact losses rounded to 3 significant figures (the library
    perturbs them only given a secret): the quarter minus its first two months was December's
    one victim's $5,000. It now takes the secret from the node key under --data-dir: the same
    node gives the same figures every time, and the document says they are changed."""
    from typer.testing import CliRunner

    from bigfish.cli import app

    _quarter(partnership)
    url = str(partnership.store.engine.url.render_as_string(hide_password=False))

    def run(period: str, data: str) -> str:
        out = tmp_path / f"{data}-{period}.html"
        argv = ["--db", url, "--data-dir", str(tmp_path / data), "report", "--out", str(out)]
        result = CliRunner().invoke(app, [*argv, "--period", period])
        assert result.exit_code == 0, result.output
        return _text(out.read_text("utf-8"))

    from bigfish.evidence.log import signing_key
    from bigfish.reporting.cell_keys import report_secret

    quarter, months = run("2025-Q4", "node"), run("2025-10..2025-11", "node")
    assert CHANGED in quarter
    assert "13 scam reports" in quarter and "12 scam reports" in months  # counts exact
    # the same node key: the same figures (the time it was generated aside: a minute may turn)
    generated = re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert generated.search(quarter) is not None
    assert generated.sub("", run("2025-Q4", "node")) == generated.sub("", quarter)
    # ... those of the node key's secret (the key is new, so its figures cannot be foretold)
    secret = report_secret(signing_key(partnership.store, tmp_path / "node"))
    for period, text in (("2025-Q4", quarter), ("2025-10..2025-11", months)):
        library = _published(partnership, tmp_path, period, secret=secret)
        assert _total(library) == _total(text), period
