"""The cell keys of a statistics report (`bigfish.reporting.disclosure.CellKeys`): every report
VIEWER sees in the period, keyed by a node secret and its loss as it is now
(`bigfish.reporting.disclosure.record_key`), added up per cell.

The secret is the node's: `report_secret` derives it from the node key under the data directory
(an Ed25519 signature is deterministic, so the node key signing one fixed text gives the same
secret every time, and no one without the key can compute it). The same secret must serve every
report of a node: with another, the same cells get other changes, and the two reports averaged
give their exact losses more closely.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from bigfish.evidence.node_key import NodeKey
from bigfish.linking.views import NetworkSummary
from bigfish.reporting.disclosure import CellKeys, cell_key, loss_text, record_key
from bigfish.reporting.period import Period
from bigfish.reporting.stats import (
    Statistics,
    Tally,
    figure_losses,
    in_period_for,
    member_losses,
    month_of,
)
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports

#: What the node key signs to give the report's secret (another text, another secret).
_SECRET_PURPOSE = b"bigfish statistics report: record keys, version 1"


def report_secret(node_key: NodeKey) -> bytes:
    """The secret of the record keys of the node of NODE_KEY: SHA-256 of its signature of a
    fixed text (the same for every report of the node)."""
    return hashlib.sha256(bytes.fromhex(node_key.sign(_SECRET_PURPOSE))).digest()


@dataclass(slots=True)
class _Cell:
    """The reports of one cell as the keys were read: their keys added up, and what the
    statistics' figure of the cell rests on (to tell that it is of the same reports)."""

    key: int = 0
    reports: int = 0
    amounts: list[float | Decimal] = field(default_factory=list)
    with_loss: int = 0

    def add(self, key: int, amount: float | Decimal | None) -> None:
        self.key += key
        self.reports += 1
        if amount is not None:
            self.amounts.append(amount)
            self.with_loss += amount > 0

    def holds(self, reports: int, amount: float, with_loss: int) -> bool:
        """True when the cell's figure (REPORTS, AMOUNT added up, WITH_LOSS) is of these
        reports: else a report was stored, changed or deleted between the two reads."""
        total = math.fsum(float(a) for a in self.amounts)
        same = math.isclose(total, amount, rel_tol=1e-9, abs_tol=1e-6)
        return same and (self.reports, self.with_loss) == (reports, with_loss)


def _amount(text: object) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:  # as `stats._unconverted`: one that is not a number adds nothing
        return Decimal(0)


def _matching(cells: Mapping[str, _Cell], tallies: Iterable[Tally]) -> dict[str, int]:
    """The keys of CELLS whose TALLIES (the statistics' figures) are of the same reports; a
    group whose figure is not has no key, and its loss is not published."""
    return {
        t.key: cell_key([cells[t.key].key])
        for t in tallies
        if t.key in cells and cells[t.key].holds(t.reports, t.loss_usd, t.with_loss)
    }


def report_cell_keys(
    store: Store,
    viewer: Viewer,
    period: Period,
    secret: bytes,
    networks: Sequence[NetworkSummary] = (),
    *,
    stats: Statistics,
) -> CellKeys:
    """The cell keys of the report for VIEWER over PERIOD, its groups named as
    `compute_statistics` names them, and of NETWORKS by their reports as shown: only of the
    cells of STATS (read before) whose reports, losses and reports stating one are the same
    here, and of the networks whose count and loss are of their reports as they are now
    (`_network_keys`: the operator's are of the last link run; a report stored, changed or
    deleted between the reads, or since that run: the cell's key is not of its figure, which is
    then not published). Each
    report's key takes its loss as read here: the cell's figure, checked to be of the same
    losses, is the one the key is of."""
    query = (
        sa.select(
            organizations.c.name,
            reports.c.report_id,
            reports.c.country,
            month_of(reports.c.reported_at, store.dialect),
            reports.c.scam_type,
            reports.c.loss_usd,
            reports.c.loss_amount,
            reports.c.loss_currency,
        )
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(in_period_for(viewer, period))
    )
    total = _Cell()
    tables: dict[str, defaultdict[str, _Cell]] = {
        name: defaultdict(_Cell) for name in ("country", "month", "typology", "currency")
    }
    with store.connect() as conn:
        for org, report_id, country, month, scam_type, usd, amount, currency in conn.execute(query):
            key = record_key(
                secret, str(org), str(report_id), loss=loss_text(amount, currency, usd)
            )
            loss = None if usd is None else float(usd)
            total.add(key, loss)
            tables["country"][str(country or "unknown")].add(key, loss)
            tables["month"][str(month or "unknown")].add(key, loss)
            tables["typology"][str(scam_type or "unknown")].add(key, loss)
            if usd is None and amount is not None:
                tables["currency"][str(currency or "unknown")].add(key, _amount(amount))
    currencies = {
        u.currency: cell_key([tables["currency"][u.currency].key])
        for u in stats.unconverted_by_currency
        if u.currency in tables["currency"]
        and tables["currency"][u.currency].holds(u.reports, u.amount, u.with_loss)
    }
    return CellKeys(
        total=cell_key([total.key])
        if total.holds(stats.report_count, stats.loss_usd, stats.with_loss)
        else None,
        by_country=_matching(tables["country"], stats.by_country),
        by_month=_matching(tables["month"], stats.by_month),
        by_typology=_matching(tables["typology"], stats.by_typology),
        currencies=currencies,
        networks=_network_keys(store, secret, networks),
    )


@dataclass(frozen=True, slots=True)
class _Member:
    """A network's report's loss as stored (the columns `bigfish.linking.loading.loss_usd`
    reads)."""

    loss_amount: str | None
    loss_currency: str | None
    loss_usd: float | None

    def text(self, usd: float | None) -> str:
        """The loss as a record key takes it (`loss_text`), worth USD in US dollars."""
        return loss_text(self.loss_amount, self.loss_currency, usd)


def _network_keys(
    store: Store, secret: bytes, networks: Sequence[NetworkSummary]
) -> dict[int, int]:
    """The keys of NETWORKS by their reports as shown, with those reports' losses as they are
    now: only of a network whose count and figure are of those reports and losses (the
    operator's are of the last link run: `stats.figure_losses`); one of whose reports is gone
    has none. Each report's key takes its loss in US dollars as the figure counts it: at the
    operator's rates when the figure is of them, so that a network linked again at other rates
    draws new noise (`disclosure.loss_text` says why)."""
    members = _members(store, networks)
    keys: dict[int, int] = {}
    for n in networks:
        refs = sorted({(ref.org, ref.report_id) for ref in n.reports})
        if not set(refs) <= members.keys() or n.stats.report_count != len(refs):
            continue
        losses = figure_losses(n.stats.total_loss_usd, [members[r] for r in refs])
        if losses is None:
            continue
        keys[n.id] = cell_key(
            record_key(secret, *r, loss=members[r].text(usd))
            for r, usd in zip(refs, losses, strict=True)
        )
    return keys


def _members(store: Store, networks: Sequence[NetworkSummary]) -> dict[tuple[str, str], _Member]:
    """The loss of every report of NETWORKS, by (organization, report id)."""
    return {
        ref: _Member(
            None if row.loss_amount is None else str(row.loss_amount),
            None if row.loss_currency is None else str(row.loss_currency),
            None if row.loss_usd is None else float(row.loss_usd),
        )
        for ref, row in member_losses(store, networks).items()
    }
