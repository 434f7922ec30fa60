"""The statistics report for ministers and summits: a one-page summary, then charts and tables,
as one self-contained HTML file (charts inline) or a PDF rendered from it with weasyprint.

It prints aggregated figures only, each resting on `MIN_CELL` reports or more
(`bigfish.reporting.disclosure`), and says whose view it is: the operator's (every report on the
node, whatever its marking) or one organization's."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, select_autoescape

from bigfish.errors import ConfigError, InputError
from bigfish.linking.views import NetworkSummary, list_networks
from bigfish.reporting import charts
from bigfish.reporting.cell_keys import report_cell_keys
from bigfish.reporting.disclosure import (
    DOMINANCE_P,
    LOSS_FIGURES,
    MIN_CELL,
    OTHER,
    CellKeys,
    publishable,
)
from bigfish.reporting.period import Period
from bigfish.reporting.stats import (
    Statistics,
    Tally,
    compute_statistics,
    network_loss_cells,
    reports_in_period,
)
from bigfish.reporting.template import REPORT_TEMPLATE
from bigfish.sharing.policy import Viewer
from bigfish.store import Store

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _usd(value: float | None) -> str:
    """Dollars to the dollar; a loss left out for disclosure (NaN) says so."""
    amount = float(value or 0)
    return "not published" if math.isnan(amount) else f"${amount:,.0f}"


def _stated(amount: float, currency: str) -> str:
    """An amount in CURRENCY as the report publishes it (to `LOSS_FIGURES` significant figures:
    6,900 NPR, 0.0123 XAU); a loss left out for disclosure (NaN) says so."""
    if math.isnan(amount):
        return "amount not published"
    magnitude = math.floor(math.log10(abs(amount))) if amount else 0
    return f"{amount:,.{max(0, LOSS_FIGURES - 1 - magnitude)}f} {currency} stated"


_ENV.filters["usd"] = _usd
_ENV.filters["stated"] = _stated
_ENV.filters["num"] = lambda v: f"{int(v or 0):,}"


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What `write_report` wrote."""

    path: Path
    format: str
    report_count: int
    network_count: int


def _top_networks(
    store: Store, viewer: Viewer, period: Period, top: int, min_cell: int = MIN_CELL
) -> list[NetworkSummary]:
    """The TOP best-scored networks VIEWER sees that hold two of PERIOD's reports or more (the
    networks the report counts: `Statistics.network_count`) and MIN_CELL reports or more, read a
    page of the ranking at a time (the ones the report may not list would otherwise take the
    places of those it may). A network whose first and last reports merely span PERIOD is not
    one of its networks: it was listed beside "0 linked networks"."""
    chosen: list[NetworkSummary] = []
    cursor: str | None = None
    while True:
        page = list_networks(store, viewer, cursor=cursor, limit=max(top * 4, 40))
        spanning = [
            n
            for n in page.networks
            if n.stats.report_count >= min_cell
            and (period.start is None or n.stats.last_seen >= period.start)
            and (period.end is None or n.stats.first_seen < period.end)
        ]
        held = reports_in_period(store, spanning, period)
        chosen += [n for n in spanning if held.get(n.id, 0) >= 2]
        cursor = page.next_cursor
        if len(chosen) >= top or cursor is None:
            return chosen[:top]


def _costliest(tallies: list[Tally]) -> Tally | None:
    """The first of TALLIES, in `publishable`'s order: of the largest published loss, or of
    the most reports when no loss is published (it was of the largest exact loss, published
    or not: a hidden one named "the most affected" was larger than every other)."""
    return tallies[0] if tallies else None


def _hidden_beside(top: Tally | None, tallies: list[Tally]) -> bool:
    """True when TOP's loss is published and another of TALLIES' is not (which may be larger)."""
    published = top is not None and not math.isnan(top.loss_usd)
    return published and any(math.isnan(t.loss_usd) for t in tallies)


