"""reports.stix_id holds the STIX id each report goes out under, whichever way it came in (CSV,
JSONL, xlsx, the API, a STIX bundle, a TAXII POST, a sync pull, a MISP event) and after it is
sent again under another id; migration 0026 fills it for the reports stored before, in batches,
on both backends, and its downgrade keeps every report and mention."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

import bigfish.store
from bigfish.intake import ingest_file
from bigfish.interop.importer import import_objects
from bigfish.interop.stix import report_stix_id
from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.reports import submit_reports
from bigfish.store import Store, create_engine, metadata, open_store
from bigfish.store.schema import mentions, organizations, reports
from bigfish.store.writes import stix_id_of
from tests.interop.builders import LOCATION, bigfish_report, key_viewer
from tests.store.test_migrations import WHEN, run_migration

PHONE = "+66812345678"
_HEADER = "report_id,reported_at,country,phone"
_MIGRATION = (
    Path(bigfish.store.__file__).parent / "migrations" / "versions" / "0026_reports_stix_id.py"
)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0026", _MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected(org: str, report_id: str, source_id: str | None) -> str:
    """The id `bigfish.interop.stix.report_object_id` sends the report out under."""
    if source_id and source_id.startswith("report--"):
        return source_id
    return report_stix_id(org, report_id)


def _kept(conn: sa.Connection) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(organization, report_id) -> (source_id, stix_id) of every report."""
    rows = conn.execute(
        sa.select(
            organizations.c.name, reports.c.report_id, reports.c.source_id, reports.c.stix_id
        ).join(organizations, organizations.c.id == reports.c.org_id)
    )
    return {(str(o), str(r)): (s, i) for o, r, s, i in rows}


