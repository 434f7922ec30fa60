"""`bigfish ingest --org bank` on a node that has the organization "Bank": a second organization
whose reports Bank's keys neither see nor edit was created without a word (helper 144's
findings; `org add` and groups refuse such names since 755f459). Now the ingest is refused,
naming the organization to use, and nothing is stored; the exact name still ingests."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import list_orgs
from bigfish.store import open_store

runner = CliRunner()

_CSV = "report_id,reported_at,country,phones\nr-1,2025-11-02,TH,0812345678\n"


def test_ingest_into_a_name_like_an_existing_organization_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    options = ["--db", url, "--data-dir", str(tmp_path / "data")]
    added = runner.invoke(app, [*options, "org", "add", "Bank", "--country", "TH"])
    assert added.exit_code == 0, added.output
    batch = tmp_path / "bank.csv"
    batch.write_text(_CSV, "utf-8")

    for lookalike in ("bank", "BANK", "Ｂａｎｋ"):
        refused = runner.invoke(app, [*options, "ingest", str(batch), "--org", lookalike])
        assert refused.exit_code != 0, refused.output
        assert "'Bank'" in refused.output and lookalike in refused.output
    store = open_store(url)
    try:
        assert [o.name for o in list_orgs(store)] == ["Bank"]
    finally:
        store.close()

    stored = runner.invoke(app, [*options, "ingest", str(batch), "--org", "Bank", "--json"])
    assert stored.exit_code == 0, stored.output
    assert '"stored": 1' in stored.output or '"stored":1' in stored.output