def render_html(
    stats: Statistics,
    networks: list[NetworkSummary],
    *,
    title: str,
    reader: str | None = None,
    min_cell: int = MIN_CELL,
    stating: Mapping[int, int] | None = None,
    keys: CellKeys | None = None,
    network_cells: Mapping[int, Tally] | None = None,
) -> str:
    """The report as one HTML document with its charts inline: the figures of STATS and NETWORKS
    that rest on MIN_CELL reports or more, as READER (an organization's name; None: the
    operator, who sees every report) may see them. STATING: how many reports of each network
    state a loss (`networks_stating_loss`; a network without it keeps only a $0 loss), or
    NETWORK_CELLS their loss cells with their largest losses (`network_loss_cells`). KEYS:
    the cells' keys, to perturb every loss by (`bigfish.reporting.disclosure.perturbed_loss`)."""
    shown = publishable(
        stats, networks, min_cell, stating=stating, keys=keys, network_cells=network_cells
    )
    safe = shown.stats
    figures = {
        "country": charts.bar_chart("Losses by victims' country", safe.by_country),
        "month": charts.month_chart("Reports and losses by month", safe.by_month),
        "typology": charts.bar_chart("Losses by typology", safe.by_typology),
        "flows": charts.flow_chart("Cross-border flows: victims → accounts and phones", safe.flows),
        "requests": charts.status_chart("Cooperation requests by status", safe.requests_by_status),
    }
    # under each chart, in words: the groups it does not draw, with their counts
    notes = {
        "country": charts.not_drawn(safe.by_country),
        "typology": charts.not_drawn(safe.by_typology),
    }
    # by their published losses (`publishable`): the first of a table whose loss is published
    named = [t for t in safe.by_country if t.key != OTHER]
    typologies = [t for t in safe.by_typology if t.key != OTHER]
    top_country, top_typology = _costliest(named), _costliest(typologies)
    return _ENV.from_string(REPORT_TEMPLATE).render(
        title=title,
        stats=safe,
        country_count=stats.country_count,
        networks=list(shown.networks),
        # the most reports, not the best score (the order of NETWORKS)
        largest=max(shown.networks, key=lambda n: n.stats.report_count, default=None),
        figures=figures,
        notes=notes,
        cross_border=stats.cross_border,
        top_country=top_country,
        top_typology=top_typology,
        # "of those whose losses are published": a hidden one may be costlier
        countries_hidden=_hidden_beside(top_country, named),
        typologies_hidden=_hidden_beside(top_typology, typologies),
        typology_loss_hidden=top_typology is not None and math.isnan(top_typology.loss_usd),
        reader=reader,
        min_cell=min_cell,
        other=OTHER,
        loss_figures=shown.loss_figures,
        dominance_p=f"{DOMINANCE_P * 100:g}",
        noise=shown.noise,
        noise_floor=shown.noise_floor,
        # recorded in the document: only `--any-period` lets such a period through
        days=not stats.period.whole_months,
    )


def write_report(
    store: Store,
    viewer: Viewer,
    out: Path,
    period: Period,
    *,
    top: int = 10,
    title: str = "Online scams across the partnership",
    now: datetime | None = None,
    any_period: bool = False,
    secret: bytes | None = None,
) -> ReportResult:
    """Compute the statistics VIEWER may see over PERIOD and write OUT (.html or .pdf). PERIOD
    is whole calendar months unless ANY_PERIOD (`bigfish.reporting.disclosure`: two reports
    whose periods differ by a day give that day's losses away), which the document then says.
    Given the node's SECRET (`bigfish.reporting.cell_keys.report_secret`), every loss is
    perturbed by the key of its cell, as the document says."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise InputError("the report is written as .html or .pdf", field="out")
    if not (period.whole_months or any_period):
        raise InputError(
            f"period {period.label!r} is not whole calendar months: the report is published for"
            " years, quarters, months or ranges of months (2025, 2025-Q4, 2025-11,"
            " 2025-01..2025-06), since two reports whose periods differ by a few days give those"
            " days' losses away; pass --any-period to publish it anyway (the report will say so)",
            field="period",
        )
    stats = compute_statistics(store, viewer, period, now=now or datetime.now(UTC))
    networks = _top_networks(store, viewer, period, top)
    reader = None if viewer.operator else (viewer.org_name or f"organization {viewer.org_id}")
    cells = network_loss_cells(store, networks)
    keys = (
        None
        if secret is None
        else report_cell_keys(store, viewer, period, secret, networks, stats=stats)
    )
    html = render_html(stats, networks, title=title, reader=reader, keys=keys, network_cells=cells)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        try:
            from weasyprint import HTML
        except ImportError:  # pragma: no cover - the pdf extra is missing
            raise ConfigError("PDF needs weasyprint: pip install 'bigfish[pdf]'") from None
        HTML(string=html).write_pdf(str(out))
        fmt = "pdf"
    else:
        out.write_text(html, encoding="utf-8")
        fmt = "html"
    return ReportResult(out, fmt, stats.report_count, stats.network_count)
