"""Statistics of the partnership as one viewer may see them: losses by country, month and typology,
cross-border flows, cooperation requests by status, and the top networks.

Every figure is computed over `bigfish.sharing.policy.visible_reports(viewer)`; the operator sees
everything, an organization only what was shared with it (spec/security-tests.md class 1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.cooperation.model import OPEN, RequestStatus
from bigfish.fx import operator_rates
from bigfish.linking.loading import loss_usd as loading_loss_usd
from bigfish.models import Kind
from bigfish.reporting.period import ALL_TIME, Period
from bigfish.reporting.unrated import (
    Unrated,
    UnratedCell,
    amount_of,
    fold_unrated,
    unrated_cells,
    unrated_query,
)
from bigfish.sharing.policy import Audience, Viewer, audience, reached, visible_reports
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_evidence import cooperation_requests
from bigfish.store.schema_linking import network_members, networks

if TYPE_CHECKING:
    from bigfish.linking.views import NetworkSummary

#: Kinds whose country says where the criminals' assets are (accounts and phone numbers).
ASSET_KINDS = (Kind.PHONE.value, Kind.BANK_ACCOUNT.value)


@dataclass(frozen=True, slots=True)
class Tally:
    """Reports and losses of one group (a country, a month, a typology)."""

    key: str
    reports: int
    loss_usd: float
    #: Reports of the group that state a loss (a converted amount above zero): the losses rest
    #: on these, not on `reports` (`bigfish.reporting.disclosure`).
    with_loss: int
    #: The largest loss of one report of the group, and the second largest (0: none), on which
    #: the p % rule decides (`bigfish.reporting.disclosure.dominated`); None: not known (a
    #: table built by hand, the web overview's fold), and only the count rules decide.
    largest: float | None = None
    second: float | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """Reports from victims in one country that name accounts or phones of another country."""

    victim_country: str
    asset_country: str
    reports: int


@dataclass(frozen=True, slots=True)
class Unconverted:
    """Reports of a period that state a loss in one currency with no reference rate, and the
    amounts they state (not in the losses in US dollars)."""

    currency: str
    reports: int
    #: The stated amounts added up, in CURRENCY (NaN: not published).
    amount: float
    #: Reports of the group that state an amount above zero: the amount rests on these.
    with_loss: int
    #: The largest amount of one report, and the second largest (as `Tally.largest`).
    largest: float | None = None
    second: float | None = None


@dataclass(frozen=True, slots=True)
class Statistics:
    """The statistics of one period as one viewer may see them."""

    period: Period
    generated_at: datetime
    report_count: int
    loss_usd: float
    network_count: int
    by_country: tuple[Tally, ...]
    by_month: tuple[Tally, ...]
    by_typology: tuple[Tally, ...]
    flows: tuple[Flow, ...]
    requests_by_status: tuple[tuple[str, int], ...]
    #: Reports that state a loss in a currency with no reference rate: not in the losses.
    unconverted: int = 0
    #: The same per currency, most reports first.
    unconverted_by_currency: tuple[Unconverted, ...] = ()
    #: Reports that name an account or phone of another country than the victim's (once each,
    #: however many such countries they name).
    cross_border: int = 0

    @property
    def country_count(self) -> int:
        """How many victims' countries reported."""
        return len(self.by_country)

    @property
    def with_loss(self) -> int:
        """How many reports of the period state a loss (`Tally.with_loss`)."""
        return sum(t.with_loss for t in self.by_country)


