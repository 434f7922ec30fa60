"""Intake: a header name escaped as a formula cell is read back without its quote (h141)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.organizations import add_org
from bigfish.store import open_store
from bigfish.store.schema import reports


def _attributes(tmp_path: Path, text: str, name: str) -> object:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / (name + '.db')}")
    try:
        add_org(store, "a", country="TH")
        assert ingest_file(store, path, org="a", workers=0, classify=False).stored == 1
        with store.connect() as conn:
            (attributes,) = conn.execute(sa.select(reports.c.attributes)).scalars()
    finally:
        store.close()
    return attributes


def test_an_escaped_header_name_is_read_back_without_its_quote(tmp_path: Path) -> None:
    """`bigfish export csv` writes an attribute named "=cmd" as the header cell "'=cmd"
    (e023ac1), as it writes a cell; intake unescapes cells, not header names."""
    text = "report_id,reported_at,country,'=cmd\nr1,2025-03-01,TH,x\n"
    assert _attributes(tmp_path, text, "x.csv") == {"=cmd": "x"}


def test_a_value_with_a_quote_before_a_formula_character_survives_the_csv_export(
    tmp_path: Path,
) -> None:
    """A JSON Lines (or STIX, MISP, API) value "'+66 call" is stored as sent; the CSV export
    writes it as it is (it is no formula), and intake then drops the quote as an escape."""
    from bigfish.interop import export_csv
    from bigfish.sharing.policy import Viewer

    row = {"report_id": "r1", "reported_at": "2025-03-01", "country": "TH", "note": "'+66 call"}
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        add_org(store, "a", country="TH")
        assert ingest_file(store, path, org="a", workers=0, classify=False).stored == 1
        import io

        out = io.StringIO()
        export_csv(store, Viewer.node_operator(), out)
    finally:
        store.close()
    assert _attributes(tmp_path, out.getvalue(), "e.csv") == {"note": "'+66 call"}
