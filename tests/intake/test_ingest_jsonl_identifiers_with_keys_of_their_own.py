"""A partner's JSON Lines export gives an identifier more than its kind, value and role: the
bank of an account, the country of a phone (as a lookup takes one). Those keys were dropped
without a word: the account was stored without its bank, and the Vietnamese phone normalized
as a Thai one (+66912345678, where the partner said +84912345678)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import reports


def _line(report_id: str, identifiers: list[dict[str, object]]) -> str:
    report = {"report_id": report_id, "reported_at": "2025-03-01", "country": "TH"}
    return json.dumps(report | {"identifiers": identifiers})


def test_an_identifier_key_bigfish_does_not_read_rejects_the_report(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "bank.jsonl"
    lines = [
        _line("r1", [{"kind": "bank_account", "value": "0123456789", "bank": "KBANK"}]),
        _line(
            "r2",
            [
                {"kind": "phone", "value": "081 234 5678"},
                {"kind": "phone", "value": "0912345678", "country": "VN"},
            ],
        ),
        _line("r3", [{"kind": "phone", "value": "0812345678", "role": "contact", "note": None}]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(store, path, org="th-kbank")
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    with store.connect() as conn:
        assert list(conn.execute(sa.select(reports.c.report_id)).scalars()) == ["r3"]
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text(encoding="utf-8")
    first, second = (json.loads(line) for line in rejects.splitlines())
    assert (first["line"], first["report_id"], first["field"]) == (1, "r1", "identifiers[0].bank")
    assert "'bank'" in first["reason"] and "BANK:ACCOUNT" in first["reason"]
    assert (second["line"], second["field"]) == (2, "identifiers[1].country")
    assert "+84" in second["reason"]
