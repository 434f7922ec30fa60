# ruff: noqa: E501  (addresses are long; one case per line reads best)
"""Crypto wallets: EVM (EIP-55), TRON and Bitcoin (Base58Check, Bech32, Bech32m)."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize

CASES = [
    # EVM: EIP-55 test vectors, all-upper and all-lower
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "evm"),
    ("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "evm"),
    ("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", "evm"),
    ("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb", "evm"),
    ("0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7", "evm"),
    ("0x8617E340B3D01FA5F11F306F4090FD50E238070D", "0x8617e340b3d01fa5f11f306f4090fd50e238070d", "evm"),
    ("0xde709f2102306220921060314715629080e2fb77", "0xde709f2102306220921060314715629080e2fb77", "evm"),
    ("0x27b1fdb04752bbc536007a920d24acb045561c26", "0x27b1fdb04752bbc536007a920d24acb045561c26", "evm"),
    ("0xAB5801A7D398351B8BE11C439E05C5B3259AEC9B", "0xab5801a7d398351b8be11c439e05c5b3259aec9b", "evm"),
    ("eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "evm"),
    ("usdt-bep20: 0xde709f2102306220921060314715629080e2fb77", "0xde709f2102306220921060314715629080e2fb77", "evm"),
    ("ethereum:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359@1", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "evm"),
    ("０ｘde709f2102306220921060314715629080e2fb77", "0xde709f2102306220921060314715629080e2fb77", "evm"),
    # TRON
    ("TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", "tron"),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "tron"),
    ("trx:TXGzd77VsoUsfdFcN897QReH7PzCVDswwv", "TXGzd77VsoUsfdFcN897QReH7PzCVDswwv", "tron"),
    ("usdt-trc20:TExiFtF2M1JqHdknDuAXcUyvTZtHBZY6c9", "TExiFtF2M1JqHdknDuAXcUyvTZtHBZY6c9", "tron"),
    ("TFn3ZAniEP4ix5fMkWtRz8YzvDZ514pi1k", "TFn3ZAniEP4ix5fMkWtRz8YzvDZ514pi1k", "tron"),
    ("TSZMkRZfG3Z1bC4K5ftRnk8CTBCAsVVDCD.", "TSZMkRZfG3Z1bC4K5ftRnk8CTBCAsVVDCD", "tron"),
    ("'TMD2kPRt7Fq5vNRMpfVxayQnqjwobzTb8G'", "TMD2kPRt7Fq5vNRMpfVxayQnqjwobzTb8G", "tron"),
    # Bitcoin Base58Check (P2PKH, P2SH)
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bitcoin"),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bitcoin"),
    ("1CshAgqoUYfo8VuKroUayw2eYFSP6XFCxi", "1CshAgqoUYfo8VuKroUayw2eYFSP6XFCxi", "bitcoin"),
    ("3544zmXELaNLXR2W1f2Hj2vKWjT9MPdZ1H", "3544zmXELaNLXR2W1f2Hj2vKWjT9MPdZ1H", "bitcoin"),
    ("bitcoin:1PMTSz6vxw4omE6o2gnfJ5E7Ja1fmWSKSz?amount=0.1", "1PMTSz6vxw4omE6o2gnfJ5E7Ja1fmWSKSz", "bitcoin"),
    # Bech32 (v0) and Bech32m (v1+), upper case accepted
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin"),
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bitcoin"),
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "bitcoin"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bitcoin"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bitcoin"),
    ("BC1SW50QGDZ25J", "bc1sw50qgdz25j", "bitcoin"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "canonical", "chain"), CASES)
def test_wallets(value: str, canonical: str, chain: str) -> None:
    identifier = normalize("crypto_wallet", value)
    assert identifier.valid, identifier.error
    assert (identifier.canonical, identifier.chain) == (canonical, chain)


INVALID = [
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55"),
    ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "not an EVM"),
    ("TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeM", "checksum"),
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum"),
    ("bc1qw508d6qejxtdg4y5r3zarvaRY0c5xw7kv8f3t4", "mixed case"),
    ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "not an EVM"),
    ("So11111111111111111111111111111111111111112", "not an EVM"),
    ("", "empty"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_invalid_wallets_say_why(value: str, reason: str) -> None:
    identifier = normalize("crypto_wallet", value)
    assert not identifier.valid
    assert identifier.error is not None and reason in identifier.error
