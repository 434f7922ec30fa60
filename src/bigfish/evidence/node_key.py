"""The node key: the Ed25519 key a node signs its custody records, tree heads and exchanges
with, its fingerprint, and the checks of signatures made with it (many at once in worker
processes).

The key lives in ``<data_dir>/keys/node_ed25519.pem`` (mode 0600) and never leaves `NodeKey`:
nothing here logs, prints or exports the private half. Split from `bigfish.evidence.custody`,
which re-exports its public names.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bigfish.errors import ConfigError, IntegrityError

KEY_PATH = Path("keys") / "node_ed25519.pem"


class NodeKey:
    """The node's Ed25519 signing key. Its repr and str never show the private key.

    DATA_DIR: the data directory the key was loaded from (None: a key made in memory); the
    custody log keeps the marks of the tree heads signed with it there, beside it."""

    def __init__(self, private_key: Ed25519PrivateKey, data_dir: Path | None = None) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.data_dir = data_dir

    def __repr__(self) -> str:
        return f"NodeKey(fingerprint={self.fingerprint})"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex."""
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature of MESSAGE, hex."""
        return self._private.sign(message).hex()

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo)."""
        return public_pem(self.public_key)


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw public-key bytes, hex: what a partner compares out of band."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    """PUBLIC_KEY as PEM."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; IntegrityError for anything else."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise IntegrityError("the public key is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise IntegrityError("the public key is not an Ed25519 key")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    """True when SIGNATURE_HEX is PUBLIC_KEY's Ed25519 signature of MESSAGE."""
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


_PARALLEL_FROM = 2000  # signatures; below this, starting worker processes costs more than it saves


def _first_bad_in_chunk(raw_key: bytes, start: int, pairs: Sequence[tuple[str, bytes]]) -> int:
    key = Ed25519PublicKey.from_public_bytes(raw_key)
    for offset, (signature, message) in enumerate(pairs):
        if not verify_signature(key, signature, message):
            return start + offset
    return -1


def first_bad_signature(
    public_key: Ed25519PublicKey, pairs: Sequence[tuple[str, bytes]]
) -> int | None:
    """The index of the first (signature hex, message) pair that does not verify, or None.

    Large batches are spread over worker processes: Ed25519 verification holds the GIL.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(pairs) < _PARALLEL_FROM or workers < 2:
        bad = _first_bad_in_chunk(_raw(public_key), 0, pairs)
        return None if bad < 0 else bad
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(pairs) // workers)
    chunks = [(i, pairs[i : i + size]) for i in range(0, len(pairs), size)]
    # spawn, not fork: forking a process that may run threads (a web server) can deadlock.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        found = list(
            pool.map(
                _first_bad_in_chunk,
                [_raw(public_key)] * len(chunks),
                [start for start, _ in chunks],
                [chunk for _, chunk in chunks],
            )
        )
    bad_indexes = [i for i in found if i >= 0]
    return min(bad_indexes) if bad_indexes else None


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_node_key(data_dir: Path) -> NodeKey:
    """The node key under DATA_DIR; ConfigError when there is none or it is not Ed25519."""
    path = data_dir / KEY_PATH
    try:
        _refuse_readable_by_others(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise ConfigError(f"no node key at {path}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 private key")
    return NodeKey(key, data_dir)


def _refuse_readable_by_others(path: Path) -> None:
    """ConfigError when users other than the node's owner may read or write the key at PATH
    (as ssh refuses such a key): whoever can read it can sign custody records, tree heads and
    packages as this node, and a court could no longer tell the node's records from theirs."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(
            f"{path}: the node key can be read or changed by other users (mode {mode:04o}); "
            f"anyone who can read it can sign custody records as this node. Make it the "
            f"owner's alone (chmod 600 {path}) and consider whether it must be replaced"
        )


def load_or_create_node_key(data_dir: Path) -> NodeKey:
    """The node key under DATA_DIR, created (mode 0600) on first use."""
    path = data_dir / KEY_PATH
    if path.exists():
        return load_node_key(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written whole under another name, then linked into place (which fails when the name
    # exists): another process never reads a key file that is still empty.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".node_ed25519-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp_name, path)
        except FileExistsError:  # another process created it first: use theirs
            return load_node_key(data_dir)
    finally:
        os.unlink(tmp_name)
    return NodeKey(key, data_dir)
