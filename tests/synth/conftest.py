"""Small synthetic partnerships shared by the synth tests, and a reader of their files."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bigfish.synth import SynthSummary, generate
from bigfish.synth.writers import COLUMN_OF_KIND, CSV_HEADER, VI_COLUMNS

SMALL = 2_000


@dataclass(frozen=True)
class Row:
    """One report read back from any of the files."""

    key: str  # org/report_id
    country: str
    narrative: str
    identifiers: tuple[tuple[str, str], ...]  # (kind, value)
    raw: dict[str, str]


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("synth-small"), reports=SMALL, seed=11)


@pytest.fixture(scope="session")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("synth-quiet"), reports=SMALL, seed=11, noise=False)


def _split(cell: str | None) -> list[str]:
    return [v for v in (cell or "").split(";") if v]


def _standard(org: str, record: dict[str, str]) -> Row:
    ids = tuple(
        (kind, value)
        for kind, column in COLUMN_OF_KIND.items()
        for value in _split(record.get(column))
    )
    return Row(f"{org}/{record['report_id']}", record["country"], record["narrative"], ids, record)


def read_rows(out_dir: Path) -> list[Row]:
    """Every report of every file listed in partnership.json."""
    partnership = json.loads((out_dir / "partnership.json").read_text(encoding="utf-8"))
    rows: list[Row] = []
    for org in partnership["organizations"]:
        for spec in org["files"]:
            path = out_dir / spec["path"]
            if spec["format"] == "jsonl":
                for line in path.read_text(encoding="utf-8").splitlines():
                    obj = json.loads(line)
                    ids = tuple((i["kind"], i["value"]) for i in obj["identifiers"])
                    key = f"{org['name']}/{obj['report_id']}"
                    rows.append(Row(key, obj["country"], obj["narrative"], ids, obj))
            elif spec["format"] == "xlsx":
                sheet = load_workbook(path, read_only=True).active
                values = list(sheet.iter_rows(values_only=True))
                header = [str(h) for h in values[0]]
                assert tuple(header) == CSV_HEADER
                for cells in values[1:]:
                    record = {h: "" if c is None else str(c) for h, c in zip(header, cells)}
                    rows.append(_standard(org["name"], record))
            elif spec["map"]:
                rows.extend(_mapped(org["name"], path))
            else:
                with path.open(encoding="utf-8", newline="") as f:
                    reader = csv.reader(f)
                    assert tuple(next(reader)) == CSV_HEADER
                    for cells in reader:
                        rows.append(_standard(org["name"], dict(zip(CSV_HEADER, cells))))
    return rows


def _mapped(org: str, path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for record in csv.DictReader(f):
            ids = tuple(
                (kind, record[header])
                for kind, column in COLUMN_OF_KIND.items()
                for header in VI_COLUMNS[column]
                if record[header]
            )
            narrative = record[str(VI_COLUMNS["narrative"])]
            rows.append(Row(f"{org}/{record['Mã hồ sơ']}", "VN", narrative, ids, record))
    return rows
