"""A hosting-list entry that is a public suffix (`github.io`) stops itself, not its owners' sites.

`scam.github.io` is a registrable domain (the Public Suffix List's private section names
`github.io`): one owner's site, as `invest-gold88.com` is. Matching every name under the entry
stopped the domain of every site on 21 of the shipped hosting platforms, so two reports of one
phishing site there linked only through the exact URL."""

from __future__ import annotations

from pathlib import Path

from bigfish.linking import load_warning_lists, rebuild_networks
from bigfish.linking.warninglists import parse_warning_list
from bigfish.store import Store
from tests.linking.conftest import Ingest, networks_of, report


def test_a_site_under_a_public_suffix_entry_is_its_owners_own() -> None:
    lists = load_warning_lists()
    assert lists.match("domain", "kbank-verify.github.io") is None
    assert lists.match("url", "kbank-verify.github.io/") is None
    assert lists.match("url", "shop.kbank-verify.blogspot.com/") is None
    assert lists.match("url", "github.io/") == "hosting-platforms"  # the platform itself
    # entries that are not public suffixes still stop every name under them
    assert lists.match("domain", "amazonaws.com") == "hosting-platforms"
    assert lists.match("url", "bucket.s3x.amazonaws.com/") == "hosting-platforms"
    assert lists.match("url", "sites.google.com/") == "hosting-platforms"
    assert lists.match("url", "m.facebook.com/") == "messaging-social-platforms"


def test_an_operators_list_entry_that_is_a_suffix_matches_only_itself() -> None:
    data = {"name": "ours", "type": "hostname", "kinds": ["domain", "url"]}
    ours = parse_warning_list({**data, "list": ["co.th", "bank.example"]}, "ours.json")
    assert ours.suffixes == frozenset({"co.th"})
    assert ours.entries == frozenset({"co.th", "bank.example"})


def test_two_reports_of_one_site_on_a_hosting_platform_link_by_its_domain(
    store: Store, ingest: Ingest, tmp_path: Path
) -> None:
    ingest(
        store,
        "th-aoc",
        [
            report("p1", ("url", "https://kbank-verify.github.io/login")),
            report("p2", ("url", "https://kbank-verify.github.io/otp?x=1")),
            report("q1", ("url", "https://other-one.github.io/a")),
            report("q2", ("url", "https://someone-else.github.io/b")),
        ],
    )
    rebuild_networks(store)
    assert networks_of(store) == [(2, ("p1", "p2"))]
