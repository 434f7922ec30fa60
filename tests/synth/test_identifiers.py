"""Planted identifiers are valid and their canonical forms follow spec/identifiers.md.

Checked with independent libraries (phonenumbers, schwifty, base58, bech32m, eth-hash), not with
bigfish's own normalizer (that is test_planted_canonical.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import base58
import bech32m
import phonenumbers
import pytest
from eth_hash.auto import keccak
from schwifty import IBAN

from bigfish.synth import PlantedValue, SynthSummary, iter_planted
from bigfish.synth.wallets import eip55

from .conftest import read_rows

CHAIN_PREFIX = re.compile(r"^(trx|eth|btc|usdt-trc20):")


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)


@pytest.fixture(scope="module")
def planted(small: SynthSummary) -> list[PlantedValue]:
    return list(iter_planted(small.out_dir))


def _check_wallet(address: str, canonical: str) -> None:
    if address.startswith("T"):
        payload = base58.b58decode_check(address)
        assert payload[0] == 0x41 and len(payload) == 21
        assert canonical == address
    elif address[0] in "13":
        payload = base58.b58decode_check(address)
        assert payload[0] == (0x00 if address[0] == "1" else 0x05) and len(payload) == 21
        assert canonical == address
    elif address.lower().startswith("bc1"):
        decoded = bech32m.decode("bc", address.lower())
        assert decoded.witver in (0, 1)
        assert canonical == address.lower()
    else:
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", address)
        body = address[2:]
        if body != body.lower() and body != body.upper():
            assert eip55(address) == address, "mixed case must be the EIP-55 checksum"
        assert canonical == address.lower()


def test_every_wallet_passes_its_checksum(planted: list[PlantedValue]) -> None:
    wallets = [p for p in planted if p.canonical_kind == "crypto_wallet"]
    forms = Counter()
    for p in wallets:
        address = CHAIN_PREFIX.sub("", p.value)
        _check_wallet(address, p.canonical)
        forms[address[:2] if address[0] != "0" else "0x"] += 1
    assert {"0x", "bc"} <= set(forms) and any(k.startswith("T") for k in forms)
    assert any(k[0] in "13" for k in forms)


def test_eip55_matches_the_reference_vector() -> None:
    # from EIP-55 itself
    assert eip55("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    )
    assert keccak(b"").hex().startswith("c5d24601")


def test_every_phone_parses_to_its_e164(planted: list[PlantedValue]) -> None:
    phones = [p for p in planted if p.canonical_kind == "phone"]
    for p in phones:
        value = p.value
        if value.startswith(("https://wa.me/", "whatsapp:")):
            value = "+" + value.rsplit("/", 1)[-1].removeprefix("whatsapp:+")
        number = phonenumbers.parse(_ascii_digits(value).replace("(0)", ""), p.country)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == p.canonical, p
        assert phonenumbers.is_valid_number(number), p


def test_every_iban_is_valid_and_compact(planted: list[PlantedValue]) -> None:
    ibans = [p for p in planted if p.canonical_kind == "bank_account" and ":" not in p.canonical]
    assert ibans
    for p in ibans:
        iban = IBAN(p.value)
        assert iban.compact == p.canonical


def test_bank_accounts_follow_bank_colon_account(planted: list[PlantedValue]) -> None:
    for p in planted:
        if p.canonical_kind == "bank_account" and ":" in p.canonical:
            bank, account = p.canonical.split(":")
            assert re.fullmatch(r"[A-Z0-9]+", bank) and len(bank) != 11
            assert re.fullmatch(r"[0-9]+", account)
            raw_bank, raw_account = p.value.split(":")
            assert raw_bank.upper()[:8] == bank[:8]
            assert re.sub(r"[ .\-]", "", raw_account) == account


def test_emails_and_handles_are_canonical(planted: list[PlantedValue]) -> None:
    for p in planted:
        if p.canonical_kind == "email":
            local, domain = p.canonical.split("@")
            assert p.canonical == p.canonical.lower() and "+" not in local
            if domain == "gmail.com":
                assert "." not in local
        if p.canonical_kind == "handle":
            platform, name = p.canonical.split(":")
            assert platform in {"telegram", "line", "facebook", "tiktok"}
            assert name == name.lower() and not name.startswith("@")


def test_urls_are_canonical(planted: list[PlantedValue]) -> None:
    for p in planted:
        if p.canonical_kind == "url":
            assert "://" not in p.canonical and not p.canonical.startswith("www.")
            assert "utm_" not in p.canonical and "fbclid" not in p.canonical
            assert "#" not in p.canonical and "[" not in p.canonical
            assert "/" in p.canonical


def test_surface_variety_victims_produce(small: SynthSummary, planted: list[PlantedValue]) -> None:
    values = [p.value for p in planted]
    narratives = " ".join(r.narrative for r in read_rows(small.out_dir))

    def some(pattern: str, texts: list[str] = values) -> bool:
        return any(re.search(pattern, v) for v in texts)

    assert some(r"[๐-๙]{3}"), "Thai digits"
    assert some(r"[٠-٩]{3}"), "Arabic-Indic digits"
    assert some(r"^\+\d+ \d"), "international phones"
    assert some(r"^0\d{2,3}-\d"), "local phones with dashes"
    assert some(r"^00\d"), "00-prefixed international phones"
    assert some(r"\[\.\]") and some(r"^hxxp"), "defanged URLs"
    assert some(r"utm_source=|fbclid="), "tracking-tagged URLs"
    assert some(r"^(https://)?t\.me/"), "t.me links"
    assert some(r"^[A-Z]{2}\d\d( \w{4})+"), "IBANs with spaces"
    assert some(r"\.[^@]*@gmail\.com$|@googlemail\.com$") and some(r"\+\w+@"), "Gmail variants"
    assert some(r"^(bit\.ly|tinyurl\.com|cutt\.ly|s\.id|rb\.gy|shorturl\.at|https://bit\.ly)/")
    assert re.search(r"[ก-๛](0\d{9}|[๐-๙]{10})[ก-๛]", narratives), "a phone glued into Thai text"
    for script in (r"[ก-๛]", r"[ء-ي]", r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]"):
        assert re.search(script, narratives)
    for word in ("Saya", "ako", "I "):
        assert word in narratives


def test_lone_scams_share_no_identifier(planted: list[PlantedValue]) -> None:
    owners: dict[tuple[str, str], set[str]] = {}
    for p in planted:
        owners.setdefault((p.canonical_kind, p.canonical), set()).add(p.scope)
    assert all(scopes == {"lone"} for scopes in owners.values() if "lone" in scopes)
