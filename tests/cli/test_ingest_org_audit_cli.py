"""`bigfish ingest` and `bigfish org add` record the organizations they create in the audit log,
in the transaction that creates them (bigfish.organizations.NewOrgs)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import HeadSigner, verify_audit
from bigfish.cli import app as cli
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_access import audit_log

ME = f"console:{getpass.getuser()}"


def _rows(store: Store) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        columns = (audit_log.c.actor, audit_log.c.org, audit_log.c.action, audit_log.c.target)
        return [tuple(r) for r in conn.execute(sa.select(*columns).order_by(audit_log.c.seq))]


def _ok(store: Store, data: Path, *args: str) -> str:
    url = store.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(cli, ["--db", url, "--data-dir", str(data), *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_ingest_and_org_add_record_the_organizations_they_create(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    signer = HeadSigner(load_or_create_node_key(data), data)
    csv = tmp_path / "th.csv"
    csv.write_text("report_id,reported_at,country,phones\nR-1,2025-11-02,TH,+66812345678\n")
    manifest = tmp_path / "partnership.json"
    manifest.write_text(
        json.dumps(
            {"organizations": [{"name": "KH-NEW", "country": "KH", "files": [{"path": "th.csv"}]}]}
        )
    )
    _ok(store, data, "org", "add", "TH-AOC", "--country", "TH")
    _ok(store, data, "ingest", str(csv), "--org", "TH-NEW", "--no-webhooks")
    _ok(store, data, "ingest", str(csv), "--org", "TH-NEW", "--no-webhooks")
    _ok(store, data, "ingest", "--manifest", str(manifest), "--no-webhooks")
    assert _rows(store) == [
        (ME, "TH-AOC", "org add", "TH-AOC"),
        (ME, "TH-NEW", "org add by ingest", f"TH-NEW from {csv}"),
        (ME, "KH-NEW", "org add by ingest", f"KH-NEW from {manifest}"),
    ]
    check = verify_audit(store, signer)
    assert check.ok and check.signature_checked, check.reason


def test_ingest_asks_for_the_node_key_only_when_it_creates_an_organization(
    store: Store, tmp_path: Path
) -> None:
    """Once the log's head is signed, an ingest into a known organization runs from any folder;
    one that would create an organization is refused before anything is stored, as `org add` is
    (its row could not be signed)."""
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    load_or_create_node_key(data)
    csv = tmp_path / "th.csv"
    csv.write_text("report_id,reported_at,country,phones\nR-1,2025-11-02,TH,+66812345678\n")
    _ok(store, data, "org", "add", "TH-AOC", "--country", "TH")
    _ok(store, elsewhere, "ingest", str(csv), "--org", "TH-AOC", "--no-webhooks")
    url = store.engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "--data-dir", str(elsewhere), "ingest", str(csv), "--org", "TH-NEW"]
    refused = CliRunner().invoke(cli, [*args, "--no-webhooks"])
    assert refused.exit_code != 0 and "--data-dir" in refused.output
    with store.connect() as conn:
        names = set(conn.execute(sa.select(organizations.c.name)).scalars())
        stored = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    assert names == {"TH-AOC"} and stored == 1
    assert [r[2] for r in _rows(store)] == ["org add"]
