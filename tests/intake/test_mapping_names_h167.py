"""Review h167 (README "Intake formats": a header lacking a column the mapping names is refused
naming the file and the column). The column was named as the readers fold headers to match
them, lower-cased: `field 'mô tả chi tiết'` for the mapping's "Mô Tả Chi Tiết", which the
partner then searched their mapping for in vain. It is now named as the mapping writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store

from .conftest import stored_ids

MAPPING = """
[columns]
report_id = "Mã Hồ Sơ"
narrative = "Mô Tả Chi Tiết"
phones = ["SĐT 1", "SĐT 2"]
[defaults]
country = "VN"
reported_at = "2025-01-01"
"""


def test_a_mapped_column_the_file_lacks_is_named_as_the_mapping_writes_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    (tmp_path / "vn.map.toml").write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "vn.csv"
    path.write_text("Mã Hồ Sơ,Mô tả,SĐT 1,SĐT 2\r\nV1,x,0912345678,\r\n", encoding="utf-8")
    mapping = load_mapping(tmp_path / "vn.map.toml")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a", mapping=mapping, workers=0, classify=False)
    error = caught.value
    assert error.field == "Mô Tả Chi Tiết"
    assert "the file does not have: Mô Tả Chi Tiết" in error.message
    assert stored_ids(sqlite_store) == []
