"""The streamed workbook reader reads what openpyxl's read-only mode read, on any workbook
openpyxl writes: the same rows, the same values (dates, numbers, formulas, booleans), the same
rejections."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bigfish.errors import InputError
from bigfish.intake.readers import (
    Record,
    Row,
    _cell_text,
    _readable,
    _unreadable,
    header_names,
    read_xlsx,
)
from bigfish.intake.readers.rows import Columns
from bigfish.intake.readers.xlsx import _beyond_header
from bigfish.intake.xlsx import _unsaved, column_letter

from .conftest import HEADER

_PATH = Path("book.xlsx")


def _saved_values(raw: IO[bytes], title: str) -> list[tuple[Any, ...]]:
    """The rows of sheet TITLE as openpyxl reads them with the values formulas were saved with."""
    raw.seek(0)
    workbook = load_workbook(raw, read_only=True, data_only=True)
    try:
        sheet = workbook[title]
        sheet.reset_dimensions()
        return list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
        raw.seek(0)


def _as_saved(read: tuple[Any, ...], saved: list[tuple[Any, ...]], at: int) -> tuple[Any, ...]:
    """Row READ with each formula as the value it was saved with (SAVED[AT]), if it was."""
    cached = [*(saved[at] if at < len(saved) else ()), *[None] * len(read)]
    return tuple(
        c if isinstance(v, str) and v.startswith("=") and c is not None else v
        for v, c in zip(read, cached, strict=False)
    )


def old_read_xlsx(raw: IO[bytes], path: Path) -> list[Record]:
    """read_xlsx as it was, on openpyxl's read-only mode (which holds all it reads), a formula
    read as the value it was saved with when it was saved with one; a row with a formula saved
    without (openpyxl computes none) rejected (`_unsaved_formula`)."""
    workbook = load_workbook(raw, read_only=True, data_only=False)
    try:
        filled = [ws for ws in workbook.worksheets if _old_has_cells(ws)]
        if len(filled) > 1:
            others = ", ".join(ws.title for ws in filled[1:])
            raise InputError(f"data on more than one sheet ({others})", file=str(path))
        sheet = filled[0] if filled else workbook.worksheets[0]  # the sheet with data
        saved = _saved_values(raw, sheet.title)
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError("the sheet is empty", file=str(path))
        header = _as_saved(header, saved, 0)
        if (column := _unsaved_formula(header)) is not None:
            reason = f"unreadable header: {_unsaved(column, sheet.title)}"
            raise InputError(reason, file=str(path), line=1)
        names = header_names([_cell_text(h) for h in header], path)
        width = len(names)
        columns = Columns(names, lower=True, on_header=None, layout_names=(), unknowns=1)
        out: list[Record] = []
        for number, read in enumerate(rows, start=2):
            values = _as_saved(read, saved, number - 1)
            if (column := _unsaved_formula(values)) is not None:
                texts = [_cell_text(None if _unsaved_formula((v,)) else v) for v in values]
                field = names[column - 1] if column <= width else f"column {column}"
                reason = _unsaved(column, sheet.title)
                out.append(_unreadable(number, reason, _readable(names, texts), field))
                continue
            texts = [_cell_text(v) for v in values]
            if all(not t.strip() for t in texts):
                continue
            if joined := columns.header(number, texts) or columns.refusal(number, texts):
                out.append(joined)  # a header row inside the sheet (as read_csv's)
                names, width = columns.names, len(columns.names)
                continue
            if len(texts) > width:
                if any(t.strip() for t in texts[width:]):
                    used = max(i for i, t in enumerate(texts, start=1) if t.strip())
                    reason = _beyond_header(used, width, names, texts[used - 1], sheet.title)
                    field = f"column {column_letter(used)}"
                    out.append(_unreadable(number, reason, _readable(names, texts), field))
                    continue
                del texts[width:]
            texts += [""] * (width - len(texts))
            dates = tuple(
                n for n, v in zip(names, values, strict=False) if isinstance(v, datetime | date)
            )
            numbers = tuple(
                n
                for n, v in zip(names, values, strict=False)
                if isinstance(v, int | float) and not isinstance(v, bool)
            )
            fields = dict(zip(names, texts, strict=True))
            out.append(Row(number, fields, dates=dates, number_cells=numbers))
        return out
    finally:
        workbook.close()


def _unsaved_formula(values: tuple[Any, ...]) -> int | None:
    """The first column of VALUES that is a formula saved without its value, if any."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, str) and len(value) > 1 and value.startswith("="):
            return column
    return None


