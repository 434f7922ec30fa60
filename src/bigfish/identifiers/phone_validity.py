"""The number phonenumbers reads from an E.164 string, without its parse where that is certain.

Extraction keeps a phone number only when its canonical form, E.164 (``+`` country code,
national significant number), parses back to a valid number: ``phonenumbers.parse`` then
``is_possible_number`` and ``is_valid_number``. The parse costs 50 µs or more, and random digits
make many possible numbers. For ``+`` and ASCII digits the parse does little:

1. it reads the country code: the first 1, 2 or 3 digits that are a known code;
2. it takes the national prefix off the rest (``national_prefix_for_parsing`` of the code's main
   region, ``_maybe_strip_national_prefix_carrier_code``) and keeps the shorter number only
   when its length passes ``_test_number_length`` (possible, or too long);
3. it refuses a national number of fewer than 2 or more than 17 digits, and records its
   leading zeros (``italian_leading_zero``, ``number_of_leading_zeros``).

`read_e164` follows those steps where step 2 certainly changes nothing: no national prefix
matches, it matches nothing, or what it leaves has a length the parser refuses. Everywhere
else (a prefix that would be taken off, a prefix rewritten by ``national_prefix_transform_rule``,
a string that is not ``+`` and digits, no known country code) it answers None: parse.

Steps mirrored from ``phonenumbers.phonenumberutil.parse`` of the version pinned in
constraints.txt (9.0.43); tests/identifiers/test_phone_validity.py holds this module to the parse
for every country code, every example number and random strings, comparing whole PhoneNumbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_E164 = re.compile(r"\+([1-9][0-9]{2,19})")  # '+' and 3 to 20 ASCII digits, no leading 0
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumberutil._MIN_LENGTH_FOR_NSN, _MAX_LENGTH_FOR_NSN


@dataclass(frozen=True)
class _Code:
    """What the parser does with the national number of one country code: its national prefix
    (None: none to take off), and the lengths that make it keep the number without it."""

    national_prefix: re.Pattern[str] | None
    transformed: bool  # a transform rule may rewrite the prefix: not followed
    lengths: tuple[int, ...]  # general_desc.possible_length, ascending
    local_only: frozenset[int]

    def keeps_stripped(self, length: int) -> bool:
        """Whether ``_test_number_length`` of a number of LENGTH digits is neither TOO_SHORT,
        IS_POSSIBLE_LOCAL_ONLY nor INVALID_LENGTH (the parser then keeps the stripped number)."""
        if length in self.local_only:
            return False
        return length in self.lengths or length > self.lengths[-1]


@lru_cache(maxsize=512)
def _code(code: int) -> _Code | None:
    """The parser's view of COUNTRY CODE: its main region's metadata (for a non-geographic code,
    region "001", the metadata of the code). None where not followed."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        return None
    general = metadata.general_desc
    if general is None or not general.possible_length:
        return None
    pattern = metadata.national_prefix_for_parsing
    return _Code(
        national_prefix=re.compile(pattern) if pattern else None,
        transformed=bool(metadata.national_prefix_transform_rule),
        lengths=tuple(sorted(general.possible_length)),
        local_only=frozenset(general.possible_length_local_only),
    )


def read_e164(canonical: str) -> PhoneNumber | None:
    """The PhoneNumber ``phonenumbers.parse(CANONICAL, None)`` returns (before any check of
    possibility), when this can tell without the parse; None when it cannot (parse then)."""
    match = _E164.fullmatch(canonical)
    if match is None:
        return None
    digits = match.group(1)
    for size in (1, 2, 3):  # phonenumberutil._extract_country_code: the first known code
        code = int(digits[:size])
        if code in _CODES:
            break
    else:
        return None
    national = digits[size:]
    view = _code(code)
    if view is None or not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    if view.national_prefix is not None:
        prefix = view.national_prefix.match(national)
        if prefix is not None:
            if view.transformed:
                return None
            if prefix.end() > 0 and view.keeps_stripped(len(national) - prefix.end()):
                return None  # the parser may take the prefix off: not followed
    number = PhoneNumber(country_code=code, national_number=int(national))
    if len(national) > 1 and national[0] == "0":  # _set_italian_leading_zeros_for_phone_number
        zeros = len(national) - len(national.lstrip("0"))
        zeros = min(zeros, len(national) - 1)  # of "000" the last zero is the number
        number.italian_leading_zero = True
        if zeros != 1:
            number.number_of_leading_zeros = zeros
    return number
