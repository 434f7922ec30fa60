"""Noise scaled to a cell's largest losses (helper-138): two published cells whose reports differ
by one report do not give that report's loss.

Each published loss was T(1 + e), |e| <= 5 % drawn from the cell's key. Two published cells
whose reports differ by one report R gave R's loss to within 5 % of each of their totals, closer
than the 15 % the p % rule promises, while R's own cell (a country or month of one report) was
never published (helper-137's findings, "Second gap"):

- one run, two tables: TH (six reports) and investment (TH and one LA report of $48,000) were
  $53,600 and $103,000: LA's loss read $49,400 (+2.9 %); so did "Other" (VN and LA) minus job_task
  (VN), and the network of the seven minus TH;
- a country minus a network inside it: TH (seven) minus the network of six of them gave the
  seventh's $20,000 as $19,100 (-4.5 %);
- two runs: 2025-Q1 minus 2025-01..2025-02 gave March's one report of $48,000 as $47,900.

The noise is now NOISE_SCALE x (p1 x L1 + p2 x L2), L1 and L2 the cell's two largest losses of
one report, p1 and p2 drawn from its key in [-1, -NOISE_FLOOR] or [NOISE_FLOOR, 1]: R is in the
larger cell, whose largest loss is at least R's, so the difference carries a draw of at least
NOISE_SCALE x NOISE_FLOOR (a quarter) of R's loss either way, unrelated to the other draws.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.linking.views import NetworkSummary
from bigfish.reporting import compute_statistics, parse_period
from bigfish.reporting.cell_keys import report_cell_keys
from bigfish.reporting.disclosure import (
    KEY_SPACE,
    LOSS_FIGURES,
    NOISE_FLOOR,
    NOISE_SCALE,
    OTHER,
    CellKeys,
    cell_key,
    loss_noise,
    merged,
    perturbed_loss,
    publishable,
    rounded_loss,
)
from bigfish.reporting.document import _top_networks
from bigfish.reporting.stats import Statistics, Tally, Unconverted, network_loss_cells, two_largest
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.reporting import test_resent_noise_h137 as h137

#: 200 fixed secrets: the figures below are theirs every time (the test is deterministic).
SECRETS = tuple(f"helper-138: fixed secret {i}, never a node's".encode() for i in range(200))

#: What the p % rule promises: no one's loss is told to within 15 %.
WITHIN = 0.15

#: Draws of the model of the noise (independent uniform draws, as `loss_draws` makes them).
MODEL_DRAWS = 20_000


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong (SQLite: each test reads its report under 200 secrets)."""
    yield from build_partnership(sqlite_store)


# The published figures of one period under many secrets.


@dataclass(frozen=True)
class Cell:
    """One published cell: its exact loss and two largest losses, and its published loss under
    each of SECRETS."""

    exact: float
    largest: float
    second: float
    published: tuple[float, ...]


Pick = Callable[[Statistics], float]


def _tally(key: str) -> Callable[[Sequence[Tally]], Tally]:
    def pick(tallies: Sequence[Tally]) -> Tally:
        (found,) = (t for t in tallies if t.key == key)
        return found

    return pick


def _publications(
    p: Partnership, period: str
) -> tuple[Statistics, list[NetworkSummary], list[tuple[CellKeys, Statistics, dict[int, float]]]]:
    """What `write_report` computes for the operator over PERIOD, under each of SECRETS: the
    exact statistics and networks, and per secret the keys, the published statistics and the
    networks' published losses."""
    viewer, when = Viewer.node_operator(), parse_period(period)
    stats = compute_statistics(p.store, viewer, when)
    networks = _top_networks(p.store, viewer, when, 10)
    cells = network_loss_cells(p.store, networks)
    runs = []
    for secret in SECRETS:
        keys = report_cell_keys(p.store, viewer, when, secret, networks, stats=stats)
        shown = publishable(stats, networks, keys=keys, network_cells=cells)
        runs.append((keys, shown.stats, {n.id: n.stats.total_loss_usd for n in shown.networks}))
    return stats, networks, runs


def _cell(exact: Tally, published: Sequence[float]) -> Cell:
    assert exact.largest is not None and exact.second is not None
    assert not any(math.isnan(x) for x in published), exact.key  # published under every secret
    return Cell(exact.loss_usd, exact.largest, exact.second, tuple(published))


