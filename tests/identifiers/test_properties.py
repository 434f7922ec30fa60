"""Hypothesis properties: canonical forms are fixed points, nothing raises, extraction ⊆ valid."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers import extract, normalize
from bigfish.models import Kind

from .test_bank import IBANS, PAIRS
from .test_crypto import CASES as WALLETS
from .test_domain import CASES as DOMAINS
from .test_email import CASES as EMAILS
from .test_handle import CASES as HANDLES
from .test_ip import CASES as IPS
from .test_phone import CASES as PHONES
from .test_url import CASES as URLS
from .test_url import PROFILE_LINKS

COUNTRIES = st.sampled_from([None, "TH", "VN", "MY", "ID", "PH", "SG", "KH", "AE", "GB", "AU"])
KINDS = st.sampled_from(list(Kind))
SAMPLES = (
    [("phone", value) for value, *_ in PHONES]
    + [("url", value) for value, _ in URLS]
    + [("url", value) for value, *_ in PROFILE_LINKS]
    + [("domain", value) for value, _ in DOMAINS]
    + [("email", value) for value, *_ in EMAILS]
    + [("bank_account", value) for value, *_ in IBANS + PAIRS]
    + [("crypto_wallet", value) for value, *_ in WALLETS]
    + [("handle", value) for value, _ in HANDLES]
    + [("ip", value) for value, _ in IPS]
)
NOISY = st.text(
    alphabet=st.sampled_from(
        [
            *"0123456789+-.()/ :@#?&=_~%abcxyzXYZ[]{}",
            "๐",
            "๘",
            "٠",
            "٥",
            "０",
            "\u200b",
            "\u200f",
            "é",
            "ไ",
            "😀",
            "\x00",
            "\ud800",
        ]
    ),
    max_size=60,
)
TEXT_PIECES = st.sampled_from(
    [value for _, value in SAMPLES]
    + ["โทร", "ครับ", " ", ", ", ".", "LINE ID: ", "@", "Telegram ", "ví ", "اتصل ", "\u200b"]
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), COUNTRIES)
def test_canonical_forms_are_fixed_points(sample: tuple[str, str], country: str | None) -> None:
    kind, value = sample
    first = normalize(kind, value, country)
    if first.valid:
        again = normalize(first.canonical_kind, first.canonical, country)
        assert again.valid, again.error
        assert (again.canonical_kind, again.canonical) == (first.canonical_kind, first.canonical)


@settings(max_examples=400, deadline=None)
@given(KINDS, st.one_of(st.text(max_size=80), NOISY), COUNTRIES)
def test_arbitrary_text_never_raises(kind: Kind, value: str, country: str | None) -> None:
    identifier = normalize(kind, value, country)
    assert identifier.valid == (identifier.error is None)
    if identifier.valid:
        again = normalize(identifier.canonical_kind, identifier.canonical, country)
        assert again.canonical == identifier.canonical


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT_PIECES, max_size=12).map("".join), COUNTRIES)
def test_extraction_is_a_subset_of_valid_normalizations(text: str, country: str | None) -> None:
    for item in extract(text, country):
        identifier = item.identifier
        assert identifier.value == text[item.start : item.end]
        assert identifier.valid
        assert (
            normalize(identifier.kind, identifier.value, country).canonical == identifier.canonical
        )


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), NOISY), COUNTRIES)
def test_extraction_of_arbitrary_text_never_raises(text: str, country: str | None) -> None:
    for item in extract(text, country):
        assert item.identifier.valid
        assert 0 <= item.start < item.end <= len(text)
