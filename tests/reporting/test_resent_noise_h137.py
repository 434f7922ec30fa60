"""A report sent again with another loss draws new noise in the cells holding it (helper-137).

Each report's record key was HMAC(secret, organization, report id) alone: a partner re-sending
report R with its loss changed from L to L + D left every cell holding R with the same reports,
so the same key and the same change e. The cell published T(1 + e) before and (T + D)(1 + e)
after: their ratio is (T + D) / T exactly, and the partner, who knows D, has e from the
difference D(1 + e), and so T exactly: the noise gave nothing. The record key now takes the
report's loss too (`bigfish.reporting.disclosure.loss_text`), so that a changed loss draws new
noise, while the same reports with the same losses still give the same figure."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bigfish.reporting import compute_statistics, parse_period
from bigfish.reporting.disclosure import LOSS_FIGURES, CellKeys, loss_draws
from bigfish.reporting.stats import Statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report

#: A fixed secret: the figures below are those of this secret every time.
SECRET = b"helper-137: a fixed secret for the tests, never a node's"

#: The change of the re-sent report's loss.
CHANGE = 30_000

#: The one phone of the TH reports (one network); the VN reports each name their own.
TH_PHONE = "+66812345678"


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong, on SQLite and on PostgreSQL."""
    yield from build_partnership(store)


def _row(report_id: str, amount: str, currency: str = "USD") -> dict[str, object]:
    """TH reports are of October and investment, VN ones of November and job_task."""
    th = report_id.startswith("th")
    return report(
        report_id,
        country="TH" if th else "VN",
        phone=TH_PHONE if th else f"+8491234{5670 + int(report_id[2:])}",
        scam_type="investment" if th else "job_task",
        loss_amount=amount,
        loss_currency=currency,
        reported_at=f"2025-{10 if th else 11}-1{report_id[2:]}T10:00:00Z",
    )


def _th_amount(i: int) -> str:
    return f"{6173.20 + 1017 * i:.2f}"


def _send(p: Partnership, rows: list[dict[str, object]]) -> None:
    from bigfish.linking.service import rebuild_networks

    answer = p.submit("B", rows, distribution="partnership", tlp="green")
    assert answer["rejected"] == [], answer["rejected"]
    rebuild_networks(p.store)


def _submit(p: Partnership) -> None:
    """Six TH reports of some $6,000 to $11,000 (one network), six VN ones of some $1,500."""
    rows = [_row(f"th{i}", _th_amount(i)) for i in range(6)]
    rows += [_row(f"vn{i}", f"{1511.13 + i:.2f}") for i in range(6)]
    _send(p, rows)


@dataclass(frozen=True)
class Read:
    """One report run's figures: the exact statistics, the cell keys and what is published."""

    exact: Statistics
    keys: CellKeys
    published: Statistics
    networks: dict[int, float]
    #: The exact loss of each network listed, by id.
    exact_networks: dict[int, float]


def _read(p: Partnership) -> Read:
    """What `write_report` computes for the operator over 2025, with SECRET."""
    from bigfish.reporting.cell_keys import report_cell_keys
    from bigfish.reporting.disclosure import publishable
    from bigfish.reporting.document import _top_networks
    from bigfish.reporting.stats import network_loss_cells

    viewer, period = Viewer.node_operator(), parse_period("2025")
    stats = compute_statistics(p.store, viewer, period)
    networks = _top_networks(p.store, viewer, period, 10)
    keys = report_cell_keys(p.store, viewer, period, SECRET, networks, stats=stats)
    shown = publishable(
        stats, networks, keys=keys, network_cells=network_loss_cells(p.store, networks)
    )
    losses = {n.id: n.stats.total_loss_usd for n in shown.networks}
    exact = {n.id: n.stats.total_loss_usd for n in networks}
    return Read(stats, keys, shown.stats, losses, exact)


def _cells(keys: CellKeys) -> dict[str, int | None]:
    """Every cell key of KEYS by table and group."""
    return {
        "total": keys.total,
        **{f"country {k}": v for k, v in keys.by_country.items()},
        **{f"month {k}": v for k, v in keys.by_month.items()},
        **{f"typology {k}": v for k, v in keys.by_typology.items()},
        **{f"currency {k}": v for k, v in keys.currencies.items()},
        **{f"network {k}": v for k, v in keys.networks.items()},
    }


