"""Excel workbooks (.xlsx) read as a stream, within bounds a crafted file cannot push.

openpyxl reads what a workbook says about itself (its sheets, styles and date formats) and turns
each cell into a value (numbers, dates, formulas, rich text) as it always has. The parts that
grow with the data, the sheets and the shared strings, are parsed here with expat, one row or
one string at a time, because openpyxl's read-only mode holds what it has read: every row element
stays attached to the sheet (10 million empty rows, a 90 kB file, took 1.1 GB), every cell's and
every shared string's whole text is read (a 100 MB cell took 340 MB).

Bounds, Excel's own where Excel has one:
- a row is at most MAX_COLUMNS cells (Excel's 16,384) and MAX_ROW_TEXT characters of text; a
  cell's text at most MAX_CELL characters (a narrative's limit): a row past them is rejected,
  naming the row and the column;
- a sheet ends at row MAX_ROWS (Excel's 1,048,576); a sheet that goes on is read to there and the
  rest rejected as one record that says so;
- the shared strings hold at most MAX_SHARED_TEXT characters; each part is at most MAX_PART bytes
  uncompressed (MAX_STREAMED_PART for sheets and shared strings): a workbook past them, a "zip
  bomb" among them, is refused whole, before it is expanded;
- a document type declaration (entities: the "billion laughs") is refused.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import Element, SubElement
from xml.parsers import expat

from bigfish.errors import InputError
from bigfish.intake.records import MAX_COLUMNS, MAX_NARRATIVE, MAX_RECORD

MAX_ROWS = 1_048_576
MAX_CELL = MAX_NARRATIVE
MAX_ROW_TEXT = MAX_RECORD
MAX_SHARED_TEXT = 256_000_000
"""Characters of all shared strings, each counting _STRING_COST more for its own upkeep."""
MAX_PART = 64 * 1024 * 1024
MAX_STREAMED_PART = 2 * 1024 * 1024 * 1024
MAX_TOKEN = 1024 * 1024
"""Bytes of XML expat may read without reporting anything (one tag of that size)."""

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _STRING, _TEXT, _VALUE = f"{_MAIN}row", f"{_MAIN}si", f"{_MAIN}t", f"{_MAIN}v"
_COLUMN, _SHEET_DATA = f"{_MAIN}col", f"{_MAIN}sheetData"
_STRING_COST = 64
_CHUNK = 64 * 1024
# What a damaged zip (or one that lies about its sizes) or its XML raises as it is read.
_BROKEN = (zipfile.BadZipFile, OSError, EOFError, zlib.error, expat.ExpatError)
TOO_LONG_MARK = "{bigfish}too-long"


# The escapes of OOXML text (ST_Xstring) for the characters a workbook's XML cannot hold: the
# control characters but tab and line feed, U+FFFE and U+FFFF, and a CR, which XML reads as a
# line feed. Excel writes a CR in a cell as _x000D_, and an underscore that would start such an
# escape in the text as _x005F_.
_CONTROL_ESCAPE = "_x(?:000[0-8B-Fb-f]|001[0-9A-Fa-f]|[Ff]{3}[EeFf])_"
_ESCAPED = re.compile(f"_x005F_(?={_CONTROL_ESCAPE[1:]})|{_CONTROL_ESCAPE}")
_TO_ESCAPE = re.compile(f"_(?={_CONTROL_ESCAPE[1:]})|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def escape_control(text: str) -> str:
    """TEXT as a workbook's cell holds it: each control character and CR as its escape
    (_x000D_), and the underscore of a text that reads as one as _x005F_ (`unescape_control`)."""
    return _TO_ESCAPE.sub(lambda m: "_x005F_" if m[0] == "_" else f"_x{ord(m[0]):04X}_", text)


def unescape_control(text: str) -> str:
    """The text of an inline string cell TEXT: its escapes of control characters and CRs
    (`escape_control`, Excel's own) read as the characters. Other _xHHHH_ are kept as openpyxl
    reads them: the characters they stand for are ones a workbook holds as they are."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: "_" if m[0] == "_x005F_" else chr(int(m[0][2:6], 16)), text)


class TooLong:
    """In place of a cell's text over MAX_CELL characters: the text was not kept."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TooLong()"


TOO_LONG = TooLong()


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One row of a sheet: its number and its values by column (None where empty), or why it
    cannot be read (PROBLEM), with the column of the cell at fault when one is (COLUMN, 1-based)."""

    number: int
    values: tuple[Any, ...] = ()
    problem: str | None = None
    column: int | None = None
    #: Whether Excel does not show the row (filtered out by an autofilter, or hidden by hand).
    hidden: bool = False
    #: The sheet's hidden columns (1-based): their cells are in VALUES, unchecked.
    hidden_columns: frozenset[int] = frozenset()


class _Units:
    """Expat over one part, building each UNIT element (a sheet's <row>, a shared <si>) as a
    small tree with its text bounded; completed units wait in ``done`` with what was wrong."""

    def __init__(
        self,
        unit: str,
        max_children: int,
        max_text: int,
        max_part_text: int,
        outside: Callable[[str, dict[str, str]], None] | None = None,
    ) -> None:
        self._unit = unit
        self._outside = outside  # told of each element outside the units (tag, attributes)
        self._max_children, self._max_text, self._max_part_text = (
            max_children,
            max_text,
            max_part_text,
        )
        self._open: list[Element] = []  # the unit's elements from the unit down, still open
        self._texts: list[list[str]] = []  # the text pieces of each open element
        self._lengths: list[int] = []
        self._children = self._unit_text = 0
        self._problem: str | None = None  # what is wrong with the unit as a whole
        self._ignored = 0  # depth inside elements not built (the unit was too wide)
        #: Completed units and what is wrong with each; a child whose text was too long to keep
        #: (a cell) carries the attribute TOO_LONG_MARK instead.
        self.done: deque[tuple[Element, str | None]] = deque()
        self.events = 0
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._doctype
        self._parser = parser

    def feed(self, data: bytes, final: bool = False) -> None:
        self._parser.Parse(data, final)

    @staticmethod
    def _doctype(*_: object) -> None:
        raise ValueError("a document type declaration (entities) has no place in a workbook")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        tag = _clark(name)
        if self._ignored or (self._open and len(self._open) == 1 and self._too_wide()):
            self._ignored += 1
            return
        if not self._open:
            if tag != self._unit:
                if self._outside is not None:
                    self._outside(tag, attrs)
                return
            element = Element(tag, {_clark(k): v for k, v in attrs.items()})
        else:
            element = SubElement(self._open[-1], tag, {_clark(k): v for k, v in attrs.items()})
            if len(self._open) == 1:
                self._children += 1
        self._open.append(element)
        self._texts.append([])
        self._lengths.append(0)

    def _too_wide(self) -> bool:
        if self._children < self._max_children:
            return False
        self._problem = self._problem or f"more than {self._max_children:,} cells"
        return True

    def _end(self, name: str) -> None:
        self.events += 1
        if self._ignored:
            self._ignored -= 1
            return
        if not self._open:
            return
        element = self._open.pop()
        pieces = self._texts.pop()
        self._lengths.pop()
        if pieces:
            element.text = "".join(pieces)
        if not self._open:
            self.done.append((element, self._problem))
            self._children = self._unit_text = 0
            self._problem = None

    def _text(self, data: str) -> None:
        self.events += 1
        if self._ignored or not self._open:
            return
        self._unit_text += len(data)
        self._lengths[-1] += len(data)
        if self._lengths[-1] > self._max_text:
            self._open[min(1, len(self._open) - 1)].set(TOO_LONG_MARK, "")
            self._texts[-1].clear()
        elif self._unit_text > self._max_part_text:
            self._problem = self._problem or f"more than {self._max_part_text:,} characters"
            self._texts[-1].clear()
        else:
            self._texts[-1].append(data)


def _clark(name: str) -> str:
    """Expat's "namespace}local" as ElementTree's "{namespace}local"."""
    return "{" + name if "}" in name else name


def _units(source: IO[bytes], units: _Units) -> Iterator[tuple[Element, str | None]]:
    """Feed SOURCE to UNITS, yielding each unit as it completes."""
    quiet = 0  # bytes fed since expat last reported something
    while chunk := source.read(_CHUNK):
        before = units.events
        yield from _fed(units, chunk)
        quiet = 0 if units.events != before else quiet + len(chunk)
        if quiet > MAX_TOKEN:
            raise ValueError(f"an XML tag of more than {MAX_TOKEN:,} bytes")
    yield from _fed(units, b"", final=True)


def _fed(units: _Units, data: bytes, final: bool = False) -> Iterator[tuple[Element, str | None]]:
    """The units that DATA completes; those completed before a spot that cannot be parsed
    (a control character, a broken tag) first, then the error: a piece is 64 kB, hundreds of
    rows, and the rows before the spot are as sound as in any other piece."""
    try:
        units.feed(data, final)
    except Exception:
        while units.done:
            yield units.done.popleft()
        raise
    while units.done:
        yield units.done.popleft()


def shared_strings(source: IO[bytes], file: str) -> list[str | TooLong]:
    """The shared strings of a workbook as openpyxl reads them, a string over MAX_CELL as
    TOO_LONG; InputError when all of them are over MAX_SHARED_TEXT characters."""
    from openpyxl.cell.text import Text

    strings: list[str | TooLong] = []
    total = 0
    units = _Units(_STRING, MAX_COLUMNS, MAX_CELL, MAX_CELL)
    for element, problem in _units(source, units):
        if (
            problem is not None
            or TOO_LONG_MARK in element.attrib
            or any(TOO_LONG_MARK in child.attrib for child in element)
        ):
            strings.append(TOO_LONG)
            continue
        if len(element) == 1 and element[0].tag == _TEXT and len(element[0]) == 0:
            text = element[0].text or ""  # <si><t>…</t></si>: what Text.content gives, sooner
        else:
            text = Text.from_tree(element).content
        text = text.replace("x005F_", "")
        total += len(text) + _STRING_COST
        if total > MAX_SHARED_TEXT:
            raise InputError(
                f"the workbook's shared strings are over {MAX_SHARED_TEXT:,} characters; save "
                "it as CSV, which is read a line at a time",
                file=file,
            )
        strings.append(text)
    return strings


def sheet_rows(
    source: IO[bytes], convert: Any, sheet: str = "", padded: Mapping[int, int] | None = None
) -> Iterator[SheetRow]:
    """The rows of SHEET (its name, for the reasons), in order, CONVERT (openpyxl's
    WorkSheetParser) giving each cell its value; a whole number of a cell style PADDED pads
    with leading zeros is the text the sheet shows (`padded_styles`). A sheet that goes on past
    MAX_ROWS, or cannot be parsed further, ends with a row whose problem says so."""
    number = 0
    columns = _HiddenColumns()
    units = _Units(_ROW, MAX_COLUMNS, MAX_CELL, MAX_ROW_TEXT, columns.describe)
    try:
        for element, problem in _units(source, units):
            hidden_columns = columns.hidden()
            try:
                row_number = _row_number(element, number)
            except ValueError as exc:
                number += 1
                yield SheetRow(number, problem=str(exc))
                continue
            if row_number > MAX_ROWS:
                yield SheetRow(row_number, problem=f"{_PAST} {MAX_ROWS:,}, {_PAST_REST}")
                return
            if row_number <= number:
                yield SheetRow(row_number, problem=f"row {row_number} comes after row {number}")
                continue
            number = row_number
            hidden = element.get("hidden") in _TRUE
            if problem is not None:
                yield SheetRow(number, problem=f"the row has {problem}", hidden=hidden)
                continue
            row = _converted(element, number, convert, sheet, hidden_columns, padded or {})
            if hidden or hidden_columns:
                row = dataclasses.replace(row, hidden=hidden, hidden_columns=hidden_columns)
            yield row
    except (ValueError, *_BROKEN) as exc:
        reason = f"the sheet cannot be read from here on ({exc})"
        yield SheetRow(number + 1, problem=reason)


_TRUE = ("1", "true")  # an XML boolean that is true


class _HiddenColumns:
    """The columns a sheet hides, from its <col> descriptions (before its rows, as Excel writes
    them; one after the rows begin cannot be told apart from their data, and stops reading)."""

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []
        self._described = 0
        self._known: frozenset[int] | None = None

    def describe(self, tag: str, attrs: dict[str, str]) -> None:
        """Note an element outside the rows: a hidden column's <col>, or the rows' start."""
        if tag == _SHEET_DATA:
            self.hidden()
        if tag != _COLUMN:
            return
        if self._known is not None:
            raise ValueError("a column is described after the rows began")
        self._described += 1
        if self._described > MAX_COLUMNS:
            raise ValueError(f"more than {MAX_COLUMNS:,} column descriptions")
        if attrs.get("hidden") not in _TRUE:
            return
        try:
            first, last = int(attrs.get("min", "")), int(attrs.get("max", ""))
        except ValueError:
            raise ValueError(
                f"a hidden column from {attrs.get('min')!r} to {attrs.get('max')!r} is not a "
                "range of columns"
            ) from None
        self._ranges.append((max(first, 1), min(last, MAX_COLUMNS)))

    def hidden(self) -> frozenset[int]:
        """The hidden columns, 1-based; none is described after this is first asked."""
        if self._known is None:
            columns: set[int] = set()
            end = 0
            for first, last in sorted(self._ranges):  # merged: each column added once
                columns.update(range(max(first, end + 1), last + 1))
                end = max(end, last)
            self._known = frozenset(columns)
        return self._known


_PAST, _PAST_REST = "the sheet goes on past row", "Excel's last; the rest of it is not read"


def _row_number(element: Element, previous: int) -> int:
    """The row's number as openpyxl reads it ("r", else one after the previous row)."""
    r = element.get("r")
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        number = float(r)  # openpyxl accepts "5.0"
        if not number.is_integer():
            raise ValueError(f"{r} is not a valid row number") from None
        return int(number)


def _converted(
    element: Element,
    number: int,
    convert: Any,
    sheet: str,
    hidden: frozenset[int],
    padded: Mapping[int, int],
) -> SheetRow:
    """The row's values by column, or why they cannot be had; a cell of a HIDDEN column is
    not checked (nor its formula's value read): it is not read (the reader says so). A whole
    number of a style PADDED pads is the text the sheet shows (`_shown_padded`)."""
    if len(element) == 0:
        return SheetRow(number)
    convert.row_counter = number - 1  # openpyxl numbers a row without "r" from here
    try:
        _, cells = convert.parse_row(element)
    except (ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
        return SheetRow(number, problem=f"a cell cannot be read ({type(exc).__name__}: {exc})")
    finally:
        convert.row_dimensions.clear()  # openpyxl keeps every row's attributes: not needed
    width = max(cell["column"] for cell in cells)
    values: list[Any] = [None] * width
    wrong: tuple[int, str] | None = None  # the first cell that cannot be taken, and why
    for child, cell in zip(element, cells, strict=True):
        value = TOO_LONG if TOO_LONG_MARK in child.attrib else cell["value"]
        if isinstance(value, str) and child.get("t") == "inlineStr":
            value = unescape_control(value)
        column = cell["column"]
        if column in hidden:
            values[column - 1] = value
            continue
        if cell["data_type"] == "f" and not _has_saved_value(child):
            value = None  # its text is no value the partner saw
            wrong = wrong or (column, _unsaved(column, sheet))
        elif cell["data_type"] == "f":
            try:
                value = _saved_value(child, convert)
            except (ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
                problem = f"a cell cannot be read ({type(exc).__name__}: {exc})"
                return SheetRow(number, problem=problem, column=column)
        if padded and cell["style_id"] in padded:
            value = _shown_padded(value, padded[cell["style_id"]])
        values[column - 1] = value
        if value is TOO_LONG:
            wrong = wrong or (column, f"a cell of more than {MAX_CELL:,} characters")
    if wrong is not None:
        return SheetRow(number, tuple(values), wrong[1], column=wrong[0])
    return SheetRow(number, tuple(values))


#: A number format of zeros alone ("000000"; Excel's Zip Code, "00000"): it shows a whole
#: number with leading zeros to as many digits (a case number 000123, an account 0012345678).
_ZEROS = re.compile("0{2,}")


def padded_styles(cell_styles: Any, number_formats: Any) -> dict[int, int]:
    """The cell styles (by index, as a cell's `s` names one) whose number format is zeros
    alone, each with its number of zeros. CELL_STYLES and NUMBER_FORMATS are a workbook's
    as openpyxl reads them (a custom format's id is 164 and up, its index among them)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    widths: dict[int, int] = {}
    for index, style in enumerate(cell_styles):
        number = style.numFmtId
        if number < BUILTIN_FORMATS_MAX_SIZE:
            code = BUILTIN_FORMATS.get(number)
        else:
            custom = number - BUILTIN_FORMATS_MAX_SIZE
            code = number_formats[custom] if custom < len(number_formats) else None
        if isinstance(code, str) and _ZEROS.fullmatch(code):
            widths[index] = len(code)
    return widths


def _shown_padded(value: Any, width: int) -> Any:
    """VALUE as a number format of WIDTH zeros shows it: a whole number (not negative) as the
    text of its digits with leading zeros to WIDTH (what the partner sees and means: the
    number lost its zeros, the text has them); any other value as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if value < 0 or (isinstance(value, float) and not value.is_integer()):
        return value
    return str(int(value)).zfill(width)


def _has_saved_value(cell: Element) -> bool:
    """Whether a formula CELL was saved with its value: a <v> with one, or an empty <v> of a
    formula giving text (an empty text result, as Excel saves one). A program that computes no
    formulas (openpyxl, some exporters) writes no <v>, or an empty one without t="str"."""
    saved = cell.find(_VALUE)
    return saved is not None and (bool(saved.text) or cell.get("t") == "str")


def _unsaved(column: int, sheet: str) -> str:
    return (
        f"column {column_letter(column)} of sheet {sheet!r} holds a formula with no saved "
        "value (the program that wrote the file computes no formulas); open the file in a "
        "spreadsheet program and save it, so that each formula is saved with its value"
    )


def column_letter(number: int) -> str:
    """The letters Excel names column NUMBER (1-based) by: A, ..., Z, AA, ..., XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _saved_value(cell: Element, convert: Any) -> Any:
    """The value a formula CELL was saved with (by Excel: what the partner sees), converted as
    openpyxl converts a value (a number, a date by its style, text, a boolean, an error)."""
    counter = convert.col_counter
    convert.data_only = True  # parse_cell reads the <v> of a formula cell then
    try:
        return convert.parse_cell(cell)["value"]
    finally:
        convert.data_only = False
        convert.col_counter = counter


@dataclass(frozen=True, slots=True)
class Sheet:
    """A worksheet: its NAME, the PART it is stored in, and whether Excel shows it (STATE:
    "visible", "hidden", or "veryHidden", which only a macro or the VBA editor can unhide)."""

    name: str
    part: str
    state: str = "visible"

    @property
    def hidden(self) -> bool:
        """True when Excel does not show the sheet (hidden or very hidden)."""
        return self.state != "visible"


@dataclass(frozen=True, slots=True)
class Workbook:
    """A workbook's worksheets, in order, and what converts their cells."""

    archive: zipfile.ZipFile
    sheets: tuple[Sheet, ...]
    converter: Callable[[], Any]
    #: The cell styles that show whole numbers with leading zeros, and to how many digits.
    padded: Mapping[int, int] = field(default_factory=dict)

    def rows(self, sheet: Sheet) -> Iterator[SheetRow]:
        """The rows of SHEET."""
        with self.archive.open(sheet.part) as source:
            yield from sheet_rows(source, self.converter(), sheet.name, self.padded)


#: The first bytes of an OLE2 compound file: what Excel saves a workbook with a password to
#: open in (encrypted), and the Excel 97-2003 format (.xls); an .xlsx is a zip.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_REASON = (
    "the workbook is protected by a password (encrypted), or an Excel 97-2003 workbook "
    "(.xls), which bigfish cannot read: open it in a spreadsheet program, remove the "
    "password if it has one, and save it as .xlsx (Excel Workbook)"
)


def open_workbook(raw: IO[bytes], file: str) -> Workbook:
    """The workbook RAW, its parts' sizes checked before any is expanded; InputError naming
    FILE when it is not a readable workbook (saying what to do with an encrypted one or a
    .xls) or is past a bound."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    head = raw.read(len(OLE2))
    raw.seek(0)
    if head == OLE2:
        raise InputError(OLE2_REASON, file=file)
    try:
        reader = ExcelReader(raw, read_only=True, data_only=False)
        _check_sizes(reader.archive, file)
        reader.read_manifest()
        strings = reader.package.find(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
        )
        if strings is not None:
            with reader.archive.open(strings.PartName[1:]) as source:
                reader.shared_strings = shared_strings(source, file)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = tuple(
            Sheet(sheet.name, rel.target, sheet.state or "visible")
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        )
    except InputError:
        raise
    # SyntaxError: ElementTree's ParseError (openpyxl parses the small parts with it).
    except (KeyError, ValueError, TypeError, AttributeError, SyntaxError, *_BROKEN) as exc:
        raise InputError(f"not a readable .xlsx workbook ({exc})", file=file) from None
    wb = reader.wb

    def converter() -> Any:
        return WorkSheetParser(
            None,
            reader.shared_strings,
            data_only=False,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )

    return Workbook(
        reader.archive, sheets, converter, padded_styles(wb._cell_styles, wb._number_formats)
    )


def _check_sizes(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse a workbook a part of which expands past its bound (the sizes the zip declares
    bound what it can expand to: reading stops there, and a lie fails its checksum)."""
    for info in archive.infolist():
        streamed = info.filename.startswith("xl/worksheets/") or info.filename.endswith(
            "sharedStrings.xml"
        )
        bound = MAX_STREAMED_PART if streamed else MAX_PART
        if info.file_size > bound and info.filename.endswith((".xml", ".rels")):
            raise InputError(
                f"the workbook's part {info.filename} expands to {info.file_size:,} bytes, over "
                f"the {bound:,} a workbook's part may have (a zip bomb?)",
                file=file,
            )
