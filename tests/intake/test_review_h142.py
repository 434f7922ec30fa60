"""Review h142 of the `\\;` escape (a986310): values that are separate where they come from (the
items of a JSON list, the cells of the columns a mapping joins into one field) stay separate
values, and a `;` inside such an item is a `;` inside its value. A986310 made a `\\;` in the
joined text a `;` inside one value, so an item or cell ending in a backslash swallowed the next
one (`https://a.example/x\\` and `https://b.example/y` became the one value
`https://a.example/x;https://b.example/y`); and a list item holding `;` (a URL's ;jsessionid=)
was two values, one a valid URL that could link unrelated reports (h141's defect C)."""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.readers.rows import header_names
from bigfish.intake.records import (
    STANDARD,
    Formats,
    bare,
    build_report,
    escape_values,
    parse_datetime,
    split_values,
)
from bigfish.interop.export import CSV_COLUMNS, attribute_columns
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers, mentions


def _store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'h142.db'}")
    add_org(store, "a", country="TH")
    return store


def _urls(store: Store) -> set[str]:
    query = (
        sa.select(mentions.c.raw)
        .join(mentions, mentions.c.identifier_id == identifiers.c.id)
        .where(mentions.c.source == "field", identifiers.c.kind == "url")
    )
    with store.connect() as conn:
        return {str(raw) for (raw,) in conn.execute(query)}


def _ingest_jsonl(tmp_path: Path, row: dict[str, object], mapping: str | None = None) -> set[str]:
    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    layout = None
    if mapping is not None:
        (tmp_path / "p.map.toml").write_text(mapping, encoding="utf-8")
        layout = load_mapping(tmp_path / "p.map.toml")
    store = _store(tmp_path)
    try:
        result = ingest_file(store, source, org="a", mapping=layout, workers=0, classify=False)
        assert result.stored == 1
        return _urls(store)
    finally:
        store.close()


ITEMS = ["https://a.example/x\\", "https://b.example/login;jsessionid=AB12"]


def test_the_items_of_a_json_list_are_each_one_value(tmp_path: Path) -> None:
    row = {"report_id": "r1", "reported_at": "2025-03-01", "country": "TH", "urls": ITEMS}
    assert _ingest_jsonl(tmp_path, row) == set(ITEMS)


def test_the_items_of_a_mapped_json_list_are_each_one_value(tmp_path: Path) -> None:
    mapping = (
        '[columns]\nreport_id = "id"\nreported_at = "day"\nurls = "links"\n'
        '[defaults]\ncountry = "TH"\n'
    )
    row = {"id": "r1", "day": "2025-03-01", "links": ITEMS}
    assert _ingest_jsonl(tmp_path, row, mapping) == set(ITEMS)


def test_the_cells_a_mapping_joins_are_each_one_value(tmp_path: Path) -> None:
    path = tmp_path / "m.map.toml"
    path.write_text('[columns]\nurls = ["link", "other link"]\n', encoding="utf-8")
    mapping = load_mapping(path)
    fields = mapping.apply({"link": "https://a.example/x\\", "other link": "https://b.example/y"})
    assert split_values(fields["urls"]) == ["https://a.example/x\\", "https://b.example/y"]


@given(st.lists(st.text(alphabet="ab;\\ ", min_size=1).map(str.strip).filter(bool), max_size=5))
def test_escape_values_gives_back_every_value_split_values_can(values: list[str]) -> None:
    """Any values without spaces at their ends (which `split_values` takes off) come back as
    they were, a value ending in a backslash too."""
    assert split_values(escape_values(values)) == values


def test_a_long_date_a_layout_reads_is_not_kept_once_read() -> None:
    """7a3990f keeps strptime's answers for the last 4,096 (text, format) pairs a layout's dates
    gave: a date text strptime reads may be as long as a row (a space in the format reads any
    run of spaces), so a partner's file could leave gigabytes in a long-lived process (`bigfish
    serve`). Twenty dates of 200,000 characters each, read and let go, must not stay."""
    formats = Formats(date="%d %m %Y")
    expected = [datetime(2025, 3, day, tzinfo=UTC) for day in range(1, 21)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        texts = [f"{day:02d}" + " " * 200_000 + "03 2025" for day in range(1, 21)]
        assert [parse_datetime(t, formats) for t in texts] == expected
        del texts
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{kept:,} bytes kept after the dates were read"


def test_a_header_name_loses_the_marks_around_it_as_a_value_does(tmp_path: Path) -> None:
    """A header cell with invisible marks between spaces (" \\u200b \\ufeffreport_id") kept a
    mark (one strip of spaces, marks, spaces), so the column was not report_id and every row
    was rejected, while a value so written is bare (`records.bare`, until neither takes any)."""
    cells = [" \u200b \ufeffreport_id", "reported_at\u200b \u2060 ", "country"]
    assert header_names(cells, tmp_path / "p.csv") == ["report_id", "reported_at", "country"]
    assert [bare(cell) for cell in cells] == ["report_id", "reported_at", "country"]


def test_the_export_s_attribute_columns_read_back_as_distinct_names(tmp_path: Path) -> None:
    """`attribute_columns` gives an attribute a `.2` column when intake would read its name as
    another column's: it must read names as intake does (`header_names`), marks between
    spaces too, or intake refuses the export for naming a column twice."""
    names = [" \u200b \u200bnote", "note", "\u200b \ufeffCountry"]
    columns = [*CSV_COLUMNS, *attribute_columns(names).values()]
    read = header_names(columns, tmp_path / "export.csv")  # raises for a name given twice
    assert len(set(read)) == len(columns)


def test_a_value_of_marks_no_one_sees_is_no_value() -> None:
    """An identifier cell that looks empty but holds a zero-width space (pasted from a web
    page), or a `;`-list with such a value, gave a value of marks alone: a junk invalid
    identifier on the report. A value's own text is kept as it was (its raw)."""
    fields = {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "phones": "\u200b",
        "urls": " \ufeff ; x.example ;\u200b \u2060",
    }
    found = build_report(fields, formats=STANDARD).identifiers
    assert [(i.kind.value, i.value) for i in found] == [("url", "x.example")]
    assert split_values("a\u200b;\u200b;\\;\u200b") == ["a\u200b", ";\u200b"]


def test_a_json_identifier_of_invisible_marks_is_refused_as_an_empty_one(tmp_path: Path) -> None:
    """`identifiers[i].value` of spaces is refused as "value must be non-empty text"; one of
    marks no one sees is as empty (`bare`), and was stored as a junk invalid identifier."""
    row = {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "identifiers": [{"kind": "phone", "value": " \u200b\ufeff "}],
    }
    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps(row) + "\n", encoding="utf-8")
    store = _store(tmp_path)
    try:
        result = ingest_file(store, source, org="a", workers=0, classify=False)
    finally:
        store.close()
    assert (result.stored, result.rejected) == (0, 1)
    assert result.rejects_path is not None
    reject = json.loads(result.rejects_path.read_text(encoding="utf-8"))
    assert (reject["field"], reject["reason"]) == (
        "identifiers[0].value",
        "value must be non-empty text",
    )
