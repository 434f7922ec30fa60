"""Planted rings: linked only through their identifiers, heavy tailed, rotating, scripted."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bigfish.synth import SynthSummary, generate, iter_planted, load_truth

from .conftest import Row, read_rows


def _identifiers_of(out_dir: Path, rows: list[Row]) -> dict[str, set[tuple[str, str, str]]]:
    """(canonical_kind, canonical, scope) of every report, from its fields and its narrative."""
    field_forms: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    text_forms: dict[str, list[tuple[str, tuple[str, str, str]]]] = defaultdict(list)
    for p in iter_planted(out_dir):
        canon = (p.canonical_kind, p.canonical, p.scope)
        # planted.jsonl lists a form once, from the field or the narrative it was first seen in
        field_forms[(p.kind, p.value, p.country)] = canon
        text_forms[p.country].append((p.value, canon))
    found: dict[str, set[tuple[str, str, str]]] = {}
    for row in rows:
        ids = {field_forms[(kind, value, row.country)] for kind, value in row.identifiers}
        ids |= {canon for value, canon in text_forms[row.country] if value in row.narrative}
        found[row.key] = ids
    return found


def _components(found: dict[str, set[tuple[str, str, str]]]) -> dict[str, str]:
    parent = {key: key for key in found}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    owner: dict[tuple[str, str], str] = {}
    for key, ids in found.items():
        for kind, canonical, scope in ids:
            if scope == "infrastructure":
                continue
            other = owner.setdefault((kind, canonical), key)
            parent[root(key)] = root(other)
    return {key: root(key) for key in found}


def test_rings_link_only_through_their_own_identifiers(small: SynthSummary) -> None:
    truth = load_truth(small.out_dir)["reports"]
    found = _identifiers_of(small.out_dir, read_rows(small.out_dir))
    component = _components(found)
    labels: dict[str, set[str]] = defaultdict(set)
    for key, comp in component.items():
        labels[comp].add(truth[key] or f"lone:{key}")
    assert all(len(v) == 1 for v in labels.values()), "a component mixes rings or lone scams"
    ring_components: dict[str, set[str]] = defaultdict(set)
    for key, ring in truth.items():
        if ring is not None:
            ring_components[ring].add(component[key])
    assert all(len(v) == 1 for v in ring_components.values()), "a ring falls apart"


def test_shared_infrastructure_only_with_noise(small: SynthSummary, quiet: SynthSummary) -> None:
    noisy = [p for p in iter_planted(small.out_dir) if p.scope == "infrastructure"]
    assert len({p.canonical for p in noisy}) >= 10
    assert {p.source for p in noisy} == {"field", "narrative"}
    assert not [p for p in iter_planted(quiet.out_dir) if p.scope == "infrastructure"]
    assert not any("1441" in r.narrative for r in read_rows(quiet.out_dir))
    found = _identifiers_of(small.out_dir, read_rows(small.out_dir))
    truth = load_truth(small.out_dir)["reports"]
    rings_per_infra: dict[str, set[str]] = defaultdict(set)
    for key, ids in found.items():
        for _, canonical, scope in ids:
            if scope == "infrastructure":
                rings_per_infra[canonical].add(truth[key] or key)
    assert max(len(v) for v in rings_per_infra.values()) >= 5


def test_rings_rotate_assets_instead_of_a_star(small: SynthSummary) -> None:
    truth = load_truth(small.out_dir)
    found = _identifiers_of(small.out_dir, read_rows(small.out_dir))
    big = [rid for rid, ring in truth["rings"].items() if ring["size"] >= 30]
    assert big
    for rid in big:
        keys = [k for k, r in truth["reports"].items() if r == rid]
        counts = Counter(i for k in keys for i in found[k] if i[2] == "ring")
        kinds = Counter(kind for kind, _, _ in counts)
        assert max(counts.values()) < len(keys), f"{rid} is a star around one identifier"
        assert max(kinds.values()) >= 3, f"{rid} never rotates an asset"


def test_a_rings_narratives_reuse_its_script(small: SynthSummary) -> None:
    truth = load_truth(small.out_dir)
    rows = {r.key: r for r in read_rows(small.out_dir)}
    for rid, ring in truth["rings"].items():
        if ring["size"] < 10:
            continue
        first_word = ring["brand"].split(" ")[0]
        narratives = [rows[k].narrative for k, r in truth["reports"].items() if r == rid]
        assert sum(first_word in n for n in narratives) >= 0.9 * len(narratives)


@pytest.mark.slow
def test_ring_sizes_are_heavy_tailed_at_50k(tmp_path: Path) -> None:
    summary = generate(tmp_path, reports=50_000, seed=7)  # its speed: benchmarks/bench_synth.py
    rings = load_truth(tmp_path)["rings"]
    sizes = sorted((r["size"] for r in rings.values()), reverse=True)
    big = [r for r in rings.values() if r["size"] >= 100 and len(r["countries"]) >= 4]
    assert len(big) >= 3
    assert all(4 <= len(r["countries"]) <= 6 for r in big)
    small_rings = sum(1 for s in sizes if 2 <= s <= 10)
    assert small_rings >= 0.8 * len(sizes)
    assert sizes[0] >= 200 and sizes[-1] >= 2
    assert 0.2 < summary.lone_reports / summary.reports < 0.4


def test_only_listed_infrastructure_is_shared_across_rings(small: SynthSummary) -> None:
    """Derived domains included: bit.ly of a short link and gmail.com of an address are shared."""
    from bigfish.identifiers import registrable_domain

    truth = load_truth(small.out_dir)
    infra = {(i["kind"], i["canonical"]) for i in truth["infrastructure"]}
    found = _identifiers_of(small.out_dir, read_rows(small.out_dir))
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, ids in found.items():
        label = truth["reports"][key] or key
        for kind, canonical, _ in ids:
            owners[(kind, canonical)].add(label)
            host = {"url": canonical.split("/")[0], "email": canonical.split("@")[-1]}.get(kind)
            if host:
                owners[("domain", registrable_domain(host) or host)].add(label)
    shared = {k for k, labels in owners.items() if len(labels) > 1}
    assert shared, "noise puts the same infrastructure into unrelated reports"
    assert shared <= infra, sorted(shared - infra)[:5]
