"""Bank accounts: IBANs (ISO 13616) and BANK:ACCOUNT pairs."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize

IBANS = [
    ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432", "GB"),
    ("GB82WEST12345698765432", "GB82WEST12345698765432", "GB"),
    ("IBAN: DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE"),
    ("fr14 2004 1010 0505 0001 3m02 606", "FR1420041010050500013M02606", "FR"),
    ("NL91-ABNA-0417-1643-00", "NL91ABNA0417164300", "NL"),
    ("BE68 5390 0754 7034", "BE68539007547034", "BE"),
    ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957", "CH"),
    ("AE07 0331 2345 6789 0123 456", "AE070331234567890123456", "AE"),
    ("SA03 8000 0000 6080 1016 7519", "SA0380000000608010167519", "SA"),
    ("ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332", "ES"),
    ("IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456", "IT"),
    ("AT61 1904 3002 3457 3201", "AT611904300234573201", "AT"),
    ("NO93 8601 1117 947", "NO9386011117947", "NO"),
    ("PL61 1090 1014 0000 0712 1981 2874", "PL61109010140000071219812874", "PL"),
    ("PT50 0002 0123 1234 5678 9015 4", "PT50000201231234567890154", "PT"),
    ("SE45 5000 0000 0583 9825 7466", "SE4550000000058398257466", "SE"),
    ("IE29 AIBK 9311 5212 3456 78", "IE29AIBK93115212345678", "IE"),
    ("DK50 0040 0440 1162 43", "DK5000400440116243", "DK"),
    ("FI21 1234 5600 0007 85", "FI2112345600000785", "FI"),
    ("LU28 0019 4006 4475 0000", "LU280019400644750000", "LU"),
    ("GR16 0110 1250 0000 0001 2300 695", "GR1601101250000000012300695", "GR"),
    ("TR33 0006 1005 1978 6457 8413 26", "TR330006100519786457841326", "TR"),
    ("QA58 DOHB 0000 1234 5678 90AB CDEF G", "QA58DOHB00001234567890ABCDEFG", "QA"),
    ("KW81 CBKU 0000 0000 0000 1234 5601 01", "KW81CBKU0000000000001234560101", "KW"),
    ("BH67 BMAG 0000 1299 1234 56", "BH67BMAG00001299123456", "BH"),
    ("JO94 CBJO 0010 0000 0000 0131 0003 02", "JO94CBJO0010000000000131000302", "JO"),
    ("PK36 SCBL 0000 0011 2345 6702", "PK36SCBL0000001123456702", "PK"),
    ("BR18 0036 0305 0000 1000 9795 493C 1", "BR1800360305000010009795493C1", "BR"),
    ("IL62 0108 0000 0009 9999 999", "IL620108000000099999999", "IL"),
    ("VG96 VPVG 0000 0123 4567 8901", "VG96VPVG0000012345678901", "VG"),
]


@pytest.mark.parametrize(("value", "canonical", "country"), IBANS)
def test_ibans(value: str, canonical: str, country: str) -> None:
    identifier = normalize("bank_account", value)
    assert identifier.valid, identifier.error
    assert (identifier.canonical, identifier.country) == (canonical, country)


PAIRS = [
    ("kasithbk: 123-4-56789-0", "KASITHBK:1234567890"),
    ("KASITHBKXXX: 123-4-56789-0", "KASITHBK:1234567890"),
    ("BKKBTHBK500:0123456789", "BKKBTHBK:0123456789"),
    ("DEUTDEFF500: 1234 5678", "DEUTDEFF:12345678"),
    ("KBANK: 123-4-56789-0", "KBANK:1234567890"),
    ("SCB:111-2-33333-4", "SCB:1112333334"),
    ("Krungthai: 987.6.54321.0", "KRUNGTHAI:9876543210"),
    ("K-Bank: 1234567890", "KBANK:1234567890"),
    ("Vietcombank: 0071 0012 34567", "VIETCOMB:0071001234567"),  # BIC-shaped: cut as a BIC
    ("BKKBTHBKBKK:1234567", "BKKBTHBK:1234567"),  # a branch BIC of letters only
    ("DEUTDEFFVAC:123456", "DEUTDEFF:123456"),
    ("SACOMBANKVN:1234", "SACOMBANKVN:1234"),  # not BIC-shaped (country MB): a name
    ("Maybank: 1640 1234 5678", "MAYBANK:164012345678"),
    ("BCA: 123 456 7890", "BCA:1234567890"),
    ("BDO: 0012-3456-7890", "BDO:001234567890"),
    ("DBS: 123-456789-0", "DBS:1234567890"),
    ("ABA: 000 123 456", "ABA:000123456"),
    ("KBANK 123-4-56789-0", "KBANK:1234567890"),
    ("Bangkok Bank 123-4-56789-0", "BANGKOKBANK:1234567890"),
    ("bca: ab12345", "BCA:AB12345"),
]


@pytest.mark.parametrize(("value", "canonical"), PAIRS)
def test_bank_and_account(value: str, canonical: str) -> None:
    identifier = normalize("bank_account", value)
    assert identifier.valid, identifier.error
    assert identifier.canonical == canonical


INVALID = [
    ("GB82 WEST 1234 5698 7654 31", "IBAN"),
    ("GB82 WEST 1234 5698 7654", "IBAN"),
    ("XX82 WEST 1234 5698 7654 32", "IBAN"),
    ("1234567890", "BANK:ACCOUNT"),
    (": 1234567890", "no bank"),
    ("KBANK: 12", "account"),
    ("KBANK: abcdef", "account"),
    ("KBANK: " + "1" * 200, "too long"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_invalid_accounts_say_why(value: str, reason: str) -> None:
    identifier = normalize("bank_account", value)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