def month_of(column: Any, dialect: str) -> ColumnElement[str]:
    """`YYYY-MM` of a timestamp COLUMN on SQLite or PostgreSQL."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.substr(column, 1, 7)


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if period.start is not None:
        conditions.append(column >= period.start)
    if period.end is not None:
        conditions.append(column < period.end)
    return sa.and_(sa.true(), *conditions)


def _stating_loss() -> ColumnElement[int]:
    """COUNT of the reports of a group that state a loss: a converted amount above zero (a
    stated $0 is no one's loss, and an amount without a rate is not in the losses)."""
    return sa.func.count(sa.case((reports.c.loss_usd > 0, 1)))


def _tallies(conn: Connection, key: Any, where: ColumnElement[bool]) -> tuple[Tally, ...]:
    """The reports of WHERE grouped by KEY: their count, losses, reports stating one, and the
    two largest losses, in one read (each report ranked by its loss within its group)."""
    ranked = (
        sa.select(
            key.label("key"),
            reports.c.loss_usd.label("loss"),
            sa.func.row_number()
            .over(partition_by=key, order_by=sa.func.coalesce(reports.c.loss_usd, 0.0).desc())
            .label("rank"),
        )
        .where(where)
        .subquery()
    )

    def ranked_loss(rank: int) -> ColumnElement[float]:
        return sa.func.coalesce(sa.func.max(sa.case((ranked.c.rank == rank, ranked.c.loss))), 0.0)

    rows = conn.execute(
        sa.select(
            ranked.c.key,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(ranked.c.loss), 0.0).label("loss"),
            sa.func.count(sa.case((ranked.c.loss > 0, 1))).label("stating"),
            ranked_loss(1).label("largest"),
            ranked_loss(2).label("second"),
        ).group_by(ranked.c.key)
    ).all()
    return tuple(
        Tally(
            str(r.key or "unknown"),
            int(r.n),
            float(r.loss),
            int(r.stating),
            largest=float(r.largest),
            second=float(r.second),
        )
        for r in rows
    )


def _foreign_assets(where: ColumnElement[bool]) -> ColumnElement[bool]:
    """WHERE, for a report's mention of an account or phone of another country."""
    return sa.and_(
        where,
        identifiers.c.kind.in_(ASSET_KINDS),
        identifiers.c.valid.is_(True),
        identifiers.c.country.is_not(None),
        identifiers.c.country != reports.c.country,
    )


