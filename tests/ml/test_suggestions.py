"""Same-script suggestions for analysts (`bigfish ml suggest`, `GET /api/v1/similar`): possible
links with a score between reports whose narratives tell one script, shown only where the viewer
may see both reports, accepted or rejected per organization, never merged into a network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.linking import rebuild_networks
from bigfish.store import Store
from bigfish.store.schema_linking import network_members, script_links
from bigfish.suggestions import find
from tests.api.helpers import Partnership, build_partnership, report

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
    assert _similar(node, "C", "C", "c1")[1] == {"suggestions": []}  # another script


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
