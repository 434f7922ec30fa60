"""Access-control review (helper-92): side channels the earlier classes did not reach.

"A" owns the data, "B" must not see it (spec/security-tests.md). Each test builds what B can
build alone and compares B's answers with and without a report of A that B may not see: they
must be the same (classes 1-3).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bigfish.accounts import add_user
from bigfish.linking.service import rebuild_networks
from bigfish.models import ApiRole
from bigfish.store import open_store
from bigfish.web import freshness
from tests.api.helpers import Partnership, TestClient, build_partnership, report

PASSWORD = "correct horse battery staple"
HELD = "+66899999999"  # the phone B's own ring shares


pytestmark = pytest.mark.usefixtures("fast_argon2")  # tests/conftest.py


def _signed_in(client: TestClient, username: str) -> TestClient:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def _graph_of_bs_ring(directory: Path, a_private_phone: str) -> str:
    """The graph data of the network page B is shown for its own ring (two private reports
    sharing HELD), on a node where A's private report mentions A_PRIVATE_PHONE."""
    directory.mkdir()
    store = open_store(f"sqlite:///{directory / 'bigfish.db'}")
    try:
        for api in build_partnership(store):
            add_user(store, org="B", username="bob", password=PASSWORD, role=ApiRole.ANALYST)
            api.submit("A", [report("a-1", phones=["+66811111111", a_private_phone])])
            api.submit("B", [report("b-1", phone=HELD), report("b-2", phone=HELD)])
            rebuild_networks(store)
            looked = api.client.get(
                "/api/v1/lookup", params={"kind": "phone", "value": HELD}, headers=api.headers("B")
            ).json()
            assert looked["report_count"] == 2 and looked["organizations"] == ["B"], looked
            with _signed_in(TestClient(api.client.app), "bob") as bob:
                page = bob.get(f"/networks/{looked['networks'][0]}")
            assert page.status_code == 200, page.text
            found = re.search(r'id="graph-data">(.*?)</script>', page.text, re.S)
            assert found is not None
            freshness.settle()
            return found[1]
    finally:
        store.close()
    raise AssertionError("the partnership yielded nothing")


def test_the_graph_of_bs_ring_does_not_tell_that_a_holds_its_phone(tmp_path: Path) -> None:
    """The graph's element ids were the store's identifier ids: a value A's private report
    had made came out older (i2) than one B's ring made itself (i3), which told B that
    someone it may not see holds it (class 2)."""
    held_by_a = _graph_of_bs_ring(tmp_path / "held", HELD)
    held_by_nobody = _graph_of_bs_ring(tmp_path / "nobody", "+66877777777")
    assert held_by_a == held_by_nobody


def _as_of(p: Partnership, who: str, **params: str) -> str | None:
    answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    assert answer.json()["alerts"] == [], answer.json()
    found: str | None = answer.json()["as_of"]
    return found


def test_the_alerts_as_of_does_not_date_a_report_b_may_not_see(partnership: Partnership) -> None:
    """`as_of` was the newest stamp of every report on the node: B, with no alert, read the
    moment A stored or changed a private report (and that A had stored one at all, where it
    would be null for a node nobody reported to) — class 1."""
    p = partnership
    p.submit("A", [report("a-1", phone="+66811111111")])
    assert _as_of(p, "B") is None  # as on a node nobody reported to
    p.submit("B", [report("b-1", phone=HELD)])
    before = _as_of(p, "B")
    assert before is not None
    p.submit("A", [report("a-2", phone="+66833333333")])
    p.client.patch(
        "/api/v1/reports/A/a-1", json={"tlp": "red"}, headers=p.headers("A")
    ).raise_for_status()
    assert _as_of(p, "B") == before
    assert _as_of(p, "B", since=before) == before
    assert _as_of(p, "B", since="2999-01-01T00:00:00Z") == before  # not the newest of A's
    # What B may see still moves it: A's report shared with the partnership.
    p.submit("A", [report("a-3", phone="+66844444444")], tlp="green", distribution="partnership")
    assert _as_of(p, "B", since=before) > before  # type: ignore[operator]
