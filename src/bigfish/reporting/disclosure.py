"""Small-cell suppression: what the statistics report may publish.

The report goes to ministers, summits and researchers, who get aggregated, de-identified
statistics only (PRODUCT.md). A figure drawn from a handful of reports is one victim's story: "LA,
1 report, $48,000" names a loss that a TLP:RED report told only its own organization. So every
group of fewer than `MIN_CELL` reports (a country, a typology, a cross-border flow) is pooled
into "Other", and when the pool itself is smaller than that, the smallest groups shown join it
until it is not (else the totals minus the groups shown would give it away). A month keeps its
count of reports, but not its losses when it holds fewer than `MIN_CELL` (nor, by the same rule,
the smallest other months'); networks of fewer reports are not listed, and a network's countries
are those the report names (the others are "Other"). The totals of the period
are published as they are, except that a period of fewer than `MIN_CELL` reports keeps its count
but not its losses, nor any group's: "1 scam report, $48,000 reported losses" for a day or a month
of one report is that one victim's loss. So does a period whose loss one report's dominates (the p %
rule, below).

A loss rests on the reports that state one (`Tally.with_loss`), not on the reports counted: a
country of ten reports of which one states a loss would publish that victim's loss. So a loss
(of the period, a group, "Other", a month or a network) is published only when none or at least
`MIN_CELL` of its reports state a loss; otherwise the group keeps its count and its loss is left
out, and so are the losses of the groups stating the fewest losses beside it until those left
out rest on `MIN_CELL` reports stating a loss or none (else the total minus the groups shown
would give them away).

Nor may one report's loss make most of a published one (the p % rule of statistical offices for
tables of magnitudes, `dominated`): a loss is left out when the losses other than its two largest
add up to less than `DOMINANCE_P` (15 %) of the largest, for the victim of the second largest, who
knows his own, would then tell the largest to within 15 % (a country of five reports, $1,000,000
and four of $100, published $1,000,400 give or take the noise: that victim's loss). Each group
carries its largest and second largest loss (`Tally.largest`, `Tally.second`, read in the same
pass as its sum); "Other", and any set of groups, carries the two largest of theirs (`merged`).
The rule is part of the one decision whether a loss rests on enough (`_loss_rests_on_enough`), so
it drives the same secondary suppression: the groups left out, taken as one group (they are the
total minus the groups shown), must rest on enough in the same sense, stated by `MIN_CELL`
reports and dominated by none, else the groups stating the fewest beside them are left out with
them; once every group is, what is left out is the period's total, decided by the same rule (a
total one report's loss dominates is not published, nor any loss of its tables: every group, and
every set of groups, holding that loss is dominated too). The same rule decides the loss of a
month, a typology, "Other", a network (its two largest among its reports as shown,
`bigfish.reporting.stats.network_loss_cells`) and the amount of a currency without a rate.

Why 15 %: the rule is applied to the exact losses, since the noise cannot be counted on: it is at
most `NOISE_BOUND` (5 %) either way, a draw near 0 is as likely as any, and it only widens the
bound the second largest can put on the largest (he must allow for the worst draw). So p is set
well above the noise, for a published loss never to read as one victim's: it is at least 1.15 x
0.95 x 0.995 (noise and rounding at their worst), 1.087 times the largest loss in it. A p at the
noise (5 %) would let a draw of -5 % print that one loss itself; a larger p (25 %) would hide most
groups of five to ten reports, whose losses are as uneven as scam losses are.

A loss in a currency with no reference rate is in no loss in US dollars; the report counts such
reports per currency. A currency of fewer than `MIN_CELL` such reports is not named (a currency
often names a country, one the country table pooled into "Other"): those reports are counted
together as OTHER. A named currency's amount, added up in that currency, is published by the rule
of the losses (none or `MIN_CELL` of its reports state an amount above zero) and rounded as they
are; OTHER's amount, in several currencies, never is. No amount in one currency adds up with
another's, so none is left out for another's sake.

Totals are exact, so two reports whose periods (2025 and 2025 but its last day) or views (the
operator's and an organization's) differ by a few reports would give those reports' losses away
by subtraction. The report therefore publishes whole calendar months (years, quarters, months,
ranges of months; `bigfish report --any-period` allows days and says so in the document), and
every published loss is rounded to `LOSS_FIGURES` significant figures: the difference of two
totals is then known only to within their rounding (a loss of $48,000 is lost in two totals of
millions, rounded to $10,000), which reduces what differencing gives away without removing it.

Cell-key perturbation (`perturbed_loss`) goes further, for the losses only (counts stay exact):
each report has a record key, 64 bits of HMAC-SHA-256 of a secret the node holds, its
(organization, report id) and its loss (`record_key`; `loss_text`: the amount stated, in one form
for one number, its currency and its value in US dollars as stored); a cell's key is the sum of
its reports' keys modulo 2**64 (`cell_key`: the fractional part of the sum of the keys read as
fractions); its loss is published times 1 + e, e drawn from the cell's key alone and at most
`NOISE_BOUND` either way (`loss_noise`), then rounded. The same reports with the same losses
always give the same figure (run twice, two views or two tables of the same cell, a network of
the same reports as a cell), while two cells that differ by one report get unrelated noise: their
difference is that report's loss plus up to `NOISE_BOUND` of the larger cell's. A cell whose
reports or losses changed between the statistics' read and the keys' read has no key
(`bigfish.reporting.cell_keys.report_cell_keys`) and its loss is not published; so has a network
whose figure (the operator's: of the last link run) is not of its reports' losses as they are
now, until it is linked again.

The loss is in the record key because a report sent again with another loss (the same report id
updates it) leaves its cells with the same reports: keyed by its id alone, each kept its key and
its e, and published T(1 + e) before and (T + D)(1 + e) after, whose ratio is (T + D) / T exactly.
That published one victim's change of loss to within the rounding, and gave its sender, who knows
D, the cell's e and so its exact T (tests/reporting/test_resent_noise_h137.py: $52,294 read off
as $52,152, where the noise hides up to 5 %). The amount at other reference rates is a change too
(its loss in US dollars differs by a known rate's share of it), hence the value in US dollars in
`loss_text`. What this costs: each change of a loss is a new draw of a cell of nearly the same
losses, and a sender who changes his loss many times over, one published report after each,
could average the draws (n draws are off by 2.9 % / sqrt(n) on average: some 800 to come within
0.1 %); reports are published far more rarely than that.

Nothing else may carry a loss the report changes or leaves out: a table is printed in the order
of its published losses, those not published after them by their counts (in the order of the
exact losses, a hidden one lay between its neighbours), and a network's score, a function of its
exact loss, is not printed (its rank is).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from bigfish.linking.views import NetworkSummary
from bigfish.reporting.stats import Flow, Statistics, Tally, Unconverted, two_largest

#: The fewest reports a published figure may rest on.
MIN_CELL = 5

#: The p of the p % rule: a loss is published only when the reports other than its two largest
#: add up to at least this share of the largest (`dominated`).
DOMINANCE_P = 0.15

OTHER = "Other"

#: Significant figures of every published loss (the counts of reports are exact).
LOSS_FIGURES = 3


def rounded_loss(amount: float, figures: int = LOSS_FIGURES) -> float:
    """AMOUNT to FIGURES significant figures ($48,613 -> $48,600); 0 and NaN as they are."""
    if amount == 0 or not math.isfinite(amount):
        return amount
    return float(round(amount, figures - 1 - math.floor(math.log10(abs(amount)))))


#: The largest relative change `perturbed_loss` makes to a loss, either way (5 %).
NOISE_BOUND = 0.05

#: Record and cell keys are integers below this: fractions of it.
KEY_SPACE = 2**64


def _decimal_text(amount: object) -> str | None:
    """AMOUNT (a stored decimal text) in one form for one number: no exponent, no trailing zeros
    (100, 100.0 and 1E+2 are "100"; 0.50 is "0.5"); a text that is not a number as it is."""
    if amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "0"
    text = format(value, "f")  # every digit, at any exponent (no context rounds it)
    return text.rstrip("0").rstrip(".") if "." in text else text


def loss_text(amount: object, currency: object, usd: object) -> str:
    """A report's loss as its record key takes it (`record_key`): the AMOUNT stated, its
    CURRENCY and its value in US dollars (USD) as stored, in one text for one loss (100 and
    100.0 USD are one loss, and give one key). USD is in it because a report sent again with
    the same amount at other reference rates gets another loss in US dollars: kept out, that
    change would be published under the same noise, and the rates are known."""
    value = None if usd is None else float(str(usd))
    loss = [_decimal_text(amount), None if currency is None else str(currency), value]
    return json.dumps(loss, ensure_ascii=False)


def record_key(secret: bytes, org: str, report_id: str, *, loss: str) -> int:
    """The record key of report REPORT_ID of ORG whose loss is LOSS (`loss_text`): 64 bits of
    HMAC-SHA-256 under SECRET (a fraction of `KEY_SPACE`); without SECRET no one can tell it
    from chance. The report's loss is in it so that a report sent again with another loss
    changes the noise of its cells (the module's docstring)."""
    message = json.dumps(["bigfish record key", org, report_id, loss], ensure_ascii=False)
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def cell_key(record_keys: Iterable[int]) -> int:
    """The key of the cell of RECORD_KEYS: their sum modulo `KEY_SPACE` (the same reports give
    the same key, in any order and any table; one report more or less gives another)."""
    return sum(record_keys) % KEY_SPACE


def loss_noise(key: int, bound: float = NOISE_BOUND) -> float:
    """The relative change e, -BOUND <= e < BOUND, of the loss of the cell of KEY: uniform, and
    drawn from SHA-256 of the key, so that cells whose keys differ by a report's get unrelated
    changes (not ones a report's key would tie together)."""
    if not 0 <= key < KEY_SPACE:
        raise ValueError("a cell key is at least 0 and below KEY_SPACE")
    digest = hashlib.sha256(b"bigfish loss noise\0" + key.to_bytes(8, "big")).digest()
    fraction = int.from_bytes(digest[:8], "big") / KEY_SPACE
    return bound * (2 * fraction - 1)


def perturbed_loss(loss: float, key: int, bound: float = NOISE_BOUND) -> float:
    """LOSS of the cell of KEY times 1 + `loss_noise`(KEY) (to be rounded by `rounded_loss`
    after); 0 and NaN as they are."""
    if loss == 0 or not math.isfinite(loss):
        return loss
    return loss * (1 + loss_noise(key, bound))


@dataclass(frozen=True, slots=True)
class CellKeys:
    """The cell keys (`cell_key`) of the loss cells of one report, by table and group (a
    country, month, typology, currency without a rate, network id); OTHER's is that of the
    groups pooled in it."""

    #: None: the period's reports changed between the two reads (`report_cell_keys`).
    total: int | None
    by_country: Mapping[str, int]
    by_month: Mapping[str, int]
    by_typology: Mapping[str, int]
    currencies: Mapping[str, int]
    networks: Mapping[int, int]


def dominated(
    loss: float, largest: float | None, second: float | None, p: float = DOMINANCE_P
) -> bool:
    """True when LOSS, added up over reports whose LARGEST and SECOND largest losses are
    given, is less than the two plus P of the largest (the p % rule): the report of the second
    largest, who knows his own, would tell the largest to within P. None: not known, and the
    rule does not decide."""
    if largest is None or second is None:
        return False
    return loss - largest - second < p * largest


def merged(key: str, tallies: Iterable[Tally]) -> Tally:
    """TALLIES as one group KEY: reports, losses and reports stating one added up, and the two
    largest losses of them all (not known when one's are not)."""
    cells = list(tallies)
    tops = [(t.largest, t.second) for t in cells]
    known = [v for top in tops for v in top if v is not None]
    largest, second = two_largest(known)
    whole = all(a is not None and b is not None for a, b in tops)
    return Tally(
        key,
        sum(t.reports for t in cells),
        math.fsum(t.loss_usd for t in cells),
        sum(t.with_loss for t in cells),
        largest if whole else None,
        second if whole else None,
    )


def pooled(tallies: Sequence[Tally], min_cell: int) -> tuple[Tally, ...]:
    """TALLIES (largest first) with every group of fewer than MIN_CELL reports pooled into
    OTHER, itself at least MIN_CELL reports or everything: the last groups shown join it until it
    is (the order is kept, OTHER last)."""
    shown = [t for t in tallies if t.reports >= min_cell]
    hidden = [t for t in tallies if t.reports < min_cell]
    while hidden and shown and sum(t.reports for t in hidden) < min_cell:
        hidden.append(shown.pop())  # the last shown: the smallest in TALLIES' order
    if not hidden:
        return tuple(shown)
    return (*shown, merged(OTHER, hidden))


def _loss_rests_on_enough(
    with_loss: int, loss: float, largest: float | None, second: float | None, min_cell: int
) -> bool:
    """True when a LOSS stated by WITH_LOSS reports, of which LARGEST and SECOND are the two
    largest, may be published: none state one and it is $0 (no one's loss), or MIN_CELL or
    more do and no one's dominates it (`dominated`, the p % rule)."""
    if with_loss == 0:
        return loss == 0
    return with_loss >= min_cell and not dominated(loss, largest, second)


def _tally_rests_on_enough(tally: Tally, min_cell: int) -> bool:
    """`_loss_rests_on_enough` for the loss of TALLY."""
    return _loss_rests_on_enough(
        tally.with_loss, tally.loss_usd, tally.largest, tally.second, min_cell
    )


def _stating_too_few(
    tallies: Sequence[Tally], min_cell: int, hidden: set[str] | None = None
) -> tuple[Tally, ...]:
    """TALLIES with the losses of HIDDEN and of the groups whose loss may not be published
    (`_loss_rests_on_enough`: fewer than MIN_CELL reports stating one, or one report's
    dominating it) left out, and of those stating the fewest beside them until the losses left
    out, as one, may be (the total minus the groups shown is theirs)."""
    hide = set(hidden or ()) | {t.key for t in tallies if not _tally_rests_on_enough(t, min_cell)}
    shown = sorted(
        (t for t in tallies if t.key not in hide and t.with_loss > 0),
        key=lambda t: (t.with_loss, t.reports, t.key),
    )

    def left_out() -> Tally:
        return merged(OTHER, (t for t in tallies if t.key in hide))

    while hide and shown and not _tally_rests_on_enough(left_out(), min_cell):
        hide.add(shown.pop(0).key)
    return tuple(replace(t, loss_usd=math.nan) if t.key in hide else t for t in tallies)


def _months(tallies: Sequence[Tally], min_cell: int) -> tuple[Tally, ...]:
    """TALLIES with the losses of months of fewer than MIN_CELL reports left out, and of the
    smallest others until those left out hold MIN_CELL reports (else the period's total minus
    the months shown would give them away)."""
    hidden = {t.key for t in tallies if t.reports < min_cell}
    shown = sorted((t for t in tallies if t.key not in hidden), key=lambda t: (t.reports, t.key))
    while hidden and shown and sum(t.reports for t in tallies if t.key in hidden) < min_cell:
        hidden.add(shown.pop(0).key)
    return _stating_too_few(tallies, min_cell, hidden)


def _without_losses(stats: Statistics) -> Statistics:
    """STATS with every loss left out: the period holds too few reports for any (its total,
    and "Other" when every group is pooled, would be a handful of victims' losses)."""

    def hide(tallies: Sequence[Tally]) -> tuple[Tally, ...]:
        return tuple(replace(t, loss_usd=math.nan) for t in tallies)

    return replace(
        stats,
        loss_usd=math.nan,
        by_country=hide(stats.by_country),
        by_month=hide(stats.by_month),
        by_typology=hide(stats.by_typology),
    )


def _currencies(items: Sequence[Unconverted], min_cell: int) -> tuple[Unconverted, ...]:
    """ITEMS (most reports first) with every currency of fewer than MIN_CELL reports counted in
    OTHER (last, its amount never published), and the amount of a named one published only when
    none or MIN_CELL or more of its reports state one."""
    shown = tuple(
        u
        if _loss_rests_on_enough(u.with_loss, u.amount, u.largest, u.second, min_cell)
        else replace(u, amount=math.nan)
        for u in items
        if u.reports >= min_cell
    )
    hidden = [u for u in items if u.reports < min_cell]
    if not hidden:
        return shown
    other = Unconverted(
        OTHER, sum(u.reports for u in hidden), math.nan, sum(u.with_loss for u in hidden)
    )
    return (*shown, other)


def _flows(flows: Sequence[Flow], min_cell: int) -> tuple[Flow, ...]:
    return tuple(f for f in flows if f.reports >= min_cell)


@dataclass(frozen=True, slots=True)
class Published:
    """The statistics and networks the report may print."""

    stats: Statistics
    networks: tuple[NetworkSummary, ...]
    min_cell: int
    #: Significant figures of the losses (`rounded_loss`).
    loss_figures: int = LOSS_FIGURES
    #: The largest relative change of a loss by its cell's key (0: not perturbed).
    noise: float = 0.0


def publishable(
    stats: Statistics,
    networks: Sequence[NetworkSummary],
    min_cell: int = MIN_CELL,
    *,
    stating: Mapping[int, int] | None = None,
    keys: CellKeys | None = None,
    network_cells: Mapping[int, Tally] | None = None,
) -> Published:
    """STATS and NETWORKS with every figure of fewer than MIN_CELL reports pooled or left out,
    and every loss stated by fewer than MIN_CELL reports, or dominated by one report's
    (`dominated`), left out. NETWORK_CELLS holds the loss cell of each network's reports
    (`stats.network_loss_cells`: how many state a loss, and the two largest); STATING, for a
    network NETWORK_CELLS does not hold, only how many state one
    (`stats.networks_stating_loss`); a network neither holds keeps its loss only when that is
    $0. Given the KEYS of the cells, every loss is perturbed (`perturbed_loss`) before it is
    rounded; counts are not."""
    if min_cell < 1:
        raise ValueError("min_cell is at least 1")
    safe = replace(
        stats,
        by_country=_stating_too_few(pooled(stats.by_country, min_cell), min_cell),
        by_month=_months(stats.by_month, min_cell),
        by_typology=_stating_too_few(pooled(stats.by_typology, min_cell), min_cell),
        flows=_flows(stats.flows, min_cell),
        unconverted_by_currency=_currencies(stats.unconverted_by_currency, min_cell),
    )
    period = merged("period", stats.by_country)
    # the period's reports are its countries': its loss rests on theirs (none: its $0 is no one's)
    if 0 < stats.report_count < min_cell or not _loss_rests_on_enough(
        stats.with_loss, stats.loss_usd, period.largest, period.second, min_cell
    ):
        safe = _without_losses(safe)
    named = {t.key for t in safe.by_country} - {OTHER}
    kept = tuple(
        _network_loss(
            _countries_named(n, named), _network_cell(n, network_cells, stating), min_cell
        )
        for n in networks
        if n.stats.report_count >= min_cell
    )
    if keys is not None:
        safe = _perturbed(safe, keys, stats)
        kept = tuple(_network_perturbed(n, keys) for n in kept)
    rounded = tuple(_network_rounded(n) for n in kept)
    safe = _rounded(safe)
    safe = replace(
        safe,
        by_country=_by_published_loss(safe.by_country),
        by_typology=_by_published_loss(safe.by_typology),
    )
    return Published(safe, rounded, min_cell, noise=0.0 if keys is None else NOISE_BOUND)


def _by_published_loss(tallies: Sequence[Tally]) -> tuple[Tally, ...]:
    """TALLIES largest published loss first, those not published after them by their counts,
    OTHER last. Their order was that of the exact losses: a loss not published, printed between
    two that are, lay between them, and the first group (the summary's "most affected") had the
    largest exact loss whether or not it was published."""

    def order(t: Tally) -> tuple[bool, bool, float, int, str]:
        hidden = math.isnan(t.loss_usd)
        return (t.key == OTHER, hidden, 0.0 if hidden else -t.loss_usd, -t.reports, t.key)

    return tuple(sorted(tallies, key=order))


def _perturbed_table(
    tallies: Sequence[Tally], keys: Mapping[str, int], groups: Sequence[Tally]
) -> tuple[Tally, ...]:
    """TALLIES with their losses perturbed by the keys of their groups in KEYS (OTHER by the
    keys of the GROUPS of the table before pooling that it pools); a group KEYS does not hold
    (its reports changed between the two reads), or OTHER pooling one, is not published."""
    named = {t.key for t in tallies} - {OTHER}
    pooled = [keys.get(t.key) for t in groups if t.key not in named]
    pooled_key = None if None in pooled else cell_key(k for k in pooled if k is not None)

    def key_of(t: Tally) -> int | None:
        return pooled_key if t.key == OTHER else keys.get(t.key)

    return tuple(replace(t, loss_usd=_perturbed_or_hidden(t.loss_usd, key_of(t))) for t in tallies)


def _perturbed_or_hidden(loss: float, key: int | None) -> float:
    return math.nan if key is None else perturbed_loss(loss, key)


def _perturbed(stats: Statistics, keys: CellKeys, before: Statistics) -> Statistics:
    """STATS (BEFORE pooled) with every loss perturbed by the key of its cell
    (`perturbed_loss`)."""
    currencies = tuple(
        replace(u, amount=_perturbed_or_hidden(u.amount, keys.currencies.get(u.currency)))
        for u in stats.unconverted_by_currency
    )
    return replace(
        stats,
        loss_usd=_perturbed_or_hidden(stats.loss_usd, keys.total),
        by_country=_perturbed_table(stats.by_country, keys.by_country, before.by_country),
        by_month=_perturbed_table(stats.by_month, keys.by_month, before.by_month),
        by_typology=_perturbed_table(stats.by_typology, keys.by_typology, before.by_typology),
        unconverted_by_currency=currencies,
    )


def _network_perturbed(network: NetworkSummary, keys: CellKeys) -> NetworkSummary:
    loss = _perturbed_or_hidden(network.stats.total_loss_usd, keys.networks.get(network.id))
    return replace(network, stats=replace(network.stats, total_loss_usd=loss))


def _rounded(stats: Statistics) -> Statistics:
    """STATS with every loss to `LOSS_FIGURES` significant figures."""

    def each(tallies: Sequence[Tally]) -> tuple[Tally, ...]:
        return tuple(replace(t, loss_usd=rounded_loss(t.loss_usd)) for t in tallies)

    return replace(
        stats,
        loss_usd=rounded_loss(stats.loss_usd),
        by_country=each(stats.by_country),
        by_month=each(stats.by_month),
        by_typology=each(stats.by_typology),
        unconverted_by_currency=tuple(
            replace(u, amount=rounded_loss(u.amount)) for u in stats.unconverted_by_currency
        ),
    )


def _network_rounded(network: NetworkSummary) -> NetworkSummary:
    loss = rounded_loss(network.stats.total_loss_usd)
    return replace(network, stats=replace(network.stats, total_loss_usd=loss))


def _network_cell(
    network: NetworkSummary,
    cells: Mapping[int, Tally] | None,
    stating: Mapping[int, int] | None,
) -> Tally | None:
    """The loss cell of NETWORK's reports: from CELLS, else how many state a loss from
    STATING (its largest losses not known), else None (not known)."""
    if cells is not None and network.id in cells:
        return cells[network.id]
    if stating is not None and network.id in stating:
        loss = network.stats.total_loss_usd
        return Tally(str(network.id), network.stats.report_count, loss, stating[network.id])
    return None


def _network_loss(network: NetworkSummary, cell: Tally | None, min_cell: int) -> NetworkSummary:
    """NETWORK without its loss unless it is $0, or its reports' CELL (None: not known) lets
    it be published (`_loss_rests_on_enough`, of the network's own loss)."""
    loss = network.stats.total_loss_usd
    if loss == 0 or (
        cell is not None
        and _loss_rests_on_enough(cell.with_loss, loss, cell.largest, cell.second, min_cell)
    ):
        return network
    return replace(network, stats=replace(network.stats, total_loss_usd=math.nan))


def _countries_named(network: NetworkSummary, named: set[str]) -> NetworkSummary:
    """NETWORK with only the countries NAMED by the report; the others are OTHER (a country
    pooled for its few reports, printed among a network's, would be named after all)."""
    shown = tuple(c for c in network.stats.countries if c in named)
    if len(shown) == len(network.stats.countries):
        return network
    stats = replace(network.stats, countries=(*shown, OTHER))
    return replace(network, stats=stats)
