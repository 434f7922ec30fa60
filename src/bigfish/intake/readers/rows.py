"""What a reader yields (a `Row` or an `Unreadable`, with the line it was on), the header's
column names, the header lines met inside a file (`Columns`: files joined into one), and what
the readers share about bytes that are not text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from bigfish.errors import InputError
from bigfish.intake.records import (
    EXPORT_COLUMNS,
    IDENTIFIER_COLUMNS,
    MARKING_FIELDS,
    STANDARD_FIELDS,
    bare,
    unescape_formula,
)
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
    #: The fields that were number cells of a workbook (their text is the number with "."
    #: decimals, whatever separators a column mapping gives for amounts written as text).
    number_cells: tuple[str, ...] = ()


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


#: Three bytes in a row that are Thai letters, vowels or tone marks in Windows-874 (TIS-620):
#: Thai text written in that code page. Latin-1 text has an accented letter here and there.
_THAI_RUN = re.compile(b"[\xa1-\xfb]{3}")


def encoding_question(data: bytes) -> str:
    """The question a rejection asks about the encoding of DATA, bytes that are not UTF-8:
    Thai's Windows code page when they hold Thai text in it, else Latin-1."""
    if _THAI_RUN.search(data):
        return "is the file in the Thai Windows code page, Windows-874 (TIS-620)?"
    return "is the file Latin-1?"


def _bad_bytes_reason(values: list[str]) -> str:
    if any(_NUL_MARK in v for v in values):
        return "contains a NUL character (a binary file, or one cut off?)"
    data = "".join(v for v in values if _BAD_BYTES.search(v)).encode("utf-8", "surrogateescape")
    return f"not valid UTF-8 ({encoding_question(data)}); save it as UTF-8"


def _name(cell: str) -> str:
    """A header cell's name: without the spaces and marks no one sees around it, as a value
    (`records.bare`: a mark between spaces too), and without the quote an export puts before
    a name a spreadsheet would run (`records.unescape_formula`: a partner's column "=cmd",
    kept as an attribute, exported as "'=cmd")."""
    return unescape_formula(bare(cell))


#: The column names of spec/reports.md: a header line inside any file may give them.
_SPEC_NAMES = frozenset(STANDARD_FIELDS) | frozenset(IDENTIFIER_COLUMNS)
#: The names a header's cell is read as whatever its case (a column mapping's headers too):
#: the fields of the format, and the organization and marking columns an export adds.
FOLDED = _SPEC_NAMES | frozenset(EXPORT_COLUMNS) | MARKING_FIELDS


def column_name(cell: str, folded: Collection[str], *, lower: bool = True) -> str:
    """The name of a header CELL: without the spaces and marks no one sees around it and an
    export's quote (`_name`), composed (NFC: a name typed decomposed is the name a mapping
    gives), and, when LOWER, lower-cased when that is one of FOLDED (a field of the format, a
    mapping's header: `Report_ID`, `PHONES`). Any other name is a report attribute's, kept as
    written (`Note`, `Branch code`): an export writes it so, and reads it back so."""
    name = unicodedata.normalize("NFC", _name(cell))
    if lower and (folded_name := name.lower()) in folded:
        return folded_name
    return name


def header_names(
    cells: list[str], path: Path, *, lower: bool = True, known: Collection[str] = ()
) -> list[str]:
    """The column names of a header row (`column_name`: a field's, or KNOWN's, a mapping's
    headers, whatever its case; an attribute's as written); an empty one is named column_N (N
    counted from 1) so that values under it are kept. A name given to two columns refuses the
    file: one column's values would be lost."""
    folded = FOLDED | frozenset(known)
    names = []
    for number, cell in enumerate(cells, start=1):
        names.append(column_name(cell, folded, lower=lower) or f"column_{number}")
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


_HEADER_AGAIN = (
    "the header repeated: were two files joined? This line is not a report; the rows after it "
    "are read as usual"
)
_HEADER_REORDERED = (
    "the header repeated with its columns in another order: were two files joined? This line "
    "is not a report; the rows after it are read in its order"
)
_HEADER_CHANGED = (
    "a header of other columns: were two files joined? This line is not a report; the rows "
    "after it are read under its columns"
)
#: Names a header line must give to be taken for one: a report has a date, a code, an id.
_HEADER_LEAST = 2
#: ... and, with a name the layout does not know among them, names it does know.
_HEADER_LEAST_KNOWN = 3


def _header_line(
    values: list[str], known: frozenset[str], folded: frozenset[str], lower: bool, unknowns: int = 0
) -> list[str] | None:
    """VALUES as a header's names (read as `header_names` reads them: FOLDED names whatever
    their case) when the line is a header (another file's, joined to this one): every value
    it gives is a column name this file's layout KNOWS (whatever its case, when LOWER: KNOWN
    is then lower-cased), and it gives at least two; or, when a report has more than UNKNOWNS
    values that are no names (a date and a country code where no default gives them), it
    gives every column a name, all but UNKNOWNS of them known, and at least three. A report's
    date, code or id is a value no name is. Every row is asked: it stops at the first value
    too many that is no name (a report's first or second)."""
    names = []
    named: set[str] = set()  # the names given that are KNOWN
    strangers = 0  # values that are no name KNOWN
    empty = False
    for number, value in enumerate(values, start=1):
        name = column_name(value, folded, lower=lower)
        key = name.lower() if lower else name
        if not name:
            empty = True
            name = f"column_{number}"
        elif key in known:
            named.add(key)
        else:
            strangers += 1
        if strangers > unknowns or (strangers and empty):
            return None  # a row with empty cells is a row (its date or code missing)
        names.append(name)
    if not strangers:
        return names if len(named) >= _HEADER_LEAST else None
    if len(named) < _HEADER_LEAST_KNOWN or any(_like_a_value(name) for name in named):
        return None
    return names


