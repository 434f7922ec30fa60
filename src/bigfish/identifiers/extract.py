"""Find identifiers in free text in any script (spec/identifiers.md, "Extraction").

The text is scanned through a same-length view in which digits of every script and
compatibility forms (fullwidth letters, ``：``) are ASCII, so that offsets stay those of the
original text; every candidate is then normalized and kept only when valid.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from functools import cache, lru_cache

import phonenumbers

from bigfish.identifiers.defang import defang
from bigfish.identifiers.domain import has_known_suffix
from bigfish.identifiers.handle import PLATFORM_AND_NAME, PLATFORM_WORDS, is_labelled
from bigfish.identifiers.model import Found, Identifier
from bigfish.identifiers.phone import (
    DASHES,
    MAX_PHONE_DIGITS,
    could_be_valid_phone,
    is_valid_phone,
)
from bigfish.identifiers.registry import as_country, normalize_checked
from bigfish.identifiers.text import clean
from bigfish.models import Kind

_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})"
# A path starts with "/", "?" or "#", or with a defanged slash "[/]" (`defang`)
_PATH = r"(?:(?:[/?#]|\[/\])[!#-;=?-~]*)?"
_SCHEME_URL = re.compile(
    r"(?<![A-Za-z0-9])h(?:tt|xx)ps?(?:\[:\]|:)?(?:\[/\]|/){2}"
    r"(?:[A-Za-z0-9\-_~%@:\u00a1-\uffff]|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\.|\[:\]"
    r"|\[[0-9A-Fa-f:.]{2,45}\]){1,253}" + _PATH
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_DEFANGED_DOT = r"(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})"
# A bare domain, group "domain". A defanged dot ("[.]") lets a match start right after it, so a
# chain of labels joined by defanged dots could be searched from each of its labels in turn,
# each search running to the chain's end: time quadratic in the chain ("1[.]1[.]…", 80,000
# characters: over 60 s). No start inside a chain can match where its first label did not (the
# first label's search, which takes the most labels it can, would have matched through it), so
# the pattern consumes the rest of such a chain: after the domain (a match ending at its last
# label), or in place of a domain (no group "domain") when the chain holds a defanged dot.
_BARE_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9\-_.@/%])(?=[A-Za-z0-9][A-Za-z0-9\-]*+[.\[({])(?:"  # a label, a dot: fast fail
    r"(?P<domain>(?:" + _LABEL + _DOT + r")+"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9\-_@])(?::[0-9]{2,5}(?![0-9]))?" + _PATH + r")"
    r"(?:(?<=[A-Za-z])(?:" + _DOT + _LABEL + r")++)?+"
    r"|(?:" + _LABEL + r"\.)*+" + _LABEL + _DEFANGED_DOT + r"(?:" + _LABEL + _DOT + r")*+)"
)
# Where a bare domain may start, as `_BARE_DOMAIN`'s look behind and look ahead say, written
# with its first character consumed by a class so that the engine skips in C to it: as written,
# the pattern tried every position of every text (`_bare_domain_matches`).
_BARE_DOMAIN_START = re.compile(r"[A-Za-z0-9](?<![A-Za-z0-9\-_.@/%].)[A-Za-z0-9\-]*+[.\[({]")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}(?:@|\[@\]|\[at\]|\(at\))"
    r"(?:[A-Za-z0-9\-]{1,63}" + _DOT + r"){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
# Wallets, IBANs and phone runs: each match's first character is consumed by a class, then
# lookbehinds say which way it started, so that the engine skips in C to where a match may
# start; written with the lookbehind first, it tried every position of every text.
# These match exactly as: (?<![A-Za-z0-9])(?:0[xX][0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33}
# |[13][1-9A-HJ-NP-Za-km-z]{25,34}|[bB][cC]1[ac-hj-np-zAC-HJ-NP-Z02-9]{11,71})(?![A-Za-z0-9])
_WALLETS = re.compile(
    r"[0T13bB](?<![A-Za-z0-9].)(?:(?<=0)[xX][0-9a-fA-F]{40}|(?<=T)[1-9A-HJ-NP-Za-km-z]{33}"
    r"|(?<=[13])[1-9A-HJ-NP-Za-km-z]{25,34}|(?<=[bB])[cC]1[ac-hj-np-zAC-HJ-NP-Z02-9]{11,71})"
    r"(?![A-Za-z0-9])"
)
# An address glued to the label before it ("walletbc1q…", "addr0x…", "USDTTNPee…", "BTC1A1z…"),
# as scam narratives write it: each place after a letter or digit where one of the forms of
# `_WALLETS` starts and runs to the token's end, the form in group "rest" after its first
# character. Only the first character is consumed, so every place of a token is tried: a
# label may hold a "T", "1" or "b" where a longer span of the token starts, which is no address.
# An address is kept only where `parse_wallet` accepts it: Base58Check and Bech32 checksums
# leave a word or another token no wallet; "0x" and exactly 40 hex digits ending a token are
# no word. Searched only in the last GLUED_WALLET_REACH characters of a token long enough to
# hold a label and the shortest form, group "token" of `_LONG_TOKEN`: from every place of
# "1" * 1,000,000, the search took seconds.
GLUED_WALLET_REACH = 74  # "bc1" and 71 characters, the longest form
# Each match runs over the separators and the words too short to count ("bc1" and 11
# characters, and a label's), to a long token or the end: a pattern that matched the long
# tokens alone was tried from every letter of every word (twice the time on English prose).
_LONG_TOKEN = re.compile(
    r"[^A-Za-z0-9]*+(?:[A-Za-z0-9]{1,14}+[^A-Za-z0-9]++)*+"
    r"(?:(?P<token>[A-Za-z0-9]{15,})|[A-Za-z0-9]*+\Z)"
)
_GLUED_WALLETS = re.compile(
    r"[0T13bB](?<=[A-Za-z0-9].)(?=(?P<rest>(?<=0)[xX][0-9a-fA-F]{40}"
    r"|(?<=T)[1-9A-HJ-NP-Za-km-z]{33}|(?<=[13])[1-9A-HJ-NP-Za-km-z]{25,34}"
    r"|(?<=[bB])[cC]1[ac-hj-np-zAC-HJ-NP-Z02-9]{11,71})(?![A-Za-z0-9]))"
)
# (?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])
# ignoring case, where [A-Z] is also "İıſK" (U+0130, U+0131, U+017F, U+212A).
_CASED = "A-Za-z\u0130\u0131\u017f\u212a"
_IBAN = re.compile(
    rf"[{_CASED}](?<![{_CASED}0-9].)(?i:[A-Z][0-9]{{2}}(?:[ ]?[A-Z0-9]{{4}}){{2,7}}"
    r"(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9]))"
)
# (?<![A-Za-z0-9+])(?:\+[ ]?)?(?:\([ ]?\+?[0-9]{1,4}[ ]?\)|(?:\([ ]?)?[0-9])
# (?:[ .\-]?(?:\([0-9]{1,4}\)|[0-9])){6,20}(?![0-9])
# A run may open with a bracketed area or country code: "(02) 123 4567", "(+84) 360 036 475".
_PHONE = re.compile(
    r"[+(0-9](?<![A-Za-z0-9+].)(?:(?<=\+)[ ]?(?:\([ ]?\+?[0-9]{1,4}[ ]?\)|(?:\([ ]?)?[0-9])"
    r"|(?<=\()[ ]?(?:\+?[0-9]{1,4}[ ]?\)|[0-9])|(?<=[0-9]))"
    r"(?:[ .\-]?(?:\([0-9]{1,4}\)|[0-9])){6,20}(?![0-9])"
)
# The words that name a phone number in Latin script, in the languages of the product:
# Vietnamese "SĐT", "ĐT", Indonesian and Malay "HP", "Telp", "Hubungi", "Kontak", English and
# the apps whose accounts are phone numbers.
LATIN_PHONE_LABELS = (
    *("s\u0111t", "sdt", "\u0111t", "dt", "tel", "telp", "telepon", "telefon", "phone", "mobile"),
    *("mob", "cell", "hp", "wa", "whatsapp", "line", "sms", "fax", "call", "hotline", "contact"),
    *("kontak", "hubungi", "zalo", "viber"),
)
_PHONE_LABEL_WORDS = f"(?:{'|'.join(LATIN_PHONE_LABELS)})"
# A phone label glued to its number ("SĐT0912345678", "WA081234567890", "Tel0812345678"): a
# letter before a run otherwise says that it is a code ("INV0812345678"), not a number.
_GLUED_LABEL = re.compile(
    rf"(?<![A-Za-z\u0110\u0111]){_PHONE_LABEL_WORDS}(?=[+(0-9])", re.IGNORECASE
)
# The matches of `_GLUED_LABEL`, found from the run after each (`_glued_labels`): a start of a
# run after the last two letters of a label (ignoring case, as the label's pattern does), then
# the label ending there, which starts at most LONGEST_PHONE_LABEL characters before. As
# written, `_GLUED_LABEL` was tried at every position of every text: a third of extraction's
# time; after any letter, it was tried in every wallet address and code of letters and digits.
_RUN_AFTER_LABEL_END = re.compile(
    "[+(0-9](?<=[A-Za-z\u0110\u0111\u0130\u0131\u017f\u212a].)"  # a letter first: fast fail
    f"(?<=(?:{'|'.join(sorted({label[-2:] for label in LATIN_PHONE_LABELS}))}).)",
    re.IGNORECASE,
)
_LABEL_BEFORE = re.compile(rf"(?<![A-Za-z\u0110\u0111]){_PHONE_LABEL_WORDS}\Z", re.IGNORECASE)
LONGEST_PHONE_LABEL = max(map(len, LATIN_PHONE_LABELS))
# A Latin word joined to a run by a hyphen or an underscore ("INV-0812345678", "HN-0912…"): the
# run is the number of a code, unless the word is a phone label ("Tel-0812345678", `_in_code`).
# A word in another script ("SĐT-", "โทร-") does not match: the look behind wants no letter.
_WORD_JOINED = re.compile(r"(?<![^\W_])([A-Za-z0-9]{1,32})[-_]\Z")
_PHONE_LABEL = re.compile(_PHONE_LABEL_WORDS, re.IGNORECASE)
# A run of `_PHONE` where it starts, without its look behind: after a glued label.
_PHONE_AFTER_LABEL = re.compile(
    r"(?:\+[ ]?)?(?:\([ ]?\+?[0-9]{1,4}[ ]?\)|(?:\([ ]?)?[0-9])"
    r"(?:[ .\-]?(?:\([0-9]{1,4}\)|[0-9])){6,20}(?![0-9])"
)
# A stretch: tokens of digits, brackets and plus signs joined by single separators. Every run
# `_PHONE` matches lies inside one, and one stretch may hold many runs (a run ends after at most
# 21 digits or bracketed groups).
_STRETCH = re.compile(r"[0-9+()]+(?:[ .\-][0-9+()]+)*")
_ASCII_DIGITS = "0123456789"
LONG_STRETCH_DIGITS = 10 * MAX_PHONE_DIGITS
"""More digits than ten numbers of the longest kind with no word, comma or line break between
them: a list of numbers written so is read token by token, and so are random digits
("0 3 0 7 …")."""
# The stretches of `_STRETCH` that may be long enough to count, the others passed over in C:
# a stretch of more than LONG_STRETCH_DIGITS characters has that many characters of its class
# after its first. Where the look ahead fails, it fails at every later start before the
# character that stops it, where the stretch (too short to count) ends; so a stretch this finds
# is one `_STRETCH` finds, and every one that counts is found.
_LONG_STRETCH = re.compile(
    rf"[0-9+()](?=[0-9+() .\-]{{{LONG_STRETCH_DIGITS}}})[0-9+()]*(?:[ .\-][0-9+()]+)*"
)
_HANDLE_AS_WRITTEN = r"(?<![A-Za-z0-9.])" + PLATFORM_AND_NAME.pattern + r"(?![a-z0-9_])"


def _handle_pattern() -> str:
    """`_HANDLE_AS_WRITTEN` (on lower-cased text) with the same matches and the same groups
    ``sep`` and ``at`` (group ``platform`` is left out: `_handles` does not read it), its first
    character consumed by a class so that the engine skips in C to where a match may start:
    written with the lookbehind first, it tried every position of every text (8 µs of a 185-
    character narrative, 2.5 µs so). Then a lookbehind tells which way it started: ``id`` and
    a platform word (what the optional ``id`` before the word tries first), else each word
    starting with that character, in the order the pattern as written tries them. Tested
    against it in tests/identifiers/test_perf_equivalence_h115.py."""
    head = rf"(?:id[ \t]*)?(?P<platform>{'|'.join(PLATFORM_WORDS)})"
    if not PLATFORM_AND_NAME.pattern.startswith(head) or any(
        word[:1] in ("", "\\") for word in PLATFORM_WORDS
    ):
        return _HANDLE_AS_WRITTEN  # not the shape this rewrite knows
    rests: dict[str, list[str]] = {}
    for word in PLATFORM_WORDS:
        rests.setdefault(word[0], []).append(word[1:])
    starts = "".join(sorted(set(rests) | {"i"}))
    ways = [rf"(?<=i)d[ \t]*(?:{'|'.join(PLATFORM_WORDS)})"]
    ways += [f"(?<={re.escape(c)})(?:{'|'.join(rest)})" for c, rest in rests.items()]
    return (
        rf"[{re.escape(starts)}](?<![A-Za-z0-9.].)(?:{'|'.join(ways)})"
        + PLATFORM_AND_NAME.pattern[len(head) :]
        + r"(?![a-z0-9_])"
    )


_HANDLE = re.compile(_handle_pattern())
# A date written day, month, year (or month first) or year first, one separator twice: no phone
# number, though its digits may be one ("31.12.2024" a Singapore or Hong Kong number, every
# narrative that dates the transfer so linked to the others; "09.11.2024" a Nuremberg one).
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_DATE = re.compile(
    rf"{_DAY}(?P<a>[ ./\-]){_DAY}(?P=a)(?:19|20)[0-9]{{2}}"
    rf"|(?:19|20)[0-9]{{2}}(?P<b>[ ./\-])(?:0?[1-9]|1[0-2])(?P=b){_DAY}"
)
_DASH = re.compile("[\u2010-\u2015\u2212\ufe58]")  # the dashes of `DASHES`
_FORMAT_CHARS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_TRAILING = ".,;:!?'\"`*"
_BRACKETS = {")": "(", "]": "[", "}": "{", ">": "<"}


class _ScanTable(dict[int, int]):
    """Per-character, same-length folding: any-script digits and NFKC-to-ASCII characters."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        digit = unicodedata.decimal(char, None)
        result = code
        if digit is not None:
            result = ord("0") + digit
        elif (0x7F < code < 0xD800) or code > 0xDFFF:
            folded = unicodedata.normalize("NFKC", char)
            if len(folded) == 1 and folded.isascii() and folded.isprintable():
                result = ord(folded)
        self[code] = result
        return result


