"""Vectorized text features: hashed character n-grams and scam signals, in numpy.

Every function takes a whole batch of texts and works on one concatenated string, so that the
per-message Python overhead stays a few microseconds: the n-grams are rolling hashes over the
code points of the batch, and the signal regexes run once over the joined batch, their matches
mapped back to messages with ``searchsorted``. Training (scikit-learn) and inference (numpy)
share these functions, so the shipped weights need no pickle.

Signals are deliberately language-agnostic where they can be (links, shorteners, LINE IDs, phone
numbers, USSD codes, money amounts) and multilingual where they cannot (urgency, rewards, OTP).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

_SEP = "\x00"
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)

# Every decimal digit (ASCII, Thai, Arabic-Indic, Devanagari, full-width) reads as "0", so that
# an amount, a code or a phone number contributes its shape, not its value.
_DIGITS = "0123456789๐๑๒๓๔๕๖๗๘๙٠١٢٣٤٥٦٧٨٩०१२३४५६७८९０１２３４５６７８９"
_DIGIT_TO_ZERO = str.maketrans(_DIGITS, "0" * len(_DIGITS))
#: _DIGIT_TO_ZERO on the code points of the Basic Multilingual Plane, where all of _DIGITS are.
_BMP_DIGIT_TO_ZERO = np.arange(0x10000, dtype=np.uint32)
_BMP_DIGIT_TO_ZERO[[ord(digit) for digit in _DIGITS]] = ord("0")

_SHORTENERS = (
    r"bit\.ly|tinyurl\.com|t\.co|goo\.gl|cutt\.ly|is\.gd|rebrand\.ly|shorturl\.at|s\.id|rb\.gy|"
    r"ow\.ly|tiny\.cc|t\.ly|shorturl\.asia|bit\.do|v\.ht|s\.net\.vn|urlz\.fr|qrco\.de|"
    r"onelink\.me|m9s\.in|tmvh\.co|bitly\.ws"
)
_TLDS = (
    r"com|net|org|co|ly|me|in|io|cc|xyz|top|info|biz|th|vn|id|ph|my|sg|link|site|online|shop|"
    r"app|ee|gl|to|gd|cn|ru|club|vip|win|asia|live|uk|hk|tw|kh|la|mm|bet|cash|store|icu|ws|tk"
)
_CURRENCY = r"(?:[$£€฿₫¥₱₹]|\b(?:usd|thb|vnd|rm|rp|idr|php|sgd|myr|rmb|inr)\b)"
_UNITS = (
    r"(?:บาท|บ\.|฿|₫|đ|vnd|usd|dollars?|baht|dong|đồng|ringgit|rupiah|peso|"
    r"元|万|块|pounds?|euros?|k\b|triệu|juta|ribu|ريال|دولار|جنيه|درهم)"
)

#: Signal name -> pattern, run case-insensitively over the lower-cased batch.
SIGNALS: dict[str, str] = {
    "url": (
        rf"https?://\S+|www\.\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/\S*)?"
    ),
    "shortener": rf"\b(?:{_SHORTENERS})/\S+",
    "line_link": r"\blin\.ee/\S+|\bline\.me/\S+",
    "line_id": (
        r"(?:\bline\s*(?:id)?|ไลน์|ไอดีไลน์|แอดไลน์)\s*[:：]?\s*@?[a-z0-9._-]{3,}"
        r"|(?<![\w.])@[a-z0-9._]{3,}\b"
    ),
    "messenger": r"\bt\.me/\S+|\bwa\.me/\S+|telegram|whatsapp|zalo|wechat|微信|วอทส์แอป",
    "phone": r"(?<![\d*])(?:\+|00)?\d(?:[\d \-.]{6,14})\d(?![\d#])",
    "ussd": r"\*\d{2,4}(?:\*\d+)*#",
    "money": rf"{_CURRENCY}\s?\d[\d,.]*|\d[\d,.]*\s?{_UNITS}",
    "urgency": (
        r"urgent|immediately|right now|today only|last chance|expire|suspend|blocked|final notice|"
        r"ด่วน|ทันที|ภายในวันนี้|ระงับ|หมดอายุ|ถูกบล็อก|gấp|ngay lập tức|khẩn|hết hạn|bị khóa|"
        r"segera|sekarang juga|diblokir|kedaluwarsa|立即|马上|紧急|冻结|过期|عاجل|فورا|فوراً|"
        r"agad|ngayon na|urgente|inmediato|dringend|sofort"
    ),
    "reward": (
        r"\bfree\b|\bwin\b|\bwon\b|winner|prize|claim|bonus|reward|cash|credit|jackpot|"
        r"ฟรี|รางวัล|เครดิต|โบนัส|แจก|ถอนไว|ได้รับเงิน|miễn phí|trúng thưởng|quà|thưởng|gratis|hadiah|"
        r"menang|免费|中奖|奖金|红包|مجانا|جائزة|ربحت|libre|premyo|premio|ganador"
    ),
    "gambling": (
        r"casino|slot|baccarat|คาสิโน|สล็อต|บาคาร่า|แทงบอล|หวย|เว็บตรง|ฝากถอน|"
        r"cá cược|nhà cái|judi|togel|博彩|赌场|百家乐"
    ),
    "otp": (
        r"\botp\b|\bpin\b|verification code|passcode|รหัสยืนยัน|รหัสผ่าน|รหัส otp|mã xác|mã otp|"
        r"kode verifikasi|验证码|رمز التحقق|ห้ามแจ้งรหัส|do not share"
    ),
    "call_to_action": (
        r"click|tap|call now|reply|text \w+ to|add us|กดเลย|คลิก|กด|ติดต่อ|แอด|สมัคร|nhấn|bấm|"
        r"klik|hubungi|点击|联系|اضغط|انقر|i-click|pindutin|haga clic"
    ),
}

_QUANTIFIERS = frozenset("*+?{")
_META = frozenset("\\()[]{}|.^$*+?")


def _outside_classes(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) of each character of PATTERN from START on that
    is neither escaped nor inside a character class (where a leading ``]`` is a member)."""
    depth, in_class, i = 0, False, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # "[]…]": a leading "]" is a member
                i += 1
        else:
            depth += (char == "(") - (char == ")")
            yield i, char, depth
        i += 1


