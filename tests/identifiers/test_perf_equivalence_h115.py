"""The handle pattern of extraction that starts with a class (`extract._HANDLE`) finds what the
pattern as written (`extract._HANDLE_AS_WRITTEN`) finds: the same spans and the same groups
``sep`` and ``at``, on narratives made of platform words, ``id``, separators and names; and
``extract`` gives the same identifiers with either. Also what the normalization cache is keyed
on: the default country, so one raw value under two countries stays two results."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers.platforms import ALIASES, PLATFORMS
from bigfish.identifiers.registry import _normalize_uncached, normalize, normalize_checked
from bigfish.models import Kind

extract_module = importlib.import_module("bigfish.identifiers.extract")
AS_WRITTEN = re.compile(extract_module._HANDLE_AS_WRITTEN)

_PIECES = st.sampled_from(
    [
        "line", "LINE", "id", "ID", "idline", "ไลน์", "ไอดี", "微信", "telegram", "tg", "ig",
        "instagram", "x", "wa", "whatsapp", "kakao", "kakaotalk", "fb", "facebook", "zalo",
        " ", "\t", "  ", ":", "：", "=", "@", ".", "_", "-", "+", "/", "\n", ",",
        "0812345678", "+66 81 234 5678", "abc", "name_1", "a", "9", "é", "ก", "i", "d",
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=14).map("".join)


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str, str]]:
    return [(m.start(), m.end(), m.group("sep"), m.group("at")) for m in pattern.finditer(text)]


def test_the_handle_pattern_is_the_rewritten_one() -> None:
    # Not the pattern as written: else the tests below compare it with itself.
    assert extract_module._HANDLE.pattern != AS_WRITTEN.pattern
    assert extract_module._HANDLE.pattern.startswith("[")


@settings(max_examples=1500, deadline=None)
@given(text=_TEXT)
def test_the_rewritten_handle_pattern_matches_as_written(text: str) -> None:
    assert _found(extract_module._HANDLE, text) == _found(AS_WRITTEN, text)
    lowered = text.lower()
    assert _found(extract_module._HANDLE, lowered) == _found(AS_WRITTEN, lowered)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line id: abc", [(0, 12, " id: ", "")]),
        ("idline: w2659", [(0, 13, ": ", "")]),
        ("id ig:foo", [(0, 9, ":", "")]),
        ("ติดต่อ ไลน์ @yabohappy", [(7, 22, " ", "@")]),
        ("aline: x", []),  # a letter before the word
        ("x.line: y", []),  # a dot before the word
        ("微信:wx_123", [(0, 9, ":", "")]),
    ],
)
def test_handles_found_by_both_patterns(
    text: str, expected: list[tuple[int, int, str, str]]
) -> None:
    assert _found(extract_module._HANDLE, text) == expected
    assert _found(AS_WRITTEN, text) == expected


FAST = extract_module._HANDLE


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, country=st.sampled_from([None, "TH", "VN"]))
def test_extract_finds_the_same_with_the_pattern_as_written(text: str, country: str | None) -> None:
    fast = extract_module.extract(text, country)
    vars(extract_module)["_HANDLE"] = AS_WRITTEN
    try:
        written = extract_module.extract(text, country)
    finally:
        vars(extract_module)["_HANDLE"] = FAST
    assert fast == written


def test_one_value_under_two_countries_is_two_cached_results() -> None:
    thai = normalize("phone", "081 234 5678", "TH")
    vietnamese = normalize("phone", "081 234 5678", "VN")
    assert thai.canonical == "+66812345678"
    assert vietnamese.canonical != thai.canonical
    assert normalize("phone", "081 234 5678", "TH") == thai  # the cache kept them apart


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(list(Kind)),
    value=st.one_of(_TEXT, st.from_regex(r"\+?[0-9 ().\-]{3,20}", fullmatch=True)),
    country=st.sampled_from([None, "TH", "VN", "US"]),
)
def test_the_cached_and_the_uncached_normalization_agree(
    kind: Kind, value: str, country: str | None
) -> None:
    assert normalize_checked(kind, value, country) == _normalize_uncached(kind, value, country)


@settings(max_examples=1000, deadline=None)
@given(text=_TEXT)
def test_no_handle_is_found_in_a_text_without_a_platform_word(text: str) -> None:
    # `_handles` no longer looks for the words before running the pattern: the pattern must
    # find nothing where none of them is.
    words = PLATFORMS | ALIASES.keys()
    lowered = text.lower()
    if not any(word in lowered for word in words):
        assert list(extract_module._handles(lowered, None)) == []
    hinted = [
        span for span in extract_module._handles(lowered, None)
        if any(word in lowered for word in words)
    ]  # fmt: skip
    assert list(extract_module._handles(lowered, None)) == hinted


def test_a_text_the_scan_leaves_unchanged_is_only_of_characters_it_maps_to_themselves() -> None:
    unchanged = extract_module._unchanged()
    scan = extract_module._SCAN
    for first, stop in ((0, 0x80), *extract_module._COMMON_BLOCKS, (0x3000, 0x3100)):
        for code in range(first, stop):
            if unchanged.fullmatch(chr(code)):
                assert scan[code] == code, hex(code)
    assert unchanged.fullmatch("ขอแจ้งความค่ะ tiền “quote” é")  # the translation is skipped
    for folded in ("๑", "٣", "\u00a0", "²", "ｌ", "："):  # Thai, Arabic digits; NBSP; ², fullwidth
        assert not unchanged.fullmatch("ก" + folded)


_SCRIPTS = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),
        st.characters(min_codepoint=0x80, max_codepoint=0x24F),
        st.characters(min_codepoint=0x1E00, max_codepoint=0x1EFF),
        st.characters(min_codepoint=0x600, max_codepoint=0x6FF),
        st.characters(min_codepoint=0x2000, max_codepoint=0x206F),
        st.characters(codec=None),
        st.sampled_from("0123456789 .+-:@"),
    ),
    max_size=40,
)


@settings(max_examples=1500, deadline=None)
@given(text=_SCRIPTS)
def test_a_text_left_untranslated_is_its_own_translation(text: str) -> None:
    if extract_module._unchanged().fullmatch(text):
        assert text.translate(extract_module._SCAN) == text


@settings(max_examples=300, deadline=None)
@given(text=_SCRIPTS, country=st.sampled_from([None, "TH", "VN"]))
def test_extract_finds_the_same_with_every_text_translated(text: str, country: str | None) -> None:
    skipping = extract_module.extract(text, country)
    vars(extract_module)["_unchanged"] = lambda: re.compile("(?!)")  # matches no text
    try:
        translating = extract_module.extract(text, country)
    finally:
        vars(extract_module)["_unchanged"] = UNCHANGED
    assert skipping == translating


UNCHANGED = extract_module._unchanged


def _long_stretches_as_written(scan: str) -> list[int]:
    """`extract._long_stretches` as it was: every stretch of `_STRETCH`, its length checked."""
    bounds: list[int] = []
    for match in extract_module._STRETCH.finditer(scan):
        if match.end() - match.start() > extract_module.LONG_STRETCH_DIGITS:
            if sum(map(match.group().count, "0123456789")) > extract_module.LONG_STRETCH_DIGITS:
                bounds += match.span()
    return bounds


_DIGIT_PIECES = st.sampled_from(
    ["1", "12", "0" * 50, "1 " * 30, "12-" * 20, "(0)", "+", " ", "  ", ".", "-", "x", "\n", "ก"]
)
_STRETCHES = st.lists(
    st.one_of(_DIGIT_PIECES, st.text(alphabet="0123456789+() .-x", max_size=8)), max_size=30
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(scan=_STRETCHES)
def test_long_stretches_are_those_of_every_stretch(scan: str) -> None:
    assert extract_module._long_stretches(scan) == _long_stretches_as_written(scan)


@pytest.mark.parametrize(
    "scan",
    [
        "1 " * 200,
        "12 " * 100 + "x" + "3" * 300,
        "1  " + "2" * 200,  # two spaces end a stretch: "1", then the long one
        "1-" * 90 + "  " + "2" * 171,
        "(" * 400,  # long, but no digits
        "5" * 170,  # not more than 170
        "5" * 171,
    ],
)
def test_long_stretches_at_their_bounds(scan: str) -> None:
    assert extract_module._long_stretches(scan) == _long_stretches_as_written(scan)
    assert _long_stretches_as_written("5" * 171) == [0, 171]


_DOMAIN_PIECES = st.sampled_from(
    [
        "example", "a", "b1", "x-y", "-", "_", ".", "..", "[.]", "(.)", "{.}", "[dot]", "[", "(",
        "{", "com", ".com", "co.th", ":8080", "/path", "?q=1", "@", "%", " ", "www.", "ก", "\n",
        "1[.]1", "mail.", "A", "COM",
    ]
)  # fmt: skip
_DOMAIN_TEXT = st.lists(
    st.one_of(_DOMAIN_PIECES, st.text(alphabet="ab1.-_[](){}@/%: ", max_size=6)), max_size=25
).map("".join)


def _domain_found(matches: Iterable[re.Match[str]]) -> list[tuple[tuple[int, int], ...]]:
    return [(m.span(), m.span("domain")) for m in matches]


@settings(max_examples=2000, deadline=None)
@given(scan=_DOMAIN_TEXT)
def test_bare_domain_matches_are_those_of_finditer(scan: str) -> None:
    expected = _domain_found(extract_module._BARE_DOMAIN.finditer(scan))
    assert _domain_found(extract_module._bare_domain_matches(scan)) == expected


@pytest.mark.parametrize(
    "scan",
    [
        "see example.com and a[.]b[.]co.th/x or x@y.com",
        "1[.]1[.]1[.]1 then ok.co.th",
        "a.b.c.d.e.f.example.com.",
        "x-y.com/a_b.example.org",
        "ก.com ขอบคุณ www.shop.vn:8080/p?q=1",
        "%41example.com /example.com @example.com _example.com ok.example.com",
    ],
)
def test_bare_domain_matches_in_narratives(scan: str) -> None:
    expected = _domain_found(extract_module._BARE_DOMAIN.finditer(scan))
    assert expected  # each holds a domain or a defanged chain
    assert _domain_found(extract_module._bare_domain_matches(scan)) == expected
