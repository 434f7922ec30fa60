"""`bigfish ingest --manifest`: one run for a partnership's files stores what one run per file
stores, and prints the same per-file results and rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.intake import ManifestEntry, load_manifest
from bigfish.store import open_store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from tests.intake.conftest import csv_text, row

runner = CliRunner()

VN_MAP = """\
[columns]
report_id = "ma"
reported_at = "ngay"
phones = ["sdt"]
narrative = "mo_ta"
[formats]
date = "%d/%m/%Y"
[defaults]
country = "VN"
"""


def _partnership(folder: Path) -> Path:
    folder.mkdir()
    (folder / "th.csv").write_text(
        csv_text(
            [
                row("t1", narrative="โอนเงินด่วน ไลน์ @richclub88 โทร 081-234-5678"),
                row("t2", phones="0899999999", narrative="Invest now https://bit.ly/x1"),
                row("t3", country="ZZ"),  # rejected: unknown country
                row("t1", phones="0811111111"),  # rejected: duplicate in the same file
            ]
        ),
        encoding="utf-8",
    )
    (folder / "vn.csv").write_text(
        "ma,ngay,sdt,mo_ta\r\nv1,01/03/2025,0912345678,Chuyển tiền gấp cho công an\r\n",
        encoding="utf-8",
    )
    (folder / "vn.map.toml").write_text(VN_MAP, encoding="utf-8")
    lines = [
        {"report_id": "j1", "reported_at": "2025-03-02", "country": "TH",
         "identifiers": [{"kind": "phone", "value": "081-234-5678"}]},
    ]  # fmt: skip
    (folder / "bank.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    manifest = {
        "generated_by": "hand",
        "organizations": [
            {"name": "th-aoc", "files": [{"path": "th.csv", "format": "csv", "map": None}]},
            {"name": "vn-police", "files": [{"path": "vn.csv", "map": "vn.map.toml"}]},
            {"name": "th-kbank", "files": [{"path": "bank.jsonl"}]},
        ],
    }
    path = folder / "partnership.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def _stored(url: str) -> list[tuple[object, ...]]:
    store = open_store(url)
    with store.connect() as conn:
        query = (
            sa.select(
                organizations.c.name, reports.c.report_id, reports.c.country,
                reports.c.narrative, reports.c.classification, reports.c.scam_probability,
                reports.c.predicted_scam_type, mentions.c.source, mentions.c.raw,
                identifiers.c.kind, identifiers.c.canonical,
            )
            .join(organizations, organizations.c.id == reports.c.org_id)
            .join(mentions, mentions.c.report_pk == reports.c.id)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .order_by(reports.c.id, identifiers.c.kind, identifiers.c.canonical)
        )  # fmt: skip
        rows = [tuple(r) for r in conn.execute(query)]
    store.close()
    return rows


def _rejects(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*.rejects.jsonl"))}


def test_manifest_run_equals_one_run_per_file(tmp_path: Path) -> None:
    manifest = _partnership(tmp_path / "data")
    folder = manifest.parent
    one_by_one = f"sqlite:///{tmp_path / 'each.db'}"
    each_output = []
    for entry in load_manifest(manifest):
        args = ["--db", one_by_one, "ingest", str(entry.path), "--org", entry.org, "--json"]
        if entry.mapping:
            args += ["--map", str(entry.mapping)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        each_output.append(result.output)
    each_rejects = _rejects(folder)
    together = f"sqlite:///{tmp_path / 'together.db'}"
    result = runner.invoke(app, ["--db", together, "ingest", "--manifest", str(manifest), "--json"])
    assert result.exit_code == 0, result.output
    assert result.output == "".join(each_output)
    counts = [json.loads(line) for line in result.output.splitlines()]
    assert [(c["org"], c["received"], c["stored"], c["rejected"]) for c in counts] == [
        ("th-aoc", 4, 2, 2),
        ("vn-police", 1, 1, 0),
        ("th-kbank", 1, 1, 0),
    ]
    assert _rejects(folder) == each_rejects and list(each_rejects) == ["th.csv.rejects.jsonl"]
    assert _stored(together) == _stored(one_by_one)
    assert len(_stored(together)) >= 6


def test_manifest_paths_are_relative_to_it(tmp_path: Path) -> None:
    manifest = _partnership(tmp_path / "data")
    entries = load_manifest(manifest)
    assert entries[1] == ManifestEntry(
        manifest.parent / "vn.csv", "vn-police", "auto", manifest.parent / "vn.map.toml"
    )
    assert [e.fmt for e in entries] == ["csv", "auto", "auto"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("[]", "organizations"),
        ('{"organizations": [{"name": "", "files": []}]}', "organizations[0].name"),
        ('{"organizations": [{"name": "a"}]}', "organizations[0].files"),
        ('{"organizations": [{"name": "a", "files": [{"map": "x"}]}]}',
         "organizations[0].files[0].path"),
    ],
)  # fmt: skip
def test_a_bad_manifest_names_the_field(tmp_path: Path, document: str, field: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    assert caught.value.field == field
    result = runner.invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "ingest", "--manifest", str(path)]
    )
    assert result.exit_code == 1 and field in result.output


def test_manifest_excludes_files_and_org(tmp_path: Path) -> None:
    manifest = _partnership(tmp_path / "data")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    mixed = runner.invoke(app, ["--db", db, "ingest", "--manifest", str(manifest), "--org", "a"])
    assert mixed.exit_code == 2
    assert runner.invoke(app, ["--db", db, "ingest", str(manifest)]).exit_code == 2
    assert runner.invoke(app, ["--db", db, "ingest", "--org", "a"]).exit_code == 2


def test_a_file_that_cannot_be_read_is_named_and_the_others_are_stored_and_linked(
    tmp_path: Path,
) -> None:
    manifest = _partnership(tmp_path / "data")
    folder = manifest.parent
    db = f"sqlite:///{tmp_path / 'x.db'}"
    (folder / "empty.csv").write_text("", encoding="utf-8")
    result = runner.invoke(
        app,
        ["--db", db, "ingest", str(folder / "th.csv"), str(folder / "missing.csv"),
         str(folder / "empty.csv"), str(folder / "bank.jsonl"), "--org", "th-aoc", "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "missing.csv" in result.output and "2 of 4 files were not read" in result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {line["file"] for line in lines if "error" not in line} == {
        str(folder / "th.csv"),
        str(folder / "bank.jsonl"),
    }
    assert {line["file"] for line in lines if "error" in line} == {  # each has its line (d8cbe82)
        str(folder / "missing.csv"),
        str(folder / "empty.csv"),
    }
    networks = runner.invoke(app, ["--db", db, "networks", "--json"])
    linked = json.loads(networks.output)["networks"]  # t1 and j1 share 081-234-5678
    assert [sorted(r["report_id"] for r in n["reports"]) for n in linked] == [["j1", "t1"]]


def test_a_manifest_gives_the_organizations_it_creates_their_country_and_sector(
    tmp_path: Path,
) -> None:
    manifest = _partnership(tmp_path / "data")
    document = json.loads(manifest.read_text("utf-8"))
    document["organizations"][0] |= {"country": "TH", "sector": "anti_scam_centre"}
    document["organizations"][2] |= {"country": "TH", "sector": "bank"}
    manifest.write_text(json.dumps(document), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert (
        runner.invoke(app, ["--db", db, "org", "add", "th-kbank", "--country", "SG"]).exit_code == 0
    )
    result = runner.invoke(app, ["--db", db, "ingest", "--manifest", str(manifest), "--json"])
    assert result.exit_code == 0, result.output
    orgs = {
        o["name"]: o
        for o in json.loads(runner.invoke(app, ["--db", db, "org", "list", "--json"]).output)[
            "organizations"
        ]
    }
    assert (orgs["th-aoc"]["country"], orgs["th-aoc"]["sector"]) == ("TH", "anti_scam_centre")
    assert orgs["th-kbank"]["country"] == "SG"  # an existing organization keeps its own
    assert orgs["vn-police"]["country"] is None
    document["organizations"][1] |= {"country": "ZZ"}
    manifest.write_text(json.dumps(document), encoding="utf-8")
    bad = runner.invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'y.db'}", "ingest", "--manifest", str(manifest)]
    )
    assert bad.exit_code == 1 and "vn-police" in bad.output and "country" in bad.output


def test_a_bad_entry_is_named_and_the_other_files_are_stored(tmp_path: Path) -> None:
    """A missing map file or `"format": "CSV"` in one entry aborted the whole run, and the
    format error named only `field 'format'`. Each entry is now resolved on its own: the bad
    ones are named with their place in the manifest, the others stored; the status is 1."""
    manifest = _partnership(tmp_path / "data")
    document = json.loads(manifest.read_text("utf-8"))
    document["organizations"][0]["files"][0]["format"] = "CSV"
    document["organizations"][1]["files"][0]["map"] = "nomap.toml"
    manifest.write_text(json.dumps(document), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["--db", db, "ingest", "--manifest", str(manifest), "--json"])
    assert result.exit_code == 1
    assert "organizations[0].files[0].format" in result.output and "'CSV'" in result.output
    assert "organizations[1].files[0].map" in result.output and "nomap.toml" in result.output
    assert "2 of 3 files were not read" in result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(s["org"], s["stored"]) for s in lines if "error" not in s] == [("th-kbank", 1)]
    refused = [s for s in lines if "error" in s]  # each has its line too (d8cbe82)
    assert [s["org"] for s in refused] == ["th-aoc", "vn-police"]
    assert "organizations[0].files[0].format" in refused[0]["error"]
