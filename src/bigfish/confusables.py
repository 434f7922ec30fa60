"""Names that look alike: a small skeleton after Unicode TR39, and its mixed-script test.

Organization, group and user names identify a party in every list, page and audit line, so a
new name that would show like a taken one is refused (`bigfish.organizations`,
`bigfish.accounts` for usernames, `bigfish.interop.importer` for a peer's organizations; API
key labels are not checked). `name_key` folds what a reader cannot see, in this order:

1. case, Unicode form (composed or not, fullwidth or not) and runs of spaces (`case_key`);
2. accents: decomposed, the nonspacing marks (category Mn) on a Latin, Cyrillic or Greek letter
   are dropped (`Bánk` is `bank`). Marks on letters of other scripts are kept: a Thai tone mark
   or vowel sign is Mn too, and `ก` with and without a tone mark are two Thai words. So are the
   strokes and bars through a Latin letter that NFD does not take apart (`ø`, `ł`, `đ`, `ħ`,
   `ŧ`, `ƀ`, `ɨ`, …): TR39 reads each as its letter with an overlay mark (`ł` is `l` with
   U+0338, `đ` is `d` with U+0335), and the mark goes as an accent does (`Søren` is `soren`,
   `Đông` is `dong`);
3. the Cyrillic and Greek letters drawn like Latin ones read as those (Cyrillic `а` U+0430 is
   `a`, Greek `Ο` U+039F is `O`): a hand-picked part of TR39's confusables.txt, which the
   standard library does not ship, with the Latin-extended letters drawn as ASCII ones, and the
   ligatures read as their two letters (`æ` is `ae`, `œ` is `oe`, as TR39 reads them);
4. the ASCII characters confusables.txt gives another prototype: `0` is `o`, `1` and `|` are
   `l`, `m` is `rn` (TR39 maps `m` to `rn`, not the other way; the key of `mekong` is
   `rnekong`, like that of `rnekong`). `w` is `vv` too, which TR39 does not list (it is drawn
   so in many fonts). TR39 has no `cl` for `d`: `d` is kept (a `cl` read as `d` would make
   `clear` and `dear`, `clone` and `done` one name). Its quote rows (`"` as `''`, a backquote
   as `'`) are not taken: names are letters and digits in practice;
5. the separators between words: spaces, dashes and hyphens (category Pd), underscores
   (category Pc) and full stops are dropped, so `TH-AOC`, `TH_AOC`, `TH.AOC`, `TH AOC` and
   `THAOC` are one name (a reader reads the letters, not which stroke joins them).

TR39's skeleton is case-sensitive and reads the capital `I` as `l`; after case folding `I` is
`i`, and folding `i` into `l` too would refuse `mall` beside `mail`. So a name has more keys
when it holds a capital drawn like another character: its `name_key` with the capitals drawn
like `l` (`I`, Greek `Ι`, Cyrillic `І`, Latin `Ɩ` and `Ɨ`) read as `l`, with those drawn like a
digit (`S` and Cyrillic `Ѕ` like 5, `B`, Greek `Β` and Cyrillic `В` like 8) read as the digit,
and with both, before case is folded. TR39 maps neither `S` nor `B` to a digit; their small
letters are not drawn like 5 and 8, so `scb` and `5cb` stay two names while `SCB` and `5CB`,
`BBL` and `8BL` are one. Two names look alike when they share a key (`name_keys`,
`looks_alike`): `PaypaI` (capital I) is like `paypal`, `Ivan` like `ivan` (case) and like
`lvan`, while `ivan` and `lvan` stay apart. Keys are computed when a name is checked, never
stored: stored names never change, and two stored names that now share a key both stay.

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
    # Ligatures TR39 reads as their two letters (`ĳ`, `ǉ`, `ﬁ` NFKC takes apart already)
    "\u00e6": "ae",  # æ (Æ)
    "\u0153": "oe",  # œ (Œ)
    "\u04d5": "ae",  # ӕ CYRILLIC LIGATURE A IE (Ӕ)
}
# Latin letters with a stroke or bar through them, which NFD does not take apart, after case
# folding: TR39 reads each as its letter with an overlay mark (U+0334 TILDE OVERLAY, U+0335
# SHORT STROKE OVERLAY or U+0338 LONG SOLIDUS OVERLAY), which the key drops as an accent. As
# above, a small letter drawn otherwise than its capital is read as the capital: `ð` as `Ð`
# (TR39: `D` with a stroke), `ɖ` as `Ɖ`, `ⱦ` as `Ⱦ`, `ʉ` as `Ʉ`. Hooks and tails (`ɓ`, `ɗ`,
# `ƙ`: letters of their own in Hausa) are no overlay and stay.
_STROKED: dict[str, str] = {
    "\u00f8": "o",  # ø (Ø)
    "\u0142": "l",  # ł (Ł)
    "\u019a": "l",  # ƚ L WITH BAR (Ƚ)
    "\u026b": "l",  # ɫ L WITH MIDDLE TILDE (Ɫ)
    "\u0111": "d",  # đ (Đ)
    "\u00f0": "d",  # ð ETH (Ð)
    "\u0256": "d",  # ɖ D WITH TAIL (Ɖ AFRICAN D)
    "\u0127": "h",  # ħ (Ħ)
    "\u0167": "t",  # ŧ (Ŧ)
    "\u2c66": "t",  # ⱦ T WITH DIAGONAL STROKE (Ⱦ)
    "\u0180": "b",  # ƀ (Ƀ)
    "\u023c": "c",  # ȼ (Ȼ)
    "\u0247": "e",  # ɇ (Ɇ)
    "\u01e5": "g",  # ǥ (Ǥ)
    "\u0268": "i",  # ɨ (Ɨ, also a capital drawn like l: below)
    "\u0249": "j",  # ɉ (Ɉ)
    "\u0275": "o",  # ɵ BARRED O (Ɵ)
    "\u0289": "u",  # ʉ U BAR (Ʉ)
}
# ASCII read as another ASCII letter (TR39's prototypes, after case folding), and `w` as `vv`.
_ASCII_LOOKALIKES: dict[str, str] = {"0": "o", "1": "l", "|": "l", "m": "rn", "w": "vv"}
_ASCII = str.maketrans(_ASCII_LOOKALIKES)
_TABLE = str.maketrans(
    {char: latin.translate(_ASCII) for char, latin in (_LATIN_LOOKALIKES | _STROKED).items()}
    | _ASCII_LOOKALIKES
)
# The capitals drawn like `l` (TR39: I, Greek IOTA, Cyrillic BYELORUSSIAN-UKRAINIAN I, Latin
# IOTA, and Latin I WITH STROKE as `l` with a stroke), read as `l` for a name's other keys; and
# those drawn like a digit (S and Cyrillic DZE like 5; B, Greek BETA and Cyrillic VE like 8),
# which TR39 does not list, read as the digit.
_CAPITALS_AS_L = str.maketrans(dict.fromkeys("I\u0399\u0406\u0196\u0197", "l"))
_CAPITALS_AS_DIGITS = str.maketrans(
    dict.fromkeys("S\u0405", "5") | dict.fromkeys("B\u0392\u0412", "8")
)

#: Why two names with one `name_key` are one name, for the errors that refuse the second.
LOOKALIKE = (
    "differs from it only in case, Unicode form, accents, strokes or ligatures (\u00f8, \u0142, "
    "\u0111, \u00e6), "
    "the separators between words (spaces, -, _, .), or letters and digits drawn alike "
    "(another script's, 0 and O, 1, I and l, rn and m, S and 5, B and 8)"
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


def _drop_separators(text: str) -> str:
    """TEXT without the spaces, dashes (Pd), underscores (Pc) and full stops between words."""
    return "".join(
        char
        for char in text
        if not (char == "." or char.isspace() or unicodedata.category(char) in ("Pd", "Pc"))
    )


def name_key(name: str) -> str:
    """NAME as names are told apart: its `case_key` without the accents of Latin, Cyrillic and
    Greek letters nor the strokes through Latin ones (`ø` is `o`, `đ` is `d`), with the letters
    of another script drawn like Latin ones read as those (decomposed first: Cyrillic `ѐ` is
    Latin `e`), the ASCII look-alikes `0`, `1`, `|`, `m`, `w` read as `o`, `l`, `l`, `rn`,
    `vv`, and without the separators between words (spaces, `-`, `_`, `.`). Names with one
    `case_key` have one key."""
    key = case_key(name)
    for _ in range(4):  # composing again can make a letter the table reads: to a fixed point
        mapped = _drop_accents(unicodedata.normalize("NFKD", key)).translate(_TABLE)
        again = case_key(_drop_separators(mapped))
        if again == key:
            break
        key = again
    return key


def name_keys(name: str) -> frozenset[str]:
    """The keys of NAME: its `name_key` and, when it holds a capital drawn like `l` (`I`) or
    like a digit (`S` as 5, `B` as 8), the `name_key` with those read so: the ones like `l`, the
    ones like a digit, and both. Two names with a key in common show alike."""
    text = unicodedata.normalize("NFKC", name)  # a fullwidth capital is one; `İ` is none
    as_l = text.translate(_CAPITALS_AS_L)
    readings = (
        text,
        as_l,
        text.translate(_CAPITALS_AS_DIGITS),
        as_l.translate(_CAPITALS_AS_DIGITS),
    )
    return frozenset(name_key(reading) for reading in dict.fromkeys(readings))


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
