"""docs/spec is the contracts as users read them: spec/reports.md names `fx_usd_2025.csv`
"beside this file", which docs/spec lacked; the rates bigfish ships are that same table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "spec"


def test_every_file_a_contract_names_beside_it_is_there() -> None:
    named = {
        name
        for page in SPEC.glob("*.md")
        for name in re.findall(
            r"`([\w.-]+\.(?:csv|md|json))` beside this file", page.read_text("utf-8")
        )
    }
    assert named, "the contracts name a file beside them (spec/reports.md's rates)"
    assert sorted(n for n in named if not (SPEC / n).is_file()) == []


def test_the_shipped_reference_rates_are_the_contract_s_table() -> None:
    shipped = ROOT / "src" / "bigfish" / "data" / "fx_usd_2025.csv"
    assert shipped.read_bytes() == (SPEC / "fx_usd_2025.csv").read_bytes()
