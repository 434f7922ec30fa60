"""The e5 method, like char-ngram, gives a narrative with no word left once identifiers are
masked (only a phone number, only a link) no script to share (helper 145's review): each was
embedded as the same empty passage, so every two of them were "the same script" at 1.0."""

from __future__ import annotations

import numpy as np

from bigfish.ml.similar import e5_vectors, masked_narratives, similar_narratives

NUMBERS_ONLY = [("a", "0812345678"), ("b", "+84 912 345 678"), ("c", "https://scam.example/x")]
SCRIPTS = [
    ("d", "A woman I met on a dating app introduced me to a gold trading platform. Call 0812."),
    ("e", "A woman I met on a dating app introduced me to a gold trading platform. Call 0899."),
    ("f", "Someone called from the post office saying a parcel in my name held illegal goods."),
]


def test_narratives_of_identifiers_alone_are_never_the_same_script_under_e5() -> None:
    for method in ("char-ngram", "e5"):
        links = similar_narratives(NUMBERS_ONLY + SCRIPTS, method=method, min_score=0.5)
        pairs = {(link.a, link.b) for link in links}
        assert not {p for p in pairs if set(p) & {"a", "b", "c"}}, (method, links)
        assert ("d", "e") in pairs, (method, links)


def test_an_e5_vector_of_no_script_is_zero_and_the_others_stay_unit() -> None:
    # `bigfish ml suggest --method e5` embeds the narratives as masked (empty: no word left)
    vectors = e5_vectors(masked_narratives([text for _, text in NUMBERS_ONLY + SCRIPTS]))
    norms = np.linalg.norm(vectors, axis=1)
    assert np.all(norms[:3] == 0)
    assert np.allclose(norms[3:], 1.0, atol=1e-5)
    assert np.all(e5_vectors(["", "0812345678"]) == 0)  # nothing to embed at all
