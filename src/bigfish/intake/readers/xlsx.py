"""The Excel reader: one sheet of an .xlsx workbook with a header row, read as a stream within
the bounds of `bigfish.intake.xlsx`."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.readers.rows import (
    Columns,
    HeaderCheck,
    Record,
    Row,
    Unreadable,
    _readable,
    _unreadable,
    header_names,
    id_columns,
)
from bigfish.intake.records import unescape_formula
from bigfish.intake.xlsx import TOO_LONG, Sheet, SheetRow, column_letter, open_workbook


def _cell_text(value: Any) -> str:
    """The text of a cell's VALUE: a date's ISO 8601, a whole number's digits, a fraction to
    the 15 significant digits Excel shows of it (a sum saved as 0.30000000000000004 is the
    0.3 the partner sees: the digits past 15 are the noise of binary doubles)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        shown = f"{value:.15g}"
        return shown if "e" not in shown else str(value)  # 1e-05: as before
    return str(value)


def _holds_data(row: SheetRow) -> bool:
    """True when ROW has a cell that is not empty (or one that cannot be read)."""
    return row.problem is not None or any(
        v is TOO_LONG or _cell_text(v).strip() for v in row.values
    )


def _has_cells(rows: Iterator[SheetRow]) -> bool:
    """True when a sheet's ROWS have a cell that is not empty (or one that cannot be read)."""
    return any(_holds_data(row) for row in rows)


def read_xlsx(
    raw: IO[bytes],
    path: Path,
    *,
    lower_header: bool = True,
    on_header: HeaderCheck | None = None,
    layout_names: Collection[str] = (),
    header_unknowns: int = 1,
    columns_of: Mapping[str, str] | None = None,
) -> Iterator[Record]:
    """Rows of an Excel .xlsx workbook's sheet with a header row; a workbook with data on more
    than one sheet in view is refused whole (naming the sheets) rather than read in part. A row
    with a value right of the last header column is rejected, as a CSV row with too many fields.
    Each row with data on a hidden sheet (`_hidden_rows`), or hidden on the sheet read
    (`_hidden_row`), is rejected naming the sheet and row; a hidden column's values are not
    read, and each hidden column holding any is rejected as a record of its own, at line 1,
    naming it (`_HiddenValues`). A header row inside the sheet (another export pasted under
    the first) is rejected and the rows after it read under its columns, as in a CSV file
    (`Columns`, LAYOUT_NAMES and HEADER_UNKNOWNS; COLUMNS_OF gives the field each column
    holds, of which a report's id: the standard `report_id` when not given). The workbook is
    read as a stream within the bounds of `bigfish.intake.xlsx`."""
    workbook = open_workbook(raw, str(path))
    try:
        if not workbook.sheets:
            raise InputError("the workbook has no sheet", file=str(path))
        shown = [sheet for sheet in workbook.sheets if not sheet.hidden]
        # The sheet with data, wherever it is (an empty first sheet was taken for the data
        # and the one with data for a second: "data on more than one sheet").
        filled = [sheet for sheet in shown if _has_cells(workbook.rows(sheet))]
        if len(filled) > 1:  # read whole or not at all: the other sheets' rows would be lost
            raise InputError(
                f"the workbook has data on more than one sheet "
                f"({', '.join(sheet.name for sheet in filled[1:])} after {filled[0].name}); "
                "bigfish reads one sheet per file: save each sheet as a file of its own",
                file=str(path),
            )
        hidden = [
            sheet for sheet in workbook.sheets if sheet.hidden and _has_cells(workbook.rows(sheet))
        ]
        if not filled and hidden:
            raise InputError(
                f"the workbook's data is on {_hidden_name(hidden[0])} and on no sheet in view; "
                "bigfish does not read a sheet its sender hid: unhide it if it is meant to be "
                "sent",
                file=str(path),
            )
        sheet = (filled or shown or list(workbook.sheets))[0]
        rows = workbook.rows(sheet)
        first = next(rows, None)
        if first is None:
            raise InputError("the sheet is empty", file=str(path))
        if first.number == 1 and first.problem is not None:
            raise InputError(f"unreadable header: {first.problem}", file=str(path), line=1)
        header = first.values if first.number == 1 else ()
        names = header_names(
            [_cell_text(h) for h in header], path, lower=lower_header, known=layout_names
        )
        if on_header is not None:
            _check_header(on_header, names, first.hidden_columns, sheet)
        if first.number != 1:
            rows = itertools.chain([first], rows)
        unread = _HiddenValues()
        columns = Columns(
            names,
            lower=lower_header,
            on_header=on_header,
            layout_names=layout_names,
            unknowns=header_unknowns,
            id_names=id_columns(columns_of or {}),
        )
        for row in rows:
            record: Record | None
            if row.hidden:
                record = _hidden_row(sheet, row, columns.names)
            else:
                record = _joined(columns, row) or _sheet_record(
                    row, columns.names, unread, sheet.name
                )
            if record is not None:
                yield record
        yield from unread.rejects(names, sheet)
        for other in hidden:
            yield from _hidden_rows(other, workbook.rows(other))
    finally:
        workbook.archive.close()