def _flows(conn: Connection, where: ColumnElement[bool]) -> tuple[Flow, ...]:
    reports_n = sa.func.count(sa.distinct(reports.c.id))
    rows = conn.execute(
        sa.select(reports.c.country, identifiers.c.country.label("asset"), reports_n.label("n"))
        .join(mentions, mentions.c.report_pk == reports.c.id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(_foreign_assets(where))
        .group_by(reports.c.country, identifiers.c.country)
    ).all()
    flows = (Flow(str(r.country), str(r.asset), int(r.n)) for r in rows)
    return tuple(sorted(flows, key=lambda f: (-f.reports, f.victim_country, f.asset_country)))


def _cross_border(conn: Connection, where: ColumnElement[bool]) -> int:
    """How many reports of WHERE name an account or phone of another country (the flows count
    a report once per such country)."""
    query = (
        sa.select(sa.func.count(sa.distinct(reports.c.id)))
        .join(mentions, mentions.c.report_pk == reports.c.id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(_foreign_assets(where))
    )
    return int(conn.execute(query).scalar_one())


def _network_count(conn: Connection, where: ColumnElement[bool], viewer: Viewer) -> int:
    """How many networks VIEWER is shown hold two of the reports of WHERE or more; a network it
    sees in parts (`bigfish.linking.parts`) counts the parts that do."""
    from bigfish.linking.parts import load_member_graph

    query = (
        sa.select(network_members.c.report_pk, network_members.c.network_id)
        .join(reports, reports.c.id == network_members.c.report_pk)
        .join(networks, networks.c.id == network_members.c.network_id)
        .where(where, networks.c.status == "active")
    )
    held: dict[int, set[int]] = {}
    for pk, nid in conn.execute(query):
        held.setdefault(int(nid), set()).add(int(pk))
    counted = {nid for nid, pks in held.items() if len(pks) >= 2}
    if viewer.operator or not counted:
        return len(counted)
    graph = load_member_graph(conn, None if len(counted) > _WHOLE_GRAPH else sorted(counted))
    cut = graph.cut_for(viewer)
    parts = sum(
        1
        for nid, groups in cut.items()
        for group in groups
        if len(held.get(nid, set()).intersection(group)) >= 2
    )
    return len(counted - cut.keys()) + parts


#: More networks than this are read with the whole graph of members rather than by id.
_WHOLE_GRAPH = 2000


def requests_by_status(
    conn: Connection, viewer: Viewer, period: Period, now: datetime | None = None
) -> tuple[tuple[str, int], ...]:
    """Cooperation requests the viewer's organization sent or received, counted by status (a
    draft is its requester's alone: its recipient does not count it). An open request past its
    deadline at NOW (this node's clock by default) counts as expired, as every listing and
    lookup shows it (`bigfish.cooperation.service.expire_overdue`), whether or not anyone has
    looked at it since: the report only reads."""
    requests = cooperation_requests.c
    overdue = sa.and_(
        requests.status.in_([s.value for s in OPEN]),
        requests.deadline < (now or datetime.now(UTC)),
    )
    status = sa.case((overdue, RequestStatus.EXPIRED.value), else_=requests.status)
    query = sa.select(status.label("status"), sa.func.count()).where(
        _in_period(requests.created_at, period)
    )
    if not viewer.operator:
        org = viewer.org_id if viewer.org_id is not None else -1
        received = sa.and_(requests.to_org_id == org, requests.status != RequestStatus.DRAFT.value)
        query = query.where(sa.or_(requests.from_org_id == org, received))
    rows = conn.execute(query.group_by(status)).all()
    return tuple(sorted(((str(s), int(n)) for s, n in rows), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """The figures of the web overview: the `Statistics` fields it shows, computed the same way
    (no typologies, flows or requests, which it does not show and which cost most), and the
    losses that `loss_usd` leaves out for want of an exchange rate."""

    report_count: int
    loss_usd: float
    network_count: int
    by_country: tuple[Tally, ...]
    by_month: tuple[Tally, ...]
    #: Losses in currencies without a reference rate, most reports first.
    unrated: tuple[Unrated, ...] = ()
    #: The same per victims' country: (country, its unrated losses), by country.
    unrated_by_country: tuple[tuple[str, tuple[Unrated, ...]], ...] = ()

    @property
    def country_count(self) -> int:
        """How many victims' countries reported."""
        return len(self.by_country)

    def unrated_in(self, country: str) -> tuple[Unrated, ...]:
        """The losses without a reference rate of the reports from COUNTRY."""
        return next((u for c, u in self.unrated_by_country if c == country), ())


def in_period_for(viewer: Viewer, period: Period) -> ColumnElement[bool]:
    """WHERE for the reports VIEWER may see of PERIOD (by `reported_at`): those counted."""
    return sa.and_(visible_reports(viewer), _in_period(reports.c.reported_at, period))


_where = in_period_for


def _key_figures(
    conn: Connection, where: ColumnElement[bool], dialect: str, viewer: Viewer
) -> KeyFigures:
    by_country = _tallies(conn, reports.c.country, where)
    by_month = _tallies(conn, month_of(reports.c.reported_at, dialect), where)
    unrated, unrated_by_country = fold_unrated(unrated_cells(conn, where))
    return KeyFigures(
        report_count=sum(t.reports for t in by_country),
        loss_usd=sum(t.loss_usd for t in by_country),
        network_count=_network_count(conn, where, viewer),
        by_country=tuple(sorted(by_country, key=lambda t: (-t.loss_usd, -t.reports, t.key))),
        by_month=tuple(sorted(by_month, key=lambda t: t.key)),
        unrated=unrated,
        unrated_by_country=unrated_by_country,
    )


@dataclass(frozen=True, slots=True)
class AudienceTotals:
    """Reports and losses by victims' country and month, per audience (`bigfish.sharing.Audience`),
    over all time: one read of the reports serves every viewer's key figures (`figures_for`)."""

    #: (audience, country, month, reports, loss, reports stating a loss)
    cells: tuple[tuple[Audience, str, str, int, float, int], ...]
    #: (audience, `UnratedCell`): reports with a loss in a currency without a rate
    unrated: tuple[tuple[Audience, UnratedCell], ...] = ()

    def figures_for(self, viewer: Viewer, network_count: int) -> KeyFigures:
        """VIEWER's all-time key figures: `key_figures` from the cells of the audiences VIEWER
        reaches (losses equal up to floating-point rounding: added per cell, then exactly)."""
        countries: dict[str, tuple[int, list[float], int]] = {}
        months: dict[str, tuple[int, list[float], int]] = {}
        seen_by = reached(viewer, {cell[0] for cell in self.cells})
        for target, country, month, count, loss, stating in self.cells:
            if target in seen_by:
                for groups, key in ((countries, country), (months, month)):
                    before, losses, stated = groups.get(key, (0, [], 0))
                    losses.append(loss)
                    groups[key] = (before + count, losses, stated + stating)
        by_country = [Tally(k, n, math.fsum(ls), w) for k, (n, ls, w) in countries.items()]
        by_month = [Tally(k, n, math.fsum(ls), w) for k, (n, ls, w) in months.items()]
        unrated_seen_by = reached(viewer, {target for target, _ in self.unrated})
        unrated, unrated_by_country = fold_unrated(
            cell for target, cell in self.unrated if target in unrated_seen_by
        )
        return KeyFigures(
            report_count=sum(t.reports for t in by_country),
            loss_usd=sum(t.loss_usd for t in by_country),
            network_count=network_count,
            by_country=tuple(sorted(by_country, key=lambda t: (-t.loss_usd, -t.reports, t.key))),
            by_month=tuple(sorted(by_month, key=lambda t: t.key)),
            unrated=unrated,
            unrated_by_country=unrated_by_country,
        )


def audience_totals(conn: Connection, dialect: str) -> AudienceTotals:
    """The cells of every report: one GROUP BY of the reports by marking, country and month,
    and one of those stating a loss without a rate by marking, country, currency and amount."""
    marking = (reports.c.org_id, reports.c.distribution, reports.c.tlp, reports.c.group_id)
    month = month_of(reports.c.reported_at, dialect)
    loss = sa.func.coalesce(sa.func.sum(reports.c.loss_usd), 0.0)
    rows = conn.execute(
        sa.select(
            *marking, reports.c.country, month, sa.func.count(), loss, _stating_loss()
        ).group_by(*marking, reports.c.country, month)
    )
    return AudienceTotals(
        tuple(
            (
                audience(org_id, distribution, tlp, group_id),
                str(country or "unknown"),
                str(month_key or "unknown"),
                int(count),
                float(total),
                int(stating),
            )
            for (
                org_id,
                distribution,
                tlp,
                group_id,
                country,
                month_key,
                count,
                total,
                stating,
            ) in rows
        ),
        tuple(
            (
                audience(org_id, distribution, tlp, group_id),
                (str(country or "unknown"), str(currency), str(amount), int(count)),
            )
            for (
                org_id,
                distribution,
                tlp,
                group_id,
                country,
                currency,
                amount,
                count,
            ) in conn.execute(unrated_query(*marking))
        ),
    )


#: Report ids read per IN (...) by `networks_stating_loss`.
_IDS_PER_QUERY = 500


def two_largest(amounts: Iterable[float]) -> tuple[float, float]:
    """The largest of AMOUNTS and the second largest (0 for those missing)."""
    first, second = 0.0, 0.0
    for amount in amounts:
        if amount > first:
            first, second = amount, first
        elif amount > second:
            second = amount
    return first, second


def member_losses(store: Store, networks: Sequence[NetworkSummary]) -> dict[tuple[str, str], Any]:
    """The loss columns (report_id, loss_usd, loss_amount, loss_currency) of every report of
    NETWORKS as shown, by (organization, report id), as they are now; a report gone is not
    there."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for network in networks:
        for ref in network.reports:
            wanted[ref.org].add(ref.report_id)
    rows: dict[tuple[str, str], Any] = {}
    with store.connect() as conn:
        for org, ids in wanted.items():
            ordered = sorted(ids)
            for start in range(0, len(ordered), _IDS_PER_QUERY):
                query = (
                    sa.select(
                        reports.c.report_id,
                        reports.c.loss_usd,
                        reports.c.loss_amount,
                        reports.c.loss_currency,
                    )
                    .join(organizations, organizations.c.id == reports.c.org_id)
                    .where(
                        organizations.c.name == org,
                        reports.c.report_id.in_(ordered[start : start + _IDS_PER_QUERY]),
                    )
                )
                rows.update(((org, str(row.report_id)), row) for row in conn.execute(query))
    return rows


def reports_in_period(
    store: Store, networks: Sequence[NetworkSummary], period: Period
) -> dict[int, int]:
    """Per network of NETWORKS (by the id it is shown under), how many of its member reports as
    shown (`NetworkSummary.reports`, the viewer's) were reported in PERIOD: a network holding
    two or more is one of the period's, as `_network_count` counts them."""
    if period.start is None and period.end is None:
        return {network.id: len(network.reports) for network in networks}
    wanted: dict[str, set[str]] = defaultdict(set)
    for network in networks:
        for ref in network.reports:
            wanted[ref.org].add(ref.report_id)
    within: set[tuple[str, str]] = set()
    with store.connect() as conn:
        for org, ids in wanted.items():
            ordered = sorted(ids)
            for start in range(0, len(ordered), _IDS_PER_QUERY):
                query = (
                    sa.select(reports.c.report_id)
                    .join(organizations, organizations.c.id == reports.c.org_id)
                    .where(
                        organizations.c.name == org,
                        reports.c.report_id.in_(ordered[start : start + _IDS_PER_QUERY]),
                        _in_period(reports.c.reported_at, period),
                    )
                )
                within.update((org, str(rid)) for rid in conn.execute(query).scalars())
    return {
        network.id: sum(1 for ref in network.reports if (ref.org, ref.report_id) in within)
        for network in networks
    }


def network_loss_cells(store: Store, shown: Sequence[NetworkSummary]) -> dict[int, Tally]:
    """Per network of SHOWN (by the id it is shown under), the loss cell of its member reports
    as shown (`NetworkSummary.reports`, the viewer's): how many, their losses added up, how
    many state one (counted as `Tally.with_loss`) and the two largest. The losses are those
    the network's figure adds up (`figure_losses`): the p % rule and the noise of a figure
    must read the losses in it. A network whose figure is of no losses its reports have now (one
    changed since the link run) has no cell, and its loss is not published (`disclosure`)."""
    rows = member_losses(store, shown)
    cells: dict[int, Tally] = {}
    for network in shown:
        refs = {(ref.org, ref.report_id) for ref in network.reports}
        members = [rows[ref] for ref in refs if ref in rows]
        losses = figure_losses(network.stats.total_loss_usd, members)
        if losses is None:  # a report changed since the figure: its loss rests on no cell
            continue
        stated = [x for x in losses if x is not None and x > 0]
        largest, second = two_largest(stated)
        cells[network.id] = Tally(
            str(network.id), len(refs), math.fsum(stated), len(stated), largest, second
        )
    return cells


#: A network's figure is kept to the cent, rounded at each link run that adds to it
#: (`bigfish.linking.score`): the sum of its reports' losses to a cent a report.
_CENT = 0.01


def figure_losses(figure: float, members: Sequence[Any]) -> list[float | None] | None:
    """The losses in US dollars of MEMBERS (rows of loss_usd, loss_amount, loss_currency) that
    a network's FIGURE is of, in their order: as stored, or at the operator's rates
    (BIGFISH_RATES) when those add up to it and the stored do not; None when neither does (a
    report changed since the link run). The operator's figure is of the last link run, at the
    operator's rates when they are set (`bigfish.linking.loading.loss_usd`): a report stored
    while its currency had no rate has no stored loss, and a link run after the operator gave
    that currency a rate counts it. The network's two largest (`network_loss_cells`) and its
    key (`bigfish.reporting.cell_keys`) must read the losses in its figure."""
    stored = [None if m.loss_usd is None else float(m.loss_usd) for m in members]
    within = _CENT * len(members)
    if _adds_up(figure, stored, within):
        return stored
    rates = operator_rates()  # read only when the stored losses do not add up to the figure
    if rates is None:
        return None
    at_rates = [loading_loss_usd(m, rates) for m in members]
    return at_rates if _adds_up(figure, at_rates, within) else None


def _adds_up(figure: float, losses: Iterable[float | None], within: float) -> bool:
    total = math.fsum(x for x in losses if x is not None)
    return math.isclose(figure, total, rel_tol=1e-9, abs_tol=within)


def networks_stating_loss(store: Store, shown: Sequence[NetworkSummary]) -> dict[int, int]:
    """Per network of SHOWN (by the id it is shown under), how many of its member reports as
    shown (`NetworkSummary.reports`, the viewer's) state a loss, counted as `Tally.with_loss`."""
    return {nid: cell.with_loss for nid, cell in network_loss_cells(store, shown).items()}


def _unconverted(conn: Connection, where: ColumnElement[bool]) -> tuple[Unconverted, ...]:
    """The reports WHERE selects that state a loss with no rate, per currency (the amounts
    added up exactly, then given as a float as the losses are)."""
    currency, amount = reports.c.loss_currency, reports.c.loss_amount
    rows = conn.execute(
        sa.select(currency, amount, sa.func.count())
        .where(where, amount.is_not(None), reports.c.loss_usd.is_(None))
        .group_by(currency, amount)
    )
    totals: dict[str, tuple[int, Decimal, int]] = {}
    stated: defaultdict[str, list[float]] = defaultdict(list)
    for code, text, n in rows:
        value = amount_of(str(text))
        before, added, stating = totals.get(str(code or "unknown"), (0, Decimal(0), 0))
        totals[str(code or "unknown")] = (
            before + int(n),
            added + value * int(n),
            stating + (int(n) if value > 0 else 0),
        )
        # the two largest amounts need no more than two reports of each amount
        stated[str(code or "unknown")] += [float(value)] * min(int(n), 2)
    found = (
        Unconverted(c, n, float(a), w, *two_largest(stated[c])) for c, (n, a, w) in totals.items()
    )
    return tuple(sorted(found, key=lambda u: (-u.reports, u.currency)))


def key_figures(store: Store, viewer: Viewer, period: Period = ALL_TIME) -> KeyFigures:
    """The overview's figures for VIEWER over PERIOD: equal to the same fields of
    `compute_statistics`, at a third of its cost."""
    with store.connect() as conn:
        return _key_figures(conn, _where(viewer, period), store.dialect, viewer)


def compute_statistics(
    store: Store, viewer: Viewer, period: Period = ALL_TIME, *, now: datetime | None = None
) -> Statistics:
    """Every figure of the report for VIEWER over PERIOD (by the reports' `reported_at`)."""
    where = _where(viewer, period)
    with store.connect() as conn:
        key = _key_figures(conn, where, store.dialect, viewer)
        by_typology = _tallies(conn, reports.c.scam_type, where)
        flows = _flows(conn, where)
        cross_border = _cross_border(conn, where)
        statuses = requests_by_status(conn, viewer, period, now)
        unconverted = _unconverted(conn, where)
    return Statistics(
        period=period,
        generated_at=now or datetime.now(UTC),
        report_count=key.report_count,
        loss_usd=key.loss_usd,
        network_count=key.network_count,
        by_country=key.by_country,
        by_month=key.by_month,
        by_typology=tuple(sorted(by_typology, key=lambda t: (-t.loss_usd, -t.reports, t.key))),
        flows=flows,
        requests_by_status=statuses,
        unconverted=sum(u.reports for u in unconverted),
        unconverted_by_currency=unconverted,
        cross_border=cross_border,
    )
