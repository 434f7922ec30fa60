"""Blinded form: HMAC-SHA256(key, "v1|kind|canonical"), hex."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bigfish.errors import InputError
from bigfish.identifiers import blind, normalize
from bigfish.models import Kind


def test_blind_is_the_spec_hmac() -> None:
    key = b"community-key"
    expected = hmac.new(key, b"v1|phone|+66812345678", hashlib.sha256).hexdigest()
    assert blind(key, Kind.PHONE, "+66812345678") == expected
    assert blind(key, "phone", "+66812345678") == expected


def test_known_vector() -> None:
    assert (
        blind(b"k", "url", "bit.ly/x") == hmac.new(b"k", b"v1|url|bit.ly/x", "sha256").hexdigest()
    )


def test_two_countries_blind_to_the_same_value() -> None:
    thai = normalize("phone", "081-234-5678", "TH")
    vietnamese = normalize("phone", "+66 81 234 5678", "VN")
    key = b"\x00" * 32
    assert blind(key, thai.canonical_kind, thai.canonical) == blind(
        key, vietnamese.canonical_kind, vietnamese.canonical
    )


def test_keys_and_kinds_separate_values() -> None:
    assert blind(b"a", "phone", "+1") != blind(b"b", "phone", "+1")
    assert blind(b"a", "phone", "x") != blind(b"a", "handle", "x")


def test_bad_key_or_kind_raise_input_error() -> None:
    with pytest.raises(InputError):
        blind(b"", "phone", "+1")
    with pytest.raises(InputError) as error:
        blind(b"k", "pager", "+1")
    assert error.value.field == "kind"


def test_blind_never_fails_on_odd_text() -> None:
    assert len(blind(b"k", "url", "\ud800 lone surrogate")) == 64