def _figures(stats: Statistics) -> dict[str, float]:
    """Every published loss of STATS by table and group."""
    return {
        "total": stats.loss_usd,
        **{f"country {t.key}": t.loss_usd for t in stats.by_country},
        **{f"month {t.key}": t.loss_usd for t in stats.by_month},
        **{f"typology {t.key}": t.loss_usd for t in stats.by_typology},
        **{f"currency {u.currency}": u.amount for u in stats.unconverted_by_currency},
    }


#: The cells holding th0, and those that do not.
HOLDING_TH0 = ("total", "country TH", "month 2025-10", "typology investment")
NOT_HOLDING = ("country VN", "month 2025-11", "typology job_task")


def test_a_loss_sent_again_changed_draws_new_noise_in_the_cells_holding_it(
    partnership: Partnership,
) -> None:
    """th0 re-sent with $30,000 more: each cell holding it kept its key and its change e, so
    its published loss went from T(1 + e) to (T + $30,000)(1 + e), and B, who knows the
    $30,000, had e and T (TH: $52,500 then $82,700 published, so 1 + e = 30,200 / 30,000 and
    T = $52,152, for $52,294 exact). Now each of those cells has a new key; the others keep
    theirs, and their figures."""
    _submit(partnership)
    before = _read(partnership)
    _send(partnership, [_row("th0", f"{float(_th_amount(0)) + CHANGE:.2f}")])
    after = _read(partnership)
    keys_before, keys_after = _cells(before.keys), _cells(after.keys)
    exact_before, exact_after = _figures(before.exact), _figures(after.exact)
    for cell in HOLDING_TH0:
        assert exact_after[cell] == pytest.approx(exact_before[cell] + CHANGE)
        k0, k1 = keys_before[cell], keys_after[cell]
        assert k0 is not None and k1 is not None
        assert k1 != k0, f"{cell}: the same key, so the same noise, for another loss"
        assert loss_draws(k1) != loss_draws(k0), cell
    for cell in NOT_HOLDING:
        assert keys_after[cell] == keys_before[cell], cell
        assert _figures(after.published)[cell] == _figures(before.published)[cell], cell


def _insiders_estimate(before: float, after: float) -> float:
    """The cell's exact loss as the sender of a change of CHANGE reads it off the published
    figures BEFORE and AFTER, were both changed by the same e: 1 + e = (AFTER - BEFORE) / CHANGE
    and T = BEFORE / (1 + e)."""
    return before * CHANGE / (after - before)


def _half_unit(published: float) -> float:
    """Half a unit of the last figure `rounded_loss` keeps of PUBLISHED: its rounding error."""
    return 0.5 * 10 ** (math.floor(math.log10(published)) + 1 - LOSS_FIGURES)


def test_the_sender_of_the_change_cannot_read_the_cells_exact_loss_off_the_two_reports(
    partnership: Partnership,
) -> None:
    """What the shared noise gave away, in the published (rounded) figures: under one e, the
    sender's estimate of a cell's exact loss is off by its roundings alone, (half a unit of
    each figure) / CHANGE + half a unit / BEFORE, some 0.4 % here (TH: $52,294 exact, $52,500
    and $82,700 published, estimated $52,152, 0.27 % off), where the noise hid up to 5 %.
    With new draws after the change the estimate is off by more than that bound (for this
    SECRET, with the noise of helper-138, 25 to 50 % of each of a cell's two largest losses:
    TH 28 %, the period's total 31 %)."""
    _submit(partnership)
    before = _read(partnership)
    _send(partnership, [_row("th0", f"{float(_th_amount(0)) + CHANGE:.2f}")])
    after = _read(partnership)
    shown_before, shown_after = _figures(before.published), _figures(after.published)
    exact = _figures(before.exact)
    for cell in HOLDING_TH0:
        b, a = shown_before[cell], shown_after[cell]
        bound = (_half_unit(b) + _half_unit(a)) / CHANGE + _half_unit(b) / b
        # the check below means something: well within the noise, 25 to 50 % of the cell's
        # largest loss of one report either way (some $11,000 of $52,000 before the change)
        assert bound < 0.025, cell
        error = _insiders_estimate(b, a) / exact[cell] - 1
        assert abs(error) > bound, (cell, b, a, error, bound)


def test_the_same_loss_in_another_form_keeps_every_figure(partnership: Partnership) -> None:
    """th0 re-sent as 6173.2 rather than 6173.20 (stored as sent): the same loss, so the same
    keys and the same published figures in every table (two runs of one report do not give
    two draws to average)."""
    _submit(partnership)
    before = _read(partnership)
    assert _th_amount(0) == "6173.20"
    _send(partnership, [_row("th0", "6173.2")])
    after = _read(partnership)
    assert _cells(after.keys) == _cells(before.keys)
    assert _figures(after.published) == _figures(before.published)
    assert after.networks == before.networks and after.networks


