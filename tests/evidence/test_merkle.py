"""The Merkle code against RFC 6962's definitions and the Certificate Transparency vectors."""

from __future__ import annotations

import hashlib

import pytest

from bigfish.evidence import merkle

# The reference leaves and roots used by Certificate Transparency implementations.
CT_ENTRIES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAVES = [merkle.leaf_hash(e) for e in CT_ENTRIES]
H = bytes.fromhex


def reference_mth(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 section 2.1 defines it, recursively."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return merkle.node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*reference_path(m, leaves[:k]), reference_mth(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), reference_mth(leaves[:k])]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert (
        merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_roots_match_the_reference_vectors_for_every_size() -> None:
    for n in range(1, 9):
        assert merkle.root(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1]


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert merkle.leaf_hash(b"").hex() == CT_ROOTS[0]
    assert merkle.node_hash(CT_LEAVES[0], CT_LEAVES[1]).hex() == CT_ROOTS[1]
    assert (
        merkle.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_inclusion_proofs_match_the_reference_vectors() -> None:
    root8 = H(CT_ROOTS[7])
    proof0 = merkle.inclusion_proof(CT_LEAVES, 0)
    assert [p.hex() for p in proof0] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    proof5 = merkle.inclusion_proof(CT_LEAVES, 5)
    assert [p.hex() for p in proof5] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert merkle.verify_inclusion(CT_LEAVES[0], 0, 8, proof0, root8)
    assert merkle.verify_inclusion(CT_LEAVES[5], 5, 8, proof5, root8)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            1,
            8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            2,
            8,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ],
)
def test_consistency_proofs_match_the_reference_vectors(
    old: int, new: int, expected: list[str]
) -> None:
    proof = merkle.consistency_proof(CT_LEAVES[:new], old)
    assert [p.hex() for p in proof] == expected
    assert merkle.verify_consistency(old, new, H(CT_ROOTS[old - 1]), H(CT_ROOTS[new - 1]), proof)


def test_every_proof_agrees_with_the_recursive_definition() -> None:
    leaves = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(37)]
    for n in range(1, len(leaves) + 1):
        tree = merkle.MerkleTree(leaves[:n])
        assert tree.root == reference_mth(leaves[:n])
        for m in range(n):
            proof = tree.inclusion_proof(m)
            assert proof == reference_path(m, leaves[:n])
            assert merkle.verify_inclusion(leaves[m], m, n, proof, tree.root)
            if n > 1:
                assert not merkle.verify_inclusion(leaves[m], (m + 1) % n, n, proof, tree.root)
        for old in range(n + 1):
            proof = merkle.consistency_proof(leaves[:n], old)
            assert merkle.verify_consistency(old, n, merkle.root(leaves[:old]), tree.root, proof), (
                old,
                n,
            )


def test_mangled_proofs_are_rejected() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(13)]
    tree = merkle.MerkleTree(leaves)
    for m in range(13):
        proof = tree.inclusion_proof(m)
        flipped = [*proof[:-1], bytes([proof[-1][0] ^ 1]) + proof[-1][1:]]
        assert not merkle.verify_inclusion(leaves[m], m, 13, flipped, tree.root)
        assert not merkle.verify_inclusion(leaves[m], m, 13, proof[:-1], tree.root)
        assert not merkle.verify_inclusion(leaves[m], m, 13, [*proof, b"\xab" * 32], tree.root)
        assert not merkle.verify_inclusion(leaves[m], m, 7, proof, tree.root)
    for old in range(1, 13):
        proof = merkle.consistency_proof(leaves, old)
        old_root = merkle.root(leaves[:old])
        assert not merkle.verify_consistency(old, 13, old_root, tree.root, proof[:-1])
        assert not merkle.verify_consistency(old, 13, old_root, tree.root, [*proof, b"\xcd" * 32])
        other = merkle.root([*leaves[: old - 1], merkle.leaf_hash(b"rewritten")])
        assert not merkle.verify_consistency(old, 13, other, tree.root, proof)


def test_an_interior_node_cannot_pass_as_a_leaf() -> None:
    # Without the 0x00/0x01 prefixes, the concatenation of two children would be a "leaf"
    # whose hash equals their parent, and a proof one level shorter would verify.
    left, right = CT_LEAVES[0], CT_LEAVES[1]
    parent = merkle.node_hash(left, right)
    forged_leaf = merkle.leaf_hash(left + right)
    assert forged_leaf != parent
    root4 = H(CT_ROOTS[3])
    sibling = merkle.node_hash(CT_LEAVES[2], CT_LEAVES[3])
    # The genuine subtree root sits where a leaf of a 2-leaf tree would:
    assert merkle.node_hash(parent, sibling) == root4
    assert not merkle.verify_inclusion(forged_leaf, 0, 2, [sibling], root4)
    assert not merkle.verify_inclusion(parent, 0, 4, [sibling], root4)  # wrong depth for size 4


def test_frontier_gives_the_same_root_as_the_whole_tree() -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(70)]
    frontier = merkle.Frontier()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == merkle.root(leaves[:n])
    copy = merkle.Frontier(frontier.size, frontier.nodes)
    assert copy.root() == frontier.root()
    with pytest.raises(ValueError, match="one node per set bit"):
        merkle.Frontier(3, frontier.nodes[:1])
