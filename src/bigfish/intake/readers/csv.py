"""The CSV reader: an RFC 4180 file in UTF-8 with a header row, read a record at a time up to
MAX_RECORD characters; a record the csv module cannot read is rejected and reading goes on."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO

from bigfish.errors import InputError
from bigfish.intake.readers.rows import (
    _BAD_BYTES,
    _NUL_MARK,
    _SKIP,
    Columns,
    HeaderCheck,
    Record,
    Row,
    _bad_bytes_reason,
    _check_not_utf16,
    _has_bad_bytes,
    _readable,
    _unreadable,
    check_not_zip,
    header_names,
    id_columns,
)
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    MAX_COLUMNS,
    MAX_RECORD,
    STANDARD_FIELDS,
    unescape_formula,
)

# A field is bounded by its record (_Lines); build_report refuses a field over its own limit.
csv.field_size_limit(MAX_RECORD)


class RecordTooLong(Exception):
    """A CSV record runs past MAX_RECORD characters (raised by `_Lines` through csv.reader)."""


_OPEN, _QUOTED, _PLAIN = 0, 1, 2  # at a field's start or after its closing quote; in quotes; not


def _quoting(piece: str, state: int) -> int:
    """The quoting state after PIECE (a line or part of one, without its end) of a record, as
    the csv module reads it: a quote opens a quoted field at a field's start only, and a
    doubled quote in one is a quote. Jumps from quote to quote and comma to comma."""
    at, end = 0, len(piece)
    while at < end:
        if state == _QUOTED:
            found = piece.find('"', at)
            if found < 0:
                return _QUOTED
            state, at = _OPEN, found + 1  # closed, unless the next is a quote
        elif state == _OPEN:
            char = piece[at]
            state = _QUOTED if char == '"' else _OPEN if char == "," else _PLAIN
            at += 1
        else:
            found = piece.find(",", at)
            if found < 0:
                return _PLAIN
            state, at = _OPEN, found + 1
    return state


_ENDS = ("\n", "\r")
#: The byte DOS ended a text file with (Ctrl-Z), which old exporters still write after the
#: last line: dropped there, and only there.
_EOF = "\x1a"
_BOM = "\ufeff"


class _Lines:
    """The lines of a CSV text for csv.reader, a NUL made a marker that fails its row, not the
    file. The lines of the record being read are kept: when the csv module cannot read a record
    (a stray quote), the lines after its first are given back and read again. A record is read
    up to MAX_RECORD characters and no further: past them the rest of the record (to the end
    of a line outside quotes: a quoted field may hold line ends) is skipped unread and
    RecordTooLong raised, so a 100 MB cell never stands in memory."""

    __slots__ = ("_again", "_readline", "ran_out", "size", "skipped", "taken")

    def __init__(self, text: IO[str]) -> None:
        self._readline = text.readline
        self._again: list[str] = []  # lines given back, the next one last
        self.taken: list[str] = []  # the lines of the record being read
        self.size = 0  # their characters
        self.ran_out = False  # the record being read reached the end of the file
        self.skipped = 0  # lines of the record skipped unread after those taken

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.pop()
        else:
            limit = MAX_RECORD - self.size + 1
            line = self._readline(limit)
            if line.endswith(_EOF) and len(line) < limit:  # no line end, short: the file's end
                line = line[: -len(_EOF)]  # DOS's end-of-file mark: no text of the file
            if not line:
                self.ran_out = True
                raise StopIteration
            if "\x00" in line:  # csv refuses NUL outright
                line = line.replace("\x00", _NUL_MARK)
        if not self.taken and line.startswith(_BOM):  # a record's first line
            line = line.lstrip(_BOM)  # another file's BOM: `cat a.csv b.csv` (Excel writes one)
        self.taken.append(line)
        self.size += len(line)
        if self.size > MAX_RECORD:
            self._skip_record()
            raise RecordTooLong
        return line

    def _skip_record(self) -> None:
        """Read past the rest of the record being read, unkept: to the first line end outside
        quotes (the text of a quoted field's later lines is not records of its own)."""
        state = _OPEN
        for piece in self.taken:
            state = _quoting(piece.rstrip("\r\n"), state)
        piece = self.taken[-1]
        while not (piece.endswith(_ENDS) and state != _QUOTED):
            ended = piece.endswith(_ENDS)
            piece = self._readline(_SKIP)
            if not piece:
                self.ran_out = True
                return
            self.skipped += ended  # a line of the record after the last one taken
            state = _quoting(piece.rstrip("\r\n"), state)

    def done(self) -> int:
        """The number of lines of the record just read."""
        count = len(self.taken) + self.skipped
        self.taken.clear()
        self.size = 0
        self.ran_out = False
        self.skipped = 0
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


_STRAY_COMMA = (
    "; the header's last column has no name: does the header line end with a comma too many?"
)
_UNQUOTED_COMMA = '; a value with a comma in it must be quoted ("hi, there")'
_SPACED_QUOTE = (
    "; a field begins with a space before its quote: a quoted field must begin with its quote "
    '(no space after the comma: ,"a, b")'
)
#: Separators of columns other than the comma, as spreadsheets and exports write them.
_SEPARATORS = (";", "\t", "|")


def _header_record(reader: Iterator[list[str]], path: Path) -> list[str]:
    """The first record of READER, or InputError naming why there is none."""
    try:
        return next(reader)
    except StopIteration:
        raise InputError("the file is empty", file=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"unreadable header: {exc}", file=str(path), line=1) from None
    except RecordTooLong:
        reason = f"the header is longer than {MAX_RECORD:,} characters"
        raise InputError(reason, file=str(path), line=1) from None


def _sep_line(cells: list[str]) -> str | None:
    """The separator an Excel "sep=X" line before the header gives ("sep=," reads as the
    cells "sep=" and ""), or None when CELLS are no such line."""
    first = cells[0].lstrip().lower() if cells else ""
    if not first.startswith("sep="):
        return None
    given = first[4:].strip(" ")  # a tab is a separator
    if not given and len(cells) == 2 and not cells[1].strip():
        return ","
    return (given or None) if len(cells) == 1 else None


def _separator(cells: list[str]) -> str | None:
    """The separator other than the comma a header of one cell (CELLS) is split by, or None."""
    if len(cells) != 1:
        return None
    found = max(_SEPARATORS, key=cells[0].count)
    return found if sum(1 for p in cells[0].split(found) if p.strip()) >= 2 else None


def _separator_reason(separator: str) -> str:
    what = "tabs" if separator == "\t" else repr(separator)
    return (
        f"the columns are separated by {what}, not by commas (a spreadsheet saves CSV so in "
        "a language that writes decimals with a comma; a text export); save the file as "
        "CSV UTF-8 (comma delimited), or export it with ',' between columns"
    )


def _empty_past(values: list[str], width: int) -> bool:
    """Whether VALUES run past WIDTH fields with empty ones only, no more than a sheet's
    columns (the empty cells right of a sheet's header, saved as CSV)."""
    return width < len(values) <= MAX_COLUMNS and not any(v.strip() for v in values[width:])


#: The field each column of the standard layout holds (a column mapping adds its headers).
STANDARD_COLUMNS: Mapping[str, str] = {n: n for n in (*STANDARD_FIELDS, *IDENTIFIER_COLUMNS)}
#: Fields whose cells are kept as written even when they look like a formula: free text.
_FREE_TEXT = frozenset({"narrative"})
#: Excel's formula that forces text, ="0812345678" (a quote in it doubled): what a spreadsheet
#: shows, and what the partner meant, is the text in its quotes (a leading 0 kept).
_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)
#: A number as a spreadsheet writes one in scientific notation (8.12346E+09, 4,11111E+15):
#: its last digits are lost.
_SCIENTIFIC = re.compile(r"\s*[+-]?\d+(?:[.,]\d+)?E\+\d+\s*", re.IGNORECASE)