def _hidden_name(sheet: Sheet) -> str:
    kind = "very hidden (only a macro shows it)" if sheet.state == "veryHidden" else "hidden"
    return f"sheet {sheet.name!r}, which is {kind}"


def _hidden_rows(sheet: Sheet, rows: Iterator[SheetRow]) -> Iterator[Unreadable]:
    """Each row with data of a hidden SHEET, rejected naming the sheet and its row: an analyst
    does not take in what a partner hid (a lookup list, a draft, a colleague's notes) without
    knowing it, and the partner is told which rows were not read rather than losing them."""
    where = _hidden_name(sheet)
    for row in rows:
        if not _holds_data(row):
            continue
        reason = (
            f"row {row.number} of {where}: bigfish reads only the sheet in view; unhide the "
            "sheet and send it as a file of its own if its rows are reports"
        )
        yield Unreadable(row.number, reason)


def _hidden_row(sheet: Sheet, row: SheetRow, names: list[str]) -> Unreadable | None:
    """A hidden ROW of the SHEET that is read (filtered out by an autofilter, or hidden by
    hand) rejected naming the sheet and row, when it holds data: as a hidden sheet's rows, not
    taken in without the sender or the analyst knowing, nor lost without a word."""
    if not _holds_data(row):
        return None
    reason = (
        f"row {row.number} of sheet {sheet.name!r} is hidden (filtered out, or hidden by "
        "hand): bigfish does not read a row its sender hid; show it (clear the filter, or "
        "unhide the row) and send the file again if it is a report"
    )
    texts = ["" if v is TOO_LONG else _cell_text(v) for v in row.values]
    return _unreadable(row.number, reason, _readable(names, texts))


def _check_header(
    on_header: HeaderCheck, names: list[str], hidden: frozenset[int], sheet: Sheet
) -> None:
    """ON_HEADER on the header NAMES but those of HIDDEN columns; a column the file needs
    (a required field's, one its mapping names) that is hidden refuses it, naming the column."""
    try:
        on_header([name for column, name in enumerate(names, start=1) if column not in hidden])
    except InputError as exc:
        needed = [c for c, name in enumerate(names, start=1) if c in hidden and name == exc.field]
        if not needed:
            raise
        raise InputError(
            f"{_column_name(needed[0], names, sheet)} is hidden, and bigfish does not read a "
            "column its sender hid, but the file needs it: unhide the column and send the "
            "file again",
            file=exc.file,
            line=1,
            field=exc.field,
        ) from None


def _column_name(column: int, names: list[str], sheet: Sheet) -> str:
    """Column COLUMN as the sender sees it: "column O ('notes') of sheet 'Reports'"."""
    header = f" ({names[column - 1]!r})" if column <= len(names) else ""
    return f"column {column_letter(column)}{header} of sheet {sheet.name!r}"


