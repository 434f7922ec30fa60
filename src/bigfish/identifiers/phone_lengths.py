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

`could_be_valid` walks the same readings for extraction, which keeps only numbers that
``is_valid_phone`` accepts: a national significant number must then, as it is or without the
national prefix the parser may take off when it reads the E.164 form again, have a possible
length and match the general pattern of one of its country code's regions (what
``is_valid_number`` tests first). Random digits seldom do; the test holds it to the parse and
``is_valid_phone`` (tests/identifiers/test_phone_validity.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_MIN_AFTER_IDD = 3  # the parser refuses two digits or fewer after '+' or an IDD
# A test of a national significant number the parser could read (before it is read again from
# E.164): with the country code it was read with. True: it could be kept.
Fits = Callable[[int, str], bool]


@dataclass(frozen=True)
class _Plan:
    """What the parser does with one metadata: the NSN lengths it accepts, and the national
    prefix it strips (None: it strips none)."""

    lengths: frozenset[int]
    national_prefix: re.Pattern[str] | None

    def could_fit(self, digits: str, code: int, fits: Fits) -> bool:
        """Whether DIGITS, or DIGITS without the national prefix, FITS (read with CODE)."""
        if fits(code, digits):
            return True
        if self.national_prefix is None:
            return False
        match = self.national_prefix.match(digits)
        return match is not None and fits(code, digits[match.end() :])


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


def _possible_length(code: int, national: str) -> bool:
    """Whether NATIONAL has a possible length for CODE (``is_possible_number``)."""
    plan = _code_plan(code)
    return plan is None or len(national) in plan.lengths


def _after_international_prefix(digits: str, retry: bool, fits: Fits = _possible_length) -> bool:
    """Whether DIGITS, read after '+' or an IDD, could be a possible number (one that FITS).
    RETRY: the parser, when it finds no country code after a '+', reads the number again
    without it (not followed here: True)."""
    if len(digits) < _MIN_AFTER_IDD:
        return False
    if digits[0] != "0":
        for size in range(1, min(len(digits), 3) + 1):
            code = int(digits[:size])
            if code in _CODES:
                plan = _code_plan(code)
                return plan is None or plan.could_fit(digits[size:], code, fits)
    return retry


def _national(digits: str, country: str, fits: Fits) -> bool:
    """Whether DIGITS, written without '+', could be a possible number (one that FITS) read in
    COUNTRY."""
    region = _region(country)
    if region is None:
        return True  # the parser refuses it; not followed here
    match = region.idd.match(digits) if region.idd is not None else None
    if match is not None and not digits[match.end() :].startswith("0"):
        return _after_international_prefix(digits[match.end() :], False, fits)
    if digits.startswith(region.code):
        return True  # the parser may read the region's own code: not followed here
    code = int(region.code)
    plan, code_plan = region.plan, _code_plan(code)
    if plan is None or code_plan is None:
        return True
    # The region's national prefix is stripped (or not), the lengths are the main region's.
    return plan.could_fit(digits, code, fits)


def _could(text: str, digits: str, country: str | None, fits: Fits) -> bool:
    if text.startswith("+"):
        first = _after_international_prefix(digits, country is not None, fits)
    else:
        first = country is not None and _national(digits, country, fits)
    if first:
        return True
    return (
        digits.startswith("00")
        and not text.startswith("+")
        and _after_international_prefix(digits[2:], False, fits)
    )


def could_be_possible(text: str, digits: str, country: str | None) -> bool:
    """Whether ``parse_phone`` could find a number in TEXT (as it hands it to the parser, its
    DIGITS) with COUNTRY as the default region: False only when it certainly finds none.

    Follows ``parse_phone._best_parse``: the parser's reading, then for ``00…`` written without
    '+', the digits after ``00`` read as after '+' with no region."""
    return _could(text, digits, country, _possible_length)


def could_follow_plus(digits: str) -> bool:
    """Whether the parser could read '+' and DIGITS, with no default region, as a possible
    number: False only when it certainly could not."""
    return _after_international_prefix(digits, retry=False)


@dataclass(frozen=True)
class _Shape:
    """What ``is_valid_phone`` asks of a national significant number read with one country
    code, after the number is read again from E.164 (which may take off the main region's
    national prefix once more): a possible length of the main region, and the general pattern
    (with its lengths) of one of the code's regions, since ``is_valid_number`` tests that first
    (``_number_type_helper``)."""

    national_prefix: re.Pattern[str] | None
    lengths: frozenset[int]
    regions: tuple[tuple[frozenset[int], re.Pattern[str]], ...]

    def could_be_valid(self, national: str) -> bool:
        if self._matches(national):
            return True
        match = self.national_prefix.match(national) if self.national_prefix else None
        return match is not None and self._matches(national[match.end() :])

    def _matches(self, national: str) -> bool:
        if len(national) not in self.lengths:
            return False
        return any(
            (not lengths or len(national) in lengths) and pattern.fullmatch(national)
            for lengths, pattern in self.regions
        )


@lru_cache(maxsize=1024)
def _shape(code: int) -> _Shape | None:
    """The shape of CODE; None (not followed) where its main region has no plan."""
    plan = _code_plan(code)
    if plan is None:
        return None
    regions = []
    for region in _CODES[code]:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        general = metadata.general_desc if metadata is not None else None
        if general is not None and general.national_number_pattern:
            pattern = re.compile(general.national_number_pattern)
            regions.append((frozenset(general.possible_length), pattern))
    return _Shape(plan.national_prefix, plan.lengths, tuple(regions))


def _valid_shape(code: int, national: str) -> bool:
    shape = _shape(code)
    return shape is None or shape.could_be_valid(national)


def could_be_valid(text: str, digits: str, country: str | None) -> bool:
    """Whether ``parse_phone`` could find in TEXT (its DIGITS), with COUNTRY as the default
    region, a number that ``is_valid_phone`` then calls valid: False only when it certainly
    could not. The readings of `could_be_possible`, each national significant number tested
    against the country code's metadata as ``is_valid_number`` first tests it (`_Shape`)."""
    return _could(text, digits, country, _valid_shape)
