"""What a reader yields (a `Row` or an `Unreadable`, with the line it was on), the header's
column names, and what the readers share about bytes that are not text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bigfish.errors import InputError
from bigfish.intake.records import INVISIBLE
from bigfish.models import Marking, RawIdentifier

_SKIP = 1024 * 1024  # what is read at a time of a line skipped for its length


@dataclass(frozen=True, slots=True)
class Row:
    """One record as text fields, with identifiers given as a list (JSON) when there are any."""

    line: int
    fields: dict[str, str]
    identifiers: list[RawIdentifier] | None = None
    marking: Marking | None = None  # per-record markings (STIX, MISP); else the batch's
    source_id: str | None = None  # the STIX or MISP object it came from
    #: The markings of the record's items (a STIX report's observables, a MISP event's
    #: attributes): the record's marking, its own or the batch's, is narrowed to them.
    restriction: Marking | None = None
    #: The fields that were date cells of a workbook (their text is ISO 8601, whatever date
    #: format a column mapping gives for text).
    dates: tuple[str, ...] = ()
    #: The keys of a JSON report given as numbers (kept as their text): a column mapping may
    #: take a text field from one (`readers.jsonl.refuse_mapped_numbers`).
    numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record that could not be read, and why."""

    line: int
    reason: str
    report_id: str | None = None
    field: str | None = None
    #: The cells that could be read, by header (a column mapping finds the report_id there).
    cells: dict[str, str] | None = None


Record = Row | Unreadable
#: Called with a file's column names before its first row (to refuse a file whose header
#: lacks what its layout needs).
HeaderCheck = Callable[[list[str]], None]


def _check_not_utf16(head: bytes, path: Path) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) >= 2 and b"\x00" in head[:2]):
        raise InputError("the file is UTF-16; save it as UTF-8", file=str(path), line=1)


def check_not_zip(head: bytes, path: Path, what: str) -> None:
    """Refuse a zip archive (an Excel workbook) read as WHAT: its bytes are no text."""
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"the file is a zip archive (an Excel workbook?), not {what}: name it .xlsx, or "
            "pass --format xlsx",
            file=str(path),
            line=1,
        )


_BAD_BYTES = re.compile("[\udc80-\udcff\x00]")
_NUL_MARK = "\udcff\udc00"  # no undecodable byte reads as this pair: it stands for NUL


def _has_bad_bytes(values: list[str]) -> bool:
    return any(_BAD_BYTES.search(v) for v in values)


def _bad_bytes_reason(values: list[str]) -> str:
    if any(_NUL_MARK in v for v in values):
        return "contains a NUL character (a binary file, or one cut off?)"
    return "not valid UTF-8 (is the file Latin-1?); save it as UTF-8"


#: Marks no one sees around a header's name, as around a field's value (`records.INVISIBLE`).
_INVISIBLE = INVISIBLE


def header_names(cells: list[str], path: Path, *, lower: bool = True) -> list[str]:
    """The column names of a header row: stripped (of marks no one sees too), composed (NFC:
    a name typed decomposed is the name a mapping gives) and lower-cased; an empty one is
    named column_N (N counted from 1) so that values under it are kept. A name given to two
    columns refuses the file: one column's values would be lost."""
    names = []
    for number, cell in enumerate(cells, start=1):
        name = unicodedata.normalize("NFC", cell.strip().strip(_INVISIBLE).strip())
        names.append((name.lower() if lower else name) or f"column_{number}")
    first: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name in first:
            raise InputError(
                f"the header names column {name!r} more than once (columns {first[name]} and "
                f"{number}); give each column a name of its own",
                file=str(path),
                line=1,
                field=name,
            )
        first[name] = number
    return names


def _readable(names: list[str], values: list[str]) -> dict[str, str]:
    """The fields of a record that cannot be stored, without bytes that are not text."""
    return {n: v for n, v in zip(names, values, strict=False) if not _BAD_BYTES.search(v)}


def _unreadable(
    line: int, reason: str, fields: dict[str, str], field: str | None = None
) -> Unreadable:
    report_id = fields.get("report_id")
    return Unreadable(line, reason, report_id[:200] if report_id else None, field, fields or None)
