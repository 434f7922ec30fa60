"""Defanged links in narratives: a defanged slash "[/]" (spec: ``[/]`` → ``/``) ended the link
before its path, so "hxxps[:]//invest-gold88[.]com[/]login" was found as the site's root and a
defanged Telegram link as ``t.me/``, not the handle; "(dot)" and "{dot}", which `normalize`
reads, stopped a link at the host (a scheme link with one was not found at all)."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize


def found(text: str) -> list[tuple[str, str, str]]:
    return [
        (
            item.identifier.canonical_kind.value,
            text[item.start : item.end],
            item.identifier.canonical,
        )
        for item in extract(text, "TH")
    ]


@pytest.mark.parametrize(
    ("text", "link", "kind", "canonical"),
    [
        (
            "ลิงก์ hxxps[:]//invest-gold88[.]com[/]login ครับ",
            "hxxps[:]//invest-gold88[.]com[/]login",
            "url",
            "invest-gold88.com/login",
        ),
        (
            "truy cập invest-gold88[.]com[/]app[/]dang-nhap ngay",
            "invest-gold88[.]com[/]app[/]dang-nhap",
            "url",
            "invest-gold88.com/app/dang-nhap",
        ),
        (
            "IOC: hxxps[:]//t[.]me[/]Gold_Mentor_88",
            "hxxps[:]//t[.]me[/]Gold_Mentor_88",
            "handle",
            "telegram:gold_mentor_88",
        ),
        ("hxxp://192.0.2[.]1[/]x.apk", "hxxp://192.0.2[.]1[/]x.apk", "url", "192.0.2.1/x.apk"),
        (
            "เว็บ hxxps://invest-gold88(dot)com/login",
            "hxxps://invest-gold88(dot)com/login",
            "url",
            "invest-gold88.com/login",
        ),
        ("เว็บ invest-gold88(dot)com ครับ", "invest-gold88(dot)com", "url", "invest-gold88.com/"),
        (
            "site: shop{dot}example{dot}co{dot}th",
            "shop{dot}example{dot}co{dot}th",
            "url",
            "shop.example.co.th/",
        ),
    ],
)
def test_a_defanged_link_is_found_whole(text: str, link: str, kind: str, canonical: str) -> None:
    assert normalize("url", link).canonical == canonical  # what extraction must agree with
    assert found(text) == [(kind, link, canonical)]
