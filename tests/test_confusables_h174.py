"""`bigfish.confusables` after helper 174: letters with a stroke or bar through them that NFD does
not take apart (`ø`, `ł`, `đ`, `ħ`, …; TR39 reads each as its letter with an overlay mark) fold
like accents; the capitals `S` and `B` are read as `5` and `8` in a name's other keys (TR39 has
neither: the small letters stay apart from the digits); the separators between words (spaces,
dashes, underscores, full stops) do not tell names apart. `cl` and `d` stay apart."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigfish.confusables import looks_alike, mixed_script_word, name_key, name_keys

# Each letter with a stroke or bar, and the letter TR39's confusables.txt draws it as (with
# U+0334 TILDE OVERLAY, U+0335 SHORT STROKE OVERLAY or U+0338 LONG SOLIDUS OVERLAY on it).
STROKED = [
    ("\u00f8", "o"),  # ø  00F8 → o 0338
    ("\u00d8", "O"),  # Ø  00D8 → O 0338
    ("\u0142", "l"),  # ł  0142 → l 0338
    ("\u0141", "L"),  # Ł  0141 → L 0338
    ("\u019a", "l"),  # ƚ  019A → l 0335
    ("\u026b", "l"),  # ɫ  026B → l 0334
    ("\u0111", "d"),  # đ  0111 → d 0335
    ("\u0110", "D"),  # Đ  0110 → D 0335
    ("\u00d0", "D"),  # Ð  00D0 → D 0335 (its small letter ð is read as the capital)
    ("\u0189", "D"),  # Ɖ  0189 → D 0335 (likewise ɖ)
    ("\u0127", "h"),  # ħ  0127 → h 0335
    ("\u0126", "H"),  # Ħ  0126 → H 0335
    ("\u0167", "t"),  # ŧ  0167 → t 0335
    ("\u0166", "T"),  # Ŧ  0166 → T 0335
    ("\u023e", "T"),  # Ⱦ  023E → T 0338 (likewise ⱦ)
    ("\u0180", "b"),  # ƀ  0180 → b 0335
    ("\u023c", "c"),  # ȼ  023C → c 0338
    ("\u0247", "e"),  # ɇ  0247 → e 0338
    ("\u0246", "E"),  # Ɇ  0246 → E 0338
    ("\u01e5", "g"),  # ǥ  01E5 → g 0335
    ("\u01e4", "G"),  # Ǥ  01E4 → G 0335
    ("\u0268", "i"),  # ɨ  0268 → i 0335
    ("\u0249", "j"),  # ɉ  0249 → j 0335
    ("\u0275", "o"),  # ɵ  0275 → o 0335
    ("\u019f", "O"),  # Ɵ  019F → O 0335
    ("\u0244", "U"),  # Ʉ  0244 → U 0335 (likewise ʉ)
]


@pytest.mark.parametrize(("stroked", "letter"), STROKED)
def test_a_letter_with_a_stroke_is_its_letter(stroked: str, letter: str) -> None:
    assert name_key(f"x{stroked}x") == name_key(f"x{letter}x")
    assert looks_alike(f"Bank{stroked}", f"Bank{letter}")


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("S\u00f8ren", "Soren"),  # Søren
        ("\u0141\u00f3d\u017a", "Lodz"),  # Łódź: the stroke with the accents
        ("\u0110\u00f4ng-\u00c1-Bank", "Dong-A-Bank"),  # Đông Á, a Vietnamese bank
        ("o\u0338", "\u00f8"),  # o with U+0338 overlay: TR39's own prototype of ø
        ("l\u0335", "\u0142"),
    ],
)
def test_names_with_strokes_look_like_those_without(name: str, taken: str) -> None:
    assert looks_alike(name, taken) and looks_alike(taken, name)


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("5CB", "SCB"),  # a capital S is drawn like 5
        ("8BL", "BBL"),  # a capital B like 8
        ("88L", "BBL"),
        ("8bank", "Bbank"),
        ("S8S", "5B5"),  # each capital S or B read as its digit
        ("\u0405CB", "5CB"),  # Cyrillic capital DZE, drawn as S
        ("l5", "IS"),  # with a capital I read as l
        ("5i", "SI"),  # or as i
        ("ls", "IS"),  # as before: I as l, S as itself
    ],
)
def test_a_capital_s_or_b_is_read_as_its_digit(name: str, taken: str) -> None:
    assert looks_alike(name, taken) and looks_alike(taken, name)


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("TH_AOC", "TH-AOC"),
        ("TH.AOC", "TH-AOC"),
        ("THAOC", "TH-AOC"),
        ("TH AOC", "TH-AOC"),
        ("TH\u2013AOC", "TH-AOC"),  # EN DASH
        ("TH\uff3fAOC", "TH-AOC"),  # FULLWIDTH LOW LINE
        ("mekong delta", "Mekong-Delta"),
        ("th-a0c", "TH_AOC"),  # with 0 read as o
    ],
)
def test_names_differing_only_in_separators_look_alike(name: str, taken: str) -> None:
    assert looks_alike(name, taken) and looks_alike(taken, name)


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("5cb", "scb"),  # small s and b are not drawn like 5 and 8: TR39 keeps them apart
        ("8ank", "bank"),
        ("clbs", "dbs"),  # TR39 has no cl for d; `clear` and `dear` are two words
        ("Cloud", "Doud"),
        ("\u0253", "b"),  # ɓ: a hook is no overlay, a Hausa letter of its own
        ("TH-AOC", "TH-A0C-2"),
    ],
)
def test_names_told_apart_stay_apart(name: str, other: str) -> None:
    assert not looks_alike(name, other)


def test_the_keys_as_the_docstring_says() -> None:
    assert name_key("TH-A0C") == name_key("TH_AOC") == name_key("th aoc") == "thaoc"
    assert name_key("\u0110\u00f4ng-\u00c1") == "donga"
    assert name_keys("SCB") == {"scb", "5c8"}  # shares 5c8 with 5CB
    assert name_keys("PaypaI") == {"paypai", "paypal"}
    assert name_keys("BIS") == {"bis", "bls", "8i5", "8l5"}
    assert name_keys("scb") == {"scb"}
    assert name_key("-") == name_key("_") == ""  # a name of separators only


def test_stroked_latin_letters_are_still_latin() -> None:
    """The mixed-script test is unchanged: `đ` is a Latin letter, Cyrillic `ћ` is not folded."""
    assert mixed_script_word("\u0110\u00f4ng") is None
    assert mixed_script_word("\u0111\u0430") == "\u0111\u0430"  # đ with a Cyrillic а
    assert name_key("\u045b") == "\u045b"  # ћ stays (Serbian Cyrillic, not in the table)


# Property tests: letters with strokes, separators and capitals S and B in random names.
_BASES = "abcdeghijlostuABDEGHLOTU"
_STROKES = dict(STROKED) | {"\u00f0": "d", "\u0256": "d", "\u2c66": "t", "\u0289": "u"}
_SEPARATORS = " -_.\u2010\u2013\u2014\uff3f\u00a0"
_names = st.text(alphabet=_BASES + "".join(_STROKES) + _SEPARATORS + "SB58Il1", max_size=30)


@given(_names)
def test_a_name_looks_like_its_key(name: str) -> None:
    """A name's key is a name that shows like it (every fold keeps a name alike)."""
    assert looks_alike(name, name_key(name))
    assert all(name_key(key) == key for key in name_keys(name))


@given(_names)
def test_strokes_fold_to_their_letters(name: str) -> None:
    plain = "".join(_STROKES.get(char, char) for char in name)
    assert name_key(plain) == name_key(name)
    assert looks_alike(plain, name)


@given(_names, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(_SEPARATORS)), max_size=4))
def test_separators_anywhere_keep_the_key(name: str, inserts: list[tuple[int, str]]) -> None:
    spaced = name
    for at, separator in inserts:
        spaced = spaced[:at] + separator + spaced[at:]
    assert name_key(spaced) == name_key(name)
    assert looks_alike(spaced, name)


@given(_names)
def test_capitals_s_and_b_as_digits_is_a_key(name: str) -> None:
    as_digits = unicodedata.normalize("NFKC", name).translate(str.maketrans("SB", "58"))
    assert name_key(as_digits) in name_keys(name)
    assert looks_alike(as_digits, name)


@given(st.text(max_size=30))
def test_every_fold_is_idempotent(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    assert name_keys(key) == {key}  # a key holds no capital, so it has one key