def _like_a_value(name: str) -> bool:
    """Whether a report's date or country code could be NAME (two letters; four digits)."""
    return len(name) == 2 or sum(char.isdigit() for char in name) >= 4


def _twice(names: list[str]) -> str | None:
    """The first name NAMES give two columns, or None."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _layout_problem(names: list[str], on_header: HeaderCheck | None) -> str | None:
    """Why the rows under a header of NAMES met inside a file cannot be read, or None."""
    twice = _twice(names)
    if twice is not None:
        return f"it names column {twice!r} more than once"
    if on_header is not None:
        try:
            on_header(names)
        except InputError as exc:
            return exc.message
    return None


def _changed_header(line: int, why: str) -> str:
    return (
        f"a header of other columns that bigfish cannot read ({why}): were two files joined? "
        f"This line is not a report, and the rows after it are rejected until a header it can "
        f"read; send the file that began at line {line} on its own"
    )


def _under_changed_header(line: int, why: str) -> str:
    return (
        f"the header at line {line} changed the layout to one bigfish cannot read ({why}); "
        f"this row is not read: send the file that began at line {line} on its own"
    )


def id_columns(columns_of: Mapping[str, str]) -> frozenset[str]:
    """The names of the columns that hold a report's id in a layout whose columns hold the
    fields COLUMNS_OF gives (the standard `report_id` always)."""
    return frozenset(n for n, field in columns_of.items() if field == "report_id") | {"report_id"}


class Columns:
    """The column names a file's rows are read under, which a header line met inside the file
    (another file's, joined to it: `cat a.csv b.csv`) changes. A line is a header when every
    value it gives is a column name the layout knows (the first header's, the spec's,
    LAYOUT_NAMES: a mapping's), at least two; or, when every report has more than UNKNOWNS
    values that are no names (a date and a country code no default gives), when it names
    every column, all but UNKNOWNS known, at least three. Where a default fills the date or
    the country (UNKNOWNS 0) a report may be its id alone, every other cell a name: a line
    with one unknown name is then a header only when its cell under the id column is the name
    of an id column (ID_NAMES), which no report's id is. Its rows are read under its columns
    when ON_HEADER takes them (and no name is given twice), else rejected naming it."""

    __slots__ = (
        "_folded",
        "_ids",
        "_known",
        "_lower",
        "_on_header",
        "_refused",
        "_unknowns",
        "names",
    )

    def __init__(
        self,
        names: list[str],
        *,
        lower: bool,
        on_header: HeaderCheck | None,
        layout_names: Collection[str],
        unknowns: int,
        id_names: Collection[str] = ("report_id",),
    ) -> None:
        self.names = names
        self._ids = frozenset(id_names)
        self._folded = FOLDED | frozenset(layout_names)
        known = frozenset(names) | self._folded
        self._known = frozenset(n.lower() for n in known) if lower else known
        self._lower = lower
        self._on_header = on_header
        self._unknowns = unknowns
        self._refused: tuple[int, str] | None = None  # the header that cannot be read, why

    def header(self, line: int, values: list[str]) -> Unreadable | None:
        """The rejection of line LINE when its VALUES are a header (the rows after it are then
        read under its columns, or rejected), else None."""
        unknowns = self._unknowns or int(self._id_named(values))
        other = _header_line(values, self._known, self._folded, self._lower, unknowns)
        if other is None:
            return None
        if self._refused is None and sorted(other) == sorted(self.names):
            reason = _HEADER_AGAIN if other == self.names else _HEADER_REORDERED
        elif (why := _layout_problem(other, self._on_header)) is None:
            reason, self._refused = _HEADER_CHANGED, None
        else:
            reason, self._refused = _changed_header(line, why), (line, why)
        self.names = other
        return Unreadable(line, reason)  # no report: no report_id to echo

    def _id_named(self, values: list[str]) -> bool:
        """Whether VALUES give under each column of the id (by the names read under) the
        name of an id column: a header's cell, where a report has its id."""
        cells = [values[number] for number, name in enumerate(self.names) if name in self._ids]
        if not cells or len(values) < len(self.names):
            return False
        for cell in cells:
            name = unicodedata.normalize("NFC", _name(cell))
            if (name.lower() if self._lower else name) not in self._ids:
                return False
        return True

    def refusal(self, line: int, values: list[str]) -> Unreadable | None:
        """The rejection of row LINE of VALUES under a header whose columns cannot be read."""
        if self._refused is None:
            return None
        reason = _under_changed_header(*self._refused)
        return _unreadable(line, reason, _readable(self.names, values))
