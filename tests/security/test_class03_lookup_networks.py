"""Class 3: a lookup names only networks the caller can open (two or more visible reports)."""

from __future__ import annotations

from bigfish.linking.service import rebuild_networks
from tests.api.helpers import Partnership, report


def _networks(p: Partnership, who: str) -> list[int]:
    answer = p.client.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": "+66812345678", "country": "TH"},
        headers=p.headers(who),
    )
    assert answer.status_code == 200
    networks: list[int] = answer.json()["networks"]
    return networks


def test_class03_lookup_hides_networks_the_caller_sees_one_report_of(
    partnership: Partnership,
) -> None:
    p = partnership
    p.submit("A", [report("shared")], distribution="partnership", tlp="green")
    p.submit("A", [report("private")])  # the same phone, kept inside A
    rebuild_networks(p.store)
    assert len(_networks(p, "A")) == 1  # A sees both reports of its network
    assert _networks(p, "B") == []  # B sees one report: for B there is no network
    p.submit("A", [report("private")], distribution="partnership", tlp="green")
    rebuild_networks(p.store)
    assert _networks(p, "B") == _networks(p, "A")
