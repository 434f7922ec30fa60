"""Readers for CSV, JSON Lines and Excel files: bytes in, rows of text fields out.

A reader yields a `Row` for every record it could read and an `Unreadable` for every record it
could not, with the line it was on; a problem with the whole file raises InputError naming it.
Readers stream: memory does not grow with the file.

The package, along those seams: `rows` (what a reader yields, the header's names, header lines
inside a file, bytes that are not text), `csv`, `jsonl` and `xlsx` (one reader each). Everything
is imported from `bigfish.intake.readers` (tests/intake/test_xlsx.py also imports `_cell_text`,
`_readable` and `_unreadable` from here).
"""

from bigfish.intake.readers.csv import RecordTooLong as RecordTooLong
from bigfish.intake.readers.csv import read_csv as read_csv
from bigfish.intake.readers.jsonl import MAX_JSON_LINE as MAX_JSON_LINE
from bigfish.intake.readers.jsonl import RepeatedKey as RepeatedKey
from bigfish.intake.readers.jsonl import read_jsonl as read_jsonl
from bigfish.intake.readers.jsonl import refuse_mapped_numbers as refuse_mapped_numbers
from bigfish.intake.readers.jsonl import row_from_json as row_from_json
from bigfish.intake.readers.jsonl import unique_keys as unique_keys
from bigfish.intake.readers.rows import HeaderCheck as HeaderCheck
from bigfish.intake.readers.rows import Record as Record
from bigfish.intake.readers.rows import Row as Row
from bigfish.intake.readers.rows import Unreadable as Unreadable
from bigfish.intake.readers.rows import _readable as _readable
from bigfish.intake.readers.rows import _unreadable as _unreadable
from bigfish.intake.readers.rows import header_names as header_names
from bigfish.intake.readers.xlsx import _cell_text as _cell_text
from bigfish.intake.readers.xlsx import read_xlsx as read_xlsx

__all__ = [
    "MAX_JSON_LINE",
    "HeaderCheck",
    "Record",
    "RecordTooLong",
    "RepeatedKey",
    "Row",
    "Unreadable",
    "header_names",
    "read_csv",
    "read_jsonl",
    "read_xlsx",
    "refuse_mapped_numbers",
    "row_from_json",
    "unique_keys",
]
