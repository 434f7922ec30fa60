"""An operator passes --map with a STIX bundle or a MISP event (a manifest's entry with a
`map`, say): the mapping was ignored without a word, its defaults and translations never
applied. The file is refused naming --map, before anything is read or stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bigfish.interop  # noqa: F401  (registers the STIX and MISP readers)
from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store

BUNDLE = {"type": "bundle", "id": "bundle--0b6f4b4e-1b8a-4a4f-9a53-1f6c4b0b2a11", "objects": []}


@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_a_mapping_for_a_stix_or_misp_file_is_refused(
    sqlite_store: Store, tmp_path: Path, fmt: str
) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text('[columns]\nreport_id = "Mã"\n[defaults]\ncountry = "VN"\n', "utf-8")
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(BUNDLE if fmt == "stix" else {"Event": {}}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="vn", fmt=fmt, mapping=load_mapping(mapping))
    assert caught.value.file == str(path) and caught.value.field == "map"
    assert fmt.upper() in caught.value.message and "without --map" in caught.value.message
    assert not path.with_name(path.name + ".rejects.jsonl").exists()
