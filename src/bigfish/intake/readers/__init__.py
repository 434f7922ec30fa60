"""Readers for CSV, JSON Lines and Excel files: bytes in, rows of text fields out.

A reader yields a `Row` for every record it could read and an `Unreadable` for every record it
could not, with the line it was on; a problem with the whole file raises InputError naming it.
Readers stream: memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    MAX_COLUMNS,
    MAX_IDENTIFIERS,
    MAX_RECORD,
    parse_role,
)
from bigfish.intake.xlsx import TOO_LONG, SheetRow, open_workbook
from bigfish.models import Kind, Marking, RawIdentifier

# A field is bounded by its record (_Lines); build_report refuses a field over its own limit.
csv.field_size_limit(MAX_RECORD)
#: Bytes of one JSON line: a report of MAX_RECORD characters, each written as a \\u escape.
MAX_JSON_LINE = 4 * MAX_RECORD
_SKIP = 1024 * 1024  # what is read at a time of a line skipped for its length

_KINDS = frozenset(k.value for k in Kind)


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


_BAD_BYTES = re.compile("[\udc80-\udcff\x00]")
_NUL_MARK = "\udcff\udc00"  # no undecodable byte reads as this pair: it stands for NUL


def _has_bad_bytes(values: list[str]) -> bool:
    return any(_BAD_BYTES.search(v) for v in values)


def _bad_bytes_reason(values: list[str]) -> str:
    if any(_NUL_MARK in v for v in values):
        return "contains a NUL character (a binary file, or one cut off?)"
    return "not valid UTF-8 (is the file Latin-1?); save it as UTF-8"


def header_names(cells: list[str], path: Path, *, lower: bool = True) -> list[str]:
    """The column names of a header row: stripped (and lower-cased); an empty one is named
    column_N (N counted from 1) so that values under it are kept. A name given to two columns
    refuses the file: one column's values would be lost."""
    names = []
    for number, cell in enumerate(cells, start=1):
        name = cell.strip()
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


class RecordTooLong(Exception):
    """A CSV record runs past MAX_RECORD characters (raised by `_Lines` through csv.reader)."""


class _Lines:
    """The lines of a CSV text for csv.reader, a NUL made a marker that fails its row, not the
    file. The lines of the record being read are kept: when the csv module cannot read a record
    (a stray quote), the lines after its first are given back and read again. A record is read
    up to MAX_RECORD characters and no further: past them the rest of the line is skipped
    unread and RecordTooLong raised, so a 100 MB cell never stands in memory."""

    __slots__ = ("_again", "_readline", "ran_out", "size", "taken")

    def __init__(self, text: IO[str]) -> None:
        self._readline = text.readline
        self._again: list[str] = []  # lines given back, the next one last
        self.taken: list[str] = []  # the lines of the record being read
        self.size = 0  # their characters
        self.ran_out = False  # the record being read reached the end of the file

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.pop()
        else:
            line = self._readline(MAX_RECORD - self.size + 1)
            if not line:
                self.ran_out = True
                raise StopIteration
            if "\x00" in line:  # csv refuses NUL outright
                line = line.replace("\x00", _NUL_MARK)
        self.taken.append(line)
        self.size += len(line)
        if self.size > MAX_RECORD:
            while line and not line.endswith(("\n", "\r")):  # skip the rest of the line
                line = self._readline(_SKIP)
            raise RecordTooLong
        return line

    def done(self) -> int:
        """The number of lines of the record just read."""
        count = len(self.taken)
        self.taken.clear()
        self.size = 0
        self.ran_out = False
        return count

    def give_back(self) -> str:
        """The first line of the record that could not be read; the others are read again."""
        first = self.taken[0]
        self._again.extend(reversed(self.taken[1:]))
        self.taken.clear()
        self.size = 0
        self.ran_out = False
        return first


_TOO_LONG = f"the record is longer than {MAX_RECORD:,} characters; it is not read further"


def _cut_short(taken: list[str], names: list[str]) -> tuple[dict[str, str], str | None]:
    """The fields read of a record cut short at MAX_RECORD (its TAKEN lines), and the one it
    was cut in: the field that is too long."""
    try:
        values = next(csv.reader(taken), [])
    except csv.Error:
        return {}, None
    field = names[len(values) - 1] if 0 < len(values) <= len(names) else None
    return _readable(names, values[:-1]), field


def _csv_error(exc: csv.Error, ran_out: bool) -> str:
    if ran_out:
        return f"unreadable CSV ({exc}): a quoted field runs to the end; the file may be truncated"
    if "'\"'" in str(exc):
        return (
            f"unreadable CSV ({exc}): a quote inside a field must be doubled and the field "
            'quoted ("said ""hi"" to me")'
        )
    return f"unreadable CSV ({exc})"