def test_a_loss_text_is_one_for_one_loss() -> None:
    """`loss_text`: one text for the forms of one amount, another for another amount (however
    many digits), currency or value in US dollars; and the record key takes it."""
    from bigfish.reporting.disclosure import loss_text, record_key  # the old code has neither

    one = loss_text("100", "USD", 100.0)
    for form in ("100.0", "100.00", "1E+2", " 100 ", "0100"):
        assert loss_text(form, "USD", 100.0) == one, form
    assert loss_text("0.50", "THB", 0.0153) == loss_text("0.5", "THB", 0.0153)
    assert loss_text("0.00", "USD", 0.0) == loss_text("0", "USD", 0.0)
    others = [
        loss_text("101", "USD", 101.0),
        loss_text("100", "EUR", 100.0),
        loss_text("100", "USD", 100.5),
        loss_text("100", "USD", None),
        loss_text(None, None, None),
        loss_text("not a number", "USD", None),
    ]
    assert len({one, *others}) == 1 + len(others)
    # 30 digits (what intake takes): more than a decimal context's 28 would keep
    wide = "123456789012345678901234567890"
    assert loss_text(wide, "VND", None) != loss_text(wide[:-1] + "1", "VND", None)
    assert loss_text(wide + ".000", "VND", None) == loss_text(wide, "VND", None)
    key = record_key(SECRET, "B", "th0", loss=one)
    assert record_key(SECRET, "B", "th0", loss=loss_text("100.0", "USD", 100.0)) == key
    assert record_key(SECRET, "B", "th0", loss=others[0]) != key


def _rates(tmp_path: Path, thb: str) -> Path:
    path = tmp_path / f"rates-{thb}.csv"
    path.write_text(f"currency,units_per_usd\nUSD,1\nTHB,{thb}\n", "utf-8")
    return path


def test_the_same_amount_at_other_rates_draws_new_noise(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """th0 states 200,000 THB; re-sent the same after the node's rates went from 32 to 33.5 THB
    a dollar, its loss in US dollars is $5,970 rather than $6,250. With the same key, each cell
    holding it published that change under the same e, and with the two rates, which are no
    secret, the change gives the amount: another key now."""
    from bigfish.fx import RATES_ENV

    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, "32")))
    _submit(partnership)
    _send(partnership, [_row("th0", "200000", "THB")])
    before = _read(partnership)
    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, "33.5")))
    _send(partnership, [_row("th0", "200000", "THB")])
    after = _read(partnership)
    exact_before, exact_after = _figures(before.exact), _figures(after.exact)
    assert exact_before["country TH"] - exact_after["country TH"] == pytest.approx(
        200_000 / 32 - 200_000 / 33.5
    )
    keys_before, keys_after = _cells(before.keys), _cells(after.keys)
    for cell in HOLDING_TH0:
        assert keys_after[cell] != keys_before[cell], cell
    for cell in NOT_HOLDING:
        assert keys_after[cell] == keys_before[cell], cell


def test_an_amount_without_a_rate_sent_again_changed_draws_new_noise(
    partnership: Partnership,
) -> None:
    """Six reports state an amount in NPR (no reference rate): their currency's amount is
    published, changed by its cell's key. One of them re-sent with 20,000 NPR more changed
    that amount under the same key; now the key is another."""
    rows = [
        report(f"npr{i}", loss_amount=f"{50_000 + 3_131 * i}", loss_currency="NPR")
        for i in range(6)
    ]
    _send(partnership, rows)
    before = _read(partnership)
    rows[0] = report("npr0", loss_amount="70000", loss_currency="NPR")
    _send(partnership, rows[:1])
    after = _read(partnership)
    amount = "currency NPR"
    assert _figures(after.exact)[amount] == _figures(before.exact)[amount] + 20_000
    assert not math.isnan(_figures(before.published)[amount])
    assert _cells(after.keys)[amount] != _cells(before.keys)[amount]


def _network_of_th(read: Read) -> int:
    """The id of the network of the TH reports (the only one)."""
    (nid,) = read.keys.networks
    return nid


