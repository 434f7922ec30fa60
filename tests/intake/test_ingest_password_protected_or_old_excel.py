"""A bank sends its reports as a password-protected workbook (Excel then saves an encrypted
OLE2 container, not a zip), or an old Excel 97-2003 .xls: the operator was told "not a
readable .xlsx workbook (File is not a zip file)", or "cannot tell the format from the file
name", and not what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.store import Store

#: The first bytes of an OLE2 compound file: an encrypted workbook, or a .xls.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_a_password_protected_workbook_is_named_so(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "kbank.xlsx"
    path.write_bytes(OLE2 + b"\x00" * 504)
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="th-kbank")
    assert caught.value.file == str(path)
    assert "password" in caught.value.message and "save it as .xlsx" in caught.value.message


def test_an_old_excel_file_is_named_so(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "reports.XLS"
    path.write_bytes(OLE2 + b"\x00" * 504)
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="th-kbank")
    assert caught.value.file == str(path)
    assert "Excel 97-2003" in caught.value.message and "save it as .xlsx" in caught.value.message
