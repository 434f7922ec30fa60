"""normalize(): kinds, countries, caching, the public surface."""

from __future__ import annotations

import pytest

import bigfish.identifiers
from bigfish.errors import InputError
from bigfish.identifiers import Identifier, normalize
from bigfish.identifiers.registry import NORMALIZERS
from bigfish.models import Kind


def test_public_surface_is_sorted_and_complete() -> None:
    names = bigfish.identifiers.__all__
    assert list(names) == sorted(names)
    for name in ("Found", "Identifier", "blind", "extract", "normalize", "registrable_domain"):
        assert name in names


def test_every_kind_has_a_normalizer() -> None:
    assert set(NORMALIZERS) == set(Kind)


def test_unknown_kind_raises_input_error_on_field_kind() -> None:
    with pytest.raises(InputError) as error:
        normalize("pager", "123")
    assert error.value.field == "kind"


def test_kind_names_are_case_insensitive() -> None:
    assert normalize(" PHONE ", "+66812345678").kind == Kind.PHONE


def test_bad_country_raises_input_error_on_field_country() -> None:
    with pytest.raises(InputError) as error:
        normalize("phone", "0812345678", "Thailand")
    assert error.value.field == "country"


def test_country_is_case_insensitive_and_uk_is_gb() -> None:
    assert normalize("phone", "020 7946 0958", "uk").canonical == "+442079460958"
    assert normalize("phone", "0812345678", "th").canonical == "+66812345678"
    assert normalize("phone", "+66812345678", "").valid


def test_repeated_values_come_from_the_cache() -> None:
    first = normalize("url", "https://cache.example.com/x")
    assert normalize("url", "https://cache.example.com/x") is first


def test_identifiers_are_frozen() -> None:
    identifier = normalize("phone", "+66812345678")
    assert isinstance(identifier, Identifier)
    with pytest.raises(AttributeError):
        identifier.canonical = "x"  # type: ignore[misc]


def test_invalid_values_keep_the_cleaned_text() -> None:
    identifier = normalize("phone", " ๐๘๑-CALL ", "TH")
    assert not identifier.valid
    assert identifier.canonical == "081-CALL"
    assert identifier.value == " ๐๘๑-CALL "
