"""Crypto wallets: EVM (``0x``), TRON (``T…``), Bitcoin (Base58Check and Bech32/Bech32m)."""

from __future__ import annotations

import re

import base58
import bech32m
from eth_hash.auto import keccak

from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind

_PREFIX = re.compile(r"^([a-z][a-z0-9\-]{0,23}):(?!//)", re.IGNORECASE)
_EVM = re.compile(r"0[xX][0-9a-fA-F]{40}")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TRON = re.compile(rf"T[{_BASE58}]{{33}}")
_BITCOIN_BASE58 = re.compile(rf"[13][{_BASE58}]{{25,34}}")
_BECH32 = re.compile(r"bc1[ac-hj-np-z02-9]{8,87}", re.IGNORECASE)


def load_keccak() -> None:
    """Load the Keccak hash's backend now (imported at its first use), not at the first
    mixed-case EVM address."""
    keccak(b"")


def parse_wallet(text: str, country: str | None = None) -> Parsed:
    """Normalize a wallet address; the chain is inferred from its form, checksums verified."""
    del country
    if len(text) > 128:
        return invalid(Kind.CRYPTO_WALLET, text[:128], "too long for a wallet address")
    match = _PREFIX.match(text)
    if match:  # "trx:", "eth:", "usdt-trc20:", BIP 21 "bitcoin:" name the chain only
        text = text[match.end() :].strip()
    # BIP 21 / EIP 681 URIs carry parameters after the address.
    text = re.split(r"[?@/]", text, maxsplit=1)[0]
    if _EVM.fullmatch(text):
        return _evm(text)
    if _TRON.fullmatch(text):
        return _base58check(text, {0x41}, "tron")
    if _BITCOIN_BASE58.fullmatch(text):
        return _base58check(text, {0x00, 0x05}, "bitcoin")
    if _BECH32.fullmatch(text):
        return _bech32(text)
    return invalid(Kind.CRYPTO_WALLET, text, "not an EVM, TRON or Bitcoin address")


def _evm(text: str) -> Parsed:
    hex_part = text[2:]
    lower = "0x" + hex_part.lower()
    if hex_part.islower() or hex_part.isupper() or hex_part.isdigit():
        return valid(Kind.CRYPTO_WALLET, lower, chain="evm")
    digest = keccak(hex_part.lower().encode("ascii")).hex()
    for char, nibble in zip(hex_part, digest, strict=False):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return invalid(Kind.CRYPTO_WALLET, text, "mixed-case EVM address fails EIP-55")
    return valid(Kind.CRYPTO_WALLET, lower, chain="evm")


def _base58check(text: str, versions: set[int], chain: str) -> Parsed:
    try:
        payload = base58.b58decode_check(text)
    except ValueError:
        return invalid(Kind.CRYPTO_WALLET, text, f"{chain} address fails its Base58Check checksum")
    if len(payload) != 21 or payload[0] not in versions:
        return invalid(Kind.CRYPTO_WALLET, text, f"not a {chain} address (version or length)")
    return valid(Kind.CRYPTO_WALLET, text, chain=chain)


def _bech32(text: str) -> Parsed:
    if not (text.islower() or text.isupper()):
        return invalid(Kind.CRYPTO_WALLET, text, "Bech32 address in mixed case")
    lower = text.lower()
    try:
        bech32m.decode("bc", lower)
    except (bech32m.DecodeError, ValueError, TypeError, IndexError):
        return invalid(Kind.CRYPTO_WALLET, lower, "Bitcoin Bech32 address fails its checksum")
    return valid(Kind.CRYPTO_WALLET, lower, chain="bitcoin")
