"""`bigfish.confusables`: the key names are told apart by (idempotent; an ASCII name without
look-alike characters keeps 755f459's key) and the words that mix scripts."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bigfish.confusables import case_key, mixed_script_word, name_key

CYR_A, CYR_O = "\u0430", "\u043e"  # а о


def _old_key(name: str) -> str:
    """755f459's key, before the script folding."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


@given(st.text(max_size=30))
def test_the_key_is_idempotent(name: str) -> None:
    assert name_key(name_key(name)) == name_key(name)


# ASCII without the look-alikes 163 folds (0 1 | m w, M W by case) and the separators 174 drops
# (whitespace, - _ .); `I`, `S` and `B` only add keys
_PLAIN_ASCII = "".join(c for c in map(chr, range(128)) if c not in "01|mMwW-_." and not c.isspace())


@given(st.text(alphabet=_PLAIN_ASCII, max_size=30))
def test_an_ascii_name_without_lookalike_characters_keeps_its_key(name: str) -> None:
    """Helper 163 folds `0 1 | m w` (TR39) in ASCII and helper 174 drops the separators between
    words; an ASCII name without them keeps 755f459's key, so no decision about such a name
    changes."""
    assert name_key(name) == _old_key(name) == case_key(name)


@given(st.text(max_size=30))
def test_names_that_were_one_name_still_are(name: str) -> None:
    """The new key only folds more: names with one old key have one new key."""
    for other in (name.upper(), name.lower(), unicodedata.normalize("NFD", name)):
        assume(_old_key(other) == _old_key(name))
        assert name_key(other) == name_key(name)


@pytest.mark.parametrize(
    ("name", "latin"),
    [
        (f"B{CYR_A}nk", "bank"),
        ("\u0412\u0410\u041d\u041a", "bahk"),  # ВАНК, all Cyrillic capitals
        ("\u039f\u039a", "ok"),  # Greek ΟΚ
        ("\u0442\u0430\u0445", "tax"),  # тах: the small letters of Т А Х
        ("\u0400x", "ex"),  # Ѐ decomposed: Cyrillic Е, its grave dropped (helper 163)
        ("\u0131d", "id"),  # dotless i
    ],
)
def test_letters_of_another_script_drawn_alike_fold_to_latin(name: str, latin: str) -> None:
    assert name_key(name) == latin


@pytest.mark.parametrize(
    ("name", "word"),
    [
        (f"B{CYR_A}nk", f"B{CYR_A}nk"),
        (f"TH-{CYR_A}oc", f"{CYR_A}oc"),
        ("\u0392\u0430nk", "\u0392\u0430nk"),  # Greek Β, Cyrillic а, Latin nk
        (f"gulf {CYR_O}f thailand", f"{CYR_O}f"),
    ],
)
def test_a_word_mixing_scripts_is_found(name: str, word: str) -> None:
    assert mixed_script_word(name) == word


@pytest.mark.parametrize(
    "name",
    ["Bank", "\u0411\u0430\u043d\u043a", "SCB-\u0411\u0430\u043d\u043a", "ธนาคาร", "银行", "ΑΒΓ"],
)
def test_a_word_in_one_script_is_no_mix(name: str) -> None:
    assert mixed_script_word(name) is None