def _table_cell(
    stats: Statistics,
    runs: Sequence[tuple[CellKeys, Statistics, dict[int, float]]],
    table: str,
    key: str,
) -> Cell:
    """The cell KEY of TABLE (by_country, by_month, by_typology; OTHER: the groups it pools)."""
    pick = _tally(key)
    published = [pick(getattr(shown, table)).loss_usd for _, shown, _ in runs]
    if key == OTHER:
        named = {t.key for t in getattr(runs[0][1], table)} - {OTHER}
        exact = merged(OTHER, (t for t in getattr(stats, table) if t.key not in named))
    else:
        exact = pick(getattr(stats, table))
    return _cell(exact, published)


def _network_cell(
    p: Partnership,
    networks: Sequence[NetworkSummary],
    runs: Sequence[tuple[CellKeys, Statistics, dict[int, float]]],
) -> Cell:
    """The one network listed."""
    (network,) = networks
    tops = network_loss_cells(p.store, networks)[network.id]
    stats = network.stats
    exact = Tally("network", stats.report_count, stats.total_loss_usd, 0, tops.largest, tops.second)
    return _cell(exact, [losses[network.id] for _, _, losses in runs])


# What a difference of two cells tells of the one report between them.


def _half_unit(amount: float) -> float:
    """The largest rounding error of a published loss of about AMOUNT (`rounded_loss`)."""
    return 0.5 * 10 ** (math.floor(math.log10(amount)) + 1 - LOSS_FIGURES)


def _rounding(bigger: Cell, smaller: Cell) -> float:
    """The most the roundings of the two published figures take off their difference."""
    return sum(
        _half_unit(c.exact + NOISE_SCALE * (c.largest + c.second)) for c in (bigger, smaller)
    )


def _share_told(bigger: Cell, smaller: Cell, loss: float) -> float:
    """The share of SECRETS under which BIGGER's published loss minus SMALLER's is LOSS to
    within WITHIN of it."""
    told = [
        abs(b - s - loss) <= WITHIN * loss
        for b, s in zip(bigger.published, smaller.published, strict=True)
    ]
    return sum(told) / len(told)


def _floor(bigger: Cell, smaller: Cell, loss: float) -> float:
    """The least the noise of the difference can be, whatever the draws: the larger cell's
    draw of LOSS (its largest), at least NOISE_SCALE x NOISE_FLOOR of it, less every other
    draw at its largest and the roundings (negative: the others can cancel it)."""
    assert bigger.largest == pytest.approx(loss)  # the report between them is the largest
    others = bigger.second + smaller.largest + smaller.second
    return NOISE_SCALE * NOISE_FLOOR * loss - NOISE_SCALE * others - _rounding(bigger, smaller)


def _worst_share(bigger: Cell, smaller: Cell, loss: float) -> float:
    """The most the share of draws telling LOSS to within WITHIN can be, whatever the other
    draws are: LOSS's own draw times NOISE_SCALE is uniform over two spans of NOISE_SCALE x
    (1 - NOISE_FLOOR) x LOSS, half the chance each, 2 x NOISE_SCALE x NOISE_FLOOR x LOSS apart;
    the draws that tell it are those putting the difference in a window of 2 x WITHIN x LOSS
    (and the roundings), which meets one span only."""
    window = 2 * WITHIN * loss + 2 * _rounding(bigger, smaller)
    assert window < 2 * NOISE_SCALE * NOISE_FLOOR * loss  # it meets one span only
    return 0.5 * min(1.0, window / (NOISE_SCALE * (1 - NOISE_FLOOR) * loss))


def _draw(rng: random.Random) -> float:
    magnitude = rng.uniform(NOISE_FLOOR, 1.0)
    return magnitude if rng.random() < 0.5 else -magnitude


def _model_share(bigger: Cell, smaller: Cell, loss: float) -> float:
    """The share of draws telling LOSS to within WITHIN were the four draws independent and
    uniform (what `loss_draws` means them to be), the figures rounded as published."""
    rng = random.Random(138)
    told = 0
    for _ in range(MODEL_DRAWS):
        b = bigger.exact + NOISE_SCALE * (_draw(rng) * bigger.largest + _draw(rng) * bigger.second)
        s = smaller.exact + NOISE_SCALE * (
            _draw(rng) * smaller.largest + _draw(rng) * smaller.second
        )
        told += abs(rounded_loss(b) - rounded_loss(s) - loss) <= WITHIN * loss
    return told / MODEL_DRAWS