def _top_level(pattern: str) -> list[str]:
    """PATTERN split at its top-level ``|`` (outside groups and character classes)."""
    parts: list[str] = []
    start = 0
    for i, char, depth in _outside_classes(pattern):
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str, start: int) -> int:
    """The index of the ``)`` closing the group opened at START."""
    for i, char, depth in _outside_classes(pattern, start):
        if char == ")" and depth == 0:
            return i
    raise ValueError(pattern)


def _single_width(item: str) -> bool:
    """Whether ITEM matches exactly one character: a class, an escape class or a literal."""
    if item.startswith("[") and item.endswith("]"):
        return _top_level(item) == [item] and "(" not in item
    if len(item) == 2 and item[0] == "\\":
        return item[1] in "dDwWsS.*+?()[]{}|\\^$-/#@:"
    return len(item) == 1 and item not in _META


def _keyed(alternative: str) -> list[tuple[str, str]] | None:
    """(first character, rest) pairs that together match exactly as ALTERNATIVE does, tried in
    the same order; None when ALTERNATIVE does not start with something this can rewrite."""
    if alternative.startswith("(?:"):
        end = _group_end(alternative, 0)
        after = alternative[end + 1 : end + 2]
        rest = alternative[end + 1 :]
        inner = _top_level(alternative[3:end])
        if after == "?" and alternative[end + 2 : end + 3] not in ("?", "+"):
            # greedy optional group: each alternative first, then without the group
            choices = [i + rest[1:] for i in inner] + [rest[1:]]
        elif after and after in _QUANTIFIERS:
            return None
        else:  # (?:A|B)C tries AC, then BC
            choices = [i + rest for i in inner]
        pairs: list[tuple[str, str]] = []
        for choice in choices:
            keyed = _keyed(choice)
            if keyed is None:
                return None
            pairs.extend(keyed)
        return pairs
    if alternative.startswith("\\b(?:"):
        end = _group_end(alternative, 2)
        if alternative[end + 1 : end + 2] in _QUANTIFIERS:
            return None
        pairs = []
        for choice in _top_level(alternative[5:end]):
            keyed = _keyed("\\b" + choice + alternative[end + 1 :])
            if keyed is None:
                return None
            pairs.extend(keyed)
        return pairs
    if alternative.startswith("(?<!"):
        end = _group_end(alternative, 0)
        behind, rest = alternative[4:end], alternative[end + 1 :]
        keyed = _keyed(rest) if _single_width(behind) else None
        if keyed is None or any(r.startswith("(?<!") for _, r in keyed):
            return None
        # (?<!X)kR: after consuming k, the character before k is not X
        return [(k, f"(?<!{behind}{re.escape(k)})" + r) for k, r in keyed]
    if alternative.startswith("\\b") and len(alternative) > 2:
        key = alternative[2]
        if not (key.isalnum() or key == "_") or alternative[3:4] in _QUANTIFIERS:
            return None
        # \bk with k a word character: the character before k is not one
        return [(key, f"(?<!\\w{re.escape(key)})" + alternative[3:])]
    if alternative and alternative[0] not in _META and alternative[1:2] not in _QUANTIFIERS:
        return [(alternative[0], alternative[1:])]
    return None


