"""The ranked networks as a plain-text table (for `bigfish networks` and `bigfish demo`)."""

from __future__ import annotations

from bigfish.linking.views import NetworkPage


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


#: After a loss that leaves out losses in a currency with no exchange rate (docs/scoring.md:
#: reported, never guessed), and the note that says so under the table.
_UNCOUNTED = "+"
_UNCOUNTED_NOTE = (
    f"{_UNCOUNTED} also losses in a currency with no exchange rate, not in the total:"
    " `bigfish network ID` names them"
)


def networks_table(page: NetworkPage, *, filtered: bool = False) -> str:
    """One line per network: id, score, reports, countries, organizations, loss, key identifier.
    FILTERED: the page was asked with a filter, so an empty one says none matches it."""
    header = f"{'id':>6}  {'score':>7}  {'reports':>7}  {'countries':<18}  {'orgs':>4}  "
    header += f"{'loss (USD)':>14}  {'last seen':<10}  top identifier"
    lines = [header, "-" * len(header)]
    uncounted = False
    for n in page.networks:
        s = n.stats
        top = f"{n.identifiers[0].kind}:{n.identifiers[0].canonical}" if n.identifiers else "-"
        loss = f"{s.total_loss_usd:,.0f}" + (_UNCOUNTED if s.unknown_currency else "")
        uncounted = uncounted or bool(s.unknown_currency)
        lines.append(
            f"{n.id:>6}  {s.score:>7.2f}  {s.report_count:>7}  "
            f"{_cut(','.join(s.countries), 18):<18}  {len(s.organizations):>4}  "
            f"{loss:>14}  {s.last_seen.date().isoformat():<10}  {_cut(top, 40)}"
        )
    if uncounted:
        lines.append(_UNCOUNTED_NOTE)
    if not page.networks and filtered:
        lines.append("(no network matches the filter)")
    elif not page.networks:
        lines.append("(no networks yet: ingest reports, then run `bigfish link`)")
    return "\n".join(lines)
