"""Whether phonenumbers could read a string of digits as a possible number, without a parse.

``parse_phone`` keeps a number only when ``phonenumbers.is_possible_number`` holds: the national
significant number (NSN) has one of the possible lengths of its country calling code's main
region (``general_desc.possible_length`` and ``possible_length_local_only``). The NSN is what is
left of the digits once the parser has taken off an international prefix (``+`` or the default
region's IDD), a country calling code and a national prefix (``national_prefix_for_parsing``):
at most two lengths for each way of reading them, found here with the library's own metadata
and patterns. A parse costs 50 µs or more; this, a few.

Exact, not a guess: `could_be_possible` is False only where every reading the parser could
make is of an impossible length. Where this module does not follow the parser step by step (a
national prefix rewritten by ``national_prefix_transform_rule``, a number starting with the
default region's own country code, the parser's second try after a ``+`` it could not read) it
answers True: ask the parser. A property test holds it to the parser for every region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_MIN_AFTER_IDD = 3  # the parser refuses two digits or fewer after '+' or an IDD


@dataclass(frozen=True)
class _Plan:
    """What the parser does with one metadata: the NSN lengths it accepts, and the national
    prefix it strips (None: it strips none)."""

    lengths: frozenset[int]
    national_prefix: re.Pattern[str] | None

    def could_fit(self, digits: str, lengths: frozenset[int]) -> bool:
        """Whether DIGITS, or DIGITS without the national prefix, has one of LENGTHS."""
        if len(digits) in lengths:
            return True
        if self.national_prefix is None:
            return False
        match = self.national_prefix.match(digits)
        return match is not None and len(digits) - match.end() in lengths


def _plan(metadata: PhoneMetadata) -> _Plan | None:
    """The plan of METADATA; None (not followed) where a transform rule rewrites the national
    prefix, or where there are no possible lengths (the parser would fail; none today)."""
    general = metadata.general_desc
    if metadata.national_prefix_transform_rule or general is None or not general.possible_length:
        return None
    lengths = frozenset(general.possible_length) | frozenset(general.possible_length_local_only)
    pattern = metadata.national_prefix_for_parsing
    return _Plan(lengths, re.compile(pattern) if pattern else None)


@lru_cache(maxsize=1024)
def _code_plan(code: int) -> _Plan | None:
    """The plan of a country calling code: its main region's metadata, which both the parser
    (after it read the code) and ``is_possible_number`` use."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    return None if metadata is None else _plan(metadata)


@dataclass(frozen=True)
class _Region:
    """A default region: its country code, IDD pattern, and its own plan (national prefix)."""

    code: str
    idd: re.Pattern[str] | None
    plan: _Plan | None


@lru_cache(maxsize=512)
def _region(country: str) -> _Region | None:
    """COUNTRY as a default region; None when the library has no metadata for it."""
    metadata = PhoneMetadata.metadata_for_region(country, None)
    if metadata is None:
        return None
    idd = metadata.international_prefix
    pattern = re.compile(idd) if idd is not None else None  # as the parser: "" matches
    return _Region(str(metadata.country_code), pattern, _plan(metadata))


def _after_international_prefix(digits: str, retry: bool) -> bool:
    """Whether DIGITS, read after '+' or an IDD, could be a possible number. RETRY: the parser,
    when it finds no country code after a '+', reads the number again without it (not followed
    here: True)."""
    if len(digits) < _MIN_AFTER_IDD:
        return False
    if digits[0] != "0":
        for size in range(1, min(len(digits), 3) + 1):
            code = int(digits[:size])
            if code in _CODES:
                plan = _code_plan(code)
                return plan is None or plan.could_fit(digits[size:], plan.lengths)
    return retry


def _national(digits: str, country: str) -> bool:
    """Whether DIGITS, written without '+', could be a possible number read in COUNTRY."""
    region = _region(country)
    if region is None:
        return True  # the parser refuses it; not followed here
    match = region.idd.match(digits) if region.idd is not None else None
    if match is not None and not digits[match.end() :].startswith("0"):
        return _after_international_prefix(digits[match.end() :], retry=False)
    if digits.startswith(region.code):
        return True  # the parser may read the region's own code: not followed here
    plan, code_plan = region.plan, _code_plan(int(region.code))
    if plan is None or code_plan is None:
        return True
    # The region's national prefix is stripped (or not), the lengths are the main region's.
    return plan.could_fit(digits, code_plan.lengths)


def could_be_possible(text: str, digits: str, country: str | None) -> bool:
    """Whether ``parse_phone`` could find a number in TEXT (as it hands it to the parser, its
    DIGITS) with COUNTRY as the default region: False only when it certainly finds none.

    Follows ``parse_phone._best_parse``: the parser's reading, then for ``00…`` written without
    '+', the digits after ``00`` read as after '+' with no region."""
    if text.startswith("+"):
        first = _after_international_prefix(digits, retry=country is not None)
    else:
        first = country is not None and _national(digits, country)
    if first:
        return True
    return digits.startswith("00") and not text.startswith("+") and could_follow_plus(digits[2:])


def could_follow_plus(digits: str) -> bool:
    """Whether the parser could read '+' and DIGITS, with no default region, as a possible
    number: False only when it certainly could not."""
    return _after_international_prefix(digits, retry=False)
