"""Every planted surface form normalizes back to its planted canonical form (spec/identifiers.md).

This ties the generator's canonical forms to `bigfish.identifiers.normalize`. A bare ``@name``
planted from a narrative is normalized with the platform named next to it (``telegram:@name``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bigfish.identifiers import normalize
from bigfish.synth import PlantedValue, SynthSummary, generate, iter_planted

# "(+84) 360 036 475": the spec accepts brackets in phone numbers, the normalizer does not yet
# accept one around the country code. Reported to the identifiers work; kept apart until fixed.
BRACKETED_CC = re.compile(r"^\(\+\d{1,3}\)")


def _mismatches(planted: list[PlantedValue]) -> list[tuple[PlantedValue, str, str, str | None]]:
    out = []
    for p in planted:
        value = f"{p.platform}:{p.value}" if p.platform else p.value
        found = normalize(p.kind, value, p.country)
        if not found.valid or (str(found.canonical_kind), found.canonical) != (
            p.canonical_kind,
            p.canonical,
        ):
            out.append((p, str(found.canonical_kind), found.canonical, found.error))
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> list[PlantedValue]:
    out: Path = tmp_path_factory.mktemp("synth-canonical")
    generate(out, reports=5_000, seed=5)
    return list(iter_planted(out))


def test_every_planted_value_normalizes_to_its_canonical_form(
    planted: list[PlantedValue],
) -> None:
    checked = [p for p in planted if not BRACKETED_CC.match(p.value)]
    assert len(checked) > 10_000
    bad = _mismatches(checked)
    assert not bad, f"{len(bad)} of {len(checked)} differ, e.g. {bad[:5]}"


def test_the_small_fixture_too(small: SynthSummary) -> None:
    planted = [p for p in iter_planted(small.out_dir) if not BRACKETED_CC.match(p.value)]
    assert not _mismatches(planted)


def test_bracketed_country_codes_normalize(planted: list[PlantedValue]) -> None:
    bracketed = [p for p in planted if BRACKETED_CC.match(p.value)]
    assert bracketed
    assert not _mismatches(bracketed)
