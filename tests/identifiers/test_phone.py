"""Phone numbers: national and international forms of many countries → E.164."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize

CASES = [
    # Thailand
    ("081-234-5678", "TH", "+66812345678", "TH"),
    ("๐๘๑๒๓๔๕๖๗๘", "TH", "+66812345678", "TH"),
    ("0812345678", "TH", "+66812345678", "TH"),
    ("+66 81 234 5678", None, "+66812345678", "TH"),
    ("+66 (0) 81 234 5678", "VN", "+66812345678", "TH"),
    ("(+84) 360 036 475", "TH", "+84360036475", "VN"),
    ("( +66 ) 81-234-5678", None, "+66812345678", "TH"),
    ("001 66 81 234 5678", "TH", "+66812345678", "TH"),
    ("02-111-1111", "TH", "+6621111111", "TH"),
    ("+0876777049", "TH", "+66876777049", "TH"),
    ("tel:+66-81-234-5678", None, "+66812345678", "TH"),
    # Viet Nam
    ("0912 345 678", "VN", "+84912345678", "VN"),
    ("0084 912 345 678", "GB", "+84912345678", "VN"),
    ("0084 912 345 678", "TH", "+84912345678", "VN"),
    ("+84 (0) 912.345.678", None, "+84912345678", "VN"),
    # Malaysia
    ("012-345 6789", "MY", "+60123456789", "MY"),
    ("+60 12-345 6789", "TH", "+60123456789", "MY"),
    # Indonesia
    ("0812-3456-789", "ID", "+628123456789", "ID"),
    ("+62 812 3456 789", None, "+628123456789", "ID"),
    # Philippines
    ("0917 123 4567", "PH", "+639171234567", "PH"),
    ("+63 917 123 4567", "SG", "+639171234567", "PH"),
    # Singapore
    ("9123 4567", "SG", "+6591234567", "SG"),
    ("+65 9123 4567", None, "+6591234567", "SG"),
    # Cambodia
    ("012 345 678", "KH", "+85512345678", "KH"),
    ("+855 12 345 678", None, "+85512345678", "KH"),
    # United Arab Emirates, Arabic-Indic and Eastern Arabic-Indic digits
    ("050 123 4567", "AE", "+971501234567", "AE"),
    ("٠٥٠١٢٣٤٥٦٧", "AE", "+971501234567", "AE"),
    ("+٩٧١ ٥٠ ١٢٣ ٤٥٦٧", None, "+971501234567", "AE"),
    ("۰۵۰۱۲۳۴۵۶۷", "AE", "+971501234567", "AE"),
    # United Kingdom
    ("+44 (0)20 7946 0958", None, "+442079460958", "GB"),
    ("020 7946 0958", "GB", "+442079460958", "GB"),
    ("07700 900123", "GB", "+447700900123", None),
    # Australia
    ("0412 345 678", "AU", "+61412345678", "AU"),
    ("+61 4 1234 5678", None, "+61412345678", "AU"),
    ("0011 66 81 234 5678", "AU", "+66812345678", "TH"),
    # Fullwidth, Devanagari, Khmer, Lao, Myanmar digits, zero-width characters
    ("０８１２３４５６７８", "TH", "+66812345678", "TH"),
    ("०८१२३४५६७८", "TH", "+66812345678", "TH"),
    ("០៨១២៣៤៥៦៧៨", "TH", "+66812345678", "TH"),
    ("໐໘໑໒໓໔໕໖໗໘", "TH", "+66812345678", "TH"),
    ("၀၈၁၂၃၄၅၆၇၈", "TH", "+66812345678", "TH"),
    ("081\u200b234\u200b5678", "TH", "+66812345678", "TH"),
    ('"(081) 234-5678."', "TH", "+66812345678", "TH"),
    # United States
    ("+1 (202) 555-0143", None, "+12025550143", "US"),
]


@pytest.mark.parametrize(("value", "country", "canonical", "region"), CASES)
def test_phone_forms(value: str, country: str | None, canonical: str, region: str | None) -> None:
    identifier = normalize("phone", value, country)
    assert identifier.valid, identifier.error
    assert identifier.canonical == canonical
    assert identifier.country == region


INVALID = [
    ("0812345678", None, "country"),
    ("12", "TH", "digits"),
    ("081-CALL-NOW", "TH", "phone number has"),
    ("1" * 40, "TH", "digits"),
    ("+999 123", None, "possible"),
    ("", "TH", "empty"),
    ("+66 81 234 5678\x00", None, "phone number has"),
    ("๐" * 1_000_000, "TH", "too long"),
]


@pytest.mark.parametrize(("value", "country", "reason"), INVALID)
def test_invalid_phones_say_why(value: str, country: str | None, reason: str) -> None:
    identifier = normalize("phone", value, country)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
