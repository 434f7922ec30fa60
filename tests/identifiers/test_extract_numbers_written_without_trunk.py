"""National numbers of countries that write them without their trunk prefix: a Chinese mobile
("13800138000", never "0138…"), a number of the North American plan ("(212) 555-1234", not
"1 212…"), a Brazilian one. Extraction looked for a national number only after the trunk
prefix, so a Chinese victim's narrative ("电话13800138000") gave no phone at all, though
`normalize` reads it. A number its country does write with the prefix stays unfound without
it ("21 1234 5678" in Beijing is "010 1234 5678"; "812345678" in Thailand)."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize
from tests.identifiers.found import phones


@pytest.mark.parametrize(
    ("text", "country", "number", "canonical"),
    [
        ("骗子电话13800138000请注意", "CN", "13800138000", "+8613800138000"),
        ("加我手机 138 0013 8000 谢谢", "CN", "138 0013 8000", "+8613800138000"),
        ("客服：139-1234-5678。", "CN", "139-1234-5678", "+8613912345678"),
        ("He called from (212) 555-1234 twice", "US", "(212) 555-1234", "+12125551234"),
        ("text 415.555.2671 now", "US", "415.555.2671", "+14155552671"),
        ("ligou do (11) 96123-4567", "BR", "(11) 96123-4567", "+5511961234567"),
    ],
)
def test_a_number_written_without_the_trunk_prefix_is_found(
    text: str, country: str, number: str, canonical: str
) -> None:
    assert normalize("phone", number, country).canonical == canonical
    assert phones(text, country) == [(number, canonical)]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("北京 21 1234 5678", "CN"),  # a landline: its country writes 010 1234 5678
        ("โทร 812345678", "TH"),  # Thailand writes its trunk prefix
        ("gọi 912345678", "VN"),
        ("订单号 20250301123", "CN"),
    ],
)
def test_a_number_its_country_writes_with_the_prefix_needs_it(text: str, country: str) -> None:
    assert phones(text, country) == []


def test_the_written_with_prefix_forms_are_found_as_before() -> None:
    assert phones("北京 010 1234 5678", "CN") == [("010 1234 5678", "+861012345678")]
    assert phones("call 1-212-555-1234", "US") == [("1-212-555-1234", "+12125551234")]
