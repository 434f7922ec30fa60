"""The public check of a site's bare domain: `GET /api/v1/check?value=shop-h119.top` answered
for the URL `shop-h119.top/`, the front page no report names, "not reported", while published
reports named the site's pages (the domain, derived from every URL, holds them all)."""

from __future__ import annotations

from bigfish.identifiers import Identifier
from bigfish.public_check import values_to_check


def _checked(values: list[Identifier]) -> list[tuple[str, str]]:
    return [(v.canonical_kind.value, v.canonical) for v in values]


def test_a_bare_domain_is_checked_as_the_domain() -> None:
    assert _checked(values_to_check("shop-h119.top", None, None)) == [("domain", "shop-h119.top")]
    assert _checked(values_to_check("https://www.shop-h119.top/", None, None)) == [
        ("domain", "shop-h119.top")
    ]


def test_pages_hosts_and_a_named_kind_stay_as_they_are() -> None:
    assert _checked(values_to_check("shop-h119.top/pay", None, None)) == [
        ("url", "shop-h119.top/pay")
    ]
    assert _checked(values_to_check("m.shop-h119.top", None, None)) == [("url", "m.shop-h119.top/")]
    assert _checked(values_to_check("shop-h119.top", "url", None)) == [("url", "shop-h119.top/")]
    assert _checked(values_to_check("pay at shop-h119.top or 0899999119", None, "TH")) == [
        ("domain", "shop-h119.top"),
        ("phone", "+66899999119"),
    ]
