"""A JSON report's keys name the format's fields whatever their case, as a CSV's headers do:
`"Phones"` was kept as an attribute (the phone never linked), `"TLP": "red"` as an attribute (the
partner's marking unread), `"Country"` refused the report as having no country. A key that gives
the name as it is wins: `Country` beside `country` stays an attribute, as it always was."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports


def _write(path: Path, *objects: dict[str, object]) -> Path:
    path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
    return path


def test_the_formats_fields_are_read_whatever_their_case(store: Store, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "cased.jsonl",
        {
            "Report_ID": "r1",
            "Reported_At": "2025-03-01",
            "Country": "TH",
            "Phones": "081 234 5678",
            "Loss_Amount": "1500",
            "LOSS_CURRENCY": "THB",
            "Note": "kept as written",
        },
        {
            "report_id": "r2",
            "reported_at": "2025-03-01",
            "country": "TH",
            "Identifiers": [{"kind": "phone", "value": "0812345678"}],
        },
    )
    result = ingest_file(store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)
    with store.connect() as conn:
        stored = conn.execute(
            sa.select(reports.c.report_id, reports.c.country, reports.c.loss_currency).order_by(
                reports.c.report_id
            )
        ).all()
        assert [tuple(r) for r in stored] == [("r1", "TH", "THB"), ("r2", "TH", None)]
        phones = conn.execute(
            sa.select(reports.c.report_id, identifiers.c.canonical)
            .join(mentions, mentions.c.report_pk == reports.c.id)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .order_by(reports.c.report_id)
        ).all()
        assert [tuple(p) for p in phones] == [("r1", "+66812345678"), ("r2", "+66812345678")]
        attributes = conn.execute(
            sa.select(reports.c.attributes).where(reports.c.report_id == "r1")
        ).scalar_one()
    kept = json.loads(attributes) if isinstance(attributes, str) else attributes
    assert kept == {"Note": "kept as written"}


def test_a_field_given_twice_by_case_rejects_its_report(store: Store, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "twice.jsonl",
        {"report_id": "r1", "reported_at": "2025-03-01", "Country": "TH", "COUNTRY": "VN"},
        {"report_id": "r2", "reported_at": "2025-03-01", "country": "TH", "TLP": "red"},
    )
    result = ingest_file(store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (2, 0, 2)
    rejects = [
        json.loads(line)
        for line in path.with_name(path.name + ".rejects.jsonl").read_text().splitlines()
    ]
    assert (rejects[0]["line"], rejects[0]["report_id"], rejects[0]["field"]) == (
        1,
        "r1",
        "COUNTRY",
    )
    assert "'Country' and 'COUNTRY'" in rejects[0]["reason"]
    # A marking of its own: refused as a lower-case `tlp` is (the batch's marking decides).
    assert (rejects[1]["line"], rejects[1]["field"]) == (2, "tlp")


def test_the_name_as_it_is_wins(store: Store, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "both.jsonl",
        {"report_id": "r1", "reported_at": "2025-03-01", "country": "TH", "Country": "Thailand"},
    )
    assert ingest_file(store, path, org="th-aoc").stored == 1
    with store.connect() as conn:
        row = conn.execute(sa.select(reports.c.country, reports.c.attributes)).one()
    kept = json.loads(row.attributes) if isinstance(row.attributes, str) else row.attributes
    assert (row.country, kept) == ("TH", {"Country": "Thailand"})
