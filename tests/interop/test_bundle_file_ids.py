"""`bigfish ingest` of a STIX bundle file: a report under a STIX id this node holds for another
organization's report is rejected naming `id` (a STIX id is its author's). A TAXII POST or a
pull was checked; a file was not, so two reports went out under one id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop.stix import report_stix_id
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, bigfish_report

PHONE = "+66812345678"


def _file(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, *objects]}), "utf-8")
    return path


def _held(store: Store) -> list[tuple[str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .order_by(reports.c.id)
        ).all()
    return [(r.name, r.report_id) for r in rows]


def _ingest(store: Store, path: Path, org: str) -> tuple[int, int, list[dict[str, Any]]]:
    result = ingest_file(store, path, org=org, fmt="stix", classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    lines = rejects.read_text("utf-8").splitlines() if rejects.exists() else []
    return result.stored, result.rejected, [json.loads(line) for line in lines]


def test_a_bundle_file_under_another_organizations_id_is_rejected_naming_id(
    store: Store, tmp_path: Path
) -> None:
    for org in ("BANK-A", "BANK-B"):
        add_org(store, org, country="TH")
    theirs = bigfish_report("a-1", phone=PHONE)
    assert _ingest(store, _file(tmp_path / "a.json", theirs), "BANK-A")[:2] == (1, 0)
    copied = bigfish_report("b-1", phone=PHONE) | {"id": theirs["id"]}
    fine = bigfish_report("b-2", phone=PHONE)
    stored, rejected, lines = _ingest(store, _file(tmp_path / "b.json", copied, fine), "BANK-B")
    assert (stored, rejected) == (1, 1)
    [line] = lines
    assert line["field"] == "id" and line["report_id"] == "b-1"
    assert line["reason"].startswith(f"{theirs['id']} is held on this node for report BANK-A/a-1")
    assert _held(store) == [("BANK-A", "a-1"), ("BANK-B", "b-2")]
    # the author sending its own report again is no conflict
    assert _ingest(store, _file(tmp_path / "a2.json", theirs), "BANK-A")[:2] == (0, 0)


def test_the_id_an_organizations_own_report_goes_out_under_is_held(
    store: Store, tmp_path: Path
) -> None:
    """A report stored without a STIX id goes out under one made of its organization and
    report_id: another organization's file carrying that exported object is refused."""
    for org in ("BANK-A", "BANK-B"):
        add_org(store, org, country="TH")
    csv = tmp_path / "a.csv"
    csv.write_text(
        "report_id,reported_at,country,phone\na-9,2025-11-02T08:00:00Z,TH,+66812345678\n"
    )
    assert ingest_file(store, csv, org="BANK-A", classify=False).stored == 1
    exported = bigfish_report("a-9", phone=PHONE) | {"id": report_stix_id("BANK-A", "a-9")}
    stored, rejected, lines = _ingest(store, _file(tmp_path / "b.json", exported), "BANK-B")
    assert (stored, rejected) == (0, 1) and lines[0]["field"] == "id"
    assert "BANK-A/a-9" in lines[0]["reason"]
    # BANK-A itself sending its exported report back is the same report
    assert _ingest(store, _file(tmp_path / "a.json", exported), "BANK-A")[1] == 0
