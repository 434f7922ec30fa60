"""A Thai partner's file saved in the Thai Windows code page (cp874, TIS-620), as older Thai
Excel and bank systems write CSV: each row with Thai text is rejected, as before, and the
reason now names the likely encoding rather than asking "is the file Latin-1?", which sent
the partner looking for the wrong setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.intake import ingest_file
from bigfish.store import Store

THAI = "โทรมาหลอกให้โอนเงิน"


def _reasons(path: Path) -> list[str]:
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["reason"] for line in rejects.splitlines()]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_thai_code_page_file_is_named_so(
    sqlite_store: Store, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"th-bank{suffix}"
    if suffix == ".csv":
        text = f"report_id,reported_at,country,narrative\nT1,2025-03-01,TH,{THAI}\n"
        text += "T2,2025-03-01,TH,ascii\n"
    else:
        line = '{{"report_id": "{}", "reported_at": "2025-03-01", "country": "TH", '
        text = line.format("T1") + f'"narrative": "{THAI}"}}\n'
        text += line.format("T2") + '"narrative": "ascii"}\n'
    path.write_bytes(text.encode("cp874"))
    result = ingest_file(sqlite_store, path, org="th-bank")
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    [reason] = _reasons(path)
    assert "Windows-874" in reason and "Latin-1" not in reason and "UTF-8" in reason


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_latin_1_file_is_still_named_so(sqlite_store: Store, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"fr{suffix}"
    if suffix == ".csv":
        text = "report_id,reported_at,country,narrative\nF1,2025-03-01,FR,crème brûlée\n"
    else:
        text = '{"report_id": "F1", "reported_at": "2025-03-01", "country": "FR", '
        text += '"narrative": "crème brûlée"}\n'
    path.write_bytes(text.encode("latin-1"))
    ingest_file(sqlite_store, path, org="fr")
    [reason] = _reasons(path)
    assert "Latin-1" in reason and "Windows-874" not in reason