def _formula_reason(name: str, number: int) -> str:
    return (
        f"column {number} ({name}) holds a formula, not a value: a CSV file keeps no formula's "
        "result and bigfish computes none; write the value itself (a spreadsheet program "
        "saving as CSV writes each formula's value)"
    )


def _scientific_reason(name: str, number: int, value: str) -> str:
    return (
        f"column {number} ({name}) holds {value.strip()[:40]!r}, a number in scientific "
        "notation whose last digits are lost; format the column as Text in the spreadsheet "
        "(or type the numbers with a leading ') and save the file again"
    )


def _cell(value: str) -> str:
    """The text of a CSV cell: the cell without the quote `bigfish export` (and other exports)
    put before one a spreadsheet would run ('+66812345678, '=x: `records.unescape_formula`),
    the text inside Excel's text formula ="…", else the cell."""
    if value.startswith("'"):
        return unescape_formula(value)
    if (match := _TEXT_FORMULA.fullmatch(value)) is not None:
        return match.group(1).replace('""', '"')
    return value


def _not_a_value(name: str, number: int, field: str | None, value: str) -> str | None:
    """Why cell VALUE (as written) of column NAME (the NUMBERth), holding FIELD of the layout,
    is no value to store, or None. A formula (other than ="…") in a field's column is
    refused, never stored as its text; and a number in scientific notation in an identifier
    column or the report's id; free text (a narrative, a column no field reads) is kept as
    written."""
    if field is None or field in _FREE_TEXT:
        return None
    if value.startswith("=") and _TEXT_FORMULA.fullmatch(value) is None:
        return _formula_reason(name, number)
    if field in IDENTIFIER_COLUMNS:
        for piece in _cell(value).split(";"):
            if _SCIENTIFIC.fullmatch(piece):
                return _scientific_reason(name, number, piece)
    elif field == "report_id" and _SCIENTIFIC.fullmatch(text := _cell(value)):
        # two cases 123456789012 and 123457000000 would be one report: the second its update
        return _scientific_reason(name, number, text)
    return None


