"""Exact copies (a campaign's narratives, the same once identifiers are masked) are compared once,
and every row chooses exactly what comparing every row gives (`bigfish.ml.similar_copies`)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from bigfish.ml import similar, similar_copies, similar_pruned
from bigfish.ml.similar import Choices, Previous, choose
from tests.ml.test_similar import _previous, narrative
from tests.ml.test_similar_pruned import _run, _same, vector_sets


def _campaign(rng: random.Random, copies: int) -> list[str]:
    """Narratives of varied scripts and COPIES of one SMS, each with another number and link."""
    texts = [narrative(rng) for _ in range(60)]
    for i in range(copies):
        number = f"08{rng.randint(10_000_000, 99_999_999)}"
        texts.append(
            f"Got an SMS: your parcel is held at customs, pay the fee at bit.ly/p{i}x or call "
            f"{number} within 24 hours"
        )
    rng.shuffle(texts)
    return texts


def _choose(
    monkeypatch: pytest.MonkeyPatch,
    vectors: sparse.csr_matrix,
    *,
    copies: bool,
    pruned: bool = True,
    changed: Any = None,
    previous: Previous | None = None,
    top_k: int,
    min_score: float,
) -> Choices:
    """`choose` with the copies compared once (COPIES) or as any rows, grouped for any copy,
    pruned (when PRUNED) through the split the caller set (similar_pruned.SPLIT_LEVEL)."""
    monkeypatch.setattr(similar, "COPIES", copies)
    monkeypatch.setattr(similar_copies, "PAIRS_PER_ROW", -1.0)  # grouped for any copy
    return _run(
        monkeypatch,
        vectors,
        pruned=pruned,
        level=similar_pruned.SPLIT_LEVEL,
        changed=changed,
        previous=previous,
        top_k=top_k,
        min_score=min_score,
    )


def test_a_few_copies_are_compared_as_any_rows() -> None:
    rng = random.Random(1)
    words = "gold crypto parcel police bank loan job prize dating visa tax fee".split()
    texts = sorted({" ".join(rng.choices(words, k=12)) for _ in range(60)})
    texts += texts[:3]  # three reports filed twice
    vectors = similar.char_ngram_vectors(texts)
    assert similar_copies.copies_of(vectors) is None  # no copy of the vectors for three rows
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(similar_copies, "PAIRS_PER_ROW", 0.0)
        copies = similar_copies.copies_of(vectors)
    assert copies is not None and len(copies.first) == len(texts) - 3


def test_a_campaign_s_copies_are_compared_once(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _campaign(random.Random(1), 300)
    vectors = similar.char_ngram_vectors(texts)
    distinct = len({similar.mask_identifiers(t) for t in texts})
    assert distinct < 100  # the 300 SMS are one narrative once masked
    compared: list[int] = []
    brute, pruned = similar._brute_scan, similar._pruned_scan

    def counted_brute(vectors: Any, rows: Any, scan: Any) -> Any:
        compared.append(vectors.shape[0])
        return brute(vectors, rows, scan)

    def counted_pruned(vectors: Any, split: Any, rows: Any, scan: Any) -> Any:
        compared.append(vectors.shape[0])
        return pruned(vectors, split, rows, scan)

    monkeypatch.setattr(similar, "_brute_scan", counted_brute)
    monkeypatch.setattr(similar, "_pruned_scan", counted_pruned)
    told: list[tuple[int, int]] = []
    n = vectors.shape[0]
    choose(
        vectors,
        np.ones(n, dtype=bool),
        Previous.nothing(n),
        top_k=10,
        min_score=0.5,
        progress=lambda done, total: told.append((done, total)),
    )
    assert compared and max(compared) <= distinct  # not the 360 rows
    assert told[-1] == (n, n)  # progress still counts narratives


@pytest.mark.parametrize("pruned", [True, False])
@pytest.mark.parametrize(
    ("seed", "copies", "top_k", "min_score"),
    [(1, 200, 10, 0.5), (2, 40, 3, 0.3), (3, 15, 10, 0.9), (4, 120, 1, 0.35)],
)
def test_a_campaign_s_copies_choose_what_comparing_every_row_does(
    monkeypatch: pytest.MonkeyPatch,
    pruned: bool,
    seed: int,
    copies: int,
    top_k: int,
    min_score: float,
) -> None:
    texts = _campaign(random.Random(seed), copies)
    vectors = similar.char_ngram_vectors(texts)
    args = {"pruned": pruned, "top_k": top_k, "min_score": min_score}
    oracle = _choose(monkeypatch, vectors, copies=False, **args)
    assert len(oracle.chooser) >= copies  # every SMS chose
    _same(_choose(monkeypatch, vectors, copies=True, **args), oracle)


def _changed_run(
    monkeypatch: pytest.MonkeyPatch,
    last: Choices,
    after: sparse.csr_matrix,
    changed: Any,
    *,
    copies: bool,
    pruned: bool,
    top_k: int,
    min_score: float,
) -> Choices:
    """A run over AFTER (rows CHANGED since) on LAST, what a full run over the rows before chose
    (`_choose` with copies=False and the same settings; computed once for both runs compared)."""
    n = after.shape[0]
    args = {"pruned": pruned, "top_k": top_k, "min_score": min_score}
    previous = _previous(
        list(range(n)), {"pairs": last.pairs(), "floors": last.floors(n)}, list(range(n))
    )
    return _choose(monkeypatch, after, copies=copies, changed=changed, previous=previous, **args)


@pytest.mark.parametrize(("seed", "top_k", "min_score"), [(5, 3, 0.5), (6, 10, 0.3), (7, 1, 0.6)])
def test_copies_among_new_narratives_choose_what_comparing_every_row_does(
    monkeypatch: pytest.MonkeyPatch, seed: int, top_k: int, min_score: float
) -> None:
    rng = random.Random(seed)
    texts = _campaign(rng, 50)
    masked = similar.masked_narratives(texts)
    before, frequencies = similar.ngram_vectors(masked)
    # A second wave: more copies of the campaign (and a few other narratives) replace reports.
    changed = np.zeros(len(texts), dtype=bool)
    sms = next(t for t in texts if "parcel" in t)
    for i in rng.sample(range(len(texts)), 30):
        texts[i] = sms if rng.random() < 0.8 else narrative(rng)
        changed[i] = True
    after, _ = similar.ngram_vectors(similar.masked_narratives(texts), frequencies)
    for pruned in (True, False):
        args = {"pruned": pruned, "top_k": top_k, "min_score": min_score}
        last = _choose(monkeypatch, before, copies=False, **args)
        oracle = _changed_run(monkeypatch, last, after, changed, copies=False, **args)
        got = _changed_run(monkeypatch, last, after, changed, copies=True, **args)
        _same(got, oracle)


@st.composite
def runs(draw: st.DrawFn) -> tuple[sparse.csr_matrix, sparse.csr_matrix, Any]:
    """Vectors with many copies, and the same after some rows changed (into copies of others)."""
    before = draw(vector_sets())
    n = before.shape[0]
    dense = before.toarray()
    rows = draw(st.lists(st.integers(0, n - 1), max_size=n))
    changed = np.zeros(n, dtype=bool)
    for row in rows:
        dense[row] = dense[draw(st.integers(0, n - 1))]
        changed[row] = True
    return before, sparse.csr_matrix(dense), changed


@settings(max_examples=200, deadline=None)
@given(
    run=runs(),
    top_k=st.sampled_from([1, 2, 3, 10]),
    min_score=st.sampled_from([0.35, 0.5, 0.9, 0.25, 2 / 3]),
    pruned=st.booleans(),
    level=st.integers(1, 5),
)
def test_copies_of_random_vectors_choose_what_comparing_every_row_does(
    run: tuple[sparse.csr_matrix, sparse.csr_matrix, Any],
    top_k: int,
    min_score: float,
    pruned: bool,
    level: int,
) -> None:
    before, after, changed = run
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(similar_pruned, "SPLIT_LEVEL", level)
        args = {"pruned": pruned, "top_k": top_k, "min_score": min_score}
        last = _choose(monkeypatch, before, copies=False, **args)
        _same(_choose(monkeypatch, before, copies=True, **args), last)
        oracle = _changed_run(monkeypatch, last, after, changed, copies=False, **args)
        got = _changed_run(monkeypatch, last, after, changed, copies=True, **args)
        _same(got, oracle)