def _margin(share: float) -> float:
    """Four standard errors of a share over SECRETS, and one secret."""
    return 4 * math.sqrt(share * (1 - share) / len(SECRETS)) + 1 / len(SECRETS)


def _assert_not_told(bigger: Cell, smaller: Cell, loss: float) -> float:
    """BIGGER minus SMALLER, whose reports differ by one report of LOSS, does not tell LOSS to
    within WITHIN more often than the noise allows: never when no other draw can cancel LOSS's,
    else no more often than the worst case and than the model of the draws (with a margin).
    Returns the share."""
    share = _share_told(bigger, smaller, loss)
    if _floor(bigger, smaller, loss) > WITHIN * loss:
        assert share == 0, (share, bigger, smaller)
        return share
    worst = _worst_share(bigger, smaller, loss)
    model = _model_share(bigger, smaller, loss)
    assert model <= worst
    assert share <= worst + _margin(worst), (share, worst)
    assert share <= model + _margin(model), (share, model)
    return share


# The three leaks of helper-137, as tests.


def _one_run_rows() -> list[dict[str, object]]:
    """Six TH investment reports (one network), six VN job_task reports, and one LA investment
    report of $48,000 of October sharing the TH phone (the network is of seven)."""
    rows = [h137._row(f"th{i}", h137._th_amount(i)) for i in range(6)]
    rows += [h137._row(f"vn{i}", f"{1511.13 + i:.2f}") for i in range(6)]
    rows.append(
        report(
            "la0",
            country="LA",
            phone=h137.TH_PHONE,
            scam_type="investment",
            loss_amount="48000",
            loss_currency="USD",
            reported_at="2025-10-20T10:00:00Z",
        )
    )
    return rows


def test_two_tables_of_one_run_do_not_give_one_reports_loss(partnership: Partnership) -> None:
    """investment (TH and LA) minus TH gave LA's $48,000 as $49,400; "Other" (VN and LA) minus
    job_task (VN) as $45,460; the network of the seven minus TH as investment did. With the old
    noise (5 % of each total: of $100,000 and $52,000) each was within 15 % under nearly every
    secret; now LA's loss is in a draw of $12,000 to $24,000 either way, which the others' draws
    (of TH's $11,258 and $10,241, VN's $1,516) can cancel only now and then."""
    h137._send(partnership, _one_run_rows())
    stats, networks, runs = _publications(partnership, "2025")
    la = 48_000.0
    th = _table_cell(stats, runs, "by_country", "TH")
    investment = _table_cell(stats, runs, "by_typology", "investment")
    other = _table_cell(stats, runs, "by_country", OTHER)
    job_task = _table_cell(stats, runs, "by_typology", "job_task")
    network = _network_cell(partnership, networks, runs)
    assert investment.exact - th.exact == pytest.approx(la)
    assert other.exact - job_task.exact == pytest.approx(la)
    shares = [
        _assert_not_told(investment, th, la),
        _assert_not_told(other, job_task, la),
        _assert_not_told(network, th, la),
    ]
    assert max(shares) < 0.5, shares
    # the same reports, the same figure: the network, investment and October are the same seven
    october = _table_cell(stats, runs, "by_month", "2025-10")
    assert network.published == investment.published == october.published


def test_a_country_minus_a_network_inside_it_does_not_give_the_one_report_between(
    partnership: Partnership,
) -> None:
    """TH is the network's six reports and th9 (romance, December, $20,000, another phone): TH
    minus the network gave $19,100 under helper-137's secret (-4.5 %), within 15 % under every
    secret since the old noise was 5 % of $72,000 and of $52,000 at most."""
    rows = [h137._row(f"th{i}", h137._th_amount(i)) for i in range(6)]
    rows += [h137._row(f"vn{i}", f"{1511.13 + i:.2f}") for i in range(6)]
    rows.append(
        report(
            "th9",
            country="TH",
            phone="+66899999999",
            scam_type="romance",
            loss_amount="20000",
            loss_currency="USD",
            reported_at="2025-12-20T10:00:00Z",
        )
    )
    h137._send(partnership, rows)
    stats, networks, runs = _publications(partnership, "2025")
    th = _table_cell(stats, runs, "by_country", "TH")
    network = _network_cell(partnership, networks, runs)
    assert th.exact - network.exact == pytest.approx(20_000.0)
    _assert_not_told(th, network, 20_000.0)


