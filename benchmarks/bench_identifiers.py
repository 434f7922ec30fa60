"""Throughput of normalization and extraction (issue 3). Run by hand, prints figures:

    .venv/bin/python benchmarks/bench_identifiers.py

Targets: >= 100,000 mixed identifiers per second per core (with repetition, as in real
reports) and >= 5 MB of text per second for extraction.

Then crafted input at the length of the longest narrative (1,000,000 characters), in CPU
seconds: each must take time linear in its length. Before the review that added them, three
took time quadratic in it (CPU seconds, `.venv/bin/python` on the probe of that review):
a chain of defanged dots "1[.]1[.]…" of 80,000 characters 34.2 s; a link ending in 320,000
closing brackets 100.8 s; a value of 64,000 nested parentheses (trim) 67.2 s.

Random digits (`random digits …` below) took time linear in the length but 0.6 phone candidates
a character, each a parse: at 1,000,000 characters "0 d 0 d …" 61.6 s, digits with separators
" .-" 11.1 s, digits alone 0.10 s (CPU seconds on a machine shared with other work; "0 d 0 d …"
was 5.7 s at 200,000 characters on another). Runs in stretches of more than 170 digits are now
offered as whole tokens only; "random digits in short stretches" (words every 150 digits) is
the form that rule leaves: each stretch could be an honest number written digit by digit; and
"random tokens" costs a parse a token, as a list of numbers does.

Then a span whose digits cannot make a number of a possible length (phonenumbers' metadata, see
`bigfish.identifiers.phone_lengths`) is refused without a parse: at 1,000,000 characters
"random digits in short stretches" 42.1-59.0 -> 31.1-41.9 s CPU (most of its spans have a possible
length: each is parsed, and each possible number again to validate it), "random tokens"
3.8-5.5 -> 1.7 s (CPU seconds on a machine loaded by other work, before and after alternately).

Then a possible number's E.164 form is judged valid without parsing it again where the parse is
certain to read it as written (`bigfish.identifiers.phone_validity`): "random digits in short
stretches" 16.5-16.6 -> 14.6-15.1 s CPU (less loaded machine, before and after alternately;
`phonenumbers.parse` calls at 100,000 characters 48,796 -> 27,363); the honest corpus 3.0-3.1 s
CPU both (`extract` of the 20 MB batch timed by process time). Then extraction does not parse a
span none of whose readings could be valid (`phone_lengths.could_be_valid`: the general pattern
of the country code's regions): "random digits in short stretches" 14.5 -> 6.7 s CPU (two runs
each, alternately; `phonenumbers.parse` calls at 100,000 characters 27,363 -> 6,278), "random
tokens" 0.95-0.98 -> 0.91-0.92 s, the honest corpus 3.0-3.1 s both.

    nice .venv/bin/python benchmarks/bench_identifiers.py --crafted "short stretches"
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from bigfish.identifiers import extract, normalize
from bigfish.identifiers.registry import _normalize
from bigfish.identifiers.text import trim
from bigfish.intake.records import MAX_NARRATIVE

ROOT = Path(__file__).resolve().parents[1]


def unique_values(rng: random.Random, count: int) -> list[tuple[str, str, str | None]]:
    """Realistic shapes of every kind, COUNT distinct values."""
    values: list[tuple[str, str, str | None]] = []
    for index in range(count):
        n = rng.randrange(10_000_000)
        pick = index % 8
        if pick == 0:
            values.append(("phone", f"08{n % 10}-{n % 1000:03d}-{n % 10000:04d}", "TH"))
        elif pick == 1:
            values.append(("phone", f"+84 9{n % 10} {n % 1000:03d} {n % 1000:03d}", "VN"))
        elif pick == 2:
            values.append(("url", f"hxxps://gold{n}[.]com/login/?utm_source=fb&id={n % 97}", None))
        elif pick == 3:
            values.append(("email", f"Agent.{n}+ref@GoogleMail.com", None))
        elif pick == 4:
            values.append(("bank_account", f"KBANK: {n % 1000:03d}-4-{n:07d}-0", None))
        elif pick == 5:
            values.append(("crypto_wallet", f"0x{n:040x}", None))
        elif pick == 6:
            values.append(("handle", f"LINE ID: w{n}", None))
        else:
            values.append(("domain", f"m.shop{n}.co.th", None))
    return values


def bench_normalize(total: int = 300_000, distinct: int = 15_000) -> None:
    rng = random.Random(3)
    pool = unique_values(rng, distinct)
    # Zipf-like reuse: a few assets (the ring's numbers and links) appear in many reports.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(pool))]
    stream = rng.choices(pool, weights=weights, k=total)
    seen = len(set(stream))
    _normalize.cache_clear()
    started = time.perf_counter()
    for kind, value, country in stream:
        normalize(kind, value, country)
    elapsed = time.perf_counter() - started
    repetition = 1 - seen / total
    print(
        f"normalize: {total:,} identifiers ({seen:,} distinct, repetition rate {repetition:.1%})"
        f" in {elapsed:.2f} s = {total / elapsed:,.0f} identifiers/s (cold cache at start)"
    )
    _normalize.cache_clear()
    sample = pool[:5000]
    started = time.perf_counter()
    for kind, value, country in sample:
        normalize(kind, value, country)
    elapsed = time.perf_counter() - started
    print(f"normalize, all distinct (no cache hits): {len(sample) / elapsed:,.0f} identifiers/s")


def corpus() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data" / "messages").glob("thai-sms-*.txt")):
        texts += [line.partition("|")[2] for line in path.read_text("utf-8").splitlines()]
    texts += [
        "I met her on a dating app; she moved us to WhatsApp +44 7700 900123 and then to "
        "Telegram @Gold_Mentor_88. She sent me to hxxps://invest-gold88[.]com/login and I paid "
        "0.5 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 and 2,000 USDT to "
        "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL. The transfer went to GB82 WEST 1234 5698 7654 32.",
        "Liên hệ Zalo 0912 345 678, chuyển tiền vào ví USDT TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t.",
        "اتصل على ٠٥٠١٢٣٤٥٦٧ أو راسلنا على support@invest-gold88.com",
    ]
    return texts


def bench_extract(target_bytes: int = 20_000_000) -> None:
    texts = corpus()
    rng = random.Random(5)
    batch: list[str] = []
    size = 0
    while size < target_bytes:
        text = rng.choice(texts)
        batch.append(text)
        size += len(text.encode("utf-8"))
    started = time.perf_counter()
    count = 0
    for text in batch:
        count += len(extract(text, "TH"))
    elapsed = time.perf_counter() - started
    chars = sum(len(text) for text in batch)
    print(
        f"extract: {len(batch):,} messages, {size / 1e6:.1f} MB UTF-8 ({chars / 1e6:.1f} M chars), "
        f"{count:,} identifiers in {elapsed:.2f} s = {size / 1e6 / elapsed:.1f} MB/s "
        f"({chars / 1e6 / elapsed:.1f} M chars/s)"
    )
    english = " ".join(texts[-3:-2] * 40_000)
    started = time.perf_counter()
    found = extract(english, "GB")
    elapsed = time.perf_counter() - started
    print(
        f"extract, one {len(english) / 1e6:.1f} MB English document: {len(found):,} identifiers, "
        f"{len(english) / 1e6 / elapsed:.1f} MB/s"
    )


def repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


def random_digits(size: int, separators: str = "", zeros: bool = False, every: int = 0) -> str:
    """Random digits, each followed by one of SEPARATORS (if any), every other one "0" with
    ZEROS ("0 d 0 d …"), and a word after each EVERY digits (if any)."""
    rng = random.Random(11)
    parts: list[str] = []
    length = 0
    count = 0
    while length < size:
        digit = "0" if zeros and count % 2 == 0 else rng.choice("0123456789")
        part = digit + (rng.choice(separators) if separators else "")
        count += 1
        if every and count % every == 0:
            part += "and "
        parts.append(part)
        length += len(part)
    return "".join(parts)[:size]


CRAFTED = {
    "chain of defanged dots 1[.]1[.]…": lambda n: repeat("1[.]", n - 1) + "!",
    "link ending in closing brackets": lambda n: "http://a.com/" + repeat(")", n - 13),
    "digits and spaces 0 0 0 …": lambda n: repeat("0 ", n),
    "phone numbers 081 234 5678 …": lambda n: repeat("081 234 5678 ", n),
    "Thai digits ๐๘๑ …": lambda n: repeat("๐๘๑ ", n),
    "email-like a@b.c…": lambda n: repeat("a@b.c", n),
    "handles tg:tg:…": lambda n: repeat("tg:", n),
    "nested parentheses": lambda n: repeat("(", n // 2) + repeat(")", n // 2),
    "one long token": lambda n: repeat("abc123", n),
    "random digits 0 d 0 d …": lambda n: random_digits(n, " ", zeros=True),
    "random digits and separators ' .-'": lambda n: random_digits(n, " .-"),
    "random digits alone": lambda n: random_digits(n),
    "random digits in short stretches 0 d 0 d … and": lambda n: random_digits(
        n, " ", zeros=True, every=150
    ),
    "random tokens 0d.dd-dd …": lambda n: random_tokens(n),
}


def random_tokens(size: int) -> str:
    """Tokens of 7 random digits shaped as a Thai number's start ("05.83-19 "): each is a whole
    token of a long stretch, so each is still parsed."""
    rng = random.Random(13)
    tokens = []
    for _ in range(size // 9):
        d = [rng.choice("0123456789") for _ in range(6)]
        tokens.append(f"0{d[0]}.{d[1]}{d[2]}-{d[3]}{d[4]} ")
    return "".join(tokens)


def bench_crafted(size: int = MAX_NARRATIVE, only: str | None = None) -> None:
    """CPU seconds of extraction from each crafted text of SIZE characters (those whose name
    contains ONLY, if given)."""
    for name, make in CRAFTED.items():
        if only is not None and only not in name:
            continue
        text = make(size)
        started = time.process_time()
        found = extract(text, "TH")
        elapsed = time.process_time() - started
        print(
            f"crafted, {name}: {len(text):,} characters, {len(found):,} found, {elapsed:.2f} s CPU"
        )
    if only is not None:
        return
    value = repeat("(", 50_000) + "x" + repeat(")", 50_000)
    started = time.process_time()
    trim(value)
    print(f"crafted, trim of 100,000 nested parentheses: {time.process_time() - started:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--crafted",
        metavar="NAME",
        help="run only the crafted texts whose name contains NAME (e.g. 'short stretches')",
    )
    parser.add_argument(
        "--size", type=int, default=MAX_NARRATIVE, help="characters of each crafted text"
    )
    args = parser.parse_args()
    if args.crafted is None:
        bench_normalize()
        bench_extract()
    bench_crafted(args.size, args.crafted)


if __name__ == "__main__":
    main()