def first_char_dispatch(pattern: str) -> str:
    """A pattern equivalent to PATTERN (same matches, same order) whose top-level alternatives
    are grouped by their first character, or PATTERN itself when it cannot be rewritten.

    Python's ``re`` skips in C to positions whose character can start a match only when every
    top-level alternative starts with a literal; otherwise it tries every alternative at every
    position. At a given position only alternatives starting with its character can match, so
    grouping them (in their original order) changes nothing but the speed. Matches are compared
    with the original patterns in tests/ml/test_features_speed.py.
    """
    groups: dict[str, list[str]] = {}
    for alternative in _top_level(pattern):
        keyed = _keyed(alternative)
        if keyed is None:
            return pattern
        for key, rest in keyed:
            groups.setdefault(key, []).append(rest)
    return "|".join(
        re.escape(key) + (f"(?:{'|'.join(rests)})" if rests != [""] else "")
        for key, rests in groups.items()
    )


_DIGITS_RUN = r"[\d \-.]{6,14}\d(?![\d#])"
#: One more character of a host name that is not where "www." or "http(s)://" begins.
_HOST_STEP = r"(?:(?!www\.|https?://)(?:[a-z0-9-]|\.(?=[a-z0-9-])))"
#: Hand-made equivalents of SIGNALS that no rewrite above speeds up (same matches, tested).
#: phone: every match starts with "+" or a digit, so a class consumes that character first
#: (the regex engine then skips to candidates in C) and lookbehinds tell which way it started.
#: line_id: possessive whitespace runs. As written, "line" followed by n spaces and no ID split
#: the spaces between three ``\s*`` in every way, O(n³): 800 spaces took 1.3 s, 100,000 weeks.
#: What follows each run never starts with whitespace, so giving some back can never help.
#: url, money, ussd: as written, each reads a run (dotted labels, digits, ``*12`` codes) to its
#: end from every place in it where a match may start, O(n²): "a." or "1" repeated over 100,000
#: characters took minutes. Runs are possessive here (what follows a run never starts with one
#: of its characters), and a match of the group ``skip``, which is not counted, consumes the
#: rest of a run where the pattern as written can start no match:
#: - url: a host's last dot followed by a TLD is found by backtracking; when no dot of a run is
#:   from its first start, none is from a later one (their dots are among the first's), so the
#:   run is skipped up to a "www." or "http(s)://" inside it, which the first alternatives match;
#: - money: when no unit follows a number, none follows from any later digit of it; and every
#:   match starts with a character of one class (a currency sign, the first letter of a currency
#:   code, a digit), consumed first so that the engine skips in C to where one may start;
#: - ussd: when no "#" ends a chain of ``*`` codes, none ends it from any later "*" of it.
_EQUIVALENT: dict[str, str] = {
    "phone": (
        r"[+\d](?<![\d*][+\d])(?:(?<=\+)\d" + _DIGITS_RUN + r"|(?<=0)0\d" + _DIGITS_RUN
        + r"|(?<=\d)" + _DIGITS_RUN + ")"
    ),
    "url": (
        rf"https?://\S+|www\.\S+|\b[a-z0-9]++(?:[a-z0-9-]*+(?:\.[a-z0-9-]++)*\.(?:{_TLDS})\b"
        rf"(?:/\S*)?|(?:-|\.(?=[a-z0-9-]))(?<!www\.){_HOST_STEP}*+(?P<skip>))"
    ),
    "line_id": first_char_dispatch(
        r"(?:\bline\s*+(?:id)?|ไลน์|ไอดีไลน์|แอดไลน์)\s*+[:：]?\s*+@?[a-z0-9._-]{3,}"
        r"|(?<![\w.])@[a-z0-9._]{3,}\b"
    ),
    "money": (
        r"[$£€฿₫¥₱₹utvripsm\d](?:(?:(?<=[$£€฿₫¥₱₹])|(?<!\w[a-z])(?:(?<=u)sd|(?<=t)hb"
        r"|(?<=v)nd|(?<=r)m|(?<=r)p|(?<=i)dr|(?<=p)hp|(?<=s)gd|(?<=m)yr|(?<=r)mb|(?<=i)nr)\b)"
        rf"\s?\d[\d,.]*|(?<=\d)[\d,.]*+(?:\s?{_UNITS}|(?P<skip>)))"
    ),
    "ussd": r"\*\d{2,4}+(?:\*\d++)*+(?:#|(?P<skip>))",
}  # fmt: skip
_SIGNAL_RES = [  # on lower-cased text
    re.compile(_EQUIVALENT.get(name) or first_char_dispatch(pattern))
    for name, pattern in SIGNALS.items()
]
_THAI = re.compile("[\u0e01-\u0e5b]")
_DIGIT_RE = re.compile(r"\d")
_UPPER_RE = re.compile(r"[A-Z]")
_BANG_RE = re.compile("!")

