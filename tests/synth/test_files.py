"""The files `generate` writes: formats, headers, truth coverage, determinism."""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bigfish.synth import SynthSummary, generate, load_truth
from bigfish.synth.writers import CSV_HEADER, VI_COLUMNS

from .conftest import SMALL, read_rows

VOCAB_TYPES = {"investment", "romance", "job_task", "impersonation_authority",
               "impersonation_bank", "shopping", "loan", "phishing", "sextortion",
               "tech_support", "lottery_prize", "other"}  # fmt: skip
VOCAB_CHANNELS = {"sms", "voice_call", "whatsapp", "telegram", "line", "facebook", "instagram",
                  "tiktok", "dating_app", "email", "website", "marketplace", "other"}  # fmt: skip


def _digest(out_dir: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out_dir.iterdir())
        if p.suffix != ".xlsx"  # the zip container stamps a time; its rows are compared below
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", reports=500, seed=3)
    b = generate(tmp_path / "b", reports=500, seed=3)
    c = generate(tmp_path / "c", reports=500, seed=4)
    assert _digest(a.out_dir) == _digest(b.out_dir)
    assert [r.raw for r in read_rows(a.out_dir)] == [r.raw for r in read_rows(b.out_dir)]
    assert _digest(a.out_dir)["truth.json"] != _digest(c.out_dir)["truth.json"]


def test_truth_covers_every_row_of_every_file(small: SynthSummary) -> None:
    rows = read_rows(small.out_dir)
    truth = load_truth(small.out_dir)
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys)) == SMALL == small.reports
    assert set(keys) == set(truth["reports"])
    sizes: dict[str, int] = {}
    for ring in truth["reports"].values():
        if ring is not None:
            sizes[ring] = sizes.get(ring, 0) + 1
    assert sizes == {rid: ring["size"] for rid, ring in truth["rings"].items()}
    assert sum(1 for r in truth["reports"].values() if r is None) == small.lone_reports


def test_partnership_lists_every_file_and_the_organizations(small: SynthSummary) -> None:
    doc = json.loads((small.out_dir / "partnership.json").read_text(encoding="utf-8"))
    orgs = doc["organizations"]
    sectors = {o["sector"] for o in orgs}
    assert {"anti_scam_centre", "bank", "telco", "police", "international"} <= sectors
    centres = {o["country"] for o in orgs if o["sector"] in ("anti_scam_centre", "police")}
    assert len(centres) >= 8
    formats = {f["format"] for o in orgs for f in o["files"]}
    assert formats == {"csv", "jsonl", "xlsx"}
    for o in orgs:
        for f in o["files"]:
            assert (small.out_dir / f["path"]).is_file()
            if f["map"]:
                assert (small.out_dir / f["map"]).is_file()


def test_standard_csv_files_have_the_exact_header_and_valid_fields(small: SynthSummary) -> None:
    checked = 0
    for path in small.out_dir.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = tuple(next(reader))
            if header != CSV_HEADER:
                assert path.name == "vn-police.csv"
                continue
            for cells in reader:
                row = dict(zip(CSV_HEADER, cells, strict=True))
                datetime.fromisoformat(row["reported_at"])
                assert row["scam_type"] in VOCAB_TYPES
                assert row["channel"] in VOCAB_CHANNELS
                if row["loss_amount"]:
                    assert Decimal(row["loss_amount"]) > 0
                    assert len(row["loss_currency"]) == 3
                checked += 1
    assert checked > SMALL // 2


def test_vietnamese_file_matches_its_mapping(small: SynthSummary) -> None:
    mapping = tomllib.loads((small.out_dir / "vn-police.map.toml").read_text(encoding="utf-8"))
    headers = []
    for value in mapping["columns"].values():
        headers.extend(value if isinstance(value, list) else [value])
    with (small.out_dir / "vn-police.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == headers
        rows = list(reader)
    assert rows
    fmt = mapping["formats"]["date"]
    for row in rows:
        datetime.strptime(row["Ngày trình báo"], fmt)
        assert mapping["values"]["scam_type"][row["Loại lừa đảo"]] in VOCAB_TYPES
        assert mapping["values"]["channel"][row["Kênh liên lạc"]] in VOCAB_CHANNELS
        if row["Số tiền thiệt hại"]:
            Decimal(row["Số tiền thiệt hại"].replace(",", ""))
    assert any("," in row["Số tiền thiệt hại"] for row in rows)
    assert mapping["defaults"] == {"country": "VN", "loss_currency": "VND"}
    assert VI_COLUMNS["phones"] == mapping["columns"]["phones"]


def test_jsonl_identifiers_have_kind_value_role(small: SynthSummary) -> None:
    for path in small.out_dir.glob("*.jsonl"):
        if path.name == "planted.jsonl":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            for ident in obj["identifiers"]:
                assert set(ident) == {"kind", "value", "role"}


def test_the_excel_partner_stays_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bigfish.synth.generator.XLSX_MAX_ROWS", 10)
    summary = generate(tmp_path, reports=2_000, seed=1)
    rows = dict(summary.organizations)
    assert rows["sg-dbs"] == 10
    assert len(list(load_workbook(tmp_path / "sg-dbs.xlsx", read_only=True).active.rows)) == 11


def test_losses_are_in_local_currencies(small: SynthSummary) -> None:
    rows = read_rows(small.out_dir)
    currency = {"TH": "THB", "VN": "VND", "SG": "SGD", "MY": "MYR", "ID": "IDR", "PH": "PHP",
                "KH": "KHR", "AE": "AED", "AU": "AUD"}  # fmt: skip
    no_loss = 0
    for row in rows:
        cur = row.raw.get("loss_currency")
        if "Mã hồ sơ" in row.raw:
            continue
        if not row.raw.get("loss_amount"):
            no_loss += 1
            continue
        assert cur == currency[row.country]
    assert 0 < no_loss < len(rows) // 4


def test_output_does_not_depend_on_hash_randomization(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = "import sys; from pathlib import Path; from bigfish.synth import generate; "
    code += "generate(Path(sys.argv[1]), reports=300, seed=9)"
    for name, hash_seed in (("x", "1"), ("y", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, env=env)
    assert _digest(tmp_path / "x") == _digest(tmp_path / "y")


@pytest.mark.parametrize("n", [1, 7, 37])
def test_tiny_partnerships_are_consistent(tmp_path: Path, n: int) -> None:
    summary = generate(tmp_path, reports=n, seed=1)
    truth = load_truth(tmp_path)
    assert len(truth["reports"]) == len(read_rows(tmp_path)) == n
    assert summary.ring_reports + summary.lone_reports == n


def test_zero_reports_is_refused(tmp_path: Path) -> None:
    from bigfish.errors import InputError

    with pytest.raises(InputError, match="at least 1"):
        generate(tmp_path, reports=0)


def test_dates_span_about_eighteen_months_from_start(small: SynthSummary) -> None:
    days = [r.raw["reported_at"][:10] for r in read_rows(small.out_dir) if "reported_at" in r.raw]
    first, last = datetime.fromisoformat(min(days)), datetime.fromisoformat(max(days))
    assert min(days) >= "2024-07-01"
    assert 450 <= (last - first).days < 548
