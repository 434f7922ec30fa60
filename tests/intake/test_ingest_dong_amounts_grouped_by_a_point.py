"""A Vietnamese (or Indonesian, Korean, Japanese…) partner writes a loss of five hundred
thousand dong as "500.000", its thousands grouped by a point as is usual there. The standard
format reads "." as the decimal point: the report was stored with a loss of 500 dong, a
thousandth of it, without a word. A currency with no minor unit has no three decimals: such
an amount is rejected naming the field and what it likely meant."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import reports


def test_three_decimals_of_a_currency_without_a_minor_unit_are_rejected(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "vn-police.csv"
    path.write_text(
        "report_id,reported_at,country,loss_amount,loss_currency\n"
        "V1,2025-03-01,VN,500.000,VND\n"
        "V2,2025-03-01,VN,500000,VND\n"
        "V3,2025-03-01,JP,1.500,jpy\n"
        "V4,2025-03-01,TH,1.500,THB\n"  # a baht has satang: 1.500 is 1.5 baht, as written
        "V5,2025-03-01,KW,1.250,KWD\n"  # a dinar has fils: three decimals are its own
        "V6,2025-03-01,VN,1500.5,VND\n",
        encoding="utf-8",
    )
    result = ingest_file(store, path, org="vn-police")
    assert (result.received, result.stored, result.rejected) == (6, 4, 2)
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all()
    assert {str(r.report_id): str(r.loss_amount) for r in rows} == {
        "V2": "500000",
        "V4": "1.500",
        "V5": "1.250",
        "V6": "1500.5",
    }
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text(encoding="utf-8")
    dong, yen = (json.loads(line) for line in rejects.splitlines())
    assert (dong["line"], dong["report_id"], dong["field"]) == (2, "V1", "loss_amount")
    assert "'500.000'" in dong["reason"] and "500000" in dong["reason"]
    assert (yen["line"], yen["field"]) == (4, "loss_amount") and "JPY" in yen["reason"]