class _HiddenValues:
    """The values of the sheet's hidden columns, which are not read: a partner hides a column
    for a reason (a helper for a dropdown, a note not meant to be shared), and a helper column
    must not cost a report. Each hidden column that holds values is rejected as one record,
    at line 1 (its header), naming it and the rows, so that nothing is lost without a word."""

    def __init__(self) -> None:
        self._rows: dict[int, list[int]] = {}  # column -> [rows with a value, first, last]

    def set_aside(self, row: SheetRow, texts: list[str]) -> list[str]:
        """TEXTS (of ROW) with its hidden columns' emptied, those with a value noted."""
        kept = list(texts)
        for column, (value, text) in enumerate(zip(row.values, texts, strict=True), start=1):
            if column not in row.hidden_columns:
                continue
            kept[column - 1] = ""
            if row.problem is None and (value is TOO_LONG or text.strip()):
                seen = self._rows.setdefault(column, [0, row.number, row.number])
                seen[0] += 1
                seen[2] = row.number
        return kept

    def rejects(self, names: list[str], sheet: Sheet) -> Iterator[Unreadable]:
        """Each hidden column with a value, as a rejected record naming it."""
        for column, (count, first, last) in sorted(self._rows.items()):
            rows = f"1 row ({first})" if count == 1 else f"{count:,} rows ({first} to {last})"
            reason = (
                f"{_column_name(column, names, sheet)} is hidden, and its values in {rows} "
                "were not read: bigfish does not read a column its sender hid; unhide the "
                "column and send the file again if its values are meant to be sent"
            )
            field = names[column - 1] if column <= len(names) else f"column {column}"
            yield Unreadable(1, reason, field=field)


def _joined(columns: Columns, row: SheetRow) -> Unreadable | None:
    """The rejection of ROW as a header inside the sheet, or as a row under one whose columns
    cannot be read (`Columns`); None for a row to read. On a sheet with hidden columns a row
    is not taken for a header: its hidden cells would be names unseen."""
    if row.problem is not None:
        return None
    texts = ["" if v is TOO_LONG else _cell_text(v) for v in row.values]
    if not any(t.strip() for t in texts):
        return None
    header = None if row.hidden_columns else columns.header(row.number, texts)
    return header or columns.refusal(row.number, texts)


def _beyond_header(used: int, width: int, names: list[str], value: str, sheet: str) -> str:
    """Why a row with a value in column USED, right of the WIDTH columns of the header NAMES,
    is rejected, naming the cell: on a wide sheet a stray note is easy to miss."""
    shown = value if len(value) <= 60 else value[:60] + "…"
    last = f"{column_letter(width)} ({names[-1]!r})" if names else "A"
    return (
        f"{used} fields where the header has {width}: column {column_letter(used)} of sheet "
        f"{sheet!r} holds {shown!r}, right of the header, whose last column is {last}; clear "
        "the cell, or give its column a name in the header"
    )


def _sheet_record(
    row: SheetRow, names: list[str], unread: _HiddenValues, sheet: str
) -> Record | None:
    """The record of one sheet row of SHEET under the header NAMES, without its hidden columns
    (set aside in UNREAD); None for a row of empty cells. A text cell an export escaped ('=…, '+…,
    as `bigfish export` writes one a spreadsheet would run) is read without its quote: a
    sheet keeps the ' that opening such a CSV file shows (`records.unescape_formula`)."""
    values = row.values
    texts = ["" if v is TOO_LONG else unescape_formula(_cell_text(v)) for v in values]
    if row.hidden_columns:
        texts = unread.set_aside(row, texts)
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
            return _unreadable(
                row.number,
                _beyond_header(used, width, names, texts[used - 1], sheet),
                _readable(names, texts),
                f"column {column_letter(used)}",
            )
        del texts[width:]
    texts += [""] * (width - len(texts))
    fields = dict(zip(names, texts, strict=True))
    if row.hidden_columns:
        fields = {
            name: text
            for column, (name, text) in enumerate(fields.items(), start=1)
            if column not in row.hidden_columns
        }
    dates = tuple(
        n
        for n, v in zip(names, values, strict=False)
        if isinstance(v, datetime | date) and n in fields
    )
    numbers = tuple(
        n
        for n, v in zip(names, values, strict=False)
        if isinstance(v, int | float) and not isinstance(v, bool) and n in fields
    )
    return Row(row.number, fields, dates=dates, number_cells=numbers)