_SCAN = _ScanTable()
#: Blocks of the scripts narratives are mostly written in (Latin with Vietnamese, combining
#: marks, Arabic, Thai, punctuation), whose characters `_unchanged` sorts.
_COMMON_BLOCKS = (
    (0x80, 0x250),
    (0x300, 0x370),
    (0x600, 0x700),
    (0xE00, 0xE80),
    (0x1E00, 0x1F00),
    (0x2000, 0x2070),
)


@cache
def _unchanged() -> re.Pattern[str]:
    """A text of ASCII and of the characters of `_COMMON_BLOCKS` that `_SCAN` leaves as they
    are: such a text is its own scan, known in C without a translation of every character (a
    Thai narrative of 185 characters took 8 µs to translate, 1 µs to match). Worked out from
    `_SCAN` itself, once, when a first text needs it."""
    ranges: list[list[int]] = []
    for first, stop in _COMMON_BLOCKS:
        for code in range(first, stop):
            if _SCAN[code] != code:
                continue
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    inside = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
    return re.compile(f"[\\x00-\\x7f{inside}]*")


def extract(text: str, country: str | None = None) -> list[Found]:
    """Every valid identifier in TEXT, in order, with offsets into TEXT.

    COUNTRY (ISO alpha-2) is the default region of national phone numbers; without it only
    international numbers (``+``, ``00``) are found. Never raises for any ``str`` text.
    """
    country = as_country(country)
    scan = text if text.isascii() or _unchanged().fullmatch(text) else text.translate(_SCAN)
    positions: list[int] | None = None
    if not scan.isascii() and _FORMAT_CHARS.search(scan):
        positions = [i for i, char in enumerate(scan) if not _FORMAT_CHARS.match(char)]
        scan = _FORMAT_CHARS.sub("", scan)
    lowered = scan.lower()
    if len(lowered) != len(scan):  # a few letters ("İ") lengthen when lower-cased
        lowered = "".join(char.lower()[0] for char in scan)
    taken = bytearray(len(scan))  # 1 where an identifier was already found
    found: list[Found] = []
    for kind, candidates, case_folded in _FINDERS:
        for start, end in candidates(lowered if case_folded else scan, country):
            if taken.find(1, start, end) != -1:
                continue
            identifier = _accept(kind, text, start, end, positions, country)
            if identifier is not None:
                taken[start:end] = b"\x01" * (end - start)
                found.append(identifier)
    if not scan.isascii() and _DASH.search(scan):  # "081‑234‑5678": for phone numbers only
        scan = scan.translate(DASHES)  # (a dash ends a link, an address or a name)
    found.extend(_phones(text, scan, positions, country, taken))
    found.sort(key=lambda item: item.start)
    return found


