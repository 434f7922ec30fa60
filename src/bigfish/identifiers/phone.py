"""Phone numbers in E.164 (``+`` country code, national significant number)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber

from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.identifiers.phone_lengths import could_be_possible, could_be_valid, could_follow_plus
from bigfish.identifiers.phone_validity import read_e164
from bigfish.models import Kind

MAX_PHONE_LENGTH = 64
MAX_PHONE_DIGITS = 17  # 15 digits of E.164, a trunk digit and a second IDD digit
_PHONE_CHARS = re.compile(r"\+?[0-9 ().\-/]*")
_PREFIX = re.compile(r"^(?:tel|phone|whatsapp|viber|callto|sms):\s*", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"[^0-9]")
_E164 = phonenumbers.PhoneNumberFormat.E164
_BRACKETED_CC = re.compile(r"^\(\s*\+\s*([0-9]{1,3})\s*\)")  # "(+84) 360 036 475"
#: Dashes other than "-" that join digit groups in text copied from web pages and documents
#: ("081‑234‑5678" with non-breaking hyphens, an en dash, a minus sign): dashes, as the spec
#: accepts them. NFKC has made the fullwidth and small hyphen-minus "-" already.
DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58", "-"))


#: Why a number without its country code is no phone number until its country is given.
NEEDS_COUNTRY = "a national number needs the report's country"


def load_metadata() -> None:
    """Load the phone metadata of every region now (the library loads a region's at its first
    number): 0.08 s of CPU and 1.5 MB for all of them."""
    for region in phonenumbers.SUPPORTED_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_region(region)
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)


def parse_phone(text: str, country: str | None = None) -> Parsed:
    """Normalize a phone number to E.164, with COUNTRY (ISO alpha-2) as the default region."""
    text, digits, error = _prepared(text)
    if error is not None:
        return invalid(Kind.PHONE, text, error)
    number = None
    if could_be_possible(text, digits, country):  # most digit runs are not: no parse for them
        number = _best_parse(text, digits, country)
    if number is None:
        if country is None and not text.startswith(("+", "00")):
            return invalid(Kind.PHONE, text, NEEDS_COUNTRY)
        return invalid(Kind.PHONE, text, "not a possible phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    settled = _settled(number, e164)
    if settled is None:
        return invalid(Kind.PHONE, text, "not a phone number: read again, it reads otherwise")
    number, e164 = settled
    region = phonenumbers.region_code_for_number(number)
    return valid(Kind.PHONE, e164, country=region if region and region != "001" else None)


def _settled(number: PhoneNumber, e164: str) -> tuple[PhoneNumber, str] | None:
    """NUMBER's E.164 form as parsing it again reads it, so that a canonical form normalizes
    to itself; None when that reading is not stable either. The parser takes a national prefix
    off what follows a country code: a number read with its trunk digit kept (``0 0 6 0 2 0 4
    0 4 0 1`` from Thailand, ``+660602040401``) is read again as ``+66602040401``, which reads
    as written. Its validity (`is_valid_phone`) is what it was, being judged on that reading.
    Most E.164 forms read as written without a parse (`read_e164`). Digit strings such as
    ``0000000000000000`` (each reading drops a leading zero) and forms with more digits than
    a phone number has (``+620010000000000000``) are not phone numbers."""
    if len(e164) - 1 > MAX_PHONE_DIGITS:
        return None
    if read_e164(e164) is not None:
        return number, e164
    again = _parse(e164, None)
    if again is None:
        return None
    settled = phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164)
    if settled == e164:
        return number, e164
    if read_e164(settled) is None:
        third = _parse(settled, None)
        if third is None or phonenumbers.format_number(third, _E164) != settled:
            return None
    return again, settled


def _prepared(text: str) -> tuple[str, str, str | None]:
    """TEXT as the parser is given it, its digits, and why it is no phone number before any
    parse (None: it must be parsed)."""
    text = _PREFIX.sub("", text)
    if not text.isascii():
        text = text.translate(DASHES)
    if len(text) > MAX_PHONE_LENGTH:
        return text, "", "too long for a phone number"
    text = _BRACKETED_CC.sub(r"+\1 ", text)
    if not _PHONE_CHARS.fullmatch(text):
        return text, "", "a phone number has digits, '+', spaces, '.', '-', '()'"
    digits = _NOT_DIGIT.sub("", text)
    if not 3 <= len(digits) <= MAX_PHONE_DIGITS:
        return text, digits, f"{len(digits)} digits is not a phone number"
    if text.startswith("+0"):  # "+0812345678": a national number with a stray plus
        text = text[1:]
    return text, digits, None


def could_be_phone(text: str, country: str | None = None) -> bool:
    """False when ``parse_phone(TEXT, COUNTRY)`` certainly finds no number: without a parse."""
    text, digits, error = _prepared(text)
    return error is None and could_be_possible(text, digits, country)


@lru_cache(maxsize=65536)
def could_be_valid_phone(text: str, country: str | None = None) -> bool:
    """False when ``parse_phone(TEXT, COUNTRY)`` certainly finds no number that
    `is_valid_phone` accepts: without a parse (see `phone_lengths.could_be_valid`).

    For extraction, which keeps only valid numbers; `parse_phone` itself keeps every possible
    one."""
    text, digits, error = _prepared(text)
    return error is None and could_be_valid(text, digits, country)


def _best_parse(text: str, digits: str, country: str | None) -> PhoneNumber | None:
    """Parse as the library does; when that is not a valid number, try ``00`` as ``+``.

    A ``00`` prefix is the international prefix in most countries, but in some (Thailand:
    ``001``, ``007``, ``008``, ``009``) it is only the start of one, so ``0084 912 345 678`` from
    Thailand parses as a German number. The ``+`` reading wins when only it is valid.
    """
    first = _parse(text, country)
    if not digits.startswith("00") or text.startswith("+"):
        return first
    if first is not None and phonenumbers.is_valid_number(first):
        return first
    if not could_follow_plus(digits[2:]):  # no parse: it would find no possible number
        return first
    second = _parse("+" + digits[2:], None)
    if second is not None and (first is None or phonenumbers.is_valid_number(second)):
        return second
    return first


@lru_cache(maxsize=65536)
def _parse(text: str, country: str | None) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, country, keep_raw_input=False)
    except NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


@lru_cache(maxsize=65536)
def is_valid_phone(canonical: str) -> bool:
    """True when CANONICAL (E.164) is a number the metadata knows is in service (stricter).

    CANONICAL is read as ``_parse(CANONICAL, None)`` reads it; without the parse where
    `read_e164` can tell what it would give (most E.164 strings)."""
    number = read_e164(canonical)
    if number is None:
        number = _parse(canonical, None)
    elif not phonenumbers.is_possible_number(number):
        return False
    return number is not None and phonenumbers.is_valid_number(number)
