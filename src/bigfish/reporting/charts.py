"""Charts of the statistics report, drawn offline with matplotlib (Agg) and embedded as PNG data
URIs (weasyprint and every browser show them; nothing is fetched).

Every text is drawn as it is written: matplotlib reads the text between two `$` as mathematics
(mathtext), so a group named "$1,000 to $5,000" came out as italic "1,000 to" without its
dollars, and one that is not valid mathtext ("$\\frac$") failed the report; each chart is drawn
with `text.parse_math` off."""

from __future__ import annotations

import base64
import functools
import io
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import ParamSpec

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bigfish.reporting.stats import Flow, Tally

_BLUE = "#0b5cad"
_GOLD = "#f2b705"

_P = ParamSpec("_P")


def _plain_text(draw: Callable[_P, str]) -> Callable[_P, str]:
    """DRAW with every text as written, `$` included (labels are partners' data)."""

    @functools.wraps(draw)
    def drawn(*args: _P.args, **kwargs: _P.kwargs) -> str:
        # the tick labels are made while the figure is saved: inside the context too
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


def _data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _empty(title: str, why: str = "no data in this period", note: str | None = None) -> str:
    figure, axis = plt.subplots(figsize=(6.5, 1.2))
    axis.axis("off")
    axis.text(0.5, 0.5, f"{title}: {why}", ha="center", va="center")
    if note:
        figure.text(0.0, 0.0, textwrap.fill(note, 95), ha="left", va="top", fontsize=8)
    return _data_uri(figure)


def not_drawn(tallies: Sequence[Tally], *, top: int = 12) -> str | None:
    """What `bar_chart` of TALLIES leaves out, in words: each group whose loss is not published
    with its count (counts are exact and published; its loss is not), and how many groups and
    reports lie past the TOP bars. None when every group is drawn. A chart alone left them out
    with no word: the country bars of one report added to $1.06M of a $5.37M total."""
    held = [t for t in tallies if math.isnan(t.loss_usd)]
    beyond = [t for t in tallies if not math.isnan(t.loss_usd)][top:]
    parts = []
    if held:
        listed = ", ".join(f"{t.key} ({_reports(t.reports)})" for t in held)
        parts.append(f"Losses not published (not drawn): {listed}.")
    if beyond:
        count = sum(t.reports for t in beyond)
        groups = "group" if len(beyond) == 1 else "groups"
        parts.append(
            f"Not drawn, past the first {top}: {len(beyond)} {groups} ({_reports(count)})."
        )
    return " ".join(parts) or None


def _reports(count: int) -> str:
    return f"{count:,} report" + ("" if count == 1 else "s")


@_plain_text
def bar_chart(title: str, tallies: Sequence[Tally], *, top: int = 12) -> str:
    """Losses in USD per group, largest first, as horizontal bars (a group whose losses are
    not published, NaN, has none: `not_drawn` names it, with its count, under the bars)."""
    chosen = [t for t in tallies if not math.isnan(t.loss_usd)][:top]
    note = not_drawn(tallies, top=top)
    if not chosen:
        why = "losses not published" if tallies else "no data in this period"
        return _empty(title, why, note)
    figure, axis = plt.subplots(figsize=(6.5, 0.35 * len(chosen) + 1.0))
    labels = [t.key for t in reversed(chosen)]
    values = [t.loss_usd / 1e6 for t in reversed(chosen)]
    axis.barh(labels, values, color=_BLUE)
    axis.set_xlabel("losses, million USD")
    axis.set_title(title, loc="left", fontsize=11)
    axis.spines[["top", "right"]].set_visible(False)
    if note:
        figure.text(0.0, 0.0, textwrap.fill(note, 95), ha="left", va="top", fontsize=8)
    return _data_uri(figure)


#: The most month labels the trend prints under its bars.
_MONTH_LABELS = 36


def _every_month(tallies: Sequence[Tally]) -> list[Tally]:
    """TALLIES (by month, `YYYY-MM`, in order) with each month between two of them that has no
    reports as one of none: drawn side by side, January and March read as two months in a row
    and the empty February vanished from the trend. A key that is no month is kept, last."""
    known = {t.key: t for t in tallies if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", t.key)}
    if not known:
        return list(tallies)
    year, month = map(int, min(known).split("-"))
    months = []
    while (key := f"{year:04d}-{month:02d}") <= max(known):
        months.append(known.get(key, Tally(key, 0, 0.0, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months + [t for t in tallies if t.key not in known]


@_plain_text
def month_chart(title: str, tallies: Sequence[Tally]) -> str:
    """Reports (bars) and losses (line) per month, every month from the first to the last."""
    if not tallies:
        return _empty(title)
    tallies = _every_month(tallies)
    figure, axis = plt.subplots(figsize=(6.5, 2.6))
    months = [t.key for t in tallies]
    axis.bar(months, [t.reports for t in tallies], color=_BLUE, label="reports")
    axis.set_ylabel("reports")
    axis.tick_params(axis="x", rotation=60, labelsize=7)
    if len(months) > _MONTH_LABELS:  # years of months: a label every few, still legible
        step = math.ceil(len(months) / _MONTH_LABELS)
        axis.set_xticks(range(0, len(months), step), months[::step])
    twin = axis.twinx()
    dots = "o" if len(months) <= _MONTH_LABELS else None
    twin.plot(months, [t.loss_usd / 1e6 for t in tallies], color=_GOLD, marker=dots, lw=2)
    twin.set_ylabel("losses, million USD")
    axis.set_title(title, loc="left", fontsize=11)
    return _data_uri(figure)


@_plain_text
def flow_chart(title: str, flows: Sequence[Flow], *, top: int = 12) -> str:
    """The largest cross-border flows (victims' country → country of accounts and phones)."""
    chosen = list(flows)[:top]
    if not chosen:
        return _empty(title)
    figure, axis = plt.subplots(figsize=(6.5, 0.35 * len(chosen) + 1.0))
    labels = [f"{f.victim_country} → {f.asset_country}" for f in reversed(chosen)]
    axis.barh(labels, [f.reports for f in reversed(chosen)], color=_GOLD)
    axis.set_xlabel("reports")
    axis.set_title(title, loc="left", fontsize=11)
    axis.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


@_plain_text
def status_chart(title: str, statuses: Sequence[tuple[str, int]]) -> str:
    """Cooperation requests by status."""
    if not statuses:
        return _empty(title)
    figure, axis = plt.subplots(figsize=(6.5, 0.35 * len(statuses) + 1.0))
    axis.barh([s for s, _ in reversed(statuses)], [n for _, n in reversed(statuses)], color=_BLUE)
    axis.set_xlabel("requests")
    axis.set_title(title, loc="left", fontsize=11)
    axis.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)
