"""Review h141: a network's noise and p % rule read the losses its figure adds up.

The operator's network figures are those of the last link run, at the operator's rates
(BIGFISH_RATES) when they are set; a report stored while its currency had no rate keeps no loss
in US dollars, and a link run after the operator gave that currency a rate counts it. The
network's loss cell (`network_loss_cells`: how many state a loss, the two largest) read the
stored losses only: the one large loss was in the figure but neither its largest (the p % rule
let it through) nor in the noise (sized by the small losses), so the published figure was that
one report's loss to within a few per cent."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bigfish.reporting import compute_statistics, parse_period
from bigfish.sharing.policy import Viewer
from tests.reporting.test_resent_noise_h137 import (
    Partnership,
    _network_of_th,
    _read,
    _row,
    _send,
    partnership,
)

__all__ = ["partnership"]

#: The one report stated in Nepalese rupees, and what the operator's later rate makes of it.
NPR_AMOUNT = 5_000_000
NPR_PER_USD = 125
LARGE = NPR_AMOUNT / NPR_PER_USD  # $40,000

#: The six other reports of the network, in US dollars.
SMALL = [f"{480 + 7 * i}.00" for i in range(6)]


def _rates(tmp_path: Path, npr: bool) -> Path:
    path = tmp_path / f"rates-{npr}.csv"
    text = "currency,units_per_usd\nUSD,1\nTHB,32\n" + (f"NPR,{NPR_PER_USD}\n" if npr else "")
    path.write_text(text, "utf-8")
    return path


def test_a_loss_counted_only_at_the_operators_rates_sizes_the_networks_noise(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bigfish.fx import RATES_ENV
    from bigfish.linking.service import rebuild_networks

    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, npr=False)))
    rows = [_row(f"th{i}", amount) for i, amount in enumerate(SMALL)]
    _send(partnership, [*rows, _row("th6", str(NPR_AMOUNT), "NPR")])
    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, npr=True)))
    rebuild_networks(partnership.store)
    read = _read(partnership)
    nid = _network_of_th(read)
    others = sum(float(a) for a in SMALL)
    assert read.exact_networks[nid] == pytest.approx(others + LARGE)
    from bigfish.reporting.document import _top_networks
    from bigfish.reporting.stats import network_loss_cells

    networks = _top_networks(partnership.store, Viewer.node_operator(), parse_period("2025"), 10)
    cell = network_loss_cells(partnership.store, networks)[nid]
    assert (cell.with_loss, cell.largest) == (len(SMALL) + 1, pytest.approx(LARGE))
    published = read.networks[nid]
    if not math.isnan(published):
        told = published - others  # what the six other victims, together, read off
        assert abs(told - LARGE) > 0.15 * LARGE, (published, told, LARGE)


def test_a_network_linked_again_at_other_operators_rates_draws_new_noise(
    partnership: Partnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The network's figure counts the NPR loss at the operator's rate, 125 then 130 NPR a
    dollar: its key took the reports' losses as stored (no loss in US dollars for NPR), so both
    figures were published under one key, the same draws, their difference a known rate's
    share of one victim's amount. A record key takes the loss in US dollars for that reason
    (`loss_text`): the network's now takes it at the rates its figure is of."""
    from bigfish.fx import RATES_ENV
    from bigfish.linking.service import rebuild_networks

    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, npr=False)))
    rows = [_row(f"th{i}", f"{20_000 + 1_000 * i}.00") for i in range(6)]
    _send(partnership, [*rows, _row("th6", str(NPR_AMOUNT), "NPR")])
    keys = []
    for npr in (NPR_PER_USD, NPR_PER_USD + 5):
        path = tmp_path / f"rates-npr-{npr}.csv"
        path.write_text(f"currency,units_per_usd\nUSD,1\nTHB,32\nNPR,{npr}\n", "utf-8")
        monkeypatch.setenv(RATES_ENV, str(path))
        rebuild_networks(partnership.store)
        read = _read(partnership)
        nid = _network_of_th(read)
        assert read.exact_networks[nid] == pytest.approx(135_000 + NPR_AMOUNT / npr)
        keys.append(read.keys.networks[nid])
    assert keys[0] != keys[1]


def test_a_network_figure_of_losses_since_changed_rests_on_no_cell(
    partnership: Partnership,
) -> None:
    """th0 stated $60,000 when the network was linked, then was sent again stating $500, with
    no link run since: the operator's figure still holds the $60,000. Its loss cell read the
    losses now (th0's $500 among five others of some $1,000): the p % rule passed the figure,
    and a report without cell keys (`publishable` with no KEYS) printed it exactly, th0's old
    loss plus the others'. The figure's losses are no report's now: no cell, no loss."""
    from bigfish.reporting.disclosure import publishable
    from bigfish.reporting.document import _top_networks
    from bigfish.reporting.stats import network_loss_cells

    rows = [_row(f"th{i}", f"{1_000 + 10 * i}.00") for i in range(1, 6)]
    _send(partnership, [_row("th0", "60000.00"), *rows])
    answer = partnership.submit(
        "B", [_row("th0", "500.00")], distribution="partnership", tlp="green"
    )
    assert answer["rejected"] == []
    viewer, period = Viewer.node_operator(), parse_period("2025")
    networks = _top_networks(partnership.store, viewer, period, 10)
    (network,) = networks
    others = sum(1_000 + 10 * i for i in range(1, 6))
    assert network.stats.total_loss_usd == pytest.approx(60_000 + others)
    stats = compute_statistics(partnership.store, viewer, period)
    cells = network_loss_cells(partnership.store, networks)
    (shown,) = publishable(stats, networks, network_cells=cells).networks
    assert math.isnan(shown.stats.total_loss_usd), shown.stats.total_loss_usd