def test_a_quarter_minus_its_first_two_months_does_not_give_the_third(
    partnership: Partnership,
) -> None:
    """January has five reports ($10,370), February five ($10,910), March one of $48,000: two
    runs, 2025-Q1 and 2025-01..2025-02, gave March's loss as $47,900 (within 9.6 % under any
    secret). Now the quarter's draw of March's loss is at least $12,000 either way, and the
    other draws (of $2,264, $2,264 and $2,223) at most $3,376: the difference is never within
    15 % of $48,000."""
    rows = [
        report(
            f"jan{i}",
            loss_amount=f"{2000 + 37 * i}",
            loss_currency="USD",
            reported_at=f"2025-01-1{i}T10:00:00Z",
            phone=f"+6681234{5600 + i}",
        )
        for i in range(5)
    ]
    rows += [
        report(
            f"feb{i}",
            loss_amount=f"{2100 + 41 * i}",
            loss_currency="USD",
            reported_at=f"2025-02-1{i}T10:00:00Z",
            phone=f"+6681234{5700 + i}",
        )
        for i in range(5)
    ]
    rows.append(
        report(
            "mar0",
            loss_amount="48000",
            loss_currency="USD",
            reported_at="2025-03-10T10:00:00Z",
            phone="+66812345800",
        )
    )
    partnership.submit("B", rows, distribution="partnership", tlp="green")
    exact_q1, _, q1_runs = _publications(partnership, "2025-Q1")
    exact_jf, _, jf_runs = _publications(partnership, "2025-01..2025-02")

    def total(stats: Statistics, runs: Sequence[tuple[CellKeys, Statistics, object]]) -> Cell:
        tops = merged("period", stats.by_country)
        exact = Tally("period", stats.report_count, stats.loss_usd, 0, tops.largest, tops.second)
        return _cell(exact, [shown.loss_usd for _, shown, _ in runs])

    quarter, months = total(exact_q1, q1_runs), total(exact_jf, jf_runs)
    assert quarter.exact - months.exact == pytest.approx(48_000.0)
    assert _floor(quarter, months, 48_000.0) > WITHIN * 48_000.0  # no draw can cancel March's
    assert _assert_not_told(quarter, months, 48_000.0) == 0


# Every loss is perturbed by its own cell's two largest losses.


def test_every_loss_is_changed_by_its_cells_two_largest_losses() -> None:
    """A country, "Other" (the two largest of all it pools), a month, a typology, the period
    (the two largest of its countries) and a currency's amount (in that currency): each
    published loss is its exact loss plus `loss_noise` of its key and its two largest, rounded;
    a cell of one stated loss has a second largest of 0."""
    groups = {
        "A": Tally("A", 7, 21_000.0, 7, 4_000.0, 3_500.0),
        "B": Tally("B", 6, 12_000.0, 6, 2_500.0, 2_400.0),
        "C": Tally("C", 3, 9_000.0, 3, 4_500.0, 3_000.0),
        "D": Tally("D", 2, 2_000.0, 2, 1_500.0, 500.0),
    }
    months = (Tally("2025-01", 10, 30_000.0, 10, 4_500.0, 4_000.0),)
    typologies = (Tally("investment", 18, 44_000.0, 18, 4_500.0, 4_000.0),)
    npr = Unconverted("NPR", 6, 80_000.0, 6, 20_000.0, 15_000.0)
    stats = Statistics(
        period=parse_period("2025"),
        generated_at=datetime(2026, 1, 5, tzinfo=UTC),
        report_count=18,
        loss_usd=44_000.0,
        network_count=0,
        by_country=tuple(groups.values()),
        by_month=months,
        by_typology=typologies,
        flows=(),
        requests_by_status=(),
        unconverted=6,
        unconverted_by_currency=(npr,),
    )
    key = {name: (i + 1) * 0x9E3779B97F4A7C15 % KEY_SPACE for i, name in enumerate("ABCD")}
    keys = CellKeys(
        total=cell_key(key.values()),
        by_country=key,
        by_month={"2025-01": 12345},
        by_typology={"investment": 67890},
        currencies={"NPR": 424242},
        networks={},
    )
    shown = publishable(stats, [], keys=keys).stats

    def expected(loss: float, k: int, largest: float, second: float) -> float:
        return rounded_loss(loss + loss_noise(k, largest, second))

    countries = {t.key: t.loss_usd for t in shown.by_country}
    assert set(countries) == {"A", "B", OTHER}  # C and D pooled
    assert countries["A"] == expected(21_000.0, key["A"], 4_000.0, 3_500.0)
    assert countries["B"] == expected(12_000.0, key["B"], 2_500.0, 2_400.0)
    # OTHER: C's largest and C's second (4,500 and 3,000), not D's, under C's and D's keys
    assert countries[OTHER] == expected(11_000.0, cell_key([key["C"], key["D"]]), 4_500.0, 3_000.0)
    assert shown.by_month[0].loss_usd == expected(30_000.0, 12345, 4_500.0, 4_000.0)
    assert shown.by_typology[0].loss_usd == expected(44_000.0, 67890, 4_500.0, 4_000.0)
    # the period's: C's 4,500 and A's 4,000, the two largest of all its countries
    assert shown.loss_usd == expected(44_000.0, cell_key(key.values()), 4_500.0, 4_000.0)
    assert shown.unconverted_by_currency[0].amount == expected(80_000.0, 424242, 20_000.0, 15_000.0)
    # a cell of one stated loss: a draw of it alone, a quarter to a half of it either way
    alone = perturbed_loss(48_000.0, 424242, 48_000.0, 0.0) - 48_000.0
    assert NOISE_SCALE * NOISE_FLOOR * 48_000 <= abs(alone) <= NOISE_SCALE * 48_000


