"""URLs: defanging, IDNA, www, ports, fragments, tracking parameters, profile links."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize
from bigfish.models import Kind

CASES = [
    ("hxxps://Invest-Gold88[.]com/login/?utm_source=fb", "invest-gold88.com/login"),
    ("https://bit.ly/3xYz12", "bit.ly/3xYz12"),
    ("www.example.co.th", "example.co.th/"),
    ("hxxps[:]//x(.)com", "x.com/"),
    ("hXXp://evil{.}example[.]org/a", "evil.example.org/a"),
    ("http[:]//evil[dot]com[/]pay", "evil.com/pay"),
    ("https//line.me/ti/p/yBY2ZbGg0c", "line.me/ti/p/yBY2ZbGg0c"),
    ("HTTPS://WWW.Example.COM/Path/To", "example.com/Path/To"),
    ("https://example.com:443/a", "example.com/a"),
    ("http://example.com:80/", "example.com/"),
    ("http://example.com:8080/a/", "example.com:8080/a"),
    ("https://example.com/a#section", "example.com/a"),
    ("https://user:pass@example.com/", "example.com/"),
    ("https://example.com/?b=2&a=1", "example.com/?a=1&b=2"),
    (
        "https://shop.com/p?utm_medium=x&id=7&fbclid=abc&gclid=1&igshid=2&mc_eid=3",
        "shop.com/p?id=7",
    ),
    ("https://shop.com/p?UTM_Source=x", "shop.com/p"),
    ("https://example.com/%7euser/%2f%e0%b8%81", "example.com/~user/%2F%E0%B8%81"),
    ("https://example.com/ไทย", "example.com/%E0%B9%84%E0%B8%97%E0%B8%A2"),
    ("https://ธนาคาร.com/login", "xn--42c3bd5b5db.com/login"),
    ("http://bücher.de/", "xn--bcher-kva.de/"),
    ("https://example.com./x", "example.com/x"),
    ("//cdn.example.net/x.js", "cdn.example.net/x.js"),
    ("example.com/a//", "example.com/a"),
    ("https://192.0.2.1:8443/admin", "192.0.2.1:8443/admin"),
    ("https://[2001:DB8::1]/x", "[2001:db8::1]/x"),
    ("  <https://example.com/a>.  ", "example.com/a"),
    ("https://www.www.example.com/", "example.com/"),
    ("bit.ly/383J9cE", "bit.ly/383J9cE"),
    ("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ａ", "example.com/a"),
    ("https://example.com/search?q=a+b&q=c", "example.com/search?q=a+b&q=c"),
    ("https://t.me/joinchat/AbCdEf", "t.me/joinchat/AbCdEf"),
    ("https://line.me/ti/p/6ng785zcEw", "line.me/ti/p/6ng785zcEw"),
]


@pytest.mark.parametrize(("value", "canonical"), CASES)
def test_url_forms(value: str, canonical: str) -> None:
    identifier = normalize("url", value)
    assert identifier.valid, identifier.error
    assert identifier.canonical_kind == Kind.URL
    assert identifier.canonical == canonical


PROFILE_LINKS = [
    ("https://t.me/Gold_Mentor_88", Kind.HANDLE, "telegram:gold_mentor_88"),
    ("telegram.me/GoldMentor", Kind.HANDLE, "telegram:goldmentor"),
    ("https://t.me/s/CryptoSignalsVIP", Kind.HANDLE, "telegram:cryptosignalsvip"),
    ("https://line.me/ti/p/~W2659", Kind.HANDLE, "line:w2659"),
    ("https://line.me/R/ti/p/%40yabohappy", Kind.HANDLE, "line:yabohappy"),
    ("https://www.instagram.com/Invest.Queen/?igshid=abc", Kind.HANDLE, "instagram:invest.queen"),
    ("https://www.tiktok.com/@RichAunty", Kind.HANDLE, "tiktok:richaunty"),
    ("https://m.facebook.com/Gold.Profit.TH", Kind.HANDLE, "facebook:gold.profit.th"),
    ("https://facebook.com/profile.php?id=1000123", Kind.HANDLE, "facebook:1000123"),
    ("https://x.com/CryptoKing", Kind.HANDLE, "x:cryptoking"),
    ("https://twitter.com/CryptoKing/", Kind.HANDLE, "x:cryptoking"),
    ("https://wa.me/66812345678", Kind.PHONE, "+66812345678"),
    ("https://api.whatsapp.com/send?phone=84912345678", Kind.PHONE, "+84912345678"),
]


@pytest.mark.parametrize(("value", "kind", "canonical"), PROFILE_LINKS)
def test_profile_links_become_handles_or_phones(value: str, kind: Kind, canonical: str) -> None:
    identifier = normalize("url", value)
    assert identifier.valid, identifier.error
    assert identifier.kind == Kind.URL
    assert (identifier.canonical_kind, identifier.canonical) == (kind, canonical)


def test_a_zalo_link_is_a_phone_of_the_report_country() -> None:
    assert normalize("url", "https://zalo.me/0912345678", "VN").canonical == "+84912345678"


def test_the_domain_of_a_url_is_derived() -> None:
    assert normalize("url", "https://m.invest-gold88.com/app").domain == "invest-gold88.com"
    assert normalize("url", "http://192.0.2.1/").domain is None


INVALID = [
    ("javascript:alert(1)", "scheme"),
    ("JavaScript:alert(document.cookie)", "scheme"),
    ("data:text/html;base64,PHNjcmlwdD4=", "scheme"),
    ("ftp://example.com/file", "scheme"),
    ("https://exa mple.com", "spaces"),
    ("https://example.com/\x07", "control"),
    ("www.scbcc/", "dot"),
    ("https://-bad-.com/", "label"),
    ("https://example.com:99999/", "port"),
    ("https://", "empty"),
    ("https://" + "a" * 5000 + ".com", "too long"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_invalid_urls_say_why(value: str, reason: str) -> None:
    identifier = normalize("url", value)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
