"""Review h122: a JSON key a column mapping takes an identifier column from may hold a list of
texts, as the column under its own name may (dbab6e0); it was refused as 'expected text or a
number, got list'. The same type rules hold: an item that is a number, a key of another type,
a list under a mapped text field are refused naming the key and the field of the mapping."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.mapping import ColumnMapping
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports

from .conftest import stored_ids

MAPPING = """
[columns]
report_id = "Mã hồ sơ"
reported_at = "Ngày"
phones = ["Số điện thoại", "Điện thoại khác"]
narrative = "Mô tả"
[defaults]
country = "VN"
"""


def _mapping(tmp_path: Path) -> ColumnMapping:
    path = tmp_path / "vn.map.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def _line(report_id: str, **fields: object) -> str:
    return json.dumps({"Mã hồ sơ": report_id, "Ngày": "2025-03-05"} | fields) + "\n"


def _ingest(store: Store, tmp_path: Path, lines: list[str]) -> tuple[tuple[int, int, int], Path]:
    path = tmp_path / "vn.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    result = ingest_file(
        store, path, org="vn", mapping=_mapping(tmp_path), workers=0, classify=False
    )
    assert result.received == result.stored + result.updated + result.rejected
    return (result.received, result.stored, result.rejected), path


def _phones(store: Store) -> dict[str, list[str]]:
    query = (
        sa.select(reports.c.report_id, identifiers.c.canonical)
        .join(mentions, mentions.c.report_pk == reports.c.id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(identifiers.c.kind == "phone", mentions.c.source == "field")
    )
    found: dict[str, list[str]] = {}
    with store.connect() as conn:
        for report_id, canonical in conn.execute(query):
            found.setdefault(str(report_id), []).append(str(canonical))
    return {k: sorted(v) for k, v in found.items()}


def _rejects(path: Path) -> dict[int, dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    lines = target.read_text("utf-8").splitlines() if target.exists() else []
    return {int(r["line"]): r for r in map(json.loads, lines)}


def test_a_mapped_identifier_key_holding_a_list_of_texts_stores_each(
    sqlite_store: Store, tmp_path: Path
) -> None:
    lines = [
        _line("HS-1", **{"Số điện thoại": ["0912345678", "0987654321"]}),
        _line("HS-2", **{"số điện thoại": ["0912345670"], "Điện thoại khác": "0987654320"}),
        _line("HS-3", **{"Số điện thoại": "0912345671; 0912345672"}),
        _line("HS-4", **{"Số điện thoại": []}),
    ]
    counts, path = _ingest(sqlite_store, tmp_path, lines)
    assert counts == (4, 4, 0), _rejects(path)
    assert _phones(sqlite_store) == {
        "HS-1": ["+84912345678", "+84987654321"],
        "HS-2": ["+84912345670", "+84987654320"],
        "HS-3": ["+84912345671", "+84912345672"],
    }
    assert stored_ids(sqlite_store) == ["HS-1", "HS-2", "HS-3", "HS-4"]


def test_a_mapped_key_of_the_wrong_type_is_refused_naming_the_key_and_its_field(
    sqlite_store: Store, tmp_path: Path
) -> None:
    lines = [
        _line("HS-1", **{"Số điện thoại": ["0912345678", 987654321]}),
        _line("HS-2", **{"Số điện thoại": {"a": "0912345678"}}),
        _line("HS-3", **{"Số điện thoại": 912345678}),
        _line("HS-4", **{"Mô tả": ["lừa đảo", "đầu tư"]}),
        _line("HS-5", **{"Số điện thoại": True}),
        _line("HS-6", **{"Ghi chú": ["unmapped"]}),
        _line("HS-7", **{"Điện thoại khác": ["0912345679"]}),
    ]
    counts, path = _ingest(sqlite_store, tmp_path, lines)
    assert counts == (7, 1, 6)
    assert stored_ids(sqlite_store) == ["HS-7"]
    rejects = _rejects(path)
    expected = {
        1: "Số điện thoại[1] (the mapping's phones) must be text (a JSON string), not a number",
        2: "Số điện thoại (the mapping's phones) must be a list of texts or one text of "
        ";-separated values, not an object",
        3: "Số điện thoại (the mapping's phones) must be text, not a number",
        4: "Mô tả (the mapping's narrative) must be text, not a list",
        5: "Số điện thoại (the mapping's phones) must be a list of texts or one text of "
        ";-separated values, not true",
    }
    for line, reason in expected.items():
        assert str(rejects[line]["reason"]).startswith(reason), rejects[line]
        assert rejects[line]["report_id"] == f"HS-{line}"
    assert {r["field"] for n, r in rejects.items() if n != 4} == {"Số điện thoại", "Ghi chú"}
    assert rejects[4]["field"] == "Mô tả"
    assert "got list" in str(rejects[6]["reason"])


def test_a_mapped_amount_given_as_a_list_names_the_key_and_its_types(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """It was 'expected text or a number, got list', naming neither the mapping's field."""
    path = tmp_path / "vn.map.toml"
    text = MAPPING.replace('narrative = "Mô tả"', 'loss_amount = "Số tiền"')
    path.write_text(text + 'loss_currency = "VND"\n', encoding="utf-8")
    jsonl = tmp_path / "amounts.jsonl"
    jsonl.write_text(_line("HS-1", **{"Số tiền": [1, 2]}) + _line("HS-2", **{"Số tiền": 5}))
    result = ingest_file(
        sqlite_store, jsonl, org="vn", mapping=load_mapping(path), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    [reject] = _rejects(jsonl).values()
    assert (
        reject["reason"]
        == "Số tiền (the mapping's loss_amount) must be text or a number, not a list"
    )
    assert (reject["field"], reject["report_id"]) == ("Số tiền", "HS-1")
