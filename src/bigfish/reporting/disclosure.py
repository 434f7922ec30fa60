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
and four of $100, would publish $1,000,400: that victim's loss; the noise, below, blurs it, but
the rule does not count on it). Each group
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

Why 15 %: the rule is applied to the exact losses, since the noise cannot be counted on. Its draw
of the largest loss is a quarter of it at least either way, but the draw of the second largest
can cancel it (m(p1 L1 + p2 L2), below, is near 0 when p2 L2 is near -p1 L1), and it only widens
the bound the second largest can put on the largest (he must allow for every draw). So p is set
for the exact losses alone: the losses other than the two largest are 15 % of the largest at
least, and a published loss rests on a total at least 1.15 times the largest loss in it. (The
noise may take the figure printed below that loss, down to (1 - m)(L1 + L2): a figure near one
report's loss is then that loss's own draw, which says nothing of it.) A larger p (25 %) would
hide most groups of five to ten reports, whose losses are as uneven as scam losses are.

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
fractions). Two draws p1 and p2 come from the cell's key alone, each uniform between a =
`NOISE_FLOOR` and 1 either way, independent (`loss_draws`), and the cell's loss T is published as
T + m(p1 L1 + p2 L2), m = `NOISE_SCALE` (`loss_noise`), then rounded: L1 and L2 are its largest
and second largest loss of one report (those the p % rule reads: `Tally.largest` and
`Tally.second`; "Other"'s and the period's, the two largest of all they hold, `merged`; a
network's, of its reports as shown, `bigfish.reporting.stats.network_loss_cells`; a currency's
amounts in that currency; a second of 0 when one report states a loss). A cell whose two largest
are not known (a table built by hand) is not published with noise. The same reports with the
same losses always give the same figure (run twice, two views or two tables of the same cell, a
network of the same reports as a cell: the same key and the same two largest), while two cells
that differ by one report get unrelated draws. A cell whose reports or losses changed between
the statistics' read and the keys' read has no key
(`bigfish.reporting.cell_keys.report_cell_keys`) and its loss is not published; so has a network
whose figure (the operator's: of the last link run) is not of its reports' losses as they are
now, until it is linked again.

Why the noise is of the two largest losses, not a share of the total: two published cells whose
reports differ by one report R (a typology minus a country of the same reports but R, a country
minus a network inside it, a quarter minus its first two months, in two runs) give R's loss L_R
plus the difference of their noises. As a share e of each total (T(1 + e), |e| <= 5 %, until
helper-138) that was within 5 % of each total: R's loss to within a few per cent, closer than the
p % rule's 15 %, though R's own cell (its country, its month) was never published
(tests/reporting/test_difference_noise_h138.py: LA's $48,000 read as $49,400 from investment minus
TH; within 15 % under each of 200 secrets). R is in the larger cell, whose largest loss L1 is at
least L_R, so the difference carries that cell's m p1 L1, at least m a L_R either way (a quarter of
it), drawn from that cell's key alone: unrelated to every other draw, whatever other tables, views
or runs the smaller cell was published in, and with no record kept of what was published. The other
draws (the larger cell's of its second largest, the smaller cell's of its two) can cancel it only
when they are as large: never, when R's is the largest, if m (L2 + L1' + L2') and the roundings
stay below m a L_R - 15 % of L_R (a report far above the others: $48,000 beside losses of some
$2,000 is told to within 15 % under no draw), and under at most half the draws whatever the others
are (R's draw spans m (1 - a) L_R on each side, 2 m a L_R apart: a window of 30 % of L_R meets one
side); beside similar losses they do cancel it at times (5.5 % and 19 % of the draws in the tests,
where the old noise told it under 100 % and 74 %). A cell of n similar losses gets at most m (L1 +
L2), some 2m / n of its loss (10 % for ten reports, 1 % for a hundred); a cell one loss dominates
is left out by the p % rule in any case.