def test_a_network_is_changed_by_its_reports_two_largest_losses(
    partnership: Partnership,
) -> None:
    """The network of seven (TH's six and LA's $48,000): its loss plus the noise of its key and
    its two largest ($48,000 and TH's $11,258), rounded; investment, the same seven reports,
    publishes the same figure."""
    h137._send(partnership, _one_run_rows())
    viewer, period = Viewer.node_operator(), parse_period("2025")
    stats = compute_statistics(partnership.store, viewer, period)
    networks = _top_networks(partnership.store, viewer, period, 10)
    cells = network_loss_cells(partnership.store, networks)
    keys = report_cell_keys(partnership.store, viewer, period, SECRETS[0], networks, stats=stats)
    shown = publishable(stats, networks, keys=keys, network_cells=cells)
    (network,) = networks
    cell = cells[network.id]
    assert (cell.largest, cell.second) == (48_000.0, pytest.approx(11_258.2))
    assert cell.largest is not None and cell.second is not None
    noise = loss_noise(keys.networks[network.id], cell.largest, cell.second)
    (published,) = shown.networks
    assert published.stats.total_loss_usd == rounded_loss(network.stats.total_loss_usd + noise)
    investment = _tally("investment")(shown.stats.by_typology)
    assert investment.loss_usd == published.stats.total_loss_usd


# A published loss is never negative.


stated_losses = st.lists(
    st.one_of(
        st.just(0.0),
        st.floats(min_value=0.01, max_value=1e4, allow_nan=False),
        st.floats(min_value=1e4, max_value=1e9, allow_nan=False),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(stated_losses, st.integers(min_value=0, max_value=KEY_SPACE - 1))
def test_a_published_loss_is_never_negative_nor_more_than_its_noise_away(
    losses: list[float], key: int
) -> None:
    """T holds its two largest L1 + L2, and the noise is at most NOISE_SCALE (<= 1) times them:
    T + noise >= (1 - NOISE_SCALE) x (L1 + L2) >= 0, rounded as well; and within NOISE_SCALE x
    (L1 + L2) of T, NOISE_SCALE x NOISE_FLOOR x L1 - NOISE_SCALE x L2 at least."""
    exact = math.fsum(losses)
    largest, second = two_largest(losses)
    published = perturbed_loss(exact, key, largest, second)
    spread = NOISE_SCALE * (largest + second)
    assert published >= (1 - NOISE_SCALE) * (largest + second) - 1e-9 * exact
    assert rounded_loss(published) >= 0
    assert abs(published - exact) <= spread + 1e-9 * exact
    if exact > 0:
        floor = NOISE_SCALE * (NOISE_FLOOR * largest - second)
        assert abs(published - exact) >= floor - 1e-9 * exact