def test_a_networks_key_takes_its_reports_losses(partnership: Partnership) -> None:
    """The network of the six TH reports: th0 re-sent with $5,000 more (and the networks
    linked again) gave it the same key, and so the same e, for a loss $5,000 larger."""
    _submit(partnership)
    before = _read(partnership)
    _send(partnership, [_row("th0", f"{float(_th_amount(0)) + CHANGE:.2f}")])
    after = _read(partnership)
    nid = _network_of_th(before)
    assert after.keys.networks[nid] != before.keys.networks[nid]


def test_a_network_and_a_cell_of_the_same_reports_publish_the_same_loss(
    partnership: Partnership,
) -> None:
    """The TH network holds the six TH reports of 2025, as TH's cell does: one key, one change,
    one published figure (two would differ by noise alone, and be two draws to average)."""
    _submit(partnership)
    read = _read(partnership)
    nid = _network_of_th(read)
    assert read.keys.networks[nid] == read.keys.by_country["TH"]
    country = {t.key: t.loss_usd for t in read.published.by_country}
    assert read.networks[nid] == country["TH"]
    assert not math.isnan(country["TH"])


def test_a_loss_changed_between_the_two_reads_leaves_its_cells_unpublished(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statistics and the keys are two reads: th0 re-sent with $5,000 more between them is
    in the keys with its new loss and in the figures with its old one; its cells are not
    published (not changed by the key of another loss), the others are as before."""
    from bigfish.reporting import cell_keys

    _submit(partnership)
    before = _read(partnership)
    read_keys = cell_keys.report_cell_keys

    def changed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        _send(partnership, [_row("th0", f"{float(_th_amount(0)) + CHANGE:.2f}")])
        return read_keys(*args, **kwargs)

    monkeypatch.setattr(cell_keys, "report_cell_keys", changed_meanwhile)
    during = _read(partnership)
    shown = _figures(during.published)
    for cell in HOLDING_TH0:
        assert math.isnan(shown[cell]), cell
    for cell in NOT_HOLDING:
        assert shown[cell] == _figures(before.published)[cell], cell


def test_a_networks_figure_older_than_its_reports_losses_is_not_published(
    partnership: Partnership,
) -> None:
    """The operator's network figures are those of the last link run, its keys of the reports
    as they are now: th0 re-sent with $3,000 more before the next link run gave the network
    the key of the new losses beside the figure of the old ones, N(1 + e') and, once linked
    again, (N + $3,000)(1 + e'): the same key for two figures, the change published under one
    e. A network whose figure is not of its reports' losses now has no key, and its loss is
    not published until the link run catches up."""
    from bigfish.linking.service import rebuild_networks

    _submit(partnership)
    linked = _read(partnership)
    nid = _network_of_th(linked)
    answer = partnership.submit(
        "B",
        [_row("th0", f"{float(_th_amount(0)) + 3_000:.2f}")],  # th0 stays below th5
        distribution="partnership",
        tlp="green",
    )
    assert answer["rejected"] == [], answer["rejected"]
    stale = _read(partnership)
    assert nid not in stale.keys.networks
    assert math.isnan(stale.networks[nid])
    rebuild_networks(partnership.store)
    relinked = _read(partnership)
    assert not math.isnan(relinked.networks[nid])
    # one key, one figure: no two reads publish two losses under one key
    figures: dict[int, float] = {}
    for read in (linked, stale, relinked):
        for key, loss in _keyed_losses(read):
            assert figures.setdefault(key, loss) == pytest.approx(loss), (read, key)


def _keyed_losses(read: Read) -> list[tuple[int, float]]:
    """(key, exact loss) of every cell and network READ has a key for."""
    exact = _figures(read.exact) | {f"network {n}": v for n, v in read.exact_networks.items()}
    return [(key, exact[cell]) for cell, key in _cells(read.keys).items() if key is not None]


def test_a_network_linked_at_the_operators_new_rates_keeps_its_key(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports were stored at 32 THB a dollar, the networks linked at the operator's new
    33.5: the network's figure is not the stored losses added up but is those of its reports
    at the rates the link run used, and keeps its key (a figure is checked against both)."""
    from bigfish.fx import RATES_ENV
    from bigfish.linking.service import rebuild_networks

    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, "32")))
    rows = [_row(f"th{i}", f"{200_000 + 10_000 * i}", "THB") for i in range(6)]
    _send(partnership, rows)
    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, "33.5")))
    rebuild_networks(partnership.store)
    read = _read(partnership)
    nid = _network_of_th(read)
    stored = read.exact.loss_usd
    assert read.exact_networks[nid] == pytest.approx(stored * 32 / 33.5)
    assert not math.isnan(read.networks[nid])
