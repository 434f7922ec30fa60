"""The ligatures TR39's confusables.txt reads as two letters (`æ` 00E6 → `ae`, `œ` 0153 → `oe`,
Cyrillic `ӕ` 04D5 → `ae`, and their capitals) are those letters in a name's key: `Cæsar Bank`
would show like `Caesar Bank`. Before, each was a letter of its own and both names got in."""

from __future__ import annotations

import pytest

from bigfish.confusables import looks_alike, mixed_script_word, name_key


@pytest.mark.parametrize(
    ("ligature", "letters"),
    [
        ("\u00e6", "ae"),  # æ
        ("\u00c6", "AE"),  # Æ
        ("\u0153", "oe"),  # œ
        ("\u0152", "OE"),  # Œ
        ("\u04d5", "ae"),  # ӕ CYRILLIC SMALL LIGATURE A IE
        ("\u04d4", "AE"),  # Ӕ
    ],
)
def test_a_ligature_is_its_two_letters(ligature: str, letters: str) -> None:
    assert name_key(f"C{ligature}sar Bank") == name_key(f"C{letters}sar Bank")
    assert looks_alike(f"{ligature}gis", f"{letters}gis")


def test_a_ligature_with_an_accent_or_a_look_alike_around_it_folds_too() -> None:
    assert looks_alike("\u01fdsir", "aesir")  # ǽ: æ with an acute
    assert looks_alike("M\u00e6rsk", "Maersk")
    assert looks_alike("\u0152uvre 1", "oeuvre l")


def test_names_that_only_share_letters_stay_apart() -> None:
    assert not looks_alike("C\u00e6sar", "Casar")
    assert not looks_alike("\u0153il", "oil")


def test_a_cyrillic_ligature_in_a_latin_word_is_still_a_mixed_word() -> None:
    assert mixed_script_word("C\u04d5sar") == "C\u04d5sar"
    assert mixed_script_word("C\u00e6sar") is None  # æ is a Latin letter
