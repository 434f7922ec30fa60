"""A link without a scheme followed by a fragment ("invest-gold88.com#register"): the host was
taken up to "/", ":" or "?" only, so "com#register" was no known suffix and the link was not
found at all (with a scheme, or with "/" before the "#", it was)."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract


@pytest.mark.parametrize(
    ("text", "written", "canonical"),
    [
        ("เข้า invest-gold88.com#register ครับ", "invest-gold88.com#register", "invest-gold88.com/"),
        ("vào invest-gold88[.]com#/login nhé", "invest-gold88[.]com#/login", "invest-gold88.com/"),
        ("see shop.example.co.th#top.", "shop.example.co.th#top", "shop.example.co.th/"),
    ],
)
def test_a_bare_link_with_a_fragment_is_found(text: str, written: str, canonical: str) -> None:
    found = [(text[i.start : i.end], i.identifier.canonical) for i in extract(text)]
    assert found == [(written, canonical)]


def test_a_hash_after_a_word_is_still_no_link() -> None:
    assert extract("tag#notadomain and file.exe#1") == []
