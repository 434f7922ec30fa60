"""A date in a narrative is no phone number (the spec's extraction: "a date must not become a
phone"). In Singapore and Hong Kong, whose numbers have eight digits and no trunk prefix,
"31.12.2024" was found as +6531122024: every report dated so linked to every other one. In
Germany "09.11.2024" was a Nuremberg number."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize


def phones(text: str, country: str | None) -> list[str]:
    return [
        item.identifier.canonical
        for item in extract(text, country)
        if item.identifier.canonical_kind.value == "phone"
    ]


@pytest.mark.parametrize("country", ["SG", "HK", "DE", "TH", "VN"])
@pytest.mark.parametrize(
    "date",
    ["31.12.2024", "31-12-2024", "31 12 2024", "09.11.2025", "12.31.2024", "2024-12-31"],
)
def test_a_date_is_no_phone(date: str, country: str) -> None:
    assert phones(f"Transferred on {date} to the agent", country) == []


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("On 31.12.2024 he called from 9123 4567", "SG", ["+6591234567"]),
        ("31.12.2024 +65 9123 4567", None, ["+6591234567"]),
        ("ngày 31-12-2024 0912345678", "VN", ["+84912345678"]),
        ("Anruf 0911 2024 von der Bank", "DE", ["+499112024"]),  # written as a number
        ("香港 3112 2024", "HK", ["+85231122024"]),
    ],
)
def test_numbers_beside_or_like_dates_are_still_found(
    text: str, country: str | None, expected: list[str]
) -> None:
    assert phones(text, country) == expected


def test_normalize_still_reads_a_date_shaped_value_given_as_a_phone() -> None:
    # Only extraction guesses; a value an analyst typed as a phone is read as one.
    assert normalize("phone", "31.12.2024", "SG").canonical == "+6531122024"
