"""Marks of the custody log's signed tree heads, kept beside the node key and out of the
database's reach: whoever can write to the database but does not hold the key can delete the
newest records *and* their tree heads, and the log is consistent again; the marks still say how
far, and to which root, this node signed it.

As for the audit log's heads (`bigfish.audit.head`, whose helpers this module uses), a data
directory may serve several databases, so the marks are kept per log, and per database place
(`bigfish.audit.database_place`) the data directory remembers which log it signed there. A
custody log's id is the hash of its first record: a random evidence id and a time are signed
into it, every tree head's root covers it, and it stays the same when the database is moved or
copied. A log wiped and started again, or another database's log copied in, is a different log
in the same place.

Under ``<data-dir>/keys/custody-logs/``: ``<log id>/head`` (the highest tree size signed for the
log and its root) and ``places/<digest>`` (the log signed for a database, and its place)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from bigfish.audit.head import _digest, _replace
from bigfish.evidence import merkle

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: the mark is written unlocked
    fcntl = None  # type: ignore[assignment]

#: Under the data directory: one folder per custody log id, and `places/`.
CUSTODY_MARKS = Path("keys") / "custody-logs"

_LOG_ID = re.compile(r"[0-9a-f]{64}")
_HEAD = re.compile(r"(\d{1,20}) ([0-9a-f]{64})")
_WIDTH = 20 + 1 + 64 + 1  # every head mark has this length: a rewrite covers the old one whole

_log = logging.getLogger(__name__)

# The log each place mark was last seen or written to name in this process: a note (every
# custody append) then costs one locked write, not a read of the place mark as well.
_PLACE_SEEN: dict[Path, str] = {}


@dataclass(frozen=True, slots=True)
class SignedHead:
    """The highest tree head this node signed for a log: its size and root (hex)."""

    size: int
    root: str


@dataclass(frozen=True, slots=True)
class KeptMarks:
    """What the data directory remembered of a database's custody log, read before the log."""

    log: str | None  # the id of the log the marks were read for (None: the log was empty)
    head: SignedHead | None  # the highest head signed for that log
    place: str | None  # where the database lives (`bigfish.audit.database_place`)
    place_log: str | None  # the log this data directory signed for that place
    place_head: SignedHead | None  # the highest head signed for that one
    where: Path  # the folder of the marks, to name in a problem


def _log_dir(data_dir: Path, log: str) -> Path:
    # An id read from the database names a folder only when it is a record hash.
    name = log if _LOG_ID.fullmatch(log) else "x" + _digest(log)
    return data_dir / CUSTODY_MARKS / name


def _place_mark(data_dir: Path, place: str) -> Path:
    return data_dir / CUSTODY_MARKS / "places" / _digest(place)


def signed_head(data_dir: Path, log: str) -> SignedHead | None:
    """The highest tree head signed here for the log LOG (None: none recorded)."""
    path = _log_dir(data_dir, log) / "head"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)  # not half a rewrite
        text = os.pread(fd, _WIDTH, 0).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    found = _HEAD.fullmatch(text)
    return SignedHead(int(found[1]), found[2]) if found else None


def _place_log(data_dir: Path, place: str) -> str | None:
    with contextlib.suppress(FileNotFoundError):
        return _place_mark(data_dir, place).read_text(encoding="utf-8").split("\n", 1)[0]
    return None


def _raise_head(path: Path, head: SignedHead) -> None:
    """Write HEAD into PATH unless it holds a larger size (processes queue on the file's lock).
    Unlike the audit log's `_raise_to`, a root goes with the number, under the same lock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # the log's first head signed here
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        current = _HEAD.fullmatch(os.pread(fd, _WIDTH, 0).decode("ascii", "replace").strip())
        if current is not None and int(current[1]) >= head.size:
            return
        os.pwrite(fd, f"{head.size:020d} {head.root}\n".encode("ascii"), 0)
    finally:
        os.close(fd)  # releases the lock


def note_signed(data_dir: Path, place: str | None, log: str, head: SignedHead) -> None:
    """Record that HEAD of the log LOG, in the database at PLACE, was signed and committed.

    Called after the commit (a head rolled back is never marked). A mark that cannot be written
    is logged, not raised: the records are committed, and the caller must not undo its work."""
    try:
        _raise_head(_log_dir(data_dir, log) / "head", head)
        if place is None:
            return
        mark = _place_mark(data_dir, place)
        if _PLACE_SEEN.get(mark) != log and _place_log(data_dir, place) != log:
            _replace(mark, f"{log}\n{place}\n")
        _PLACE_SEEN[mark] = log
    except OSError as exc:
        _log.warning("could not record the signed custody tree head under %s: %s", data_dir, exc)


def append_problem(data_dir: Path, log: str, size: int, root: str | None) -> str | None:
    """Why the log LOG, holding SIZE records under a last tree head of ROOT, must not be
    appended to: it holds fewer records than a head signed here, or another root at that size
    (None: it may). An append would build on records that replaced the ones signed."""
    signed = signed_head(data_dir, log)
    if signed is None or signed.size < size:
        return None
    if signed.size > size:
        return (
            f"the custody log holds {size} records, but this node signed a tree head of "
            f"{signed.size} records for it ({_log_dir(data_dir, log)}): its newest records and "
            "tree heads were deleted; run `bigfish evidence verify-log`"
        )
    if root != signed.root:
        return (
            f"the custody log's tree head of {size} records has root {str(root)[:16]}…, but this "
            f"node signed root {signed.root[:16]}… at that size ({_log_dir(data_dir, log)}): "
            "the log was rewritten; run `bigfish evidence verify-log`"
        )
    return None


def read_marks(data_dir: Path, place: str | None, log: str | None) -> KeptMarks:
    """The marks of the log LOG (its first record's hash; None: an empty log) of the database at
    PLACE. Read before the log itself: a head is marked after its commit, so a log read after
    its mark holds at least the records the mark names."""
    place_log = _place_log(data_dir, place) if place is not None else None
    return KeptMarks(
        log,
        signed_head(data_dir, log) if log is not None else None,
        place,
        place_log,
        signed_head(data_dir, place_log) if place_log is not None else None,
        data_dir / CUSTODY_MARKS,
    )


def log_problem(kept: KeptMarks, log: str | None, leaves: list[bytes]) -> str | None:
    """Why the custody log LOG (its first record's hash; None: empty) with the leaf hashes
    LEAVES does not hold what this node signed for it, as KEPT remembers; None when it does or
    nothing was signed here for it (a node that signed before the marks existed)."""
    if kept.place_log is not None and kept.place_log != log:
        up_to = kept.place_head.size if kept.place_head is not None else 0
        found = f"log {log[:16]}…" if log is not None else "an empty log"
        return (
            f"this data directory signed custody log {kept.place_log[:16]}… up to {up_to} "
            f"records for this database ({kept.place}), but the database holds {found}: "
            f"its log was wiped or replaced (marks in {kept.where})"
        )
    if kept.head is None or kept.log != log:
        return None  # the log started after the marks were read: nothing signed to hold it to
    signed = kept.head
    if len(leaves) < signed.size:
        return (
            f"the custody log holds {len(leaves)} records, but this node signed a tree head of "
            f"{signed.size} records (root {signed.root[:16]}…) for it: its newest records and "
            f"tree heads were deleted (marks in {kept.where})"
        )
    root = merkle.root(leaves[: signed.size]).hex()
    if root != signed.root:
        return (
            f"the custody log's first {signed.size} records have root {root[:16]}…, but this "
            f"node signed root {signed.root[:16]}… at that size: the log was rewritten (marks "
            f"in {kept.where})"
        )
    return None
