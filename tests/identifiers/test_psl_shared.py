"""The list that takes an unknown last label for no public suffix is a copy of the parsed list
(`bigfish.identifiers.domain._psl_known`): it answers as a list parsed that way does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from publicsuffixlist import PublicSuffixList

from bigfish.identifiers import domain

_PARSED_SO = PublicSuffixList(accept_unknown=False)

_HOSTS = [
    "example.com",
    "a.b.co.th",
    "user.github.io",
    "sites.google.com",
    "invest-gold88.zzqq",
    "localhost",
    "com",
    "xn--p1ai",
    "shop.xn--p1ai",
    "a.b.c.d.example.unknowntld",
]


def test_known_hosts_are_judged_as_by_a_list_parsed_without_unknown_suffixes() -> None:
    for host in _HOSTS:
        assert domain._psl_known().publicsuffix(host) == _PARSED_SO.publicsuffix(host), host
        assert domain._psl().accept_unknown and not domain._psl_known().accept_unknown


_LABEL = st.sampled_from(["com", "th", "co", "io", "github", "zzqq", "example", "xn--p1ai", "a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABEL, min_size=1, max_size=4))
def test_random_hosts_are_judged_as_by_a_list_parsed_without_unknown_suffixes(
    labels: list[str],
) -> None:
    host = ".".join(labels)
    assert domain._psl_known().publicsuffix(host) == _PARSED_SO.publicsuffix(host)
    assert domain.has_known_suffix(host) == (_PARSED_SO.publicsuffix(host) is not None)