def _old_has_cells(sheet: Any) -> bool:
    sheet.reset_dimensions()
    return any(_cell_text(v).strip() for row in sheet.iter_rows(values_only=True) for v in row)


TEXT = st.lists(st.sampled_from([*"ab Z09;:@+-./=", "โทร", "ví", "x005F_", "  "]), max_size=6).map(
    "".join
)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "=A1", '=HYPERLINK("http://x.example","y")']),
)
ROWS = st.lists(st.lists(CELL, max_size=17), max_size=8)


def _saved(rows: list[list[Any]], other: list[list[Any]] | None, header: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    if header:
        sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    if other is not None:
        extra = book.create_sheet("Other")
        for values in other:
            extra.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _outcome(read: Any, data: bytes) -> object:
    try:
        return list(read(io.BytesIO(data), _PATH))
    except InputError as exc:
        return ("refused", exc.file, "more than one sheet" in exc.message or exc.message)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.none() | ROWS, st.booleans())
def test_streamed_rows_are_openpyxl_s(
    rows: list[list[Any]], other: list[list[Any]] | None, header: bool
) -> None:
    data = _saved(rows, other, header)
    assert _outcome(read_xlsx, data) == _outcome(old_read_xlsx, data)


def _handwritten(tmp_path: Path, rows: list[str], strings: list[str]) -> bytes:
    from .test_crafted_files import workbook

    return workbook(tmp_path / "hand.xlsx", rows, strings).read_bytes()


RICH = [
    "<si><t>plain</t></si>",
    "<si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r>"
    '<rPh sb="0" eb="1"><t>phonetic</t></rPh></si>',
    "<si><t>a x005F_ b</t></si>",
    "<si><t></t></si>",
]
HAND_ROWS = [
    # shared strings (plain, rich, escaped, empty), inline strings, numbers, a boolean
    '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="inlineStr"><is><t>2025-03-01</t>'
    '</is></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>2</v></c><c r="E2" t="s"><v>3</v>'
    '</c><c r="F2"><v>1.5</v></c><c r="G2" t="b"><v>1</v></c></row>',
    # no "r" on rows or cells; a gap of rows; a cell far right of the header
    "<row><c><v>7</v></c><c/><c><v>8</v></c></row>",
    '<row r="9"><c r="A9" t="str"><v>9</v></c><c r="Z9"><v>1</v></c></row>',
    '<row r="10" ht="20" customHeight="1"><c r="B10"><f>1+1</f><v>2</v></c></row>',
]


def test_hand_written_sheets_read_as_openpyxl_read_them(tmp_path: Path) -> None:
    data = _handwritten(tmp_path, HAND_ROWS, RICH)
    assert _outcome(read_xlsx, data) == _outcome(old_read_xlsx, data)


def test_a_row_out_of_order_is_rejected_not_dropped(tmp_path: Path) -> None:
    # openpyxl's read-only mode dropped it without a word.
    rows = ['<row r="5"><c t="inlineStr"><is><t>five</t></is></c></row>']
    rows.append('<row r="3"><c t="inlineStr"><is><t>three</t></is></c></row>')
    records = list(read_xlsx(io.BytesIO(_handwritten(tmp_path, rows, [])), _PATH))
    assert [(type(r).__name__, r.line) for r in records] == [("Row", 5), ("Unreadable", 3)]
    assert records[1].reason == "row 3 comes after row 5"
