"""`GET /api/v1/orgs` shows a platform admin which node each organization lives on and the key
pinned for that node (helper 169), as `bigfish org list` does; every other reader still gets the
directory alone (name, country, sector), with no partner node's address."""

from __future__ import annotations

from bigfish.cooperation.federation import pin_node_key
from bigfish.organizations import add_org
from tests.api.helpers import Partnership

PINNED = "ab12" * 16


def test_a_platform_admin_sees_each_organizations_node_and_pinned_key(
    partnership: Partnership,
) -> None:
    p = partnership
    add_org(p.store, "vn-bank", country="VN", sector="bank", node="https://vn.example.org")
    add_org(p.store, "kh-npa", country="KH", node="https://kh.example.org")
    pin_node_key(p.store, "https://vn.example.org", PINNED)
    answer = p.client.get("/api/v1/orgs", headers=p.headers("root"))
    assert answer.status_code == 200, answer.text
    shown = {o["name"]: o for o in answer.json()}
    assert shown["vn-bank"] == {
        "name": "vn-bank",
        "country": "VN",
        "sector": "bank",
        "node": "https://vn.example.org",
        "node_key": PINNED,
        "node_key_pinned_by": "operator",
    }
    assert shown["kh-npa"] == {
        "name": "kh-npa",
        "country": "KH",
        "sector": None,
        "node": "https://kh.example.org",
        "node_key": None,
        "node_key_pinned_by": None,
    }
    assert {k: shown["A"][k] for k in ("node", "node_key", "node_key_pinned_by")} == {
        "node": None,
        "node_key": None,
        "node_key_pinned_by": None,
    }


def test_other_readers_get_the_directory_without_nodes(partnership: Partnership) -> None:
    p = partnership
    add_org(p.store, "vn-bank", country="VN", sector="bank", node="https://vn.example.org")
    pin_node_key(p.store, "https://vn.example.org", PINNED)
    for who in ("A", "B-admin", "A-readonly"):
        answer = p.client.get("/api/v1/orgs", headers=p.headers(who))
        assert answer.status_code == 200, answer.text
        assert {"name": "vn-bank", "country": "VN", "sector": "bank"} in answer.json()
        assert all(set(o) == {"name", "country", "sector"} for o in answer.json()), who
        assert "vn.example.org" not in answer.text and PINNED not in answer.text
