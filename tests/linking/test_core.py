"""The pure core: graph components, hub test, stable ids, explanations, score, warning lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bigfish.errors import InputError
from bigfish.linking.explain import Join, key_identifiers, spanning_links
from bigfish.linking.graph import MentionGraph, report_components
from bigfish.linking.hubs import HubPolicy, StopReason, find_hubs
from bigfish.linking.networks import EventKind, assign_ids, partition
from bigfish.linking.score import ReportFacts, network_score, summarize
from bigfish.linking.warninglists import load_warning_lists, parse_warning_list


def _graph(edges: list[tuple[int, int]], n_reports: int, n_values: int) -> MentionGraph:
    return MentionGraph.build([r for r, _ in edges], [v for _, v in edges], n_reports, n_values)


def test_components_join_reports_through_shared_values() -> None:
    g = _graph([(0, 0), (1, 0), (1, 1), (2, 1), (3, 2)], 5, 3)
    labels = report_components(g)
    assert labels[0] == labels[1] == labels[2]
    assert len({labels[0], labels[3], labels[4]}) == 3


def test_the_hub_test_stops_a_value_scattered_over_many_rings() -> None:
    # Three rings of four reports, each glued by two private values; one hotline is mentioned by
    # one report of each ring and by two lone reports.
    edges = []
    for ring in range(3):
        base = ring * 4
        for i in range(4):
            edges.append((base + i, ring * 2 + (i % 2)))
            edges.append((base + i, ring * 2 + ((i + 1) % 2)))
    hotline = 6
    edges += [(0, hotline), (4, hotline), (8, hotline), (12, hotline), (13, hotline)]
    g = _graph(edges, 14, 7)
    eligible = np.ones(7, dtype=np.bool_)
    verdict = find_hubs(g, eligible, HubPolicy())
    assert not verdict.linking[hotline]
    assert verdict.reason[hotline] is StopReason.HUB_GROUPS
    assert "3 separate groups" in verdict.detail[hotline]
    assert verdict.linking[:6].all()
    off = find_hubs(g, eligible, HubPolicy.off())
    assert off.linking[hotline]


def test_a_value_far_above_ring_degrees_is_stopped() -> None:
    # 150 ring values shared by two reports each, and one value in all 300 reports.
    edges = [(i, 0) for i in range(300)] + [(i, 1 + i // 2) for i in range(300)]
    verdict = find_hubs(_graph(edges, 300, 151), np.ones(151, dtype=np.bool_), HubPolicy())
    assert verdict.reason[0] is StopReason.HUB_DEGREE and verdict.linking[1:].all()
    assert verdict.degree_cap == 200 and "above the limit of 200" in verdict.detail[0]


def test_oversized_components_are_split_by_leiden_and_flagged() -> None:
    # Two cliques of 30 reports joined by one report: one component of 61 reports.
    edges = [(i, 0) for i in range(30)] + [(i, 1) for i in range(30, 60)] + [(60, 0), (60, 1)]
    g = _graph(edges, 61, 2)
    parts = partition(g, report_components(g), max_reports=40, split=True)
    assert len(set(parts.labels[:30].tolist())) == 1
    assert parts.labels[0] != parts.labels[45]
    assert len(parts.community_split) == 2
    whole = partition(g, report_components(g), max_reports=40, split=False)
    assert len(set(whole.labels.tolist())) == 1 and not whole.community_split


def test_ids_survive_growth_merge_and_split() -> None:
    old = np.array([5, 5, 7, 7, 7, -1, 9, 9, 9])
    new = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2])
    result = assign_ids(new, old, next_id=10)
    assert result.ids[0] == 5  # 5 and 7 merged: the older id survives
    assert result.retired == {7: 5}
    assert result.ids[1] == 9 and result.ids[2] == 10  # 9 split: the larger piece keeps it
    kinds = {(e.kind, e.network_id, e.other_ids) for e in result.events}
    assert (EventKind.MERGED, 5, (7,)) in kinds
    assert (EventKind.SPLIT, 10, (9,)) in kinds


def test_a_network_with_one_report_left_is_dissolved() -> None:
    result = assign_ids(np.array([-1, -1]), np.array([3, 3]), next_id=4)
    assert result.retired == {3: None}
    assert [e.kind for e in result.events] == [EventKind.DISSOLVED]


def test_spanning_links_and_key_identifiers() -> None:
    shared = [Join(1, "phone", "+661", (10, 11, 12)), Join(2, "url", "x.com/a", (12, 13))]
    links = spanning_links([10, 11, 12, 13], shared)
    assert len(links) == 3
    assert {link.identifier_id for link in links} == {1, 2}
    assert key_identifiers(shared) == [1, 2]
    cycle = [
        Join(1, "phone", "a", (1, 2)),
        Join(2, "phone", "b", (2, 3)),
        Join(3, "x", "c", (3, 1)),
    ]
    assert key_identifiers(cycle) == []


def test_score_puts_losses_reach_and_growth_first() -> None:
    base = network_score(10_000, 1, 0, 10)
    assert network_score(100_000, 1, 0, 10) > base
    assert network_score(10_000, 3, 0, 10) > base
    assert network_score(10_000, 1, 5, 10) > base
    assert network_score(10_000, 1, 0, 10) == pytest.approx(
        (1 + np.log10(10_001)) + 0.25 * np.log2(10), abs=1e-3
    )


def test_unknown_currency_is_reported_not_guessed() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    facts = [
        ReportFacts(1, "a", "r1", "TH", at, 100.0, "THB", "investment", "sms"),
        ReportFacts(2, "a", "r2", "VN", at, None, "XYZ", None, None),
    ]
    stats = summarize(facts, now=at)
    assert stats.total_loss_usd == 100.0
    assert stats.unknown_currency == (("XYZ", 1),)
    assert stats.countries == ("TH", "VN") and stats.growth_30d == 2


def test_shipped_lists_stop_infrastructure_but_not_the_scammers_links() -> None:
    lists = load_warning_lists()
    assert lists.match("url", "bit.ly/") == "link-shorteners"
    assert lists.match("url", "bit.ly/3xYz12") is None
    assert lists.match("domain", "bit.ly") == "link-shorteners"
    assert lists.match("domain", "invest-gold88.com") is None
    assert lists.match("domain", "gmail.com") == "free-mail-providers"
    assert lists.match("url", "sites.google.com/view/scam") is None
    assert lists.match("domain", "google.com") is not None
    assert lists.match("phone", "+6628888888") == "hotlines-th"


def test_operators_add_their_own_lists(tmp_path: Path) -> None:
    (tmp_path / "ours.json").write_text(
        json.dumps(
            {
                "name": "ours",
                "type": "exact",
                "kinds": ["phone"],
                "country": "TH",
                "list": ["081-111-2222"],
            }
        )
    )
    lists = load_warning_lists([tmp_path])
    assert lists.match("phone", "+66811112222") == "ours"
    (tmp_path / "bad.json").write_text('{"name": "bad", "type": "regex", "kinds": [], "list": []}')
    with pytest.raises(InputError, match="type"):
        load_warning_lists([tmp_path])


def test_a_bad_list_entry_names_the_file() -> None:
    with pytest.raises(InputError, match=r"mine\.json"):
        parse_warning_list(
            {"name": "x", "type": "exact", "kinds": ["phone"], "list": ["not a phone"]}, "mine.json"
        )
