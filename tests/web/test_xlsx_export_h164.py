"""The network page's Excel export (helper 164): the network's reports the user may see as a
workbook whose every cell is text, downloaded and audited as the CSV is."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bigfish.audit import verify_audit
from bigfish.interop import export as export_module
from bigfish.store.schema_access import audit_log
from tests.interop.test_xlsx_export_h164 import cells, formulas
from tests.web.conftest import XSS_NARRATIVE, AuditRow, WebPartnership, audit_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _exports(web: WebPartnership) -> list[AuditRow]:
    return audit_rows(web, audit_log.c.action.like("GET /networks/%/export/%"))


def test_the_network_page_offers_the_workbook(web: WebPartnership) -> None:
    page = web.clients["A"].get(f"/networks/{web.private_network}")
    assert page.status_code == 200
    link = f'href="/networks/{web.private_network}/export/xlsx" download>Export Excel (.xlsx)<'
    assert link in page.text


def test_a_network_downloads_as_a_workbook_and_is_audited(web: WebPartnership) -> None:
    """Before: /networks/N/export/xlsx answered 404, "No export format here"."""
    path = f"/networks/{web.private_network}/export"
    answer = web.clients["A"].get(f"{path}/xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="network-{web.private_network}.xlsx"'
    )
    assert formulas(answer.content) == []
    rows = {row["report_id"][1]: row for row in cells(answer.content)}
    assert set(rows) == {"a-1", "a-2"}
    assert rows["a-1"]["narrative"] == ("inlineStr", XSS_NARRATIVE)
    assert rows["a-1"]["phones"] == ("inlineStr", "+66811111111")
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True)["reports"]
    assert next(sheet.iter_rows(max_row=1, values_only=True))[:2] == ("report_id", "reported_at")
    assert web.clients["B"].get(f"{path}/xlsx").status_code == 404
    assert _exports(web) == [
        ("user:alice", "A", f"GET {path}/xlsx", f"{path}/xlsx", 200),
        ("user:bob", "B", f"GET {path}/xlsx", f"{path}/xlsx", 404),
    ]
    assert verify_audit(web.store).ok


def test_the_csv_download_is_unchanged(web: WebPartnership) -> None:
    answer = web.clients["A"].get(f"/networks/{web.private_network}/export/csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text.startswith("report_id,reported_at,country,")
    assert "a-1" in answer.text


def test_a_network_too_long_for_a_workbook_says_so(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "MAX_SHEET_CELL", 20)
    path = f"/networks/{web.private_network}/export/xlsx"
    answer = web.clients["A"].get(path)
    assert answer.status_code == 422
    assert "more than the 20 an Excel cell holds; export it as csv" in answer.text
    assert '<header class="top">' in answer.text
    assert _exports(web) == [("user:alice", "A", f"GET {path}", path, 422)]