Why m = a = 0.5: m a, a quarter of the isolated loss, is well above the 15 % the p % rule promises,
with room for the roundings and for others' draws that partly cancel it; a larger m would blur
cells of a few similar losses beyond use (five: up to 20 % already). m <= 1 keeps every figure at 0
or above with no clamp (a figure clamped at 0 would tell that its noise was large): T holds L1 and
L2, so T + m (p1 L1 + p2 L2) >= T - m (L1 + L2) >= (1 - m)(L1 + L2) >= 0 (a published loss has
passed the p % rule besides, T >= 1.15 L1 + L2, on the same figures: so has a network's figure at
the operator's rates beside its two largest as stored). A larger a would narrow each side of a draw
(its spread m (1 - a) L_R), so a window of 30 % would take more of it; a smaller one would let R's
draw near 0. What it costs: R isolated by k differences of unrelated cells (several tables,
overlapping periods) gives k independent draws, whose mean is off by some 0.38 L_R / sqrt(k) (m
times the root mean square of a draw, 0.76): six or so differences come within 15 %, so the
overlapping periods published should stay few.

The loss is in the record key because a report sent again with another loss (the same report id
updates it) leaves its cells with the same reports: keyed by its id alone, each kept its key and
its draws. Under the noise of a share e of the loss it published T(1 + e) before and (T + D)(1 + e)
after, whose ratio is (T + D) / T exactly: one victim's change of loss to within the rounding, and
its sender, who knows D, had the cell's e and so its exact T
(tests/reporting/test_resent_noise_h137.py: $52,294 read off as $52,152, where the noise hid up to
5 %); under the noise of the two largest, the same draws would publish T + N and T + D + N while
the two largest stay as they are (D exactly) and tell of the draws when they move. The amount at
other reference rates is a change too (its loss in US dollars differs by a known rate's share of
it), hence the value in US dollars in `loss_text`. What this costs: each change of a loss is a new
draw of a cell of nearly the same losses, and a sender who changes his loss many times over, one
published report after each, could average the draws (n draws are off by some 0.38 sqrt(L1^2 +
L2^2) / sqrt(n): for TH's $52,294 of the tests, 11 % / sqrt(n), some 12,000 to come within 0.1 %);
reports are published far more rarely than that.

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


#: m: the noise of a loss is m times a draw of its largest loss of one report plus m times
#: another of its second largest (`loss_noise`; the module's docstring says why 0.5).
NOISE_SCALE = 0.5

#: a: each draw is at least this share of its loss either way, and at most all of it.
NOISE_FLOOR = 0.5

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


def loss_draws(key: int, floor: float = NOISE_FLOOR) -> tuple[float, float]:
    """The two draws p1 and p2 of the cell of KEY, each in [-1, -FLOOR] or [FLOOR, 1]: a sign
    and a magnitude, uniform, each from its own 64 bits of SHA-256 of the key, so that the two
    are independent and cells whose keys differ by a report's get unrelated draws (not ones a
    report's key would tie together)."""
    if not 0 <= key < KEY_SPACE:
        raise ValueError("a cell key is at least 0 and below KEY_SPACE")
    digest = hashlib.sha256(
        b"bigfish loss noise, largest losses\0" + key.to_bytes(8, "big")
    ).digest()
    return _draw(digest[:8], floor), _draw(digest[8:16], floor)


def _draw(bits: bytes, floor: float) -> float:
    """A draw of BITS (64 of them): the first gives the sign, the other 63 the magnitude,
    uniform between FLOOR and 1."""
    value = int.from_bytes(bits, "big")
    magnitude = floor + (1 - floor) * (value % 2**63) / 2**63
    return -magnitude if value >> 63 else magnitude


def loss_noise(
    key: int,
    largest: float,
    second: float,
    scale: float = NOISE_SCALE,
    floor: float = NOISE_FLOOR,
) -> float:
    """What the cell of KEY adds to its loss: SCALE x (p1 x LARGEST + p2 x SECOND), its
    LARGEST and SECOND largest loss of one report times its two draws (`loss_draws`). At most
    SCALE x (LARGEST + SECOND) either way; a cell whose SECOND is 0 (one stated loss) gets
    between SCALE x FLOOR and SCALE times its largest either way."""
    p1, p2 = loss_draws(key, floor)
    return scale * (p1 * largest + p2 * second)


def perturbed_loss(loss: float, key: int, largest: float, second: float) -> float:
    """LOSS of the cell of KEY, whose largest loss of one report is LARGEST and second largest
    SECOND, plus `loss_noise` (to be rounded by `rounded_loss` after); 0 and NaN as they are.
    Never below 0: LOSS is at least LARGEST + SECOND, the noise at most `NOISE_SCALE` (<= 1)
    times that."""
    if loss == 0 or not math.isfinite(loss):
        return loss
    return loss + loss_noise(key, largest, second)


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
    #: The share m of each of a loss's two largest losses of one report that its noise is at
    #: most, either way (`NOISE_SCALE`; 0: not perturbed).
    noise: float = 0.0
    #: The share of m that each draw is at least (`NOISE_FLOOR`).
    noise_floor: float = 0.0


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
    $0. Given the KEYS of the cells, every loss is perturbed (`perturbed_loss`, by its cell's
    key and two largest losses; one whose two largest are not known is not published) before
    it is rounded; counts are not."""
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
        kept = tuple(
            _network_perturbed(n, keys, _network_cell(n, network_cells, stating)) for n in kept
        )
    rounded = tuple(_network_rounded(n) for n in kept)
    safe = _rounded(safe)
    safe = replace(
        safe,
        by_country=_by_published_loss(safe.by_country),
        by_typology=_by_published_loss(safe.by_typology),
    )
    if keys is None:
        return Published(safe, rounded, min_cell)
    return Published(safe, rounded, min_cell, noise=NOISE_SCALE, noise_floor=NOISE_FLOOR)


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
    keys of the GROUPS of the table before pooling that it pools) and their two largest losses
    (OTHER's of all it pools, `merged`); a group KEYS does not hold (its reports changed
    between the two reads), or OTHER pooling one, is not published."""
    named = {t.key for t in tallies} - {OTHER}
    pooled = [keys.get(t.key) for t in groups if t.key not in named]
    pooled_key = None if None in pooled else cell_key(k for k in pooled if k is not None)

    def key_of(t: Tally) -> int | None:
        return pooled_key if t.key == OTHER else keys.get(t.key)

    return tuple(
        replace(t, loss_usd=_perturbed_or_hidden(t.loss_usd, key_of(t), t.largest, t.second))
        for t in tallies
    )


def _perturbed_or_hidden(
    loss: float, key: int | None, largest: float | None, second: float | None
) -> float:
    """`perturbed_loss` of LOSS, or NaN (not published) when its cell has no KEY or its two
    largest losses are not known (a table built by hand: the noise could not be sized)."""
    if key is None or largest is None or second is None:
        return math.nan
    return perturbed_loss(loss, key, largest, second)


def _perturbed(stats: Statistics, keys: CellKeys, before: Statistics) -> Statistics:
    """STATS (BEFORE pooled) with every loss perturbed by the key of its cell and its two
    largest losses (`perturbed_loss`; the period's, those of all its countries)."""
    currencies = tuple(
        replace(
            u,
            amount=_perturbed_or_hidden(
                u.amount, keys.currencies.get(u.currency), u.largest, u.second
            ),
        )
        for u in stats.unconverted_by_currency
    )
    period = merged("period", before.by_country)
    return replace(
        stats,
        loss_usd=_perturbed_or_hidden(stats.loss_usd, keys.total, period.largest, period.second),
        by_country=_perturbed_table(stats.by_country, keys.by_country, before.by_country),
        by_month=_perturbed_table(stats.by_month, keys.by_month, before.by_month),
        by_typology=_perturbed_table(stats.by_typology, keys.by_typology, before.by_typology),
        unconverted_by_currency=currencies,
    )


def _network_perturbed(
    network: NetworkSummary, keys: CellKeys, cell: Tally | None
) -> NetworkSummary:
    """NETWORK with its loss perturbed by its key and the two largest losses of its reports'
    CELL (the same as a group's of the same reports: the same figure)."""
    largest, second = (None, None) if cell is None else (cell.largest, cell.second)
    loss = _perturbed_or_hidden(
        network.stats.total_loss_usd, keys.networks.get(network.id), largest, second
    )
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
