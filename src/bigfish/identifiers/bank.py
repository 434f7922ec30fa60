"""Bank accounts: an IBAN (compact, upper case) or ``BANK:ACCOUNT``."""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_IBAN_PREFIX = re.compile(r"^IBAN\s*:?\s*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s.\-]")
_BANK_CHARS = re.compile(r"[^A-Z0-9]")
_ACCOUNT = re.compile(r"[A-Z0-9]{4,34}")
_BANK_THEN_NUMBER = re.compile(r"([A-Za-z][A-Za-z0-9&. ]{0,40}?)\s+([0-9][0-9 .\-]{3,40})")


def parse_bank_account(text: str, country: str | None = None) -> Parsed:
    """Normalize an IBAN or a ``BANK:ACCOUNT`` pair (BANK a BIC or a bank's short name)."""
    del country
    if len(text) > 128:
        return invalid(Kind.BANK_ACCOUNT, text[:128], "too long for a bank account")
    compact = _SEPARATORS.sub("", _IBAN_PREFIX.sub("", text)).upper()
    if _IBAN_SHAPE.fullmatch(compact):
        return _iban(compact)
    bank, colon, account = text.partition(":")
    if not colon:
        match = _BANK_THEN_NUMBER.fullmatch(text)
        if match is None:
            return invalid(Kind.BANK_ACCOUNT, text, "not an IBAN and not BANK:ACCOUNT")
        bank, account = match.groups()
    bank = _BANK_CHARS.sub("", bank.upper())
    account = _SEPARATORS.sub("", account).upper()
    if not bank:
        return invalid(Kind.BANK_ACCOUNT, text, "no bank before the account number")
    if not _ACCOUNT.fullmatch(account) or not any(char.isdigit() for char in account):
        return invalid(Kind.BANK_ACCOUNT, text, "the account has 4-34 letters and digits")
    return valid(Kind.BANK_ACCOUNT, f"{_bank_code(bank)}:{account}")


def _iban(compact: str) -> Parsed:
    try:
        iban = IBAN(compact)
    except SchwiftyException as error:
        return invalid(Kind.BANK_ACCOUNT, compact, f"not a valid IBAN: {error}")
    return valid(Kind.BANK_ACCOUNT, iban.compact, country=iban.country_code)


def _bank_code(bank: str) -> str:
    """An 11-character BIC becomes its 8-character institution code; other names stay.

    As spec/identifiers.md reads, whatever is a well-formed BIC is one: an 11-letter bank name
    that is also BIC-shaped ("VIETCOMBANK": bank VIET, country CO, location MB, branch ANK) is
    cut too (VIETCOMB), the same on every node, while a real branch BIC (BKKBTHBKBKK) meets its
    institution code (BKKBTHBK) as the contract wants.
    """
    if len(bank) != 11:
        return bank
    try:
        BIC(bank)
    except SchwiftyException:
        return bank
    return bank[:8]
