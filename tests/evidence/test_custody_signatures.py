"""Batch signature checks: the parallel path finds the first bad signature like the serial one."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bigfish.evidence.custody import NodeKey, first_bad_signature


def test_first_bad_signature_serial_and_parallel_agree() -> None:
    key = NodeKey(Ed25519PrivateKey.generate())
    messages = [f"record {i}".encode() for i in range(2500)]
    pairs = [(key.sign(m), m) for m in messages]
    assert first_bad_signature(key.public_key, pairs) is None
    assert first_bad_signature(key.public_key, pairs[:10]) is None
    pairs[2100] = (pairs[2100][0], b"edited")
    pairs[2300] = ("00" * 64, pairs[2300][1])
    assert first_bad_signature(key.public_key, pairs) == 2100
    assert first_bad_signature(key.public_key, pairs[2200:]) == 100
    other = NodeKey(Ed25519PrivateKey.generate())
    assert first_bad_signature(other.public_key, pairs[:5]) == 0
