"""`combine`: the statistics of disjoint portions of a network, put together, are exactly those
of all their reports tallied at once, in any order. The web rankings rely on it: they tally each
audience's reports once and combine the audiences a viewer reaches, and the split of the members
by audience is the same whatever order the database returns them in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.linking.score import Portion, ReportFacts, Tally, combine, summarize
from bigfish.linking.views import _split_rows
from bigfish.sharing import Viewer

NOW = datetime(2025, 12, 1, tzinfo=UTC)

facts = st.builds(
    ReportFacts,
    pk=st.integers(1, 10**6),
    org=st.sampled_from(["A", "B", "C"]),
    report_id=st.just("r"),
    country=st.sampled_from(["TH", "VN", "KH", "SG"]),
    reported_at=st.integers(0, 90 * 24).map(lambda h: NOW - timedelta(hours=h)),
    loss_usd=st.none() | st.floats(0, 1e7, allow_nan=False, allow_infinity=False),
    loss_currency=st.none() | st.sampled_from(["THB", "XXX", "ZZZ"]),
    scam_type=st.none() | st.sampled_from(["investment", "romance", "loan"]),
    channel=st.none() | st.sampled_from(["sms", "line", "call"]),
)


def _portion(part: list[ReportFacts]) -> Portion:
    tally = Tally(NOW)
    for f in part:
        tally.add(
            f.org, f.country, f.reported_at, f.loss_usd, f.loss_currency, f.scam_type, f.channel
        )
    return tally.portion()


@settings(max_examples=300, deadline=None)
@given(st.lists(facts, min_size=1, max_size=40), st.data())
def test_combined_portions_are_the_whole_tally(
    reports: list[ReportFacts], data: st.DataObject
) -> None:
    owners = data.draw(st.lists(st.integers(0, 3), min_size=len(reports), max_size=len(reports)))
    parts = [[f for f, o in zip(reports, owners, strict=True) if o == k] for k in range(4)]
    portions = [_portion(p) for p in parts if p]
    order = data.draw(st.permutations(portions))
    assert combine(order) == summarize(reports, NOW)
    assert combine(order[:1]) == order[0].stats


def test_losses_add_up_exactly_whatever_the_order() -> None:
    # Added one by one, 1e16 + 1.0 loses the 1.0; the tally's sum is exact, so no order loses it.
    a, b = _portion([_fact(1e16), _fact(1.0)]), _portion([_fact(-1e16), _fact(1.0)])
    assert combine([a, b]).total_loss_usd == combine([b, a]).total_loss_usd == 2.0


def _fact(loss: float) -> ReportFacts:
    return ReportFacts(1, "A", "r", "TH", NOW, loss, "USD", None, None)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),  # organization
            facts,
            st.integers(1, 4),  # network
            st.sampled_from(["organization", "group", "partnership"]),
            st.sampled_from(["green", "amber", "red"]),
            st.none() | st.integers(1, 2),  # group
        ),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_the_split_is_the_same_whatever_order_the_rows_come_in(
    members: list[tuple[int, ReportFacts, int, str, str, int | None]], rng: Random
) -> None:
    """Rows grouped by network (as SQLite's plan yields them) and shuffled (as another plan
    may) give the same statistics to every viewer."""
    rows = [
        (org, f.country, f.reported_at, f.loss_usd, "1" if f.loss_currency else None,
         f.loss_currency, f.scam_type, f.channel, nid, dist, tlp, group)
        for org, f, nid, dist, tlp, group in members
    ]  # fmt: skip
    names = {1: "A", 2: "B", 3: "C"}
    grouped = _split_rows(sorted(rows, key=lambda r: r[8]), names, NOW)
    shuffled_rows = list(rows)
    rng.shuffle(shuffled_rows)
    shuffled = _split_rows(shuffled_rows, names, NOW)
    viewers = [Viewer.node_operator()] + [
        Viewer(org, names[org], group_ids=frozenset(groups))
        for org in names
        for groups in ((), (1,), (1, 2))
    ]
    for viewer in viewers:
        assert shuffled.stats_for(viewer) == grouped.stats_for(viewer), viewer
    assert sum(p.stats.report_count for ps in grouped.networks.values() for _, p in ps) == len(rows)
