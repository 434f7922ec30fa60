"""Extraction's wallet, IBAN and phone-run patterns start with a class for speed; they find
exactly the matches of the patterns as first written (lookbehind first)."""

from __future__ import annotations

import random
import re

import pytest

from bigfish.identifiers.extract import (
    _GLUED_LABEL,
    _IBAN,
    _LONG_TOKEN,
    _PHONE,
    _WALLETS,
    _glued_labels,
)

AS_WRITTEN = {
    "wallet": (
        _WALLETS,
        re.compile(
            r"(?<![A-Za-z0-9])(?:0[xX][0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33}"
            r"|[13][1-9A-HJ-NP-Za-km-z]{25,34}|[bB][cC]1[ac-hj-np-zAC-HJ-NP-Z02-9]{11,71})"
            r"(?![A-Za-z0-9])"
        ),
    ),
    "iban": (
        _IBAN,
        re.compile(
            r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?"
            r"(?![A-Za-z0-9])",
            re.IGNORECASE,
        ),
    ),
    "phone": (
        _PHONE,
        re.compile(
            r"(?<![A-Za-z0-9+])(?:\+[ ]?)?(?:\([ ]?\+?[0-9]{1,4}[ ]?\)|(?:\([ ]?)?[0-9])"
            r"(?:[ .\-]?(?:\([0-9]{1,4}\)|[0-9])){6,20}(?![0-9])"
        ),
    ),
}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)

    def run(chars: str, low: int, high: int) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randrange(low, high)))

    def iban() -> str:
        groups = [
            rng.choice(["", " "]) + run("ABXZ0189ſK", 4, 5) for _ in range(rng.randrange(1, 9))
        ]
        return run("ABCZabİıſK", 2, 3) + run("0123456789", 2, 3) + "".join(groups)

    def phone() -> str:
        parts = ["", " ", ".", "-"]
        tokens = ["1", "23", "(45)", "(1234)", "(12345)", "0"]
        body = "".join(rng.choice(parts) + rng.choice(tokens) for _ in range(rng.randrange(3, 25)))
        opening = ["+", "+ ", "(", "( ", "+(", "+ ( ", "", "(02)", "( +84 )", "(+", "+(1)"]
        return rng.choice(opening) + body

    makers = [
        lambda: rng.choice(["0x", "0X"]) + run("0123456789abcdefABCDEF", 39, 42),
        lambda: "T" + run(_B58, 32, 35),
        lambda: rng.choice("13") + run(_B58, 23, 37),
        lambda: rng.choice(["bc1", "BC1", "bC1"]) + run("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 9, 74),
        iban,
        phone,
    ]
    texts = [run("0123456789 +()-.xTbBcC1aA3Zz#\n๑İıſKk", 0, 80) for _ in range(1500)]
    for _ in range(3000):
        body = rng.choice(makers)()
        before = rng.choice(["", " ", "a", "x", ".", "0", "+", "(", "T", "İ", "ſ", "K", "ı", "é"])
        texts.append(before + body + rng.choice(["", " ", "a", "0", "!", "K", "ı"]) + body[:7])
    return texts


@pytest.mark.parametrize("name", sorted(AS_WRITTEN))
def test_scan_pattern_finds_what_the_written_one_does(name: str) -> None:
    fast, written = AS_WRITTEN[name]
    texts = _texts(5)
    found = 0
    for text in texts:
        spans = [m.span() for m in fast.finditer(text)]
        assert spans == [m.span() for m in written.finditer(text)], text
        found += len(spans)
    assert found > 100  # the texts exercise the pattern
    joined = "\n".join(texts)
    assert [m.span() for m in fast.finditer(joined)] == [m.span() for m in written.finditer(joined)]


_LABEL_PIECES = [
    "tel", "TEL", "Tel", "telp", "sđt", "SĐT", "sdt", "đt", "dt", "whatsapp", "WA", "hubungi",
    "kontak", "line", "sms", "ſms", "İ", "ı", "K", "hotline", "Hotel", "Điện", "é", "ไ", "x", "a",
    "0", "081", "+66", "(02)", " ", "-", ".", "\n", "INV", "phone", "call", "mob", "zalo",
]  # fmt: skip


def test_glued_labels_are_the_matches_of_the_label_pattern() -> None:
    rng = random.Random(7)
    texts = ["".join(rng.choices(_LABEL_PIECES, k=rng.randrange(1, 14))) for _ in range(6000)]
    found = 0
    for text in [*texts, "\n".join(texts)]:
        spans = list(_glued_labels(text))
        assert spans == [m.span() for m in _GLUED_LABEL.finditer(text)], text
        found += len(spans)
    assert found > 1000  # the texts exercise the pattern


def test_long_tokens_are_the_matches_of_the_pattern_as_written() -> None:
    written = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{15,}")
    rng = random.Random(11)
    pieces = ["a" * 7, "b" * 8, "1" * 14, "Z", " ", "é", "-", "\n", "ไ", "0x", "_", "İ"]
    texts = ["".join(rng.choices(pieces, k=rng.randrange(0, 12))) for _ in range(6000)]
    found = 0
    for text in [*texts, " ".join(texts), "1" * 100_000]:
        spans = [m.span("token") for m in _LONG_TOKEN.finditer(text) if m.start("token") != -1]
        assert spans == [m.span() for m in written.finditer(text)], text
        found += len(spans)
    assert found > 1000  # the texts exercise the pattern
