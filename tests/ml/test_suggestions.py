"""Same-script suggestions for analysts (`bigfish ml suggest`, `GET /api/v1/similar`): possible
links with a score between reports whose narratives tell one script, shown only where the viewer
may see both reports, accepted or rejected per organization, never merged into a network."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import Conflict
from bigfish.linking import rebuild_networks
from bigfish.ml.similar import (
    QUANTUM,
    DocumentFrequencies,
    Previous,
    choose,
    masked_narratives,
    ngram_vectors,
)
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import (
    network_members,
    script_link_decisions,
    script_links,
    script_state,
)
from bigfish.suggestions import FindResult, find
from tests.api.helpers import Partnership, build_partnership, report
from tests.ml.test_similar import narrative
from tests.store.test_migrations import run_migration

SCRIPT = (
    "A woman I met on a dating app introduced me to a gold trading platform. She showed me her "
    "profits and told me to open an account and deposit money, then the site froze my withdrawal "
    "and asked for a tax fee before I could take anything out. "
)
OTHER = "Someone called from the post office saying a parcel in my name held illegal goods."


@pytest.fixture
def node(store: Store) -> Iterator[Partnership]:
    for p in build_partnership(store):  # mekong: A and C
        shared = {"tlp": "green", "distribution": "partnership"}
        a1 = report("a1", phone="+66811111111", narrative=SCRIPT + "Bangkok.")
        a2 = report("a2", phone="+66822222222", narrative=SCRIPT + "Chiang Mai.")
        p.submit("A", [a1, a2], **shared)
        p.submit("B", [report("b1", phone="+84912345678", country="VN", narrative=SCRIPT)])
        p.submit("C", [report("c1", phone="+85512345678", country="KH", narrative=OTHER)], **shared)
        yield p


def _similar(p: Partnership, who: str, org: str, report_id: str) -> Any:
    answer = p.client.get(
        "/api/v1/similar", params={"org": org, "report_id": report_id}, headers=p.headers(who)
    )
    return answer.status_code, answer.json()


def _decide(p: Partnership, who: str, pair: tuple[str, str, str, str], decision: str) -> Any:
    body = dict(zip(("org", "report_id", "other_org", "other_report_id"), pair, strict=True))
    return p.client.post(
        "/api/v1/similar/decisions", json=body | {"decision": decision}, headers=p.headers(who)
    )


def test_reports_of_one_script_are_suggested_only_where_both_are_visible(node: Partnership) -> None:
    told: list[tuple[int, int]] = []
    result = find(node.store, min_score=0.5, progress=lambda done, of: told.append((done, of)))
    assert result.narratives == 4 and result.suggestions == 3  # a1~a2, a1~b1, a2~b1
    assert told and told[-1] == (4, 4)  # a long job says how far it is
    status, seen_by_a = _similar(node, "A", "A", "a1")
    assert status == 200
    assert [(s["org"], s["report_id"]) for s in seen_by_a["suggestions"]] == [("A", "a2")]
    assert seen_by_a["suggestions"][0]["score"] > 0.5  # b1 is B's own: A is told nothing of it
    status, seen_by_b = _similar(node, "B", "B", "b1")
    assert sorted(s["report_id"] for s in seen_by_b["suggestions"]) == ["a1", "a2"]
    assert _similar(node, "A", "B", "b1")[0] == 404  # hidden and unknown look the same
    assert _similar(node, "C", "C", "c1")[1] == {"suggestions": [], "next_cursor": None}  # other


def test_each_organization_accepts_or_rejects_for_itself(node: Partnership) -> None:
    find(node.store, min_score=0.5)
    pair = ("A", "a1", "A", "a2")
    accepted = _decide(node, "A", pair, "accepted")
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    assert _similar(node, "A", "A", "a1")[1]["suggestions"][0]["decision"] == "accepted"
    assert _similar(node, "C", "A", "a1")[1]["suggestions"][0]["decision"] is None
    assert _decide(node, "C", pair, "rejected").json()["decision"] == "rejected"
    assert _similar(node, "A", "A", "a2")[1]["suggestions"][0]["decision"] == "accepted"
    assert _decide(node, "A", ("A", "a1", "B", "b1"), "accepted").status_code == 404
    assert _decide(node, "A", ("A", "a1", "C", "c1"), "accepted").status_code == 404  # none
    assert _decide(node, "A-readonly", pair, "rejected").status_code == 403
    assert _decide(node, "A", pair, "maybe").status_code == 422
    find(node.store, min_score=0.5)  # found again: the decisions stay
    assert _similar(node, "A", "A", "a1")[1]["suggestions"][0]["decision"] == "accepted"


def test_a_suggestion_never_joins_a_network(node: Partnership) -> None:
    find(node.store, min_score=0.5)
    _decide(node, "A", ("A", "a1", "A", "a2"), "accepted")
    rebuild_networks(node.store)
    with node.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(script_links)).scalar() == 3
        assert conn.execute(sa.select(sa.func.count()).select_from(network_members)).scalar() == 0


def test_the_operator_runs_the_search_from_the_console(node: Partnership) -> None:
    url = str(node.store.engine.url.render_as_string(hide_password=False))
    answer = CliRunner().invoke(app, ["--db", url, "ml", "suggest", "--min-score", "0.5"])
    assert answer.exit_code == 0, answer.output
    assert "4 narratives read, 3 same-script suggestions kept" in answer.output


# A run compares only the narratives new or changed since the last run with all; what it keeps
# is what a full run with the last full run's idf keeps.


def _put(store: Store, org_id: int, narratives: dict[str, str | None]) -> None:
    """Store (or update) reports of ORG_ID with these narratives (None: no narrative)."""
    now = datetime.now(UTC)
    with store.begin() as conn:
        for report_id, text in narratives.items():
            where = (reports.c.org_id == org_id, reports.c.report_id == report_id)
            if conn.execute(sa.select(reports.c.id).where(*where)).first() is None:
                conn.execute(
                    reports.insert().values(
                        org_id=org_id, report_id=report_id, reported_at=now, country="TH",
                        narrative=text, created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            else:
                conn.execute(reports.update().where(*where).values(narrative=text, updated_at=now))


def _delete(store: Store, report_id: str) -> None:
    with store.begin() as conn:
        conn.execute(reports.delete().where(reports.c.report_id == report_id))


def _suggested(store: Store) -> set[tuple[int, int, float]]:
    c = script_links.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(c.report_a, c.report_b, c.score).where(c.suggested))
        return {(int(a), int(b), float(s)) for a, b, s in rows}


def _full_run_with_the_kept_idf(store: Store, top_k: int, min_score: float) -> set[Any]:
    """What comparing every narrative with all finds, with the idf the last full run stored."""
    with store.connect() as conn:
        state = conn.execute(sa.select(script_state)).one()
        rows = conn.execute(
            sa.select(reports.c.id, reports.c.narrative)
            .where(reports.c.narrative.is_not(None), reports.c.narrative != "")
            .order_by(reports.c.id)
        ).all()
    frequencies = DocumentFrequencies.from_text(state.documents, state.frequencies)
    vectors, _ = ngram_vectors(masked_narratives([r.narrative for r in rows]), frequencies)
    everything = np.ones(len(rows), dtype=bool)
    run = choose(
        vectors,
        everything,
        Previous.nothing(len(rows)),
        top_k=top_k,
        min_score=min_score,
    )
    low, high, quanta = run.choices.pairs()
    return {
        (rows[i].id, rows[j].id, q / QUANTUM)
        for i, j, q in zip(low.tolist(), high.tolist(), quanta.tolist(), strict=True)
    }


def test_runs_after_batches_of_reports_keep_what_a_full_run_with_the_kept_idf_keeps(
    store: Store,
) -> None:
    rng = random.Random(5)
    org = add_org(store, "A", country="TH").id
    _put(store, org, {f"r{i}": narrative(rng) for i in range(40)})
    first = find(store, top_k=3, min_score=0.3)
    assert first.full and first.compared == 40
    assert _suggested(store) == _full_run_with_the_kept_idf(store, 3, 0.3)
    made = 40
    for _ in range(4):
        news = {f"r{made + i}": narrative(rng) for i in range(rng.randint(3, 8))}
        made += len(news)
        alive = [f"r{i}" for i in range(made - len(news))]
        changed = {rid: narrative(rng) for rid in rng.sample(alive, 2)}
        removed = dict.fromkeys(rng.sample(alive, 1))  # the narrative is removed
        _put(store, org, news | changed | removed)
        _delete(store, rng.choice(alive))
        result = find(store, top_k=3, min_score=0.3)
        assert not result.full and result.compared < result.narratives / 2
        assert _suggested(store) == _full_run_with_the_kept_idf(store, 3, 0.3)
    with store.connect() as conn:
        assert conn.execute(sa.select(script_state.c.documents)).scalar() == 40  # the kept idf
    everything = find(store, top_k=3, min_score=0.3, full=True)  # the idf counted anew
    assert everything.full and everything.compared == everything.narratives
    with store.connect() as conn:
        assert conn.execute(sa.select(script_state.c.documents)).scalar() == everything.narratives
    assert _suggested(store) == _full_run_with_the_kept_idf(store, 3, 0.3)


def test_another_setting_or_a_node_twice_as_large_runs_in_full(store: Store) -> None:
    rng = random.Random(6)
    org = add_org(store, "A", country="TH").id
    _put(store, org, {f"r{i}": narrative(rng) for i in range(10)})
    assert find(store, top_k=3).full
    assert not find(store, top_k=3).full  # nothing new: nothing compared
    assert find(store, top_k=3).compared == 0
    assert find(store, top_k=2).full
    assert find(store, top_k=2, min_score=0.4).full
    _put(store, org, {f"r{i}": narrative(rng) for i in range(10, 20)})
    assert not find(store, top_k=2, min_score=0.4).full  # 20 narratives, the idf counted on 10
    _put(store, org, {"r20": narrative(rng)})
    assert find(store, top_k=2, min_score=0.4).full  # 21: more than twice


def test_a_pair_no_longer_suggested_stays_for_the_organization_that_decided(
    node: Partnership,
) -> None:
    find(node.store, min_score=0.5)
    assert _decide(node, "A", ("A", "a1", "A", "a2"), "accepted").status_code == 200
    with node.store.begin() as conn:  # a2 now tells another script
        conn.execute(reports.update().where(reports.c.report_id == "a2").values(narrative=OTHER))
    assert not find(node.store, min_score=0.5).full
    seen_by_a = _similar(node, "A", "A", "a1")[1]["suggestions"]
    assert [(s["report_id"], s["decision"]) for s in seen_by_a] == [("a2", "accepted")]
    assert _similar(node, "C", "A", "a1")[1]["suggestions"] == []  # not suggested to others
    assert _decide(node, "C", ("A", "a1", "A", "a2"), "rejected").status_code == 404
    assert sorted(s["report_id"] for s in _similar(node, "B", "B", "b1")[1]["suggestions"]) == [
        "a1"
    ]  # b1~a2 had no decision: gone
    find(node.store, min_score=0.5, full=True)
    assert _similar(node, "A", "A", "a1")[1]["suggestions"][0]["decision"] == "accepted"
    with node.store.begin() as conn:  # the script again: suggested to all again
        conn.execute(
            reports.update().where(reports.c.report_id == "a2").values(narrative=SCRIPT + "Nan.")
        )
    find(node.store, min_score=0.5)
    assert [s["report_id"] for s in _similar(node, "C", "A", "a1")[1]["suggestions"]] == ["a2"]
    assert _similar(node, "A", "A", "a1")[1]["suggestions"][0]["decision"] == "accepted"


def test_a_run_does_not_store_over_one_that_finished_meanwhile(store: Store) -> None:
    rng = random.Random(7)
    org = add_org(store, "A", country="TH").id
    _put(store, org, {f"r{i}": narrative(rng) for i in range(10)})
    find(store, top_k=3)
    _put(store, org, {"r10": narrative(rng), "r11": narrative(rng)})
    inner: list[FindResult] = []

    def meanwhile(done: int, of: int) -> None:
        if not inner:
            inner.append(find(store, top_k=3))

    with pytest.raises(Conflict, match="meanwhile"):
        find(store, top_k=3, progress=meanwhile)
    assert inner[0].compared >= 2
    assert find(store, top_k=3).compared == 0  # the inner run's results stand


def test_downgrading_below_0012_keeps_decisions_or_refuses(node: Partnership) -> None:
    find(node.store, min_score=0.5)
    _decide(node, "A", ("A", "a1", "A", "a2"), "accepted")
    run_migration(node.store, "downgrade", "0011")  # on SQLite a table copy would delete them
    with node.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(script_link_decisions)).scalar()
    run_migration(node.store, "upgrade", "head")
    with node.store.begin() as conn:
        conn.execute(reports.update().where(reports.c.report_id == "a2").values(narrative=OTHER))
    find(node.store, min_score=0.5)  # a1~a2 kept only for A's decision
    with pytest.raises(RuntimeError, match="below 0012"):
        run_migration(node.store, "downgrade", "0011")
    assert _similar(node, "A", "A", "a1")[1]["suggestions"][0]["decision"] == "accepted"


def test_the_console_says_what_a_run_compared(node: Partnership) -> None:
    url = str(node.store.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    first = runner.invoke(app, ["--db", url, "ml", "suggest", "--min-score", "0.5"])
    assert "4 narratives compared with all (a full run)" in first.output
    again = runner.invoke(app, ["--db", url, "ml", "suggest", "--min-score", "0.5"])
    assert again.exit_code == 0, again.output
    assert "4 narratives read, 3 same-script suggestions kept" in again.output
    assert "0 narratives compared with all (new or changed since the last run" in again.output
    everything = runner.invoke(app, ["--db", url, "ml", "suggest", "--min-score", "0.5", "--all"])
    assert "4 narratives compared with all (a full run)" in everything.output
