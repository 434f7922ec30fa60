"""Crafted input that once took time quadratic in its length, and proofs that the linear forms
find what the quadratic ones found.

Each crafted text is as long as a narrative may be (intake's MAX_NARRATIVE) or, for a single
value, longer than any caller passes; before the fix each took over a minute (the timings are in
benchmarks/bench_identifiers.py). The tests assert what is found, not how fast: they simply end.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers import extract, normalize
from bigfish.identifiers.defang import defang
from bigfish.identifiers.domain import has_known_suffix
from bigfish.intake.records import MAX_NARRATIVE
from bigfish.models import Kind

# The package exports the function extract, which hides the module of the same name.
extraction = importlib.import_module("bigfish.identifiers.extract")
text_module = importlib.import_module("bigfish.identifiers.text")


def canonicals(text: str, country: str | None = "TH") -> list[tuple[str, int, int]]:
    return [(f.identifier.canonical, f.start, f.end) for f in extract(text, country)]


def repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


# --- the crafted texts, at the size of the longest narrative ---------------------------------


def test_a_chain_of_defanged_dots_the_length_of_a_narrative() -> None:
    # Every "1" after "[.]" could start a domain: each search ran to the chain's end.
    assert canonicals(repeat("1[.]", MAX_NARRATIVE - 1) + "!") == []
    assert canonicals(repeat("a(.)", MAX_NARRATIVE - 1) + "1") == []


def test_a_domain_before_a_chain_of_defanged_dots_is_found() -> None:
    head = "Pay at shop[.]example[.]co[.]th[.]"
    text = head + repeat("1[.]", MAX_NARRATIVE - len(head))
    assert canonicals(text) == [("shop.example.co.th/", 7, 31)]


def test_a_link_ending_in_a_run_of_closing_brackets() -> None:
    # Each bracket dropped from the end of the link counted the brackets of the whole link.
    text = "http://a.com/" + repeat(")", MAX_NARRATIVE - 13)
    assert canonicals(text) == [("a.com/", 0, 13)]
    text = "see a.com/x" + repeat("].", MAX_NARRATIVE - 11)
    assert canonicals(text) == [("a.com/x", 4, 11)]


def test_a_value_in_fifty_thousand_nested_brackets() -> None:
    # Each pair removed cut the value and checked the balance of what was left.
    assert text_module.trim(repeat("(", 50_000) + "x" + repeat(")", 50_000)) == "x"
    assert text_module.trim("x" + repeat(")", 100_000)) == "x"
    assert text_module.trim(repeat("([", 50_000) + "x") == "x"


def test_the_longest_value_normalize_cleans_in_nested_brackets() -> None:
    value = repeat("(", 8_000) + "081-234-5678" + repeat(")", 8_000)
    identifier = normalize(Kind.PHONE, value, "TH")
    assert (identifier.valid, identifier.canonical) == (True, "+66812345678")


# --- the quadratic forms they replace, to compare on random text ------------------------------

_OLD_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})"
_OLD_BARE_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9\-_.@/%])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?" + _OLD_DOT + r")+"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9\-_@])(?::[0-9]{2,5}(?![0-9]))?(?:(?:[/?#]|\[/\])[!#-;=?-~]*)?"
)
_OLD_TRAILING = ".,;:!?'\"`*"
_OLD_BRACKETS = {")": "(", "]": "[", "}": "{", ">": "<"}


def old_trim_end(scan: str, start: int, end: int) -> int:
    while end > start:
        last = scan[end - 1]
        if last in _OLD_TRAILING:
            end -= 1
        elif last in _OLD_BRACKETS and scan.count(last, start, end) > scan.count(
            _OLD_BRACKETS[last], start, end
        ):
            end -= 1
        else:
            break
    return end


def old_bare_domains(scan: str) -> Iterator[tuple[int, int]]:
    for match in _OLD_BARE_DOMAIN.finditer(scan):
        host = match.group().partition("[/]")[0].partition("/")[0]
        host = host.partition(":")[0].partition("?")[0].partition("#")[0]
        if "[" in host or "(" in host or "{" in host:
            host = defang(host)
        if has_known_suffix(host):
            yield match.start(), old_trim_end(scan, match.start(), match.end())


_QUOTES = "\"'`“”‘’„‟«»‹›「」『』"
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">", "（": "）", "【": "】"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}
_TRAILING = ".,;:!?。、，；：！？"


def old_trim(value: str, trailing: str = _TRAILING) -> str:
    while value:
        stripped = value.strip().strip(_QUOTES).rstrip(trailing)
        stripped = old_strip_brackets(stripped)
        if stripped == value:
            return value
        value = stripped
    return value


def old_strip_brackets(value: str) -> str:
    if len(value) < 1:
        return value
    first, last = value[0], value[-1]
    if first in _PAIRS and _PAIRS[first] == last and old_balanced(value[1:-1], first, last):
        return value[1:-1]
    if last in _CLOSERS and value.count(last) > value.count(_CLOSERS[last]):
        return value[:-1]
    if first in _PAIRS and value.count(first) > value.count(_PAIRS[first]):
        return value[1:]
    return value


def old_balanced(inner: str, open_: str, close: str) -> bool:
    depth = 0
    for char in inner:
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


DOMAIN_PIECES = st.sampled_from(
    [
        *"abcom1-_.@/%:[](){}dtx?#8 ",
        *("[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}", "[/]", "com", "co", "th", ".co.th"),
        *("a" * 63, "b" * 64),
        *(":80", "/p", "ไทย", ")", "])."),
    ]
)
BRACKET_TEXT = st.text(alphabet=st.sampled_from([*"()[]{}<>（）【】\"'“” .,;:!?。a1\t\u3000「」"]))


@settings(max_examples=1000, deadline=None)
@given(st.lists(DOMAIN_PIECES, max_size=40).map("".join))
def test_bare_domains_are_those_the_quadratic_search_found(text: str) -> None:
    spans = [m.span("domain") for m in extraction._BARE_DOMAIN.finditer(text)]
    assert [span for span in spans if span[0] != -1] == [
        m.span() for m in _OLD_BARE_DOMAIN.finditer(text)
    ]
    assert list(extraction._bare_domains(text, None)) == list(old_bare_domains(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(DOMAIN_PIECES, max_size=30).map("".join), st.data())
def test_trim_end_drops_what_the_quadratic_form_dropped(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert extraction._trim_end(text, start, end) == old_trim_end(text, start, end)


@settings(max_examples=1000, deadline=None)
@given(BRACKET_TEXT, st.sampled_from([_TRAILING, _TRAILING.replace(":", "")]))
def test_trim_keeps_what_the_quadratic_form_kept(value: str, trailing: str) -> None:
    assert text_module.trim(value, trailing) == old_trim(value, trailing)
