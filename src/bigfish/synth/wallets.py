"""Valid crypto addresses: TRON and Bitcoin Base58Check, Bitcoin Bech32/Bech32m, EIP-55 Ethereum.

The addresses come from random bytes, not from keys: they pass every checksum a node verifies,
and nobody holds the keys to them.
"""

from __future__ import annotations

import random

import base58
import bech32m
from eth_hash.auto import keccak

TRON_VERSION = b"\x41"
BTC_P2PKH_VERSION = b"\x00"
BTC_P2SH_VERSION = b"\x05"


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "big")


def tron_address(rng: random.Random) -> str:
    """A TRON address: Base58Check of version byte 0x41 and 20 bytes (starts with ``T``)."""
    return str(base58.b58encode_check(TRON_VERSION + _random_bytes(rng, 20)).decode("ascii"))


def eip55(hex_address: str) -> str:
    """The EIP-55 mixed-case checksum form of a ``0x`` + 40 hex address."""
    lower = hex_address[2:].lower()
    digest = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def ethereum_address(rng: random.Random) -> str:
    """An Ethereum address in its EIP-55 checksum form."""
    return eip55("0x" + _random_bytes(rng, 20).hex())


def bitcoin_address(rng: random.Random) -> str:
    """A Bitcoin address: P2PKH (``1…``), P2SH (``3…``), P2WPKH (``bc1q…``) or P2TR (``bc1p…``)."""
    form = rng.random()
    if form < 0.3:
        payload = BTC_P2PKH_VERSION + _random_bytes(rng, 20)
        return str(base58.b58encode_check(payload).decode("ascii"))
    if form < 0.45:
        payload = BTC_P2SH_VERSION + _random_bytes(rng, 20)
        return str(base58.b58encode_check(payload).decode("ascii"))
    if form < 0.85:
        return str(bech32m.encode("bc", 0, _random_bytes(rng, 20)))
    return str(bech32m.encode("bc", 1, _random_bytes(rng, 32)))


def wallet_canonical(address: str) -> str:
    """The canonical text of an address (spec/identifiers.md): EVM and Bech32 lower case."""
    if address.startswith(("0x", "0X")) or address.lower().startswith("bc1"):
        return address.lower()
    return address


def wallet_chain(address: str) -> str:
    """The chain an address belongs to: ``tron``, ``ethereum`` or ``bitcoin``."""
    if address.startswith("T"):
        return "tron"
    if address.startswith("0x"):
        return "ethereum"
    return "bitcoin"
