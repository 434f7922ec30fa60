"""Readers for CSV, JSON Lines and Excel files: bytes in, rows of text fields out.

A reader yields a `Row` for every record it could read and an `Unreadable` for every record it
could not, with the line it was on; a problem with the whole file raises InputError naming it.
Readers stream: memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.records import IDENTIFIER_COLUMNS, parse_role
from bigfish.models import Kind, Marking, RawIdentifier

# Large fields are read and then refused with a reason by records.build_report.
csv.field_size_limit(256 * 1024 * 1024)

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


class _Lines:
    """The lines of a CSV text for csv.reader, a NUL made a marker that fails its row, not the
    file. The lines of the record being read are kept: when the csv module cannot read a record
    (a stray quote), the lines after its first are given back and read again."""

    __slots__ = ("_again", "_source", "ran_out", "taken")

    def __init__(self, text: IO[str]) -> None:
        self._source = iter(text)
        self._again: list[str] = []  # lines given back, the next one last
        self.taken: list[str] = []  # the lines of the record being read
        self.ran_out = False  # the record being read reached the end of the file

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.pop()
        else:
            try:
                line = next(self._source)
            except StopIteration:
                self.ran_out = True
                raise
            if "\x00" in line:  # csv refuses NUL outright
                line = line.replace("\x00", _NUL_MARK)
        self.taken.append(line)
        return line

    def done(self) -> int:
        """The number of lines of the record just read."""
        count = len(self.taken)
        self.taken.clear()
        self.ran_out = False
        return count

    def give_back(self) -> str:
        """The first line of the record that could not be read; the others are read again."""
        first = self.taken[0]
        self._again.extend(reversed(self.taken[1:]))
        self.taken.clear()
        self.ran_out = False
        return first


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
    for number, data in enumerate(raw, start=1):
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


def _has_cells(sheet: Any) -> bool:
    """True when SHEET (of a read-only workbook) has a cell that is not empty."""
    sheet.reset_dimensions()  # its <dimension> tag may be wrong: read every cell there is
    return any(_cell_text(v).strip() for row in sheet.iter_rows(values_only=True) for v in row)


def read_xlsx(
    raw: IO[bytes],
    path: Path,
    *,
    lower_header: bool = True,
    on_header: HeaderCheck | None = None,
) -> Iterator[Record]:
    """Rows of an Excel .xlsx workbook's sheet with a header row; a workbook with data on more
    than one sheet is refused whole (naming the sheets) rather than read in part. A row with a
    value right of the last header column is rejected, as a CSV row with too many fields."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(raw, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook ({exc})", file=str(path)) from None
    try:
        others = [ws.title for ws in workbook.worksheets[1:] if _has_cells(ws)]
        if others:  # read whole or not at all: the other sheets' rows would be lost unsaid
            raise InputError(
                f"the workbook has data on more than one sheet ({', '.join(others)} after "
                f"{workbook.worksheets[0].title}); bigfish reads one sheet per file: save each "
                "sheet as a file of its own",
                file=str(path),
            )
        sheet = workbook.worksheets[0]
        # openpyxl's read-only mode reads only the cells its <dimension> tag claims, which some
        # writers get wrong: without it every row is read with every cell it has.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError("the sheet is empty", file=str(path))
        names = header_names([_cell_text(h) for h in header], path, lower=lower_header)
        if on_header is not None:
            on_header(names)
        width = len(names)
        for number, values in enumerate(rows, start=2):
            texts = [_cell_text(v) for v in values]
            if all(not t.strip() for t in texts):
                continue
            if len(texts) > width:
                if any(t.strip() for t in texts[width:]):
                    used = max(i for i, t in enumerate(texts, start=1) if t.strip())
                    reason = f"{used} fields where the header has {width}"
                    yield _unreadable(number, reason, _readable(names, texts))
                    continue
                del texts[width:]
            texts += [""] * (width - len(texts))
            dates = tuple(
                n for n, v in zip(names, values, strict=False) if isinstance(v, datetime | date)
            )
            yield Row(number, dict(zip(names, texts, strict=True)), dates=dates)
    finally:
        workbook.close()
