"""Names that look alike: a small skeleton after Unicode TR39, and its mixed-script test.

Organization, group and user names identify a party in every list, page and audit line, so a
new name that would show like a taken one is refused (`bigfish.organizations`). `name_key`
folds what a reader cannot see: case, Unicode form (composed or not, fullwidth or not), runs of
spaces, and the Cyrillic and Greek letters drawn like Latin ones (Cyrillic `а` U+0430 is `a`,
Greek `Ο` U+039F is `O`). The table below is a hand-picked part of TR39's confusables.txt, which
the standard library does not ship: the Cyrillic, Greek and Latin-extended letters that common
fonts draw as a Latin letter. ASCII is never folded (no `1`/`l` or `0`/`O`): an ASCII name's
key is what it was before the table, so no decision about an ASCII name changes.

`mixed_script_word` is TR39's "highly restrictive" idea, narrowed to the scripts the table
covers: one word (a run of letters) may not mix Latin, Cyrillic and Greek letters. A name all
in Cyrillic (`Банк`), Thai, Chinese or Arabic, or `SCB-Банк` (two words), stays allowed.
"""

from __future__ import annotations

import unicodedata

from bigfish.errors import InputError

# Each letter, after case folding, and the Latin letter it is drawn as. The key folds case
# first, so a letter stands for its capital too: Cyrillic `н` is `h` because `Н` is drawn as `H`
# (and `нот` is `НОТ` but for case). Where a capital and its small letter look like two Latin
# letters (Greek `Ν`/`ν`: N and v, `Υ`/`υ`: Y and u), the capital's is kept.
_LATIN_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "\u0430": "a",  # а
    "\u0432": "b",  # в (В)
    "\u0435": "e",  # е
    "\u043a": "k",  # к
    "\u043c": "m",  # м (М)
    "\u043d": "h",  # н (Н)
    "\u043e": "o",  # о
    "\u0440": "p",  # р
    "\u0441": "c",  # с
    "\u0442": "t",  # т (Т)
    "\u0443": "y",  # у
    "\u0445": "x",  # х
    "\u0455": "s",  # ѕ DZE
    "\u0456": "i",  # і BYELORUSSIAN-UKRAINIAN I
    "\u0458": "j",  # ј JE
    "\u0475": "v",  # ѵ IZHITSA
    "\u04af": "y",  # ү STRAIGHT U
    "\u04bb": "h",  # һ SHHA
    "\u04cf": "l",  # ӏ PALOCHKA (Ӏ)
    "\u0501": "d",  # ԁ KOMI DE
    "\u051b": "q",  # ԛ QA
    "\u051d": "w",  # ԝ WE
    # Greek
    "\u03b1": "a",  # α ALPHA
    "\u03b2": "b",  # β BETA (Β)
    "\u03b3": "y",  # γ GAMMA
    "\u03b5": "e",  # ε EPSILON (Ε)
    "\u03b6": "z",  # ζ ZETA (Ζ)
    "\u03b7": "h",  # η ETA (Η)
    "\u03b9": "i",  # ι IOTA
    "\u03ba": "k",  # κ KAPPA
    "\u03bc": "m",  # μ MU (Μ; the micro sign is μ after NFKC)
    "\u03bd": "n",  # ν NU (Ν)
    "\u03bf": "o",  # ο OMICRON
    "\u03c1": "p",  # ρ RHO
    "\u03c4": "t",  # τ TAU (Τ)
    "\u03c5": "y",  # υ UPSILON (Υ)
    "\u03c7": "x",  # χ CHI
    "\u03f2": "c",  # ϲ LUNATE SIGMA (Ϲ)
    "\u03f3": "j",  # ϳ YOT (Ϳ)
    # Latin letters outside ASCII drawn as ASCII ones (no script test catches these)
    "\u0131": "i",  # ı DOTLESS I
    "\u0237": "j",  # ȷ DOTLESS J
    "\u0251": "a",  # ɑ ALPHA
    "\u0261": "g",  # ɡ SCRIPT G
    "\u0269": "i",  # ɩ IOTA
}
_TABLE = str.maketrans(_LATIN_LOOKALIKES)

#: Why two names with one `name_key` are one name, for the errors that refuse the second.
LOOKALIKE = "differs from it only in case, Unicode form or letters of another script drawn alike"

# The scripts a word may not mix (the scripts of the table above); by Unicode character name.
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def case_key(name: str) -> str:
    """NAME whatever its case, Unicode form and runs of spaces (755f459's key)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def name_key(name: str) -> str:
    """NAME as names are told apart: its `case_key` with the letters of another script drawn
    like Latin ones read as those (decomposed first: Cyrillic `ѐ` is Latin `è`). Two names
    with one key show alike, or would but for case. Names with one `case_key` have one key."""
    key = case_key(name)
    for _ in range(4):  # composing again can make a letter the table reads: to a fixed point
        mapped = unicodedata.normalize("NFKD", key).translate(_TABLE)
        again = case_key(mapped)
        if again == key:
            break
        key = again
    return key


def _script(char: str) -> str | None:
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    return next((s for s in _SCRIPTS if name.startswith(s + " ")), None)


def mixed_script_word(name: str) -> str | None:
    """The first word (run of letters and their marks) of NAME that mixes Latin, Cyrillic and
    Greek letters, or None. `Bаnk` with a Cyrillic `а` is one; `Банк`, `SCB-Банк` are not."""
    word: list[str] = []
    scripts: set[str] = set()
    for char in unicodedata.normalize("NFKC", name) + " ":
        if unicodedata.category(char)[0] in "LM":
            word.append(char)
            script = _script(char)
            if script is not None:
                scripts.add(script)
            continue
        if len(scripts) > 1:
            return "".join(word)
        word, scripts = [], set()
    return None


def refuse_mixed_script(name: str, *, what: str, field: str) -> None:
    """InputError (FIELD) when a word of NAME, a new WHAT name, mixes Latin, Cyrillic and Greek
    letters: `Bаnk` with a Cyrillic `а` shows as Bank and is no one's name in any language."""
    word = mixed_script_word(name)
    if word is not None:
        raise InputError(
            f"{what} name {name!r} mixes Latin, Cyrillic or Greek letters in the word {word!r}, "
            "so it would show like a name in one script; write each word in one script",
            field=field,
        )
