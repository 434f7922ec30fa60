"""Content-addressed evidence files under the data directory, hashed while streamed.

A file is kept once, at ``<data_dir>/evidence/sha256/ab/cd/<digest>``, whatever the number of
reports it supports. Bytes are read through a few reusable 1 MiB buffers (hashed on the reading
thread while a writer thread writes the previous ones), so a multi-gigabyte chat export costs
the same memory as a screenshot.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bigfish.errors import StoreError
from bigfish.evidence.custody import HashCheck

BUFFER_SIZE = 1 << 20
QUEUE_DEPTH = 4  # filled buffers waiting for the writer
EVIDENCE_DIR = Path("evidence") / "sha256"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where a stored file is and what it is."""

    sha256: str
    size: int
    path: Path


def blob_path(data_dir: Path, sha256: str) -> Path:
    """Where the bytes with digest SHA256 live under DATA_DIR."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return data_dir / EVIDENCE_DIR / sha256[:2] / sha256[2:4] / sha256


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    """The SHA-256 hex digest and size of everything left in STREAM."""
    digest = hashlib.sha256()
    buffer = bytearray(BUFFER_SIZE)
    view = memoryview(buffer)
    size = 0
    while n := _read_into(stream, view):
        digest.update(view[:n])
        size += n
    return digest.hexdigest(), size


def _open_output(fd: int) -> BinaryIO:
    """The file object uploads are written through (unbuffered: every write is checked)."""
    return os.fdopen(fd, "wb", buffering=0)


@dataclass(frozen=True, slots=True)
class StagedFile:
    """Bytes copied and hashed into the incoming directory, not yet in the store: `keep_staged`
    moves them into place, `discard_staged` throws them away (once kept, a no-op)."""

    sha256: str
    size: int
    path: Path


def store_stream(data_dir: Path, stream: BinaryIO) -> StoredFile:
    """Copy STREAM into the content-addressed store, hashing on the way (`stage_stream`, then
    `keep_staged`). Nothing is stored unless every byte reached the disk."""
    staged = stage_stream(data_dir, stream)
    try:
        intact = check_blob(data_dir, staged.sha256) is HashCheck.MATCH
        return keep_staged(data_dir, staged, stored_intact=intact)
    finally:
        discard_staged(staged)


def stage_stream(data_dir: Path, stream: BinaryIO) -> StagedFile:
    """Copy STREAM into the incoming directory under DATA_DIR, hashing on the way: one pass,
    constant memory (QUEUE_DEPTH + 2 buffers of BUFFER_SIZE), one fsync at the end.

    Nothing is staged unless every byte read was written and reached the disk (a full disk
    raises StoreError and leaves no file behind). The store is not touched: the bytes of an
    evidence item are moved into place under the custody log's lock, where a disposal decides
    whether to destroy the bytes it held (`keep_staged`, `remove_blob`).
    """
    incoming = data_dir / "evidence" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=incoming, prefix="upload-")
    tmp = Path(tmp_name)
    try:
        with _open_output(fd) as out:
            sha, size = copy_hashing(stream, out)
            out.flush()
            os.fsync(out.fileno())
            on_disk = os.fstat(out.fileno()).st_size
        if on_disk != size:
            raise OSError(errno.EIO, f"{on_disk} of {size} bytes reached the disk")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"could not store evidence file: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StagedFile(sha, size, tmp)


def keep_staged(data_dir: Path, staged: StagedFile, *, stored_intact: bool) -> StoredFile:
    """Move STAGED into the store under DATA_DIR. STORED_INTACT says that the stored file of
    its digest was re-hashed and matched (`check_blob`, before: re-hashing gigabytes must not
    hold the custody log's lock): such a file, when still there, is kept and the staged copy
    dropped; otherwise the verified staged bytes take its place."""
    final = blob_path(data_dir, staged.sha256)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if stored_intact and final.exists():
            staged.path.unlink(missing_ok=True)
        else:
            os.chmod(staged.path, 0o444)  # evidence is never rewritten in place
            os.replace(staged.path, final)
            _fsync_dir(final.parent)
    except OSError as exc:
        raise StoreError(f"could not store evidence file: {exc.strerror or exc}") from exc
    return StoredFile(staged.sha256, staged.size, final)


def discard_staged(staged: StagedFile) -> None:
    """Throw away STAGED when it was not kept."""
    staged.path.unlink(missing_ok=True)


def remove_blob(data_dir: Path, sha256: str) -> bool:
    """Delete the stored bytes SHA256 under DATA_DIR (the store's directory made durable);
    False when none were stored. The caller decides that no evidence item still holds them."""
    path = blob_path(data_dir, sha256)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def copy_hashing(stream: BinaryIO, out: BinaryIO) -> tuple[str, int]:
    """Write STREAM to OUT; the SHA-256 hex digest and size of what was written.

    OSError when OUT takes fewer bytes than it is given. The writing overlaps reading and
    hashing: a writer
    thread takes filled buffers from a bounded queue (hashlib and file writes release the GIL, so
    the two run on two cores) and hands them back for reuse."""
    digest = hashlib.sha256()
    free: queue.Queue[bytearray] = queue.Queue()
    for _ in range(QUEUE_DEPTH + 2):
        free.put(bytearray(BUFFER_SIZE))
    filled: queue.Queue[tuple[bytearray, int] | None] = queue.Queue(QUEUE_DEPTH)
    failure: list[BaseException] = []

    def write() -> None:
        while (item := filled.get()) is not None:
            buffer, n = item
            try:
                if not failure:
                    _write_all(out, memoryview(buffer)[:n])
            except BaseException as exc:  # handed to the reading thread
                failure.append(exc)
            free.put(buffer)

    writer = threading.Thread(target=write, name="evidence-writer", daemon=True)
    writer.start()
    size = 0
    try:
        while not failure:
            buffer = free.get()
            n = _read_into(stream, memoryview(buffer))
            if not n:
                break
            digest.update(memoryview(buffer)[:n])
            size += n
            filled.put((buffer, n))
    finally:
        filled.put(None)
        writer.join()
    if failure:
        raise failure[0]
    return digest.hexdigest(), size


def _write_all(out: BinaryIO, view: memoryview) -> None:
    """Write VIEW to OUT; OSError unless every byte was taken (an unbuffered file takes fewer
    when the disk fills up, and says so only by the count)."""
    written = out.write(view)
    if written != len(view):
        raise OSError(
            errno.ENOSPC,
            f"short write, {written or 0} of {len(view)} bytes written (is the disk full?)",
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return int(readinto(view) or 0)
    chunk = stream.read(len(view))  # streams without readinto (some web frameworks)
    view[: len(chunk)] = chunk
    return len(chunk)


def check_blob(data_dir: Path, sha256: str) -> HashCheck:
    """Re-hash the stored bytes of SHA256: match, mismatch or missing."""
    path = blob_path(data_dir, sha256)
    try:
        with path.open("rb") as stream:
            actual, _ = hash_stream(stream)
    except FileNotFoundError:
        return HashCheck.MISSING
    return HashCheck.MATCH if actual == sha256 else HashCheck.MISMATCH
