"""RFC 6962 Merkle trees: hashing, roots, inclusion and consistency proofs (pure).

Leaves are hashed as ``SHA-256(0x00 || data)`` and interior nodes as ``SHA-256(0x01 || left ||
right)``, so an interior node can never be passed off as a leaf (second-preimage resistance).
The tree over n leaves splits at the largest power of two smaller than n (RFC 6962 section 2.1).
Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2, which are equivalent to RFC 6962's
definitions and need nothing but the proof, the sizes and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf entry: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    # Building level by level and promoting a lone right node unchanged gives exactly the
    # RFC 6962 tree: the right subtree of every split is the ragged edge of the level above.
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaf hashes LEAVES (EMPTY_ROOT for none)."""
    if not leaves:
        return EMPTY_ROOT
    return _levels(leaves)[-1][0]


class MerkleTree:
    """A tree over a fixed list of leaf hashes, for computing many proofs at once."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self._levels = _levels(leaves) if leaves else [[]]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def root(self) -> bytes:
        """The Merkle tree hash."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf INDEX, bottom-up (RFC 6962 PATH(m, D[n]))."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf index {index} outside a tree of {self.size}")
        proof: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index //= 2
        return proof


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf INDEX in the tree over LEAVES."""
    return MerkleTree(leaves).inclusion_proof(index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]): that the first OLD_SIZE leaves are a prefix of LEAVES."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"old size {old_size} outside 0..{len(leaves)}")
    if old_size in (0, len(leaves)):
        return []
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def _valid(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """True when PROOF shows leaf hash LEAF at INDEX of a tree of SIZE with EXPECTED_ROOT."""
    if not 0 <= index < size or not _valid(leaf, expected_root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when PROOF shows the tree (OLD_SIZE, OLD_ROOT) is a prefix of (NEW_SIZE, NEW_ROOT)."""
    if not 0 <= old_size <= new_size or not _valid(old_root, new_root, *proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a complete subtree: its root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The roots of the perfect subtrees covering a log: appends and roots in O(log n).

    Lets a node sign a new tree head after every append without rereading the whole log.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != bin(size).count("1"):
            raise ValueError("a frontier has one node per set bit of its size")
        self.size = size
        self.nodes = list(nodes)  # left to right, largest subtree first

    def append(self, leaf: bytes) -> None:
        """Add leaf hash LEAF at the right edge."""
        self.nodes.append(leaf)
        size = self.size
        while size & 1:  # merge equal-sized subtrees, like carrying in binary addition
            right = self.nodes.pop()
            left = self.nodes.pop()
            self.nodes.append(node_hash(left, right))
            size >>= 1
        self.size += 1

    def root(self) -> bytes:
        """The Merkle tree hash of everything appended so far."""
        if not self.nodes:
            return EMPTY_ROOT
        r = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            r = node_hash(left, r)
        return r
