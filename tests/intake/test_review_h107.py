"""Review h107: what a workbook's hidden sheets hold is rejected naming the sheet and row, never
read unknowingly nor lost; hostile intake files keep received = stored + rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.store import Store

from .conftest import HEADER, row, stored_ids


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _book_with_lists(state: str) -> Workbook:
    """A partner's template: the reports in view, a sheet of dropdown values hidden."""
    book = Workbook()
    book.active.title = "Reports"
    book.active.append(HEADER)
    book.active.append(list(row("r1").values()))
    book.active.append(list(row("r2").values()))
    lists = book.create_sheet("Lists")
    lists.append(["scam_type", "channel"])
    lists.append(["investment", "sms"])
    lists.append([None, None])  # an empty row: nothing to lose
    lists.append(["romance", "line"])
    lists.sheet_state = state
    return book


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheets_rows_are_rejected_naming_the_sheet(
    sqlite_store: Store, tmp_path: Path, state: str
) -> None:
    """The workbook was refused whole as "data on more than one sheet": a template with a
    hidden list of dropdown values could not be sent at all."""
    path = tmp_path / "template.xlsx"
    _book_with_lists(state).save(path)
    result = ingest_file(sqlite_store, path, org="th-kbank")
    assert stored_ids(sqlite_store) == ["r1", "r2"]
    rejects = _rejects(path)
    assert [r["line"] for r in rejects] == [1, 2, 4]
    assert result.received == result.stored + result.rejected == 5
    for reject in rejects:
        assert reject["file"] == str(path)
        assert f"row {reject['line']} of sheet 'Lists'" in str(reject["reason"])
        assert ("very hidden" if state == "veryHidden" else "which is hidden") in str(
            reject["reason"]
        )


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_reports_on_a_hidden_sheet_only_refuse_the_file(
    sqlite_store: Store, tmp_path: Path, state: str
) -> None:
    """The reports of a hidden sheet were read and stored as if in view, when the sheet in
    view was empty: an analyst took in what the partner had hidden without knowing it."""
    book = Workbook()
    book.active.title = "Cover"
    secret = book.create_sheet("Drafts")
    secret.append(HEADER)
    secret.append(list(row("draft-1").values()))
    secret.sheet_state = state
    path = tmp_path / "drafts.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"sheet 'Drafts', which is .*hidden") as caught:
        ingest_file(sqlite_store, path, org="th-kbank")
    assert caught.value.file == str(path)
    assert stored_ids(sqlite_store) == []
    secret.sheet_state = "visible"  # unhidden, it is read
    book.save(path)
    assert ingest_file(sqlite_store, path, org="th-kbank").stored == 1
    assert stored_ids(sqlite_store) == ["draft-1"]


def test_an_empty_hidden_sheet_changes_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(list(row("r1").values()))
    book.create_sheet("Spare").sheet_state = "hidden"
    path = tmp_path / "spare.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="th-kbank")
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)
    assert _rejects(path) == []


def test_two_sheets_in_view_are_still_refused_whole(sqlite_store: Store, tmp_path: Path) -> None:
    book = _book_with_lists("hidden")
    june = book.create_sheet("June")
    june.append(HEADER)
    june.append(list(row("r3").values()))
    path = tmp_path / "two.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"more than one sheet \(June after Reports\)"):
        ingest_file(sqlite_store, path, org="th-kbank")
    assert stored_ids(sqlite_store) == []


def _with_text_replaced(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite the first sheet's XML with OLD replaced by NEW, as a broken generator writes it."""
    import zipfile

    out = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in content
                content = content.replace(old, new)
            zout.writestr(item, content)
    out.replace(path)


@pytest.mark.parametrize("broken", [b"a&#1;b", b"a\x01b", b"a<b"])
def test_rows_before_a_broken_spot_in_a_sheet_are_read(
    sqlite_store: Store, tmp_path: Path, broken: bytes
) -> None:
    """XML that is not well formed (a control character, written raw or as a reference) in row
    4 refused the whole file as 'unreadable header' (line 1): expat parses 64 kB at a time, and
    the rows it had completed in that piece, the header among them, were dropped with it."""
    book = Workbook()
    book.active.append(HEADER)
    for number, narrative in enumerate(["fine", "also fine", "BROKEN", "after"], start=1):
        book.active.append(list(row(f"r{number}", narrative=narrative).values()))
    path = tmp_path / "broken.xlsx"
    book.save(path)
    _with_text_replaced(path, b"BROKEN", broken)
    result = ingest_file(sqlite_store, path, org="th-kbank")
    assert stored_ids(sqlite_store) == ["r1", "r2"]
    [reject] = _rejects(path)
    assert reject["line"] == 4
    assert "the sheet cannot be read from here on" in str(reject["reason"])
    assert result.received == result.stored + result.rejected == 3