def read_csv(
    raw: IO[bytes],
    path: Path,
    *,
    lower_header: bool = True,
    on_header: HeaderCheck | None = None,
) -> Iterator[Record]:
    """Rows of an RFC 4180 CSV file in UTF-8 (with or without BOM) with a header row. A record
    the csv module cannot read is rejected and reading goes on from the line after its first."""
    _check_not_utf16(raw.read(4), path)
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty", file=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"unreadable header: {exc}", file=str(path), line=1) from None
    except RecordTooLong:
        reason = f"the header is longer than {MAX_RECORD:,} characters"
        raise InputError(reason, file=str(path), line=1) from None
    if len(header) > MAX_COLUMNS:
        raise InputError(
            f"the header has {len(header):,} columns, more than the {MAX_COLUMNS:,} a sheet "
            "may have",
            file=str(path),
            line=1,
        )
    if _has_bad_bytes(header):
        raise InputError(
            "the header is not valid UTF-8 (is the file Latin-1?); save it as UTF-8",
            file=str(path),
            line=1,
        )
    names = header_names(header, path, lower=lower_header)
    if on_header is not None:
        on_header(names)
    read = lines.done()  # lines before the next record
    while True:
        line = read + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except RecordTooLong:
            fields, field = _cut_short(lines.taken, names)
            read += lines.done()
            yield _unreadable(line, _TOO_LONG, fields, field)
            continue
        except csv.Error as exc:
            if not lines.taken:  # pragma: no cover - the csv module read no line: none to skip
                raise InputError(f"unreadable CSV: {exc}", file=str(path), line=line) from None
            reason = _csv_error(exc, lines.ran_out)
            first = lines.give_back()
            read += 1
            try:
                loose = next(csv.reader([first]), [])
            except csv.Error:
                loose = []
            yield _unreadable(line, reason, _readable(names, loose))
            continue
        read += lines.done()
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(names):
            reason = f"{len(values)} fields where the header has {len(names)}"
            yield _unreadable(line, reason, _readable(names, values))
        elif _has_bad_bytes(values):
            bad = [n for n, v in zip(names, values, strict=True) if _BAD_BYTES.search(v)]
            reason = _bad_bytes_reason(values)
            yield _unreadable(line, reason, _readable(names, values), ", ".join(bad))
        else:
            yield Row(line, dict(zip(names, values, strict=True)))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected text or a number, got {json.dumps(value)}")
    if isinstance(value, int | Decimal):
        return str(value)
    raise InputError(f"expected text or a number, got {type(value).__name__}")


def _json_identifiers(value: Any) -> list[RawIdentifier]:
    if not isinstance(value, list):
        raise InputError("identifiers must be a list", field="identifiers")
    if len(value) > MAX_IDENTIFIERS:
        raise InputError(
            f"{len(value):,} identifiers, more than the {MAX_IDENTIFIERS:,} of a report",
            field="identifiers",
        )
    result = []
    for i, item in enumerate(value):
        where = f"identifiers[{i}]"
        if not isinstance(item, dict):
            raise InputError("an identifier must be an object", field=where)
        kind, raw = item.get("kind"), item.get("value")
        if kind not in _KINDS:
            raise InputError(f"unknown kind {kind!r}", field=f"{where}.kind")
        if not isinstance(raw, str) or not raw.strip():
            raise InputError("value must be non-empty text", field=f"{where}.value")
        try:
            role = parse_role(item.get("role"))
        except InputError as exc:
            raise InputError(exc.message, field=f"{where}.role") from None
        result.append(RawIdentifier(Kind(kind), raw, role))
    return result


def row_from_json(line: int, obj: Any) -> Record:
    """A Row from one decoded JSON report object (JSON Lines and the API share this)."""
    if not isinstance(obj, dict):
        return Unreadable(line, "a report must be a JSON object")
    if len(obj) > MAX_COLUMNS:
        return Unreadable(line, f"a report of more than {MAX_COLUMNS:,} fields")
    report_id = obj.get("report_id") if isinstance(obj.get("report_id"), str) else None
    fields: dict[str, str] = {}
    try:
        for key, value in obj.items():
            if key == "identifiers" or value is None:
                continue
            try:
                if key in IDENTIFIER_COLUMNS and isinstance(value, list):
                    fields[key] = ";".join(_scalar(v) for v in value)
                else:
                    fields[key] = _scalar(value)
            except InputError as exc:
                raise InputError(exc.message, field=key) from None
        identifiers = _json_identifiers(obj.get("identifiers", []))
    except InputError as exc:
        return Unreadable(line, exc.message, report_id, exc.field)
    return Row(line, fields, identifiers)


