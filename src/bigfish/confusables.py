"""Names that look alike: a small skeleton after Unicode TR39, and its mixed-script test.

Organization, group and user names identify a party in every list, page and audit line, so a
new name that would show like a taken one is refused (`bigfish.organizations`); so is an API
key label like another live key's of the organization (`bigfish.accounts`). `name_key` folds
what a reader cannot see, in this order:

1. case, Unicode form (composed or not, fullwidth or not) and runs of spaces (`case_key`);
2. accents: decomposed, the nonspacing marks (category Mn) on a Latin, Cyrillic or Greek letter
   are dropped (`Bánk` is `bank`). Marks on letters of other scripts are kept: a Thai tone mark
   or vowel sign is Mn too, and `ก` with and without a tone mark are two Thai words;
3. the Cyrillic and Greek letters drawn like Latin ones read as those (Cyrillic `а` U+0430 is
   `a`, Greek `Ο` U+039F is `O`): a hand-picked part of TR39's confusables.txt, which the
   standard library does not ship, with the Latin-extended letters drawn as ASCII ones;
4. the ASCII characters confusables.txt gives another prototype: `0` is `o`, `1` and `|` are
   `l`, `m` is `rn` (TR39 maps `m` to `rn`, not the other way; the key of `mekong` is
   `rnekong`, like that of `rnekong`). `w` is `vv` too, which TR39 does not list (it is drawn
   so in many fonts). TR39 has no `cl` for `d`: `d` is kept. Its quote rows (`"` as `''`,
   a backquote as `'`) are not taken: names are letters and digits in practice.

TR39's skeleton is case-sensitive and reads the capital `I` as `l`; after case folding `I` is
`i`, and folding `i` into `l` too would refuse `mall` beside `mail`. So a name has a second key
when it holds a capital drawn like `l` (`I`, Greek `Ι`, Cyrillic `І`, Latin `Ɩ`): its `name_key`
with those read as `l`, before case is folded. Two names look alike when they share a key
(`name_keys`, `looks_alike`): `PaypaI` (capital I) is like `paypal`, `Ivan` like `ivan` (case)
and like `lvan`, while `ivan` and `lvan` stay apart. Keys are computed when a name is checked,
never stored: stored names never change, and two stored names that now share a key both stay.

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
# ASCII read as another ASCII letter (TR39's prototypes, after case folding), and `w` as `vv`.
_ASCII_LOOKALIKES: dict[str, str] = {"0": "o", "1": "l", "|": "l", "m": "rn", "w": "vv"}
_ASCII = str.maketrans(_ASCII_LOOKALIKES)
_TABLE = str.maketrans(
    {char: latin.translate(_ASCII) for char, latin in _LATIN_LOOKALIKES.items()} | _ASCII_LOOKALIKES
)
# The capitals drawn like `l` (TR39: I, Greek IOTA, Cyrillic BYELORUSSIAN-UKRAINIAN I, Latin
# IOTA), read as `l` for a name's second key.
_CAPITAL_I = str.maketrans(dict.fromkeys("I\u0399\u0406\u0196", "l"))

#: Why two names with one `name_key` are one name, for the errors that refuse the second.
LOOKALIKE = (
    "differs from it only in case, Unicode form, accents, or letters and digits drawn alike "
    "(another script's, 0 and O, 1, I and l, rn and m)"
)

# The scripts a word may not mix (the scripts of the table above); by Unicode character name.
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def case_key(name: str) -> str:
    """NAME whatever its case, Unicode form and runs of spaces (755f459's key)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def _drop_accents(text: str) -> str:
    """TEXT (decomposed) without the nonspacing marks on Latin, Cyrillic and Greek letters."""
    kept: list[str] = []
    base: str | None = None  # the script of the letter the marks that follow sit on
    for char in text:
        if unicodedata.category(char) == "Mn":
            if base is None:
                kept.append(char)
            continue
        base = _script(char)
        kept.append(char)
    return "".join(kept)


def name_key(name: str) -> str:
    """NAME as names are told apart: its `case_key` without the accents of Latin, Cyrillic and
    Greek letters, with the letters of another script drawn like Latin ones read as those
    (decomposed first: Cyrillic `ѐ` is Latin `e`) and the ASCII look-alikes `0`, `1`, `|`, `m`,
    `w` read as `o`, `l`, `l`, `rn`, `vv`. Names with one `case_key` have one key."""
    key = case_key(name)
    for _ in range(4):  # composing again can make a letter the table reads: to a fixed point
        mapped = _drop_accents(unicodedata.normalize("NFKD", key)).translate(_TABLE)
        again = case_key(mapped)
        if again == key:
            break
        key = again
    return key


def name_keys(name: str) -> frozenset[str]:
    """The keys of NAME: its `name_key` and, when it holds a capital drawn like `l` (`I`), the
    `name_key` with those read as `l`. Two names with a key in common show alike."""
    capitals_as_l = unicodedata.normalize("NFKC", name).translate(_CAPITAL_I)  # not `İ`
    return frozenset((name_key(name), name_key(capitals_as_l)))


def looks_alike(name: str, other: str) -> bool:
    """True when NAME and OTHER would show alike: they share a key (`name_keys`)."""
    return not name_keys(name).isdisjoint(name_keys(other))


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
