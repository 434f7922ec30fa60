"""The README's own column mapping, followed as a new partner would (helper-118's walk-through):
its `[values.scam_type]` translation names a field that `[columns]` does not map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store

#: The mapping of the README's "Intake formats", as printed there.
README_MAPPING = """\
[columns]                 # bigfish field = header in the file
report_id = "Mã hồ sơ"
reported_at = "Ngày trình báo"
loss_amount = "Số tiền thiệt hại"
narrative = "Mô tả"
phones = ["Số điện thoại 1", "Số điện thoại 2"]
[formats]
date = "%d/%m/%Y"
thousands_separator = ","
[defaults]
country = "VN"
loss_currency = "VND"
[values.scam_type]        # local labels → the vocabulary
"Đầu tư" = "investment"
"""


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _scam_types(store: Store) -> dict[str, str | None]:
    from bigfish.store.schema import reports

    with store.engine.connect() as conn:
        rows = conn.execute(reports.select().order_by(reports.c.report_id)).mappings()
        return {row["report_id"]: row["scam_type"] for row in rows}


def test_the_readme_mapping_translates_a_scam_type_column_it_does_not_map(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A file with the README's headers and a `scam_type` column of local labels: the
    translation of `[values.scam_type]` applied only to a field `[columns]` maps, so every
    row was rejected as `unknown scam_type 'Đầu tư'` with the README's mapping as printed."""
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(README_MAPPING, encoding="utf-8")
    data = tmp_path / "vn.csv"
    data.write_text(
        "Mã hồ sơ,Ngày trình báo,Số tiền thiệt hại,Mô tả,Số điện thoại 1,Số điện thoại 2,"
        "scam_type\n"
        'A1,05/03/2025,"12,500,000",Lừa đầu tư,0912345678,,Đầu tư\n'
        'A2,06/03/2025,"1,000",x,0912345679,,romance\n',
        encoding="utf-8",
    )
    result = ingest_file(
        sqlite_store, data, org="vn-police", mapping=load_mapping(mapping), workers=0,
        classify=False,
    )  # fmt: skip
    assert _rejects(data) == []
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)
    assert _scam_types(sqlite_store) == {"A1": "investment", "A2": "romance"}


@pytest.mark.parametrize("label", ["đầu tư", "ĐẦU TƯ", "\u200bĐầu tư\ufeff"])
def test_a_label_matches_whatever_its_case_and_invisible_marks(
    sqlite_store: Store, tmp_path: Path, label: str
) -> None:
    """The README: "Headers, JSON keys and labels match whatever their case, Unicode
    composition …, byte-order mark or zero-width marks". A label typed in another case was
    not translated: `unknown scam_type 'đầu tư'`."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\nscam_type = "Loại"\n'
        '[defaults]\ncountry = "VN"\n[values.scam_type]\n"Đầu tư" = "investment"\n',
        encoding="utf-8",
    )
    data = tmp_path / "vn.csv"
    data.write_text(f"Mã hồ sơ,Ngày,Loại\nv1,2025-03-01,{label}\n", encoding="utf-8")
    result = ingest_file(
        sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert _rejects(data) == []
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)
    assert _scam_types(sqlite_store) == {"v1": "investment"}


def test_two_labels_told_apart_only_by_case_refuse_the_mapping(tmp_path: Path) -> None:
    """Labels match whatever their case, so two that differ only so and translate apart
    cannot both hold: the mapping is refused naming the second."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\nscam_type = "Loại"\n'
        '[defaults]\ncountry = "VN"\n'
        '[values.scam_type]\n"Khác" = "other"\n"KHÁC" = "romance"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_mapping(mapping)
    assert caught.value.field == "values.scam_type.KHÁC"
