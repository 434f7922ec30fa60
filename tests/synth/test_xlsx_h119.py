"""`bigfish synth --seed`: "the same seed gives the same files" held for every file but the
Excel one, whose zip entries and document properties were stamped with the time of writing."""

from __future__ import annotations

import time
from pathlib import Path

from openpyxl import load_workbook

from bigfish.synth import generate


def test_the_same_seed_gives_the_same_excel_file(tmp_path: Path) -> None:
    generate(tmp_path / "a", reports=1000, seed=7)
    time.sleep(2.1)  # a zip entry's time has a resolution of 2 s
    generate(tmp_path / "b", reports=1000, seed=7)
    first = (tmp_path / "a" / "sg-dbs.xlsx").read_bytes()
    assert first == (tmp_path / "b" / "sg-dbs.xlsx").read_bytes()
    book = load_workbook(tmp_path / "a" / "sg-dbs.xlsx", read_only=True)
    assert len(list(book.active.rows)) > 1  # still a workbook with its rows
