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
from collections.abc import Iterator
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


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record that could not be read, and why."""

    line: int
    reason: str
    report_id: str | None = None
    field: str | None = None


Record = Row | Unreadable


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


def _lines_without_nul(text: IO[str]) -> Iterator[str]:
    # csv refuses NUL outright; turn it into a marker that fails the row, not the file.
    for line in text:
        yield line.replace("\x00", _NUL_MARK) if "\x00" in line else line


def read_csv(raw: IO[bytes], path: Path, *, lower_header: bool = True) -> Iterator[Record]:
    """Rows of an RFC 4180 CSV file in UTF-8 (with or without BOM) with a header row."""
    _check_not_utf16(raw.read(4), path)
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(_lines_without_nul(text), strict=True)
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
    names = [h.strip().lower() if lower_header else h.strip() for h in header]
    previous = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Unreadable(
                previous + 1, f"unreadable CSV from here on ({exc}); the file may be truncated"
            )
            return
        line, previous = previous + 1, reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        report_id = values[0][:200] if values else None
        if len(values) != len(names):
            yield Unreadable(
                line, f"{len(values)} fields where the header has {len(names)}", report_id
            )
        elif _has_bad_bytes(values):
            yield Unreadable(line, _bad_bytes_reason(values), None)
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
            if key in IDENTIFIER_COLUMNS and isinstance(value, list):
                fields[key] = ";".join(_scalar(v) for v in value)
                continue
            try:
                fields[key] = _scalar(value)
            except InputError as exc:
                raise InputError(exc.message, field=key) from None
        identifiers = _json_identifiers(obj.get("identifiers", []))
    except InputError as exc:
        return Unreadable(line, exc.message, report_id, exc.field)
    return Row(line, fields, identifiers)


def read_jsonl(raw: IO[bytes], path: Path) -> Iterator[Record]:
    """Rows of a JSON Lines file: one report object per line."""
    _check_not_utf16(raw.read(4), path)
    raw.seek(0)
    for number, data in enumerate(raw, start=1):
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if not data.strip():
            continue
        try:
            obj = json.loads(data.decode("utf-8"), parse_float=Decimal)
        except UnicodeDecodeError:
            yield Unreadable(number, "not valid UTF-8; save the file as UTF-8")
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
    return any(_cell_text(v).strip() for row in sheet.iter_rows(values_only=True) for v in row)


def read_xlsx(raw: IO[bytes], path: Path, *, lower_header: bool = True) -> Iterator[Record]:
    """Rows of an Excel .xlsx workbook's sheet with a header row; a workbook with data on more
    than one sheet is refused whole (naming the sheets) rather than read in part."""
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
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError("the sheet is empty", file=str(path))
        names = [_cell_text(h).strip() for h in header]
        names = [n.lower() for n in names] if lower_header else names
        for number, values in enumerate(rows, start=2):
            texts = [_cell_text(v) for v in values]
            if all(not t.strip() for t in texts):
                continue
            texts += [""] * (len(names) - len(texts))
            yield Row(number, {n: t for n, t in zip(names, texts, strict=False) if n})
    finally:
        workbook.close()
