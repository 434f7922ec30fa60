"""A wallet address glued to the label before it ("walletbc1q…", "addr0x…", "BTC1A1z…",
"USDTTNPee…", "TRC20TNPee…"), as scam narratives write it: a letter or digit right before an
address marked it as part of a word, so the wallet was lost. An address is taken from such a
token only where its checksum holds (Base58Check, Bech32) or it is exactly 0x and 40 hex
digits ending the token, so words and other tokens stay no wallet."""

from __future__ import annotations

import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers import extract

X = importlib.import_module("bigfish.identifiers.extract")  # the package's name is the function

EVM = "0x52908400098527886E0F7030069857D2E4169EE7"
BECH32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
TRON = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"
P2PKH = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"


def wallets(text: str) -> list[tuple[str, str]]:
    """(the text found, its canonical form) of each wallet extract finds in TEXT."""
    return [
        (text[item.start : item.end], item.identifier.canonical)
        for item in extract(text)
        if item.identifier.kind.value == "crypto_wallet"
    ]


@pytest.mark.parametrize(
    ("text", "address", "canonical"),
    [
        (f"send to wallet{BECH32} now", BECH32, BECH32),
        (f"WALLET{BECH32.upper()}", BECH32.upper(), BECH32),
        (f"addr{EVM}", EVM, EVM.lower()),
        (f"BEP20{EVM}.", EVM, EVM.lower()),
        (f"BTC{P2PKH}", P2PKH, P2PKH),
        (f"btc{P2SH}", P2SH, P2SH),
        (f"USDT{TRON}", TRON, TRON),
        (f"USDT-TRC20{TRON}", TRON, TRON),
        (f"Chuyển vào víUSDT{TRON} nhé", TRON, TRON),
        (f"ví:{EVM}", EVM, EVM.lower()),  # found before too: a colon is no letter
        (f"USDT(TRC20){TRON}", TRON, TRON),
        (f"BTC:{P2PKH}", P2PKH, P2PKH),
    ],
)
def test_a_wallet_glued_to_its_label_is_found(text: str, address: str, canonical: str) -> None:
    assert wallets(text) == [(address, canonical)]


@pytest.mark.parametrize(
    "text",
    [
        "wallet" + BECH32[:-1] + "5",  # the Bech32 checksum fails
        "BTC" + P2PKH[:-1] + "b",  # the Base58Check checksum fails
        "USDT" + TRON[:-1] + "M",
        "addr" + EVM[:-1],  # 39 hex digits
        "addr" + EVM + "7",  # 41
        EVM.replace("E7", "e7"),  # a mixed-case EVM address that fails EIP-55
        "x" + EVM.replace("E7", "e7"),
        "Bitcoin" + BECH32 + "x",  # the token goes on after the address
        "TransferTNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeLandmore",
        "Thebcdefghijkmnopqrstuvwxyz1234567890ABCDEFGHJKLMNPQRSTUVWXYZ",
        "abc123" * 20,
        "mintSo11111111111111111111111111111111111111112",  # a Solana address, glued
    ],
)
def test_a_word_or_a_broken_address_is_no_wallet(text: str) -> None:
    assert wallets(text) == []


def test_each_glued_wallet_of_a_narrative_is_found() -> None:
    text = f"Nạp USDT{TRON}, rút về walletbc1q…? Không: BTC{P2PKH} và ETH{EVM}."
    assert [found for found, _ in wallets(text)] == [TRON, P2PKH, EVM]


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_FORMS = re.compile(
    rf"0[xX][0-9a-fA-F]{{40}}|T[{_B58}]{{33}}|[13][{_B58}]{{25,34}}"
    r"|[bB][cC]1[ac-hj-np-zAC-HJ-NP-Z02-9]{11,71}"
)


def every_glued_span(scan: str) -> list[tuple[int, int]]:
    """Each span after the first character of a token, running to its end, that has the form
    of an address: what the glued finder offers, found the slow way."""
    return [
        (start, token.end())
        for token in re.finditer("[A-Za-z0-9]+", scan)
        for start in range(token.start() + 1, token.end())
        if _FORMS.fullmatch(scan, start, token.end())
    ]


PIECES = st.sampled_from(
    [
        "wallet", "BTC", "USDT", "x", "T", "1", "3", "bc", "BC", "0", "0x", " ", ":", "-", "é",
        EVM, BECH32, BECH32.upper(), TRON, P2PKH, P2SH, EVM[2:], BECH32[3:], TRON[1:], "f" * 40,
        "1" * 30, _B58, "bc1qpzry9x8gf2", "qpzry9x8gf2tvdw0s3jn54khce6mua7l", "abc123" * 15,
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_the_finder_offers_each_glued_span_of_an_address_form(scan: str) -> None:
    offered = list(X._wallets(scan, None))
    alone = [match.span() for match in X._WALLETS.finditer(scan)]
    assert offered == alone + every_glued_span(scan)
