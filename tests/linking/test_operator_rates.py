"""The node's own exchange rates (BIGFISH_RATES): every run counts losses with them.

`bigfish link --rates FILE` counted a rebuild with the operator's table, and the next ingest's
update went back to the shipped reference rates for every network it grew (helper-98's review)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.errors import InputError
from bigfish.fx import RATES_ENV, load_rates, node_rates, reference_rates
from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.linking.conftest import OPERATOR, Ingest, report


def _rates(tmp_path: Path, thb: str) -> Path:
    path = tmp_path / "our-rates.csv"
    path.write_text(f"currency,units_per_usd\nTHB,{thb}\nUSD,1\n", "utf-8")
    return path


def _totals(store: Store) -> list[float]:
    return sorted(n.stats.total_loss_usd for n in list_networks(store, OPERATOR).networks)


def test_the_nodes_rates_count_every_run_not_only_the_rebuild(
    store: Store, ingest: Ingest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RATES_ENV, str(_rates(tmp_path, "10")))
    phone = ("phone", "0811111111")
    ingest(store, "th-aoc", [report("r1", phone, loss="1000"), report("r2", phone, loss="1000")])
    rebuild_networks(store)
    assert _totals(store) == [200.0]
    ingest(store, "th-aoc", [report("r3", phone, loss="1000")])
    update_networks(store)  # the network grows: still the node's rates
    assert _totals(store) == [300.0]
    with store.connect() as conn:  # stored at ingest with them too (statistics read these)
        stored = conn.execute(sa.select(reports.c.loss_usd)).scalars().all()
    assert sorted(float(v) for v in stored) == [100.0, 100.0, 100.0]


def test_without_the_setting_the_reference_rates_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RATES_ENV, raising=False)
    assert node_rates() is reference_rates()
    path = _rates(tmp_path, "10")
    monkeypatch.setenv(RATES_ENV, str(path))
    assert node_rates()["THB"] == 10
    path.write_text("currency,units_per_usd\nTHB,20.5\n", "utf-8")  # changed: read again
    assert node_rates()["THB"] == pytest.approx(20.5)


def test_a_rates_file_that_cannot_be_read_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latin = tmp_path / "rates-latin1.csv"
    latin.write_bytes("currency,units_per_usd\nTHB,35\n# baht \xe0 jour\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        load_rates(latin)
    assert caught.value.file == str(latin) and caught.value.line == 3
    assert "UTF-8" in str(caught.value)
    monkeypatch.setenv(RATES_ENV, str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match=RATES_ENV) as missing:
        node_rates()
    assert missing.value.file == str(tmp_path / "missing.csv")