#: Names of the dense columns appended after the hashed n-grams, in order.
DENSE_NAMES: tuple[str, ...] = (
    *SIGNALS,
    "log_length",
    "digit_ratio",
    "upper_ratio",
    "exclamations",
)


@dataclass(frozen=True)
class HashingSpec:
    """How texts become hashed character n-gram counts (stored with the model)."""

    bits: int = 20
    n_min: int = 1
    n_max: int = 5

    @property
    def width(self) -> int:
        """Number of hash buckets."""
        return 1 << self.bits


def normalize_text(text: str) -> str:
    """Lower-case TEXT and turn every digit into ``0`` (the form the n-grams see)."""
    return text.lower().translate(_DIGIT_TO_ZERO).replace(_SEP, " ")


def _joined(texts: Sequence[str]) -> tuple[str, npt.NDArray[np.int64]]:
    """Join TEXTS (space-padded, separated by NUL); return the string and each text's start."""
    padded = [" " + t.replace(_SEP, " ") + " " for t in texts]
    lengths = np.fromiter((len(p) + 1 for p in padded), dtype=np.int64, count=len(padded))
    starts = np.zeros(len(padded), dtype=np.int64)
    if len(padded) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return _SEP + _SEP.join(padded), starts + 1


@dataclass(frozen=True)
class HashedCounts:
    """Hashed n-gram counts of a batch as coordinate arrays, sorted by (row, column), unique."""

    n_docs: int
    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    counts: npt.NDArray[np.float32]


