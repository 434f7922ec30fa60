"""A platform's own page (facebook.com/marketplace, t.me/joinchat) is the platform, as its bare
root is: victims of unrelated sellers who name the marketplace they met them on are no ring.
A page deeper in it (a group, an invite, a listing) is someone's, and links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bigfish.linking import get_network, list_networks, rebuild_networks
from bigfish.linking.warninglists import load_warning_lists
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
SOCIAL = "messaging-social-platforms"


@pytest.mark.parametrize(
    "canonical",
    [
        "facebook.com/marketplace",
        "facebook.com/groups",
        "m.facebook.com/groups",
        "instagram.com/explore",
        "x.com/home",
        "t.me/joinchat",
        "tiktok.com/foryou",
        "line.me/R",
    ],
)
def test_a_page_of_a_platform_is_on_its_list(canonical: str) -> None:
    assert load_warning_lists().match("url", canonical) == SOCIAL


@pytest.mark.parametrize(
    "canonical",
    [
        "facebook.com/groups/1234567890",  # one group
        "facebook.com/marketplace/item/998877",  # one listing
        "t.me/joinchat/AbCdEf123",  # one invite
        "facebook.com/watch?v=123",  # one video
        "youtube.com/@scamchannel",  # a channel (no handle is made of it)
        "tiktok.com/scamshop",  # a profile written without its @
        "facebook.com/%E0%B8%97%E0%B8%AD%E0%B8%87",  # a page no handle is made of
        "bit.ly/share",  # a shortener's every path is someone's link
        "sites.google.com/view",
    ],
)
def test_a_page_in_a_platform_still_links(canonical: str) -> None:
    assert load_warning_lists().match("url", canonical) is None


def test_victims_naming_the_marketplace_are_no_network(store: Store, ingest: Ingest) -> None:
    market = ("url", "https://www.facebook.com/marketplace/")
    ingest(
        store,
        "th-aoc",
        [
            report("m1", market, country="TH"),
            report("m2", market, country="SG"),
            report("m3", ("phone", "+66812345678"), narrative="seen on facebook.com/marketplace"),
            report("m4", ("phone", "+66812345678"), country="MY"),
        ],
    )
    rebuild_networks(store, now=NOW)
    [network] = list_networks(store, OP, now=NOW).networks
    assert sorted(r.report_id for r in network.reports) == ["m3", "m4"]
    detail = get_network(store, OP, network.id, now=NOW)
    [stopped] = [n for n in detail.not_linking if n.canonical == "facebook.com/marketplace"]
    assert (stopped.kind, stopped.reason, stopped.detail) == ("url", "warning_list", SOCIAL)
