"""A value holding ';' (a URL's ;jsessionid=…) re-ingested from the CSV export as two; now the
export writes it `\\;` and intake reads that as a `;` inside the value (h141). And the quote
before a formula character reads back as it was written, in any number."""

from __future__ import annotations

import io
import json
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bigfish.intake import ingest_file
from bigfish.intake.records import (
    escape_formula,
    escape_values,
    looks_like_formula,
    split_values,
    unescape_formula,
)
from bigfish.interop import export_csv
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers, mentions


def _store(tmp_path: Path, name: str) -> Store:
    store = open_store(f"sqlite:///{tmp_path / name}")
    add_org(store, "a", country="TH")
    return store


def _field_values(store: Store) -> set[tuple[str, str]]:
    query = (
        sa.select(identifiers.c.kind, identifiers.c.canonical)
        .join(mentions, mentions.c.identifier_id == identifiers.c.id)
        .where(mentions.c.source == "field")
    )
    with store.connect() as conn:
        return {(str(k), str(c)) for k, c in conn.execute(query)}


def test_an_identifier_holding_a_semicolon_reingests_as_itself(tmp_path: Path) -> None:
    row = {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "identifiers": [{"kind": "url", "value": "https://bad.example/login;jsessionid=AB12"}],
    }
    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    first = _store(tmp_path, "a.db")
    try:
        assert ingest_file(first, source, org="a", workers=0, classify=False).stored == 1
        before = _field_values(first)
        out = io.StringIO()
        export_csv(first, Viewer.node_operator(), out)
    finally:
        first.close()
    exported = tmp_path / "exported.csv"
    exported.write_text(out.getvalue(), encoding="utf-8")
    again = _store(tmp_path, "b.db")
    try:
        assert ingest_file(again, exported, org="a", workers=0, classify=False).stored == 1
        after = _field_values(again)
    finally:
        again.close()
    assert after == before


_VALUES = st.lists(
    st.text(min_size=1).map(str.strip).filter(lambda v: bool(v) and not v.endswith("\\")),
    max_size=5,
)


@given(_VALUES)
def test_escaped_values_split_back_as_they_were(values: list[str]) -> None:
    """`escape_values` (the export's identifier cell) and `split_values` (intake's) agree on
    any values, `;` and backslashes inside them included (each value as intake keeps one:
    stripped, not empty; none ends in a backslash)."""
    assert split_values(escape_values(values)) == values


@given(st.text())
def test_every_text_the_export_escapes_reads_back_as_it_was(text: str) -> None:
    """A cell or header name the export writes (`escape_formula`) is read back by intake
    (`unescape_formula`) as it was, quotes before a formula character included; and what
    the export writes is no formula a spreadsheet would run."""
    written = escape_formula(text)
    assert unescape_formula(written) == text
    assert not looks_like_formula(written)