def _accept(
    kind: Kind, text: str, start: int, end: int, positions: list[int] | None, country: str | None
) -> Found | None:
    if positions is not None:
        start, end = positions[start], positions[end - 1] + 1
    value = text[start:end]
    if kind == Kind.PHONE:
        cleaned = clean(value)
        if _DATE.fullmatch(cleaned if cleaned.isascii() else cleaned.translate(DASHES)):
            return None
        if not could_be_valid_phone(cleaned, country):
            return None  # no parse: it could find no valid number (most random digit runs)
    identifier = normalize_checked(kind, value, country)
    if not identifier.valid:
        return None
    if identifier.canonical_kind == Kind.PHONE and not is_valid_phone(identifier.canonical):
        return None
    if kind == Kind.PHONE and _without_trunk(cleaned, country):
        if _national_digits(identifier.canonical).startswith(_trunk_prefix(country) or "\0"):
            return None  # its country writes it with the trunk prefix ("21 1234 5678" in CN)
    return Found(identifier, start, end)


def _trim_end(scan: str, start: int, end: int) -> int:
    """Drop trailing sentence punctuation and unbalanced closing brackets from a match.

    Each kind of bracket is counted once, then kept count of: counting again for every bracket
    dropped took time quadratic in a run of them ("http://a.com/)))…", 80,000 characters: 6 s).
    Only closing brackets and punctuation are dropped, so the count of opening ones stays."""
    counts: dict[str, int] = {}
    while end > start:
        last = scan[end - 1]
        if last in _TRAILING:
            end -= 1
            continue
        opening = _BRACKETS.get(last)
        if opening is None:
            break
        if last not in counts:
            counts[last] = scan.count(last, start, end)
            counts[opening] = scan.count(opening, start, end)
        if counts[last] <= counts[opening]:
            break
        counts[last] -= 1
        end -= 1
    return end