def _row(line: int, names: list[str], values: list[str], columns_of: Mapping[str, str]) -> Record:
    """The record of VALUES under NAMES (as many), rejected for bytes that are not text and for
    a cell that is no value to store (`_not_a_value`); Excel's ="…" read as its text, and an
    export's escaped cell ('=…, '+…) without its quote, in every column. Which field each
    column holds is COLUMNS_OF's."""
    if _has_bad_bytes(values):
        bad = [n for n, v in zip(names, values, strict=True) if _BAD_BYTES.search(v)]
        reason = _bad_bytes_reason(values)
        return _unreadable(line, reason, _readable(names, values), ", ".join(bad))
    cells = "\n".join(values)  # one look, in C, for what most rows hold none of
    if "=" in cells or "E+" in cells or "e+" in cells:
        for number, (name, value) in enumerate(zip(names, values, strict=True), start=1):
            if (refusal := _not_a_value(name, number, columns_of.get(name), value)) is not None:
                texts = [_cell(v) for v in values]
                return _unreadable(line, refusal, _readable(names, texts), name)
    elif "'" not in cells:
        return Row(line, dict(zip(names, values, strict=True)))
    return Row(line, {n: _cell(v) for n, v in zip(names, values, strict=True)})


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
    layout_names: Collection[str] = (),
    header_unknowns: int = 1,
    columns_of: Mapping[str, str] = STANDARD_COLUMNS,
) -> Iterator[Record]:
    """Rows of an RFC 4180 CSV file in UTF-8 (with or without BOM) with a header row. A record
    the csv module cannot read is rejected and reading goes on from the line after its first.
    A BOM starting a record is dropped and a header line inside the file is rejected (the
    marks of files joined into one): a line whose every value is a column name the layout
    knows (the header's, the spec's, LAYOUT_NAMES: a mapping's), at least two, or all but
    HEADER_UNKNOWNS of them (fewer than the values of a report that no name is: its date and
    country code when the layout has no default for them). The rows after it are read under
    its columns when ON_HEADER takes them, else rejected naming it. COLUMNS_OF gives the
    field each column holds: a formula in one (but Excel's ="…", read as its text) rejects
    its row, as a number in scientific notation in an identifier column does."""
    head = raw.read(4)
    _check_not_utf16(head, path)
    check_not_zip(head, path, "CSV")
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    header = _header_record(reader, path)
    before = 0  # lines before the header: Excel's "sep=," line
    if (given := _sep_line(header)) is not None:
        if given != ",":
            raise InputError(_separator_reason(given), file=str(path), line=1)
        before = lines.done()
        header = _header_record(reader, path)
    if (splitter := _separator(header)) is not None:
        raise InputError(_separator_reason(splitter), file=str(path), line=before + 1)
    if len(header) > MAX_COLUMNS:
        raise InputError(
            f"the header has {len(header):,} columns, more than the {MAX_COLUMNS:,} a sheet "
            "may have",
            file=str(path),
            line=1,
        )
    if _has_bad_bytes(header):
        reason = _bad_bytes_reason(header)  # a NUL (a binary file), or bytes not UTF-8
        what = reason if any(_NUL_MARK in h for h in header) else f"is {reason}"
        raise InputError(f"the header {what}", file=str(path), line=1)
    names = header_names(header, path, lower=lower_header, known=layout_names)
    if on_header is not None:
        on_header(names)
    columns = Columns(
        names,
        lower=lower_header,
        on_header=on_header,
        layout_names=layout_names,
        unknowns=header_unknowns,
        id_names=id_columns(columns_of),
    )
    read = before + lines.done()  # lines before the next record
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
        if (rejected := columns.header(line, values) or columns.refusal(line, values)) is not None:
            names = columns.names  # the columns of the rows after a header line
            yield rejected
        elif _empty_past(values, len(names)):
            yield _row(
                line, names, values[: len(names)], columns_of
            )  # as a sheet's empty cells past it
        elif len(values) != len(names):
            reason = f"{len(values)} fields where the header has {len(names)}"
            if len(values) > len(names):
                reason += _UNQUOTED_COMMA
            if len(values) == len(names) - 1 and names[-1] == f"column_{len(names)}":
                reason += _STRAY_COMMA
            if any(v[:1].isspace() and v.lstrip().startswith('"') for v in values):
                reason += _SPACED_QUOTE
            yield _unreadable(line, reason, _readable(names, [_cell(v) for v in values]))
        else:
            yield _row(line, names, values, columns_of)