class RepeatedKey(Exception):
    """A JSON object gives KEY more than once (raised by `unique_keys`)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it gives a key twice (which value would be meant?)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return obj


def _duplicate_key(number: int, text: str, key: str) -> Unreadable:
    try:  # the line's report_id, when the rest of it parses
        obj = json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        obj = None
    report_id = obj.get("report_id") if isinstance(obj, dict) and key != "report_id" else None
    return Unreadable(
        number,
        f"the key {key!r} is given more than once",
        report_id if isinstance(report_id, str) else None,
        key,
    )


def read_jsonl(raw: IO[bytes], path: Path) -> Iterator[Record]:
    """Rows of a JSON Lines file: one report object per line (an object giving a key twice is
    rejected, naming the key)."""
    _check_not_utf16(raw.read(4), path)
    raw.seek(0)
    number = 0
    while data := raw.readline(MAX_JSON_LINE + 1):
        number += 1
        if len(data) > MAX_JSON_LINE and not data.endswith(b"\n"):
            while data and not data.endswith(b"\n"):  # skip the rest of the line unread
                data = raw.readline(_SKIP)
            reason = f"the line is longer than {MAX_JSON_LINE:,} bytes; it is not read further"
            yield Unreadable(number, reason)
            continue
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if not data.strip():
            continue
        try:
            text = data.decode("utf-8")
            obj = json.loads(text, parse_float=Decimal, object_pairs_hook=unique_keys)
        except UnicodeDecodeError:
            yield Unreadable(number, "not valid UTF-8; save the file as UTF-8")
            continue
        except RepeatedKey as exc:
            yield _duplicate_key(number, text, exc.key)
            continue
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = f"not valid JSON: {exc}" if isinstance(exc, ValueError) else "too deep"
            if not data.endswith(b"\n"):
                reason += " (the file may be truncated)"
            yield Unreadable(number, reason)
            continue
        yield row_from_json(number, obj)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _has_cells(rows: Iterator[SheetRow]) -> bool:
    """True when a sheet's ROWS have a cell that is not empty (or one that cannot be read)."""
    for row in rows:
        if row.problem is not None:
            return True
        if any(v is TOO_LONG or _cell_text(v).strip() for v in row.values):
            return True
    return False


def read_xlsx(
    raw: IO[bytes],
    path: Path,
    *,
    lower_header: bool = True,
    on_header: HeaderCheck | None = None,
) -> Iterator[Record]:
    """Rows of an Excel .xlsx workbook's sheet with a header row; a workbook with data on more
    than one sheet is refused whole (naming the sheets) rather than read in part. A row with a
    value right of the last header column is rejected, as a CSV row with too many fields. The
    workbook is read as a stream within the bounds of `bigfish.intake.xlsx`."""
    workbook = open_workbook(raw, str(path))
    try:
        if not workbook.sheets:
            raise InputError("the workbook has no sheet", file=str(path))
        (title, part), *others = workbook.sheets
        filled = [name for name, other in others if _has_cells(workbook.rows(other))]
        if filled:  # read whole or not at all: the other sheets' rows would be lost unsaid
            raise InputError(
                f"the workbook has data on more than one sheet ({', '.join(filled)} after "
                f"{title}); bigfish reads one sheet per file: save each sheet as a file of its "
                "own",
                file=str(path),
            )
        rows = workbook.rows(part)
        first = next(rows, None)
        if first is None:
            raise InputError("the sheet is empty", file=str(path))
        if first.number == 1 and first.problem is not None:
            raise InputError(f"unreadable header: {first.problem}", file=str(path), line=1)
        header = first.values if first.number == 1 else ()
        names = header_names([_cell_text(h) for h in header], path, lower=lower_header)
        if on_header is not None:
            on_header(names)
        if first.number != 1:
            rows = itertools.chain([first], rows)
        for row in rows:
            record = _sheet_record(row, names)
            if record is not None:
                yield record
    finally:
        workbook.archive.close()


def _sheet_record(row: SheetRow, names: list[str]) -> Record | None:
    """The record of one sheet row under the header NAMES; None for a row of empty cells."""
    values = row.values
    texts = ["" if v is TOO_LONG else _cell_text(v) for v in values]
    if row.problem is not None:
        field = None
        if row.column is not None:
            field = names[row.column - 1] if row.column <= len(names) else f"column {row.column}"
        return _unreadable(row.number, row.problem, _readable(names, texts), field)
    if all(not t.strip() for t in texts):
        return None
    width = len(names)
    if len(texts) > width:
        if any(t.strip() for t in texts[width:]):
            used = max(i for i, t in enumerate(texts, start=1) if t.strip())
            reason = f"{used} fields where the header has {width}"
            return _unreadable(row.number, reason, _readable(names, texts))
        del texts[width:]
    texts += [""] * (width - len(texts))
    dates = tuple(n for n, v in zip(names, values, strict=False) if isinstance(v, datetime | date))
    return Row(row.number, dict(zip(names, texts, strict=True)), dates=dates)