def hashed_counts(texts: Sequence[str], spec: HashingSpec) -> HashedCounts:
    """Counts of hashed character n-grams of the normalized TEXTS, as sorted coordinates."""
    n_docs = len(texts)
    empty = np.zeros(0, dtype=np.int64)
    if n_docs == 0:
        return HashedCounts(0, empty, empty, np.zeros(0, dtype=np.float32))
    # The texts as normalize_text gives them, but for its digits, which become "0" here on
    # the code points: str.translate took a third of the time on Thai text.
    big, _ = _joined([t.lower() for t in texts])
    # A lone surrogate (JSON allows "\ud800") is a code point like any other, not an error.
    raw = big.encode("utf-32-le", "surrogatepass")
    points = np.frombuffer(raw, dtype=np.uint32)
    in_bmp = points < 0x10000
    codes = np.where(in_bmp, _BMP_DIGIT_TO_ZERO[points & 0xFFFF], points).astype(np.uint64)
    is_sep = codes == 0
    doc = np.cumsum(is_sep, dtype=np.int64) - 1
    # An n-gram from a position holds no separator when the next one is n or more away.
    at = np.arange(len(codes))
    next_sep = np.where(is_sep, at, len(codes))
    room = np.minimum.accumulate(next_sep[::-1])[::-1] - at
    shift = np.uint64(64 - spec.bits)
    # When the keys fit in 32 bits they are made and sorted as such: twice as fast.
    dtype: type[np.unsignedinteger[Any] | np.signedinteger[Any]] = (
        np.uint32 if n_docs <= 1 << (32 - spec.bits) else np.int64
    )
    row_key = doc.astype(dtype) << dtype(spec.bits)
    keys = []
    h = codes.copy()
    for n in range(1, spec.n_max + 1):
        if n > 1:
            h = h[:-1] * _PRIME + codes[n - 1 :]
        if n < spec.n_min:
            continue
        valid = room[: len(h)] >= n
        salted = (h[valid] + np.uint64(n * 0x51ED27)) * _MIX
        keys.append(row_key[: len(h)][valid] | (salted >> shift).astype(dtype))
    every = np.concatenate(keys)
    every.sort()
    first = np.empty(len(every), dtype=bool)
    first[:1] = True
    np.not_equal(every[1:], every[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(every))
    unique = every[starts].astype(np.int64)
    return HashedCounts(
        n_docs, unique >> spec.bits, unique & (spec.width - 1), counts.astype(np.float32)
    )


def hashed_ngrams(texts: Sequence[str], spec: HashingSpec) -> sparse.csr_matrix:
    """Counts of hashed character n-grams of the normalized TEXTS, one row per text."""
    found = hashed_counts(texts, spec)
    indptr = np.zeros(found.n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(found.rows, minlength=found.n_docs), out=indptr[1:])
    return sparse.csr_matrix(
        (found.counts, found.cols, indptr), shape=(found.n_docs, spec.width), dtype=np.float32
    )


def thai_script(texts: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Whether each text contains Thai script (it then goes to the Thai head)."""
    return np.fromiter((_THAI.search(t) is not None for t in texts), dtype=bool, count=len(texts))


def _counted(pattern: re.Pattern[str], text: str) -> list[int]:
    """Where the matches of PATTERN in TEXT start, but for those of its group ``skip``."""
    return [m.start() for m in pattern.finditer(text) if m.lastgroup is None]


def _count(pattern: re.Pattern[str], text: str) -> int:
    """How many matches of PATTERN TEXT holds, but for those of its group ``skip``."""
    if pattern.groups:
        return len(_counted(pattern, text))
    return len(pattern.findall(text))  # no group: findall makes no match objects


def signal_counts(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Per-text counts of each of SIGNALS, shape ``(len(texts), len(SIGNALS))``."""
    n_docs = len(texts)
    out = np.zeros((n_docs, len(SIGNALS)), dtype=np.float32)
    if n_docs == 0:
        return out
    if n_docs == 1:  # one message: no joining, no owner lookup; NUL reads as in a batch
        lowered = texts[0].lower().replace(_SEP, " ")
        out[0] = [_count(pattern, lowered) for pattern in _SIGNAL_RES]
        return out
    big, starts = _joined([t.lower() for t in texts])
    for j, pattern in enumerate(_SIGNAL_RES):
        positions = _counted(pattern, big)
        if positions:
            owner = np.searchsorted(starts, np.asarray(positions), side="right") - 1
            out[:, j] = np.bincount(owner, minlength=n_docs)
    return out


def dense_features(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Signals (log-scaled) and shape features of TEXTS, columns as in DENSE_NAMES."""
    n_docs = len(texts)
    signals = np.log1p(signal_counts(texts))
    lengths = np.fromiter((len(t) for t in texts), dtype=np.float32, count=n_docs)
    joined = "\n".join(texts)
    n_digits = _per_text_counts(joined, _DIGIT_RE, texts)
    n_upper = _per_text_counts(joined, _UPPER_RE, texts)
    n_bang = _per_text_counts(joined, _BANG_RE, texts)
    safe = np.maximum(lengths, 1.0)
    shape = np.stack(
        [np.log1p(lengths) / 6.0, n_digits / safe, n_upper / safe, np.log1p(n_bang)], axis=1
    )
    return np.hstack([signals, shape]).astype(np.float32)


def _per_text_counts(
    joined: str, pattern: re.Pattern[str], texts: Sequence[str]
) -> npt.NDArray[np.float32]:
    """Matches of PATTERN in each text of the newline-joined batch JOINED."""
    n_docs = len(texts)
    if n_docs <= 1:
        return np.array([len(pattern.findall(joined))] * n_docs, dtype=np.float32)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=n_docs)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    positions = [m.start() for m in pattern.finditer(joined)]
    if not positions:
        return np.zeros(n_docs, dtype=np.float32)
    owner = np.searchsorted(starts, np.asarray(positions), side="right") - 1
    return np.bincount(owner, minlength=n_docs).astype(np.float32)
