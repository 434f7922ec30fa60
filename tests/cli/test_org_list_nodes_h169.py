"""`bigfish org list` shows which node each organization lives on and the key pinned for that
node (helper 169): what a peer's changes in a partner organization's name are checked against
(docs/interop.md's trust model). Before, it showed name, country and sector only, so an operator
could not see that a partner's organization was registered as this node's own, or that its
node's key was pinned on first use rather than by them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.cooperation.federation import pin_node_key
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_interop import peer_keys

runner = CliRunner()

PINNED = "ab12" * 16
FIRST_USE = "cd34" * 16
ELSEWHERE = "ef56" * 16


@pytest.fixture
def bound(store: Store) -> Store:
    """th-aoc (this node's), vn-bank (its node's key pinned by the operator, through another
    spelling of the same origin), kh-npa (pinned on first use, as a peer's first signed change
    does), my-pdrm (a partner node with no key pinned yet; a pin for another node exists)."""
    add_org(store, "th-aoc", country="TH", sector="anti_scam_centre")
    add_org(store, "vn-bank", country="VN", sector="bank", node="https://VN.example.org/bigfish")
    pin_node_key(store, "https://vn.example.org/", PINNED)
    with store.begin() as conn:  # an organization a peer introduced: the peer's, no country
        conn.execute(
            organizations.insert().values(
                name="kh-npa", node="https://kh.example.org:8443", created_at=datetime.now(UTC)
            )
        )
        conn.execute(
            peer_keys.insert().values(
                origin="https://kh.example.org:8443",
                fingerprint=FIRST_USE,
                public_key=None,
                pinned_by="first use",
                pinned_at=datetime.now(UTC),
            )
        )
    add_org(store, "my-pdrm", country="MY", sector="police", node="https://my.example.org")
    pin_node_key(store, "https://other.example.org", ELSEWHERE)
    return store


def test_org_list_json_adds_each_organizations_node_and_pinned_key(
    bound: Store, store_url: str
) -> None:
    result = runner.invoke(app, ["--db", store_url, "org", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["organizations"] == [
        {
            "name": "kh-npa",
            "country": None,
            "sector": None,
            "node": "https://kh.example.org:8443",
            "node_key": FIRST_USE,
            "node_key_pinned_by": "first use",
        },
        {
            "name": "my-pdrm",
            "country": "MY",
            "sector": "police",
            "node": "https://my.example.org",
            "node_key": None,
            "node_key_pinned_by": None,
        },
        {
            "name": "th-aoc",
            "country": "TH",
            "sector": "anti_scam_centre",
            "node": None,
            "node_key": None,
            "node_key_pinned_by": None,
        },
        {
            "name": "vn-bank",
            "country": "VN",
            "sector": "bank",
            "node": "https://VN.example.org/bigfish",
            "node_key": PINNED,
            "node_key_pinned_by": "operator",
        },
    ]


def test_org_list_table_shows_the_node_and_the_pin(bound: Store, store_url: str) -> None:
    result = runner.invoke(
        app, ["--db", store_url, "org", "list"], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells[1:]
        for line in result.stdout.splitlines()
        if (cells := [c.strip() for c in line.strip("│").split("│")]) and len(cells) == 5
    }
    assert [c.strip() for c in result.stdout.splitlines()[1].strip("┃").split("┃")] == [
        "name",
        "country",
        "sector",
        "node",
        "node key",
    ]
    assert rows["th-aoc"] == ["TH", "anti_scam_centre", "", ""]
    assert rows["vn-bank"] == [
        "VN",
        "bank",
        "https://VN.example.org/bigfish",
        f"{PINNED[:16]}… (operator)",
    ]
    assert rows["kh-npa"] == [
        "",
        "",
        "https://kh.example.org:8443",
        f"{FIRST_USE[:16]}… (first use)",
    ]
    assert rows["my-pdrm"] == ["MY", "police", "https://my.example.org", "not pinned"]
