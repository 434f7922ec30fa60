"""Phishing pages hosted on shared cloud storage, forms and IPFS gateways: two unrelated pages on
one service are no ring. Each page's own URL still links; the service's domain does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bigfish.linking import rebuild_networks
from bigfish.linking.warninglists import load_warning_lists
from bigfish.store import Store
from tests.linking.conftest import Ingest, networks_of, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "canonical", "listed"),
    [
        ("domain", "storage.googleapis.com", "hosting-platforms"),
        ("domain", "firebasestorage.googleapis.com", "hosting-platforms"),
        ("domain", "ipfs.io", "hosting-platforms"),
        ("domain", "office.com", "hosting-platforms"),
        ("domain", "sharepoint.com", "hosting-platforms"),
        ("domain", "1drv.ms", "link-shorteners"),
        ("url", "1drv.ms/", "link-shorteners"),
    ],
)
def test_the_service_is_on_a_list(kind: str, canonical: str, listed: str) -> None:
    assert load_warning_lists().match(kind, canonical) == listed


def test_a_buckets_host_is_the_services_domain() -> None:
    # googleapis.com is the public suffix, so every bucket's host name (kbank.storage…) has the
    # registrable domain storage.googleapis.com, shared by all: only the full URL tells them
    # apart. r2.dev is a suffix itself: a bucket under it is its owner's domain and links.
    lists = load_warning_lists()
    assert lists.match("domain", "kbank-verify.storage.googleapis.com") == "hosting-platforms"
    assert lists.match("domain", "pub-kbank.r2.dev") is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "https://storage.googleapis.com/kbank-th-verify/login.html",
            "https://storage.googleapis.com/parcel-fee-sg/pay.html",
        ),
        (
            "https://firebasestorage.googleapis.com/v0/b/a1/o/index.html",
            "https://firebasestorage.googleapis.com/v0/b/b2/o/index.html",
        ),
        ("https://ipfs.io/ipfs/bafyA/index.html", "https://ipfs.io/ipfs/bafyB/index.html"),
        ("https://forms.office.com/r/AbCdEf1", "https://forms.office.com/r/ZyXwVu9"),
        ("https://contoso.sharepoint.com/:b:/g/a", "https://fabrikam.sharepoint.com/:b:/g/b"),
        ("https://1drv.ms/u/s!AaaA", "https://1drv.ms/u/s!BbbB"),
    ],
)
def test_two_pages_on_one_service_are_no_ring(
    store: Store, ingest: Ingest, first: str, second: str
) -> None:
    ingest(
        store,
        "th-aoc",
        [
            report("p1", ("url", first)),
            report("p2", ("url", second), country="SG"),
            report("p3", ("url", first), country="MY"),  # the same page: linked
        ],
    )
    rebuild_networks(store, now=NOW)
    assert networks_of(store) == [(2, ("p1", "p3"))]
