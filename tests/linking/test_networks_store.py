"""Networks in the store: found, grown, merged, split, explained — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bigfish.errors import NotFound
from bigfish.linking import get_network, list_networks, rebuild_networks, update_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers
from bigfish.store.schema_linking import network_events, networks, stopped_values
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()

RING_A = [
    report("a1", ("phone", "081-234-5678"), loss="35000"),
    report("a2", ("phone", "+66 81 234 5678"), ("bank_account", "KBANK:123-4-56789-0")),
    report("a3", ("bank_account", "kbank: 1234567890"), country="VN", currency="VND"),
]
RING_B = [
    report("b1", ("url", "hxxps://invest-gold88[.]com/login"), loss="100", currency="USD"),
    report("b2", ("url", "https://m.invest-gold88.com/app")),
]


def _ids(store: Store) -> list[tuple[int, int]]:
    page = list_networks(store, OP, now=NOW)
    return [(n.id, n.stats.report_count) for n in page.networks]


def test_two_rings_are_found_with_their_statistics(store: Store, ingest: Ingest) -> None:
    ingest(store, "th-aoc", RING_A + RING_B + [report("lone", ("phone", "0899999999"))])
    rebuild_networks(store, now=NOW)
    page = list_networks(store, OP, now=NOW)
    assert sorted(n.stats.report_count for n in page.networks) == [2, 3]
    ring_a = next(n for n in page.networks if n.stats.report_count == 3)
    doc = ring_a.to_json()
    assert set(doc) == {
        "id", "score", "reports", "report_count", "countries", "organizations",
        "total_loss_usd", "first_seen", "last_seen", "identifiers",
    }  # fmt: skip
    assert doc["countries"] == ["TH", "VN"]
    assert doc["organizations"] == ["th-aoc"]
    assert isinstance(doc["total_loss_usd"], float) and doc["total_loss_usd"] > 900
    assert {(i["kind"], i["canonical"], i["report_count"]) for i in doc["identifiers"]} == {
        ("phone", "+66812345678", 2),
        ("bank_account", "KBANK:1234567890", 2),
    }
    assert [r["report_id"] for r in doc["reports"]] == ["a1", "a2", "a3"]
    # Ring A (two countries, higher loss) ranks first.
    assert page.networks[0].id == ring_a.id


def test_a_network_keeps_its_id_as_it_grows(store: Store, ingest: Ingest) -> None:
    ingest(store, "th-aoc", RING_A)
    rebuild_networks(store, now=NOW)
    [(nid, _)] = _ids(store)
    ingest(store, "vn-police", [report("v1", ("phone", "+66812345678"), country="VN")])
    summary = update_networks(store, now=NOW)
    assert summary.mode == "update" and summary.networks_touched == 1
    assert summary.reports_considered == 3  # the new report and the two it reaches
    assert _ids(store) == [(nid, 4)]
    rebuild_networks(store, now=NOW)
    assert _ids(store) == [(nid, 4)]


def test_when_networks_merge_the_older_id_survives(store: Store, ingest: Ingest) -> None:
    ingest(store, "th-aoc", RING_A[:2])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", RING_B)
    update_networks(store, now=NOW)
    ids = sorted(nid for nid, _ in _ids(store))
    older, younger = ids
    bridge = report("x", ("phone", "0812345678"), ("url", "invest-gold88.com/login"))
    ingest(store, "sg-asc", [bridge])
    update_networks(store, now=NOW)
    assert _ids(store) == [(older, 5)]
    with store.connect() as conn:
        row = conn.execute(sa.select(networks).where(networks.c.id == younger)).one()
        assert (row.status, row.merged_into) == ("merged", older)
        event = conn.execute(
            sa.select(network_events).where(network_events.c.kind == "merged")
        ).one()
        assert event.network_id == older and event.other_ids == [younger]
    # An investigator holding the absorbed id lands on the survivor.
    detail = get_network(store, OP, younger)
    assert detail.summary.id == older and detail.redirected_from == younger


def test_a_split_is_recorded(store: Store, ingest: Ingest) -> None:
    ingest(
        store, "th-aoc", [*RING_A[:2], report("c", ("phone", "0812345678"), ("url", "scam.xyz/a"))]
    )
    ingest(
        store, "th-aoc", [report("d", ("url", "scam.xyz/a")), report("e", ("url", "scam.xyz/a"))]
    )
    rebuild_networks(store, now=NOW)
    [(nid, count)] = _ids(store)
    assert count == 5
    # The analyst corrects report c: it never mentioned the phone number.
    ingest(store, "th-aoc", [report("c", ("url", "scam.xyz/a"))])
    update_networks(store, now=NOW)
    after = dict(_ids(store))
    assert sorted(after.values()) == [2, 3]
    assert after[nid] == 3  # the larger piece keeps the id
    with store.connect() as conn:
        event = conn.execute(
            sa.select(network_events).where(network_events.c.kind == "split")
        ).one()
    assert event.other_ids == [nid] and event.network_id != nid


def test_an_update_stops_a_new_hub_before_it_merges_rings(store: Store, ingest: Ingest) -> None:
    """Six rings, each of three reports sharing a phone; then six new reports, one per ring,
    that also name one helpline no list knows. The update relinks the six networks and the
    group test stops the helpline (its reports fall one per ring), as a rebuild would."""
    rings = [
        report(f"r{i}-{j}", ("phone", f"+6681555{i:04d}"), day=j + 1)
        for i in range(6)
        for j in range(3)
    ]
    ingest(store, "th-aoc", rings)
    rebuild_networks(store, now=NOW)
    before = dict(_ids(store))
    assert sorted(before.values()) == [3] * 6
    helpline = "+6621234567"
    ingest(
        store,
        "sg-asc",
        [report(f"n{i}", ("phone", f"+6681555{i:04d}"), ("phone", helpline)) for i in range(6)],
    )
    summary = update_networks(store, now=NOW)
    assert summary.mode == "update"
    assert dict(_ids(store)) == {nid: 4 for nid in before}  # every ring kept its id, none merged
    with store.connect() as conn:
        reason = conn.execute(
            sa.select(stopped_values.c.reason)
            .join(identifiers, identifiers.c.id == stopped_values.c.identifier_id)
            .where(identifiers.c.canonical == helpline)
        ).scalar_one()
    assert reason == "hub_groups"
    rebuild_networks(store, now=NOW)
    assert dict(_ids(store)) == {nid: 4 for nid in before}


def test_explanation_names_the_joins_and_a_minimal_set_of_links(
    store: Store, ingest: Ingest
) -> None:
    ingest(store, "th-aoc", [*RING_A, report("a4", ("phone", "0812345678"))])
    rebuild_networks(store, now=NOW)
    [(nid, count)] = _ids(store)
    assert count == 4
    doc = get_network(store, OP, nid).to_json()
    links = {
        (link["kind"], tuple(r["report_id"] for r in link["reports"])) for link in doc["links"]
    }
    assert links == {("phone", ("a1", "a2", "a4")), ("bank_account", ("a2", "a3"))}
    assert len(doc["spanning_links"]) == 3  # n - 1 links connect n reports
    assert {(k["kind"], k["canonical"]) for k in doc["key_identifiers"]} == {
        ("phone", "+66812345678"),
        ("bank_account", "KBANK:1234567890"),
    }
    assert [e["kind"] for e in doc["events"]] == ["created"]


def test_shared_infrastructure_is_explained_not_linked(store: Store, ingest: Ingest) -> None:
    rows = [
        report("h1", ("phone", "0812345678"), ("phone", "02-888-8888")),
        report("h2", ("phone", "0812345678")),
        report("h3", ("phone", "0899990000"), ("phone", "02 888 8888")),
        report("h4", ("phone", "0899990000"), ("url", "https://bit.ly/")),
        report("h5", ("url", "bit.ly/3xYz12"), ("url", "bit.ly/3xYz12")),
        report("h6", ("url", "https://bit.ly/3xYz12"), ("email", "boss.ring@gmail.com")),
    ]
    ingest(store, "th-aoc", rows)
    rebuild_networks(store, now=NOW)
    page = list_networks(store, OP, now=NOW)
    assert sorted(n.stats.report_count for n in page.networks) == [2, 2, 2]
    detail = get_network(store, OP, page.networks[0].id).to_json()
    reasons = {(n["canonical"], n["reason"], n["detail"]) for n in detail["not_linking"]}
    for n in page.networks:
        for item in get_network(store, OP, n.id).to_json()["not_linking"]:
            reasons.add((item["canonical"], item["reason"], item["detail"]))
    assert ("+6628888888", "warning_list", "hotlines-th") in reasons
    assert ("bit.ly", "warning_list", "link-shorteners") in reasons
    assert ("gmail.com", "warning_list", "free-mail-providers") in reasons


def test_viewers_see_networks_through_their_visible_reports(store: Store, ingest: Ingest) -> None:
    from bigfish.models import TLP, Distribution, Marking
    from bigfish.organizations import add_group, add_org

    a = add_org(store, "org-a", country="TH").id
    b = add_org(store, "org-b", country="VN").id
    c = add_org(store, "org-c", country="SG").id
    group = add_group(store, "mekong", owner="org-a", members=["org-a", "org-b"])
    ingest(store, "org-a", RING_A[:2])  # organization-only
    ingest(store, "org-b", [RING_A[2]], Marking(TLP.AMBER, Distribution.GROUP, "mekong"))
    ingest(store, "org-c", RING_B, Marking(TLP.GREEN, Distribution.PARTNERSHIP))
    rebuild_networks(store, now=NOW)

    def seen(org: str, org_id: int, groups: frozenset[int]) -> list[int]:
        viewer = Viewer(org_id=org_id, org_name=org, group_ids=groups)
        return sorted(n.stats.report_count for n in list_networks(store, viewer).networks)

    ids = {n.id: n.stats.report_count for n in list_networks(store, OP).networks}
    ring_a = next(i for i, c in ids.items() if c == 3)
    assert seen("org-a", a, frozenset({group.id})) == [2, 3]
    assert seen("org-b", b, frozenset({group.id})) == [2]  # its own report is alone in ring A
    assert seen("org-c", c, frozenset()) == [2]
    with pytest.raises(NotFound):
        get_network(store, Viewer(org_id=c, org_name="org-c"), ring_a)
    seen_by_a = get_network(
        store, Viewer(org_id=a, org_name="org-a", group_ids=frozenset({group.id})), ring_a
    )
    assert seen_by_a.summary.stats.report_count == 3 and seen_by_a.events == ()


RING_B_URL = "https://m.invest-gold88.com/app"


def test_link_runs_at_the_same_time_take_turns(store: Store, ingest: Ingest) -> None:
    """An update and a rebuild started together (a server's background linker, `bigfish
    ingest`, a scheduled `bigfish link`) each see what the other wrote: no error, no report
    counted twice, and the networks a rebuild would make."""
    ingest(store, "th-aoc", RING_A + RING_B)
    rebuild_networks(store, now=NOW)
    for turn in range(4):
        ingest(
            store,
            "vn-police",
            [
                report(f"v{turn}-a", ("phone", "+66812345678"), country="VN"),
                report(f"v{turn}-b", ("url", RING_B_URL), country="VN"),
            ],
        )
        failures: list[BaseException] = []

        def run(link: Callable[..., object]) -> None:
            try:
                link(store, now=NOW)
            except BaseException as exc:
                failures.append(exc)

        runs = [update_networks, update_networks, rebuild_networks, update_networks]
        threads = [threading.Thread(target=run, args=(link,)) for link in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        together = _members(store)
        rebuild_networks(store, now=NOW)
        assert _members(store) == together
        assert sorted(len(m) for m in together) == [2 + turn + 1, 3 + turn + 1]


def _members(store: Store) -> list[list[str]]:
    page = list_networks(store, OP, now=NOW)
    return sorted(sorted(r.report_id for r in n.reports) for n in page.networks)
