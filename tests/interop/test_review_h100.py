"""Review of interop (helper-100): one STIX-id holder check for a TAXII POST, a pull and a bundle
file; a revoked report keeps the `created` it was served with; what a MISP event says beyond
its attributes and objects (reports, sightings, galaxies) is kept or rejected with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.accounts import authenticate_key, create_key
from bigfish.intake import ingest_file
from bigfish.interop.feed import collections, iter_entries
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import SHARING_EXTENSION, TLP2_IDS
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import delete_report, remark_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, bigfish_report, foreign_report

PHONE = "+66812345678"


# --- 1. One holder check: an id taken twice before the check stays its first holder's -------


def _partnership_wide(obj: dict[str, Any]) -> dict[str, Any]:
    extensions = dict(obj["extensions"])
    extensions[SHARING_EXTENSION] = {
        "extension_type": "property-extension",
        "distribution": "partnership",
    }
    return obj | {"extensions": extensions, "object_marking_refs": [TLP2_IDS[TLP.GREEN]]}


def _newer(obj: dict[str, Any], phone: str) -> dict[str, Any]:
    extensions = {k: dict(v) for k, v in obj["extensions"].items()}
    for ext in extensions.values():
        if "report_id" in ext:
            ext["identifiers"] = [{"kind": "phone", "value": phone}]
    return obj | {"extensions": extensions, "modified": "2025-12-01T00:00:00.000Z"}


def _post(store: Store, obj: dict[str, Any], owner: str) -> list[tuple[str | None, str]]:
    with store.begin() as conn:
        return list(import_objects(conn, [obj], peer=None, default_org="x", owner=owner).rejections)


def _file(store: Store, path: Path, obj: dict[str, Any], org: str) -> list[dict[str, Any]]:
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, obj]}), "utf-8")
    ingest_file(store, path, org=org, fmt="stix", classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return (
        [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
        if rejects.exists()
        else []
    )


def test_an_id_held_twice_stays_its_first_holders_on_every_path(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two reports under one id (taken before the check existed, by an older release): the file
    check kept the first holder's updates by the order its query returned rows in, the TAXII
    check refused both reports for ever. Both now keep the id for the report that held it
    first and refuse the other, naming the first holder where the caller may see it."""
    for org in ("BANK-A", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    first = _partnership_wide(bigfish_report("a-1", phone=PHONE))
    second = _partnership_wide(bigfish_report("b-1", phone="+66899999999"))
    assert _post(sqlite_store, first, "BANK-A") == []
    assert _post(sqlite_store, second, "BANK-B") == []
    with sqlite_store.begin() as conn:  # b-1 took a-1's id before any check refused it
        b_org = sa.select(organizations.c.id).where(organizations.c.name == "BANK-B")
        conn.execute(
            reports.update()
            .where(reports.c.report_id == "b-1", reports.c.org_id == b_org.scalar_subquery())
            .values(source_id=first["id"])
        )
    # the first holder updates its report: by POST and by file
    assert _post(sqlite_store, _newer(first, "+66811111111"), "BANK-A") == []
    assert _file(sqlite_store, tmp_path / "a.json", _newer(first, "+66822222222"), "BANK-A") == []
    # the later one is refused on both paths, the holder named as each caller may see it
    taken = _newer(second, "+66833333333") | {"id": first["id"]}
    [(stix_id, reason)] = _post(sqlite_store, taken, "BANK-B")
    assert stix_id == first["id"]
    assert reason.startswith(f"id: {first['id']} is held on this node for a report of another")
    [line] = _file(sqlite_store, tmp_path / "b.json", taken, "BANK-B")
    assert line["field"] == "id" and line["report_id"] == "b-1"
    assert line["reason"].startswith(f"{first['id']} is held on this node for report BANK-A/a-1")


# --- 2. A revoked version keeps the `created` its report was served with ---------------------


def _viewer(store: Store, org: str, role: ApiRole = ApiRole.ANALYST) -> Viewer:
    secret = create_key(store, org=org, role=role).secret
    with store.connect() as conn:
        principal = authenticate_key(conn, secret)
    assert principal is not None
    return principal.viewer()


def _served(store: Store, viewer: Viewer) -> list[dict[str, Any]]:
    """The report objects VIEWER's collections serve, revoked versions included."""
    with store.connect() as conn:
        return [
            entry.object
            for collection in collections(conn, viewer)
            for entry, _ in iter_entries(conn, collection)
            if entry.object["type"] == "report"
        ]


@pytest.mark.parametrize("withdrawal", ["deleted", "re-marked"])
def test_a_revoked_version_keeps_the_authors_created(
    sqlite_store: Store, tmp_path: Path, withdrawal: str
) -> None:
    """Review finding: a report taken in with its author's STIX `created` is served with it,
    but its revoked version, after a local delete or re-mark, had `created` = when this node
    stored it: to a STIX reader another object (`created` never changes across versions)."""
    for org in ("TH-AOC", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    path = tmp_path / "bundle.json"
    report = foreign_report(1) | {"created": "2025-09-01T00:00:00Z"}
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, report]}), "utf-8")
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    result = ingest_file(
        sqlite_store, path, org="TH-AOC", fmt="stix", marking=shared, classify=False
    )
    assert result.stored == 1
    reader = _viewer(sqlite_store, "BANK-B", ApiRole.READONLY)
    [served] = _served(sqlite_store, reader)
    assert served["id"] == report["id"] and served["created"] == "2025-09-01T00:00:00.000000Z"
    owner = _viewer(sqlite_store, "TH-AOC")
    report_id = report["id"]  # a foreign report's report_id is its id
    if withdrawal == "deleted":
        delete_report(sqlite_store, owner, "TH-AOC", report_id)
    else:
        remark_report(sqlite_store, owner, "TH-AOC", report_id, Marking(TLP.AMBER))
    [revoked] = [o for o in _served(sqlite_store, reader) if o.get("revoked")]
    assert revoked["id"] == served["id"]
    assert revoked["created"] == served["created"]
    assert revoked["modified"] > served["modified"]