def _cut_host_tail(scan: str, start: int, end: int) -> int:
    """End a scheme URL where Latin text meets another script in its last host label."""
    host_end = end
    for mark in "/?#":
        index = scan.find(mark, start + 8, end)
        if index != -1:
            host_end = min(host_end, index)
    label_start = scan.rfind(".", start, host_end) + 1
    for index in range(max(label_start, start), host_end):
        if not scan[index].isascii() and scan[label_start:index].isascii() and index > label_start:
            return index
    return end


def _scheme_urls(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    if "//" not in scan and "[/]" not in scan:
        return
    for match in _SCHEME_URL.finditer(scan):
        end = _cut_host_tail(scan, match.start(), match.end())
        yield match.start(), _trim_end(scan, match.start(), end)


def _bare_domain_matches(scan: str) -> Iterator[re.Match[str]]:
    """The matches of ``_BARE_DOMAIN.finditer(SCAN)``, the pattern tried only where
    `_BARE_DOMAIN_START` finds a match may start (the first such place from where the last
    match ended; none can start between). A match is never empty."""
    position = 0
    while (start := _BARE_DOMAIN_START.search(scan, position)) is not None:
        match = _BARE_DOMAIN.match(scan, start.start())
        if match is None:
            position = start.start() + 1
        else:
            yield match
            position = match.end()


def _bare_domains(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    for match in _bare_domain_matches(scan):
        start, end = match.span("domain")
        if start == -1:  # the rest of a chain of labels, in which no domain starts
            continue
        host = scan[start:end].partition("[/]")[0].partition("/")[0]
        host = host.partition(":")[0].partition("?")[0].partition("#")[0]
        if "[" in host or "(" in host or "{" in host:
            host = defang(host)
        if has_known_suffix(host):
            yield start, _trim_end(scan, start, end)


def _simple(
    pattern: re.Pattern[str], hints: tuple[str, ...] = ()
) -> Callable[[str, str | None], Iterator[tuple[int, int]]]:
    def finder(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
        if hints and not any(hint in scan for hint in hints):
            return
        for match in pattern.finditer(scan):
            yield match.start(), _trim_end(scan, match.start(), match.end())

    return finder


def _wallets(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    """The addresses of `_WALLETS`, then those glued to a label (`_GLUED_WALLETS`)."""
    for match in _WALLETS.finditer(scan):
        yield match.span()
    for token in _LONG_TOKEN.finditer(scan):
        start, end = token.span("token")
        if start == -1:
            continue
        start = max(start + 1, end - GLUED_WALLET_REACH)
        for match in _GLUED_WALLETS.finditer(scan, start, end):
            yield match.start(), match.end("rest")


def _handles(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    # No look for the platform words first: the pattern, which needs one, skips in C to
    # where one may start (`_handle_pattern`), in half the time of 25 substring searches.
    for match in _HANDLE.finditer(scan):
        if is_labelled(match) and _names_a_handle(scan, match):
            yield match.start(), _trim_end(scan, match.start(), match.end())


# Words that open a sentence after a sender's name ("Facebook: Your page will be deleted…",
# "Instagram: someone tried to log in…") or go on one ("the bottom line: we lost…"), no handle.
_PROSE_WORDS = frozenset(
    "a an the i me my you your yours we us our he him his she her it its they them their this"
    " that these those someone somebody anyone anybody everyone there here please dear hi hello"
    " welcome new next".split()
)
_HANDLE_LETTER = re.compile("[a-z]")
_ID_TIE = re.compile("[i\u0e44\u53f7\u865f]")  # "id", "ไอดี", "号", "號" (`PLATFORM_AND_NAME`)


def _names_a_handle(scan: str, match: re.Match[str]) -> bool:
    """Whether a labelled handle MATCH of lower-cased SCAN is written as one in free text, not
    as code, a link's query or prose: "x" (the commonest variable) only with "@" ("X: @name";
    "x: int", "x=1" no); a name tied by "=" alone only with "ID" ("LINE ID=name"; "x=1",
    "?fb=123" no); a name tied by ":" alone with a letter or seven digits ("line:42", "tg:
    12345", "Telegram: 10:30" no) and no word of prose ("Facebook: Your page…" no)."""
    if match.group("at"):
        return True
    word = scan[match.start() : match.start("sep")]
    if word.startswith("id"):  # "ID LINE: name"
        return word[2:].lstrip(" \t") != "x"
    if word == "x":
        return False
    separator: str = match.group("sep")
    if _ID_TIE.search(separator) is not None:
        return True
    if "=" in separator:
        return False
    name: str = match.group("name")
    if _HANDLE_LETTER.search(name) is None:
        return sum(char.isdigit() for char in name) >= 7
    return name not in _PROSE_WORDS


def _ibans(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    """Each IBAN-shaped run, then its shorter prefixes at group boundaries (words may follow)."""
    for match in _IBAN.finditer(scan):
        yield match.start(), match.end()
        for index in range(match.end() - 1, match.start() + 12, -1):
            if scan[index] == " ":
                yield match.start(), index


# "KBANK: 075-5-61396-5" is an account at a bank, not a phone; "TEL: 081…" is a phone.
_BANK_LABEL = re.compile(r"\b([A-Z][A-Z0-9]{1,10})\s*:\s*$")
_PHONE_LABELS = frozenset(
    {
        "TEL",
        "PHONE",
        "MOBILE",
        "MOB",
        "HP",
        "CALL",
        "HOTLINE",
        "FAX",
        "WA",
        "LINE",
        "SMS",
        "CONTACT",
    }
)


def _after_bank_label(scan: str, start: int) -> bool:
    label = _BANK_LABEL.search(scan, max(0, start - 16), start)
    return label is not None and label.group(1) not in _PHONE_LABELS


def _in_code(scan: str, start: int) -> bool:
    """Whether the run at START is the number of a code: joined by "-" or "_" to a Latin word,
    with a letter, that is no phone label ("INV-0812345678", "REF_0812…", "A1-0812…"), as a
    letter glued to it says ("INV0812345678", `_PHONE`)."""
    if scan[start - 1 : start] not in ("-", "_"):
        return False
    joined = _WORD_JOINED.search(scan, max(0, start - 34), start)
    if joined is None:
        return False
    word = joined.group(1)
    return not word.isdigit() and _PHONE_LABEL.fullmatch(word) is None


def _phones(
    text: str, scan: str, positions: list[int] | None, country: str | None, taken: bytearray
) -> Iterator[Found]:
    """The phone numbers of phone-shaped digit runs, each run offered as its candidates
    (`_phone_spans`) after every other kind (a span overlapping one TAKEN is skipped).

    A run of the same text as one whose every candidate was offered and was no phone number
    is skipped: its candidates, the same values, would be none either. A run repeated
    ("0 0 0 …", a million characters) was offered again each time: 2.9 million candidates.

    A run inside a stretch of more than LONG_STRETCH_DIGITS digits (`_long_stretches`) is
    offered only its whole tokens (`_token_spans`): a narrative of random digits and separators
    ("0 3 0 7 …") made 0.6 candidates a character, each a parse of 50 µs or more."""
    trunk = _trunk_prefix(country)
    barren: set[tuple[bool, str]] = set()  # texts of runs that held no phone number
    long_stretches: list[int] | None = None
    for first, last in _phone_runs(scan):
        if long_stretches is None:  # most texts have no run: don't look for stretches
            long_stretches = _long_stretches(scan)
        tokens = bisect_right(long_stretches, first) % 2 == 1
        run = tokens, _original(text, positions, first, last)
        if run in barren:
            continue
        spans, complete = (_token_spans if tokens else _phone_spans)(
            scan, first, last, trunk, country
        )
        for start, end in spans:
            if taken.find(1, start, end) != -1:
                complete = False  # not offered: it might have been a number
                continue
            identifier = _accept(Kind.PHONE, text, start, end, positions, country)
            if identifier is not None:
                taken[start:end] = b"\x01" * (end - start)
                complete = False
                yield identifier
        if complete:
            barren.add(run)


def _phone_runs(scan: str) -> Iterator[tuple[int, int]]:
    """Start and end of each phone-shaped digit run of SCAN, in order: the matches of `_PHONE`
    and the runs right after a glued phone label (`_glued_labels`), where `_PHONE`, which wants
    no letter before a run, starts none (a match of it inside such a run is passed over)."""
    glued: list[tuple[int, int]] = []
    for start, end in _glued_labels(scan):
        if scan[start - 1 : start].isalpha():
            continue  # the end of a word in another script ("Hotel", "Điện")
        run = _PHONE_AFTER_LABEL.match(scan, end)
        if run is not None:
            glued.append(run.span())
    if not glued:
        yield from (match.span() for match in _PHONE.finditer(scan))
        return
    index, covered = 0, -1
    for match in _PHONE.finditer(scan):
        while index < len(glued) and glued[index][0] < match.start():
            covered = glued[index][1]
            yield glued[index]
            index += 1
        if match.start() >= covered:
            yield match.span()
    yield from glued[index:]


def _glued_labels(scan: str) -> Iterator[tuple[int, int]]:
    """The spans of the matches of ``_GLUED_LABEL.finditer(SCAN)``: a label is the whole word
    of letters before the run (the look behind wants no letter before it), so it is the match
    of `_LABEL_BEFORE` ending at the run, if any."""
    for run in _RUN_AFTER_LABEL_END.finditer(scan):
        end = run.start()
        label = _LABEL_BEFORE.search(scan, max(0, end - LONGEST_PHONE_LABEL), end)
        if label is not None:
            yield label.span()


def _long_stretches(scan: str) -> list[int]:
    """Start and end, flat and ascending, of each stretch of SCAN holding more than
    LONG_STRETCH_DIGITS digits: every `_PHONE` run lies inside one stretch."""
    bounds: list[int] = []
    for match in _LONG_STRETCH.finditer(scan):
        if match.end() - match.start() > LONG_STRETCH_DIGITS:
            if sum(map(match.group().count, _ASCII_DIGITS)) > LONG_STRETCH_DIGITS:
                bounds += match.span()
    return bounds


def _original(text: str, positions: list[int] | None, start: int, end: int) -> str:
    """The text of TEXT that the scan's span START:END shows."""
    if positions is None:
        return text[start:end]
    return text[positions[start] : positions[end - 1] + 1]


def _phone_spans(
    scan: str, first: int, end: int, trunk: str | None, country: str | None
) -> tuple[list[tuple[int, int]], bool]:
    """The candidates of the digit run FIRST:END in the order offered, national forms only
    with the TRUNK prefix of COUNTRY, and whether none was left out for its context (a bank's
    label before it): the others depend on the run's text alone.

    One run may hold several numbers ("0812345678 0899999999"): after the run and its shorter
    prefixes, the rest of the run from each space on is offered the same way, so a number after
    one that was taken is found too, and one after a short number ("หมู่ 3 0812345678", "lúc
    10:30 0912345678": from a space seven characters or more into the run only, it was lost).
    A span of more than MAX_PHONE_DIGITS digits is not offered:
    `parse_phone` refuses it, and the scan shows no digit that cleaning would drop."""
    cuts = [i for i in range(end - 1, first + 6, -1) if scan[i] in " .-"]  # longest first
    after = [-i for i in cuts]  # ascending, for bisect
    starts = [first] + [i + 1 for i in range(first + 1, end - 7) if scan[i] == " "]
    digits = [i for i in range(first, end) if scan[i] in _ASCII_DIGITS]
    spans: list[tuple[int, int]] = []
    complete = True
    for start in starts:
        offered = _offered_from(scan, start, end, trunk, country)
        if not offered:
            complete = complete and offered is not None
            continue
        stop = _past_digits(digits, start, end)  # a span may end there, not after
        # the run, then shorter spans (of 7 characters or more) for the words after the number
        if stop >= end:
            spans.append((start, end))
        spans += [
            (start, i) for i in cuts[bisect_left(after, -stop) : bisect_left(after, -6 - start)]
        ]
    return spans, complete


def _token_spans(
    scan: str, first: int, end: int, trunk: str | None, country: str | None
) -> tuple[list[tuple[int, int]], bool]:
    """The candidates of `_phone_spans` that are whole tokens (a start to the next space or the
    run's end), for a run in a long stretch: at most one from each start."""
    spans: list[tuple[int, int]] = []
    complete = True
    start = first
    for token in scan[first:end].split(" "):
        if len(token) >= 7 and start <= end - 7:
            digits = len(token) - sum(map(token.count, "()+.-"))
            offered = _offered_from(scan, start, end, trunk, country)
            if not offered:
                complete = complete and offered is not None
            elif digits <= MAX_PHONE_DIGITS:
                spans.append((start, start + len(token)))
        start += len(token) + 1
    return spans, complete


def _offered_from(
    scan: str, start: int, end: int, trunk: str | None, country: str | None
) -> bool | None:
    """Whether spans from START are offered: international, or national with the TRUNK prefix
    and a COUNTRY; None when they are not for their context (after a bank's label, in a
    code)."""
    value = scan[start:end]
    if not value.startswith(("+", "00", "(+")):
        if country is None or (
            trunk
            and not value.lstrip("( ").startswith(trunk)
            and not _written_without_trunk(country)
        ):
            return False
    if _after_bank_label(scan, start) or _in_code(scan, start):
        return None
    return True


def _past_digits(digits: list[int], start: int, end: int) -> int:
    """The position of the digit after the first MAX_PHONE_DIGITS from START, or past END."""
    index = bisect_left(digits, start) + MAX_PHONE_DIGITS
    return digits[index] if index < len(digits) else end + 1


@lru_cache(maxsize=256)
def _trunk_prefix(country: str | None) -> str | None:
    if country is None:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    return metadata.national_prefix if metadata is not None else None


@lru_cache(maxsize=256)
def _written_without_trunk(country: str | None) -> bool:
    """Whether COUNTRY has a trunk prefix that some of its numbers are written without: a
    Chinese mobile ("138 0013 8000"), every number of the North American plan ("(212) 555-
    1234"), as the national format of its example mobile or fixed-line number shows. A national
    number is looked for only after the trunk prefix elsewhere ("081…" in Thailand); here,
    where it was too, such numbers were never found. `_accept` keeps a number found without
    its trunk prefix only when its national format has none ("21 1234 5678" in China: no)."""
    trunk = _trunk_prefix(country)
    if country is None or not trunk:
        return False
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(country, kind)
        if example is not None and not _national_digits(example).startswith(trunk):
            return True
    return False


def _without_trunk(cleaned: str, country: str | None) -> bool:
    """Whether the phone candidate CLEANED is national and written without COUNTRY's trunk."""
    trunk = _trunk_prefix(country)
    return bool(
        trunk
        and not cleaned.startswith(("+", "00", "(+"))
        and not cleaned.lstrip("( ").startswith(trunk)
    )


def _national_digits(number: str | phonenumbers.PhoneNumber) -> str:
    """The digits of NUMBER (E.164 text or parsed) in its national format."""
    if isinstance(number, str):
        number = phonenumbers.parse(number)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(char for char in national if char in _ASCII_DIGITS)


Finder = Callable[[str, str | None], Iterator[tuple[int, int]]]
# In priority order: a span taken by one finder is not offered to the next. The flag says
# whether the finder reads the lower-cased text (its pattern is case-insensitive).
_FINDERS: tuple[tuple[Kind, Finder, bool], ...] = (
    (Kind.URL, _scheme_urls, True),
    (Kind.EMAIL, _simple(_EMAIL, ("@", "[at]", "(at)")), True),
    (Kind.CRYPTO_WALLET, _wallets, False),
    (Kind.BANK_ACCOUNT, _ibans, False),
    (Kind.URL, _bare_domains, True),
    (Kind.HANDLE, _handles, True),
)  # then phone numbers (`_phones`), which skip runs already found to hold none


def identifiers_in(text: str, country: str | None = None) -> list[Identifier]:
    """The identifiers of ``extract`` without their offsets."""
    return [found.identifier for found in extract(text, country)]
