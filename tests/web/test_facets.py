"""The facets of a ranking answer the big-fish page's filters as reading every network would,
and survive being kept as text; text that is not well-formed facets is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.linking.score import NetworkStats
from bigfish.web.facets import RankingFacets

COUNTRIES = ("TH", "VN", "SG", "KH")
ORGS = ("th-aoc", "vn-police", "sg-dbs")
TYPES = ("investment", "romance", "job_task")
BASE = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=7)), None)


def _passes(s: NetworkStats, asked: dict[str, Any]) -> bool:
    """The filter ASKED (the arguments of `positions`) as reading one network decides it (a
    naive time is UTC)."""

    def utc(at: datetime) -> datetime:
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    start, end, least = asked["start"], asked["end"], asked["min_countries"]
    return (
        (not least or len(s.countries) >= least)
        and (not asked["country"] or asked["country"] in s.countries)
        and (not asked["organization"] or asked["organization"] in s.organizations)
        and (not asked["scam_type"] or asked["scam_type"] in dict(s.scam_types))
        and (start is None or utc(s.last_seen) >= utc(start))
        and (end is None or utc(s.first_seen) < utc(end))
    )


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    at = BASE + timedelta(microseconds=draw(st.integers(-(10**9), 10**9)))
    zone = draw(st.sampled_from(ZONES))
    return at.replace(tzinfo=None) if zone is None else at.astimezone(zone)


@st.composite
def networks(draw: st.DrawFn) -> NetworkStats:
    first, last = sorted([draw(moments()), draw(moments())], key=lambda t: t.replace(tzinfo=UTC))
    types = draw(st.lists(st.sampled_from(TYPES), unique=True))
    return NetworkStats(
        report_count=2,
        countries=tuple(draw(st.lists(st.sampled_from(COUNTRIES), unique=True))),
        organizations=tuple(draw(st.lists(st.sampled_from(ORGS), unique=True))),
        total_loss_usd=0.0,
        unknown_currency=(),
        first_seen=first,
        last_seen=last,
        scam_types=tuple((t, 1) for t in types),
        channels=(),
        growth_30d=0,
        score=1.0,
    )


def _maybe(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.none() | st.just("") | st.sampled_from(values) | st.just("XX")


@settings(max_examples=300, deadline=None)
@given(
    ranking=st.lists(networks(), max_size=30),
    asked=st.fixed_dictionaries(
        {
            "country": _maybe(COUNTRIES),
            "organization": _maybe(ORGS),
            "scam_type": _maybe(TYPES),
            "start": st.none() | moments(),
            "end": st.none() | moments(),
            "min_countries": st.none() | st.integers(0, 5),
        }
    ),
)
def test_the_facets_pass_the_networks_a_filter_passes(
    ranking: list[NetworkStats], asked: dict[str, Any]
) -> None:
    expected = [i for i, s in enumerate(ranking) if _passes(s, asked)]
    made = RankingFacets.of(ranking)
    for facets in (made, RankingFacets.loads(made.dumps())):
        assert facets.positions(**asked).tolist() == expected


def test_a_filter_may_ask_for_a_value_no_network_has() -> None:
    facets = RankingFacets.of([])
    assert facets.positions(country="TH", min_countries=2).tolist() == []
    assert RankingFacets.loads(facets.dumps()).length == 0


def _text(**changes: object) -> str:
    at = BASE
    one = NetworkStats(2, ("TH",), ("th-aoc",), 1.0, (), at, at, (("romance", 2),), (), 0, 1.0)
    found = json.loads(RankingFacets.of([one, one]).dumps())
    for path, value in changes.items():
        target = found
        *inner, last = path.split("__")
        for part in inner:
            target = target[part]
        target[last] = value
    return json.dumps(found)


def test_kept_facets_are_read_as_written() -> None:
    both = "AAAAAAEAAAA="  # positions 0 and 1
    assert RankingFacets.loads(_text(values__country__TH=both)).positions(country="TH").size == 2


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        _text(length=-1),
        _text(length="2"),
        _text(length=3),  # the arrays hold two networks
        _text(values__country__TH="AgAAAA=="),  # position 2 of two networks
        _text(values__country__TH="AQAAAAAAAAA="),  # 1, 0: out of order
        _text(values__country__TH="AAA="),  # bytes that are no whole position
        _text(values__country__TH="*"),  # not base64
        _text(values__country__TH=[0, 1]),
        _text(first_seen="AAAAAAAAAAA="),  # one time for two networks
        _text(values={"country": {}, "organization": {}}),  # a facet missing
    ],
)
def test_text_that_is_not_well_formed_facets_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ranking facets"):
        RankingFacets.loads(text)
