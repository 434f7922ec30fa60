"""Batched writes: a report the store cannot keep as it is is refused alone, with the reason,
on both backends; the rest of its batch is stored."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake.service import ingest_file
from bigfish.models import ApiRole, Marking
from bigfish.organizations import add_org
from bigfish.reports import submit_reports
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers, reports
from bigfish.store.writes import CANONICAL_CHARS

# Valid in intake (under its 2,000 characters a value) but not in the store: a URL whose path
# percent-encodes to 11,893 characters, and a domain-like value of 1,200 CJK characters whose
# 3,600 bytes PostgreSQL cannot put in the unique index of identifiers.
LONG_URL = "http://shop.example/" + "é" * 1980
random.seed(7)
WIDE_DOMAIN = "".join(chr(random.randrange(0x4E00, 0x9FFF)) for _ in range(1200))
# And in a narrative, where a value has no limit of its own: a URL of 2,520 characters.
NARRATED_URL = "http://shop.example/" + "a" * 2500


def _stored(store: Store) -> list[str]:
    with store.connect() as conn:
        return sorted(conn.execute(sa.select(reports.c.report_id)).scalars())


def test_ingest_refuses_the_report_the_store_cannot_keep_and_stores_the_rest(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["report_id", "reported_at", "country", "urls", "domains", "narrative"])
        writer.writerow(["R-1", "2025-01-02T03:04:05Z", "TH", "http://ok.example/a", "", ""])
        writer.writerow(["R-2", "2025-01-02T03:04:05Z", "TH", LONG_URL, "", ""])
        writer.writerow(["R-3", "2025-01-02T03:04:05Z", "TH", "", WIDE_DOMAIN, ""])
        writer.writerow(["R-4", "2025-01-02T03:04:05Z", "TH", "", "", f"see {NARRATED_URL} now"])
        writer.writerow(["R-5", "2025-01-02T03:04:05Z", "TH", "http://ok.example/b", "", ""])
    result = ingest_file(store, path, org="bank-a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (5, 2, 3)
    assert _stored(store) == ["R-1", "R-5"]
    lines = path.with_name("reports.csv.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    rejects = {r["report_id"]: r for r in map(json.loads, lines)}
    assert sorted(rejects) == ["R-2", "R-3", "R-4"]
    assert "the url value 'http://shop.example/" in rejects["R-2"]["reason"]
    assert "11,893 characters" in rejects["R-2"]["reason"]
    assert "the domain value" in rejects["R-3"]["reason"]
    assert "3,600 bytes" in rejects["R-3"]["reason"]
    assert "in the narrative" in rejects["R-4"]["reason"]
    with store.connect() as conn:
        longest = conn.execute(sa.select(sa.func.max(sa.func.length(identifiers.c.canonical))))
        assert longest.scalar_one() <= 2000


def test_an_api_batch_keeps_its_good_reports_beside_one_the_store_cannot_keep(
    store: Store,
) -> None:
    org = add_org(store, "bank-a", country="TH")
    viewer = Viewer(org_id=org.id, org_name="bank-a", role=ApiRole.ANALYST)
    batch = [
        {"report_id": "A-1", "reported_at": "2025-01-02T03:04:05Z", "country": "TH"},
        {
            "report_id": "A-2",
            "reported_at": "2025-01-02T03:04:05Z",
            "country": "TH",
            "identifiers": [{"kind": "url", "value": LONG_URL}],
        },
    ]
    result = submit_reports(store, viewer, batch, Marking())
    assert (result.received, result.stored) == (2, 1)
    (refused,) = result.rejected
    assert refused.report_id == "A-2" and "over the 2,000 characters" in refused.reason
    assert _stored(store) == ["A-1"]


def test_the_limit_of_a_canonical_form_is_the_column_s() -> None:
    assert getattr(identifiers.c.canonical.type, "length", None) == CANONICAL_CHARS
