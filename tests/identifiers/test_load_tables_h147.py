"""`load_tables` loads what the normalizers otherwise load at their first value, and ingest
loads them before it forks workers, which then share them (helper 147)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bigfish.identifiers import normalize
from bigfish.identifiers import registry as registry_module
from bigfish.intake import ingest_file
from bigfish.store import Store

# In a fresh interpreter: nothing is loaded before the call, everything after it.
_PROBE = """
import phonenumbers
from phonenumbers import PhoneMetadata
from bigfish.identifiers import domain, registry
import sys

def loaded():
    return (
        domain._psl.cache_info().currsize,
        domain._psl_known.cache_info().currsize,
        len(PhoneMetadata._region_metadata),
        len(PhoneMetadata._country_code_metadata),
        bool({"eth_hash.backends.pycryptodome", "eth_hash.backends.pysha3"} & set(sys.modules)),
    )

print(loaded())
registry.load_tables()
print(loaded())
print((len(phonenumbers.SUPPORTED_REGIONS), len(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)))
"""


def test_load_tables_loads_every_table_in_a_fresh_process() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    before, after, counts = (ast.literal_eval(line) for line in out)
    regions, non_geo = counts
    assert before == (0, 0, 0, 0, False)
    assert after == (1, 1, regions, non_geo, True)


def test_values_normalize_the_same_after_load_tables() -> None:
    values = [
        ("url", "https://Shop-Deals.example.co.uk/a?b=1", "GB"),
        ("email", "Someone@Mail.Example.COM", None),
        ("crypto_wallet", "0x52908400098527886E0F7030069857D2E4169EE7", None),
        ("phone", "081 234 5678", "TH"),
        ("phone", "+84 912 345 678", None),
        ("domain", "sites.google.com", None),
    ]
    registry_module._normalize.cache_clear()
    first = [normalize(kind, value, country) for kind, value, country in values]
    registry_module.load_tables()
    registry_module._normalize.cache_clear()
    assert [normalize(kind, value, country) for kind, value, country in values] == first
    assert all(found.valid for found in first)


def test_ingest_loads_the_tables_before_forking_workers(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(registry_module, "load_tables", lambda: calls.append("loaded"))
    path = tmp_path / "reports.csv"
    rows = [f"R-{i},2024-07-01,TH,https://shop{i}.example.com\n" for i in range(20)]
    path.write_text("report_id,reported_at,country,urls\n" + "".join(rows), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="th-aoc", workers=1, classify=False)
    assert result.stored == 20
    assert calls == ["loaded"]
    calls.clear()
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    ingest_file(sqlite_store, path, org="th-aoc", workers=0, classify=False)
    assert calls == []  # in-process: each table is loaded when first needed, as before
