"""`bigfish.confusables` after helper 163: accents on Latin, Cyrillic and Greek letters and
TR39's ASCII look-alikes (`0` `1` `I` `|` `rn`, and `vv`) fold; Thai marks, `i`/`l` in small
letters and `cl`/`d` stay apart."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bigfish.confusables import case_key, looks_alike, name_key, name_keys

THAI_RICE, THAI_WHITE = "\u0e02\u0e49\u0e32\u0e27", "\u0e02\u0e32\u0e27"  # ข้าว (mai tho), ขาว


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("B\u00e1nk", "Bank"),  # á composed
        ("Ba\u0301nk", "Bank"),  # a + U+0301 COMBINING ACUTE ACCENT
        ("Ba\u00f1k", "Bank"),  # ñ
        ("\u00c1\u00c7\u00cb", "ace"),  # ÁÇË
        ("\u0401\u043b\u043a\u0430", "\u0435\u043b\u043a\u0430"),  # Ёлка beside елка (Cyrillic)
        ("\u0386\u03b8\u03b7\u03bd\u03b1", "\u0391\u03b8\u03b7\u03bd\u03b1"),  # Άθηνα, Αθηνα
        ("TH-A0C", "TH-AOC"),
        ("paypa1", "paypal"),
        ("paypa|", "paypal"),
        ("PaypaI", "paypal"),  # capital I drawn as l
        ("PAYPA1", "paypal"),
        ("rnekong", "mekong"),
        ("RNEKONG", "Mekong"),
        ("savvy", "sawy"),
        ("\u0456van", "ivan"),  # Cyrillic і, as before
    ],
)
def test_names_drawn_alike_share_a_key(name: str, taken: str) -> None:
    assert looks_alike(name, taken) and looks_alike(taken, name)


@pytest.mark.parametrize(
    ("name", "other"),
    [
        (THAI_RICE, THAI_WHITE),  # a Thai tone mark is a letter of the word's spelling
        ("\u0e01\u0e48", "\u0e01"),  # ก่ beside ก
        ("ivan", "lvan"),  # small i has its dot
        ("mail", "mall"),
        ("dear", "clear"),  # TR39 has no cl for d
        ("Bank", "Bonk"),
        ("\u0130stanbul", "lstanbul"),  # the capital I with a dot is not drawn like l
    ],
)
def test_names_told_apart_stay_apart(name: str, other: str) -> None:
    assert not looks_alike(name, other)


def test_the_key_folds_as_the_docstring_says() -> None:
    assert name_key("B\u00e1nk") == name_key("Ba\u00f1k") == "bank"
    assert name_key("TH-A0C") == "thaoc"  # and the hyphen dropped (helper 174)
    assert name_key("Mekong") == name_key("rnekong") == "rnekong"  # TR39: m is rn
    assert name_key("W1|") == "vvll"
    assert name_keys("PaypaI") == {"paypai", "paypal"}
    assert name_keys("paypal") == {"paypal"}
    assert name_key(THAI_RICE) == THAI_RICE


@given(st.text(max_size=30))
def test_every_key_is_its_own_key(name: str) -> None:
    assert all(name_key(key) == key for key in name_keys(name))


@given(st.text(max_size=30), st.text(max_size=30))
def test_looking_alike_is_symmetric_and_reflexive(name: str, other: str) -> None:
    assert looks_alike(name, name)
    assert looks_alike(name, other) == looks_alike(other, name)


@given(st.text(max_size=30))
def test_names_one_but_for_case_still_look_alike(name: str) -> None:
    for other in (name.upper(), name.lower(), name.swapcase()):
        assume(case_key(other) == case_key(name))
        assert looks_alike(other, name)