def _check(store: Store) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    with store.connect() as conn:
        kept = _kept(conn)
    wrong = {
        key: stix_id
        for key, (source_id, stix_id) in kept.items()
        if stix_id != _expected(*key, source_id)
    }
    assert wrong == {}
    return kept


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _ingest(store: Store, path: Path, org: str, fmt: str = "auto") -> None:
    result = ingest_file(store, path, org=org, fmt=fmt, classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    assert result.rejected == 0, rejects.read_text("utf-8") if rejects.exists() else ""
    assert result.stored + result.updated >= 1


def test_every_intake_path_keeps_the_id_its_reports_go_out_under(
    store: Store, tmp_path: Path
) -> None:
    for org in ("TH-AOC", "VN-POLICE"):
        add_org(store, org, country="TH")
    _ingest(
        store,
        _write(tmp_path / "a.csv", f"{_HEADER}\ncsv-1,2025-11-02T08:00:00Z,TH,{PHONE}\n"),
        "TH-AOC",
    )
    line = {"report_id": "jsonl-1", "reported_at": "2025-11-02T08:00:00Z", "country": "TH"}
    _ingest(store, _write(tmp_path / "a.jsonl", json.dumps(line) + "\n"), "VN-POLICE")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(_HEADER.split(","))
    sheet.append(["xlsx-1", "2025-11-02T08:00:00Z", "TH", PHONE])
    book.save(tmp_path / "a.xlsx")
    _ingest(store, tmp_path / "a.xlsx", "TH-AOC")
    viewer = key_viewer(store, "VN-POLICE")
    submitted = submit_reports(store, viewer, [line | {"report_id": "api-1"}], Marking())
    assert submitted.rejected == ()
    bundle = {"type": "bundle", "objects": [LOCATION, bigfish_report("stix-1", phone=PHONE)]}
    _ingest(store, _write(tmp_path / "a.json", json.dumps(bundle)), "TH-AOC", "stix")
    with store.begin() as conn:
        posted = import_objects(
            conn,
            [bigfish_report("post-1", phone=PHONE)],
            peer=None,
            default_org="x",
            owner="VN-POLICE",
        )
        pulled = import_objects(
            conn,
            [bigfish_report("pull-1", org="PEER-ORG", phone=PHONE)],
            peer="https://peer.example/taxii2/",
            default_org="x",
        )
    assert (posted.rejections, pulled.rejections) == ((), ())
    event = {
        "Event": {
            "uuid": "5f0c6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5c",
            "info": "Investment scam",
            "date": "2025-11-02",
            "Tag": [{"name": 'bigfish:country="TH"'}],
            "Attribute": [{"type": "phone-number", "value": PHONE}],
        }
    }
    _ingest(store, _write(tmp_path / "event.json", json.dumps(event)), "TH-AOC", "misp")
    kept = _check(store)
    assert len(kept) == 8, sorted(kept)
    made = [
        key for key, (source_id, _) in kept.items() if not (source_id or "").startswith("report--")
    ]
    assert len(made) == 5, kept  # csv, jsonl, xlsx, api, misp: ids made by this node
    # Sent again under an id of its own, then without one: the id it goes out under follows.
    again = bigfish_report("csv-1", phone="+66899999999")
    bundle = {"type": "bundle", "objects": [LOCATION, again]}
    _ingest(store, _write(tmp_path / "again.json", json.dumps(bundle)), "TH-AOC", "stix")
    assert _check(store)[("TH-AOC", "csv-1")] == (again["id"], again["id"])
    _ingest(
        store,
        _write(tmp_path / "b.csv", f"{_HEADER}\ncsv-1,2025-11-03T08:00:00Z,TH,{PHONE}\n"),
        "TH-AOC",
    )
    assert _check(store)[("TH-AOC", "csv-1")] == (None, report_stix_id("TH-AOC", "csv-1"))


_text = st.text(max_size=30).filter(
    lambda t: t.encode("utf-8", "replace") == t.encode("utf-8", "surrogatepass")
)
_source = st.none() | _text | _text.map(lambda t: "report--" + t)


@given(org=_text, report_id=_text, source_id=_source)
def test_the_writer_and_the_migration_make_the_same_id(
    org: str, report_id: str, source_id: str | None
) -> None:
    made = _migration()._stix_id
    assert stix_id_of(org, report_id, source_id) == made(org, report_id, source_id)
    assert stix_id_of(org, report_id, source_id) == _expected(org, report_id, source_id)


def _reports_rows(count: int) -> list[dict[str, Any]]:
    """COUNT reports of organization 1 or 2: a third came with a STIX id, a third with a MISP
    uuid, a third with none."""
    rows = []
    for n in range(count):
        source = (f"report--{n:08d}-0000-4000-8000-000000000000", f"{n:08d}-misp", None)[n % 3]
        rows.append(
            {
                "org_id": 1 + n % 2,
                "report_id": f"R-{n}",
                "reported_at": WHEN,
                "country": "TH",
                "tlp": "amber",
                "distribution": "organization",
                "source_id": source,
                "created_at": WHEN,
                "updated_at": WHEN,
            }
        )
    return rows


def test_0026_fills_the_ids_of_the_reports_stored_before_and_goes_back(store_url: str) -> None:
    before = str(_migration().down_revision)
    engine = create_engine(store_url)
    run_migration(engine, "upgrade", before)
    count = 5_000 + 7  # over one batch of the fill
    with engine.begin() as conn:
        conn.execute(
            organizations.insert(),
            [
                {"id": 1, "name": "TH-AOC", "created_at": WHEN},
                {"id": 2, "name": "Đông-Á-Bank", "created_at": WHEN},
            ],
        )
        conn.execute(reports.insert(), _reports_rows(count))
        conn.execute(
            sa.text("INSERT INTO identifiers (kind, canonical, valid) VALUES ('phone', :p, true)"),
            {"p": PHONE},
        )
        conn.execute(
            sa.text(
                "INSERT INTO mentions (report_pk, identifier_id, source, raw) "
                "SELECT id, (SELECT min(id) FROM identifiers), 'field', :p FROM reports"
            ),
            {"p": PHONE},
        )
    run_migration(engine, "upgrade", "0026")
    with engine.connect() as conn:
        kept = _kept(conn)
    assert len(kept) == count
    wrong = {k: v for k, v in kept.items() if v[1] != _expected(*k, v[0])}
    assert wrong == {}
    assert kept[("Đông-Á-Bank", "R-1")][1] == report_stix_id("Đông-Á-Bank", "R-1")
    run_migration(engine, "downgrade", before)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("reports")}
    assert "stix_id" not in columns
    with engine.connect() as conn:  # in place: no copy of reports deleted their mentions
        assert conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar() == count
    engine.dispose()
    reopened = open_store(store_url)
    with reopened.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert sum(1 for _, i in _kept(conn).values() if i is None) == 0
    reopened.close()


@pytest.mark.parametrize("source_id", [None, "5f0c6f3e-misp", "report--x"])
def test_the_id_is_the_source_id_only_when_it_is_a_stix_report_id(source_id: str | None) -> None:
    expected = source_id if source_id == "report--x" else report_stix_id("TH-AOC", "R-1")
    assert stix_id_of("TH-AOC", "R-1", source_id) == expected
