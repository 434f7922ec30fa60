"""A report stored without a STIX id (CSV, xlsx, JSONL, API) goes out under the id bigfish makes
of its organization and report_id. That id is its own: a report sent under it for another
report_id, by TAXII POST or in a bundle file, is refused (helper 176's finding). Before, the
check looked for a made id only among the reports of the report_id sent, so both were stored
and `bigfish export stix` wrote two report objects under one id."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop import export_stix
from bigfish.interop.importer import import_objects
from bigfish.interop.stix import report_stix_id
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, bigfish_report

PHONE = "+66812345678"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


def _csv(store: Store, path: Path, org: str, report_id: str, marking: Marking) -> None:
    path.write_text(
        f"report_id,reported_at,country,phone\n{report_id},2025-11-02T08:00:00Z,TH,{PHONE}\n"
    )
    result = ingest_file(store, path, org=org, marking=marking, classify=False)
    assert (result.stored, result.rejected) == (1, 0)


def _post(store: Store, obj: dict[str, Any], owner: str) -> list[tuple[str | None, str]]:
    with store.begin() as conn:
        outcome = import_objects(conn, [obj], peer=None, default_org="x", owner=owner)
    return list(outcome.rejections)


def _bundle(store: Store, path: Path, obj: dict[str, Any], org: str) -> list[dict[str, Any]]:
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, obj]}), "utf-8")
    ingest_file(store, path, org=org, fmt="stix", classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    lines = rejects.read_text("utf-8").splitlines() if rejects.exists() else []
    return [json.loads(line) for line in lines]


def _held(store: Store) -> list[tuple[str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .order_by(reports.c.id)
        ).all()
    return [(str(org), str(report_id)) for org, report_id in rows]


def _exported_ids(store: Store) -> list[str]:
    out = io.StringIO()
    export_stix(store, Viewer.node_operator(), out)
    return sorted(o["id"] for o in json.loads(out.getvalue())["objects"] if o["type"] == "report")


def test_a_taxii_post_under_the_id_of_the_posters_own_other_report_is_refused(
    store: Store, tmp_path: Path
) -> None:
    add_org(store, "TH-AOC", country="TH")
    _csv(store, tmp_path / "aoc.csv", "TH-AOC", "AOC-2024-0000001", Marking())
    made = report_stix_id("TH-AOC", "AOC-2024-0000001")
    taken = bigfish_report("H-NEW", phone=PHONE) | {"id": made}
    refused = _post(store, taken, "TH-AOC")
    assert [stix_id for stix_id, _ in refused] == [made]
    [(_, reason)] = refused
    assert reason.startswith(
        f"id: {made} is held on this node for this organization's report AOC-2024-0000001"
    ), reason
    assert _held(store) == [("TH-AOC", "AOC-2024-0000001")]
    assert _exported_ids(store) == [made]


def test_a_bundle_file_under_the_id_of_another_organizations_report_is_refused(
    store: Store, tmp_path: Path
) -> None:
    for org in ("TH-AOC", "VN-POLICE"):
        add_org(store, org, country="TH")
    _csv(store, tmp_path / "vn.csv", "VN-POLICE", "CA-2024-0000001", Marking())
    made = report_stix_id("VN-POLICE", "CA-2024-0000001")
    taken = bigfish_report("H-NEW", phone=PHONE) | {"id": made}
    lines = _bundle(store, tmp_path / "b.json", taken, "TH-AOC")
    assert [line["report_id"] for line in lines] == ["H-NEW"]
    [line] = lines
    assert line["field"] == "id" and line["report_id"] == "H-NEW"
    assert line["reason"].startswith(
        f"{made} is held on this node for report VN-POLICE/CA-2024-0000001"
    ), line
    assert _held(store) == [("VN-POLICE", "CA-2024-0000001")]
    assert _exported_ids(store) == [made]


def test_a_post_is_refused_a_made_id_only_where_the_poster_sees_its_holder(
    store: Store, tmp_path: Path
) -> None:
    """The documented exception stays: a poster that may not see the holder is not told it
    exists, and the report is kept beside it."""
    for org in ("TH-AOC", "VN-POLICE", "BANK-B"):
        add_org(store, org, country="TH")
    _csv(store, tmp_path / "shared.csv", "VN-POLICE", "CA-1", SHARED)
    _csv(store, tmp_path / "own.csv", "VN-POLICE", "CA-2", Marking())
    seen, hidden = report_stix_id("VN-POLICE", "CA-1"), report_stix_id("VN-POLICE", "CA-2")
    refused = _post(store, bigfish_report("T-1", phone=PHONE) | {"id": seen}, "TH-AOC")
    assert [stix_id for stix_id, _ in refused] == [seen]
    [(_, reason)] = refused
    assert reason.startswith(f"id: {seen} is held on this node for a report of another"), reason
    assert _post(store, bigfish_report("T-2", phone=PHONE) | {"id": hidden}, "BANK-B") == []
    assert ("BANK-B", "T-2") in _held(store) and ("TH-AOC", "T-1") not in _held(store)
