"""Same-script links on small fixtures."""

from __future__ import annotations

import base64
import random
import zlib
from dataclasses import astuple
from typing import Any

import numpy as np
import pytest

from bigfish.errors import ConfigError
from bigfish.ml import PossibleLink, similar, similar_choices, similar_narratives
from bigfish.ml.similar import (
    DocumentFrequencies,
    Previous,
    char_ngram_vectors,
    choose,
    mask_identifiers,
    masked_narratives,
    ngram_vectors,
)

SCRIPT_A = (
    "A woman I met on a dating app said her uncle runs a gold trading platform. She showed me "
    "her profits and asked me to deposit {amount} into account {acct}. When I tried to withdraw "
    "they asked for a 20% tax first. Her number was {phone}."
)
SCRIPT_B = (
    "Someone called saying they were from the police and that my bank account was used for "
    "money laundering. They told me to move {amount} to a safe account {acct} for checking. "
    "The caller used {phone}."
)


def _items() -> list[tuple[str, str]]:
    out = []
    for i in range(4):
        fill = {
            "amount": f"{(i + 1) * 1000} USD",
            "acct": f"12345{i}789",
            "phone": f"+66 8{i} 555 01{i}",
        }
        out.append((f"a{i}", SCRIPT_A.format(**fill)))
        out.append((f"b{i}", SCRIPT_B.format(**fill)))
    out.append(("lone", "I bought a phone on a marketplace and it never arrived."))
    return out


def test_same_script_pairs_are_suggested_and_other_pairs_are_not() -> None:
    links = similar_narratives(_items(), top_k=3, min_score=0.5)
    assert links
    for link in links:
        assert isinstance(link, PossibleLink)
        assert link.a < link.b
        assert link.a[0] == link.b[0]
        assert link.method == "char-ngram"
        assert 0.5 <= link.score <= 1.0001
    pairs = {(link.a, link.b) for link in links}
    assert ("a0", "a1") in pairs and ("b2", "b3") in pairs
    assert all("lone" not in pair for pair in pairs)


def test_links_are_sorted_best_first_and_unique() -> None:
    links = similar_narratives(_items(), top_k=5, min_score=0.0)
    scores = [link.score for link in links]
    assert scores == sorted(scores, reverse=True)
    assert len({(link.a, link.b) for link in links}) == len(links)


def test_identifiers_do_not_make_a_script() -> None:
    masked = mask_identifiers("call +66 81 234 5678 or see https://x.co/a, 5000 baht")
    assert "5678" not in masked and "x.co" not in masked and "5000" not in masked


def test_too_few_items() -> None:
    assert similar_narratives([("only", "text")]) == []


def test_an_email_like_run_of_at_signs_is_masked_in_one_pass() -> None:
    # "\S+@\S+\.\S+" backtracked over every "@" from every start: O(n³), days for 100,000.
    assert mask_identifiers("@" * 100_000).strip() == "@" * 100_000
    assert mask_identifiers("a@" * 50_000 + "b.x").endswith(" # ")
    masked = mask_identifiers("write to som.chai+1@mail.example.co.th or @somchai_99")
    assert "mail.example" not in masked and "somchai_99" not in masked and "som.chai" not in masked


def test_narratives_with_nothing_in_common_are_never_suggested() -> None:
    items = [("a", ""), ("b", ""), ("c", "   "), ("d", "\x00"), ("p", "+66 81 234 5678")]
    items += [("q", "call 0812345678 !"), ("r", "😀😀"), ("s", "😀😀")]
    assert similar_narratives(items, min_score=0.0) == []
    assert similar_narratives([*items, ("e", "hello there")], min_score=0.0) == []


def test_identical_narratives_score_one_and_no_report_links_to_itself() -> None:
    text = _items()[1][1]
    links = similar_narratives([("x", text), ("y", text), ("x", text)], min_score=0.0)
    assert [(link.a, link.b, link.score) for link in links] == [("x", "y", 1.0)]


def test_a_top_k_below_one_suggests_nothing() -> None:
    assert similar_narratives(_items(), top_k=0) == []
    assert similar_narratives(_items(), top_k=-1) == []


def test_lone_surrogates_do_not_end_the_run() -> None:
    links = similar_narratives([("a", "\ud800 same story here"), ("b", "\ud800 same story here")])
    assert [(link.a, link.b) for link in links] == [("a", "b")]


# Incremental choices: a run that compares only new or changed narratives with all chooses what
# comparing everything chooses (with the same idf), and never holds more than a block of scores.

TEMPLATES = (
    "A woman I met on {app} said her uncle runs a {asset} trading platform. She showed me her "
    "profits and asked me to deposit money; when I tried to withdraw they wanted a tax first.",
    "Someone called saying they were from the {agency} and that my bank account was used for "
    "money laundering. They told me to move my savings to a safe account for checking.",
    "I ordered a {item} on {market} and paid the seller by transfer, but the parcel never "
    "arrived and the seller blocked me everywhere.",
    "A recruiter on {app} offered me a part-time job liking videos. After small commissions "
    "I had to pay for {item} tasks myself and could never withdraw my earnings.",
)
FILL = {
    "app": ("Line", "Telegram", "WhatsApp", "Facebook"),
    "asset": ("gold", "crypto", "forex"),
    "agency": ("police", "customs office", "central bank"),
    "item": ("phone", "camera", "sofa", "VIP"),
    "market": ("Shopee", "Lazada", "Marketplace"),
}
EXTRA = ("It happened in Bangkok.", "My sister lost money too.", "Please help.", "", "", "")


def narrative(rng: random.Random) -> str:
    """A narrative telling one of four scripts, filled in at random; sometimes a copy."""
    if rng.random() < 0.1:
        return TEMPLATES[0].format(app="Line", asset="gold")  # exact copies tie
    text = rng.choice(TEMPLATES).format(**{k: rng.choice(v) for k, v in FILL.items()})
    return f"{text} {rng.choice(EXTRA)} {rng.choice(EXTRA)}"


def _previous(pks: list[int], last: dict[str, Any], now: list[int]) -> Previous:
    """What the run over PKS chose (LAST), as rows of the narratives NOW (as the store keeps it)."""
    row = {pk: i for i, pk in enumerate(now)}
    at = np.array([row.get(pk, -1) for pk in pks] + [-1], dtype=np.int64)  # -1: gone
    low, high, quanta = last["pairs"]
    chosen, floor_quanta, floor_row = last["floors"]
    keep = (at[low] >= 0) & (at[high] >= 0)  # a deleted report's pairs go with it
    mine = np.full(len(now), -1)
    for i, pk in enumerate(pks):
        if pk in row:
            mine[row[pk]] = i
    known = mine >= 0
    return Previous(
        at[low[keep]],
        at[high[keep]],
        quanta[keep],
        np.where(known, chosen[mine], 0),
        np.where(known, floor_quanta[mine], 0),
        np.where(known & (floor_row[mine] >= 0), at[floor_row[mine]], -1),
    )


def next_batch(rng: random.Random, corpus: dict[int, str], next_pk: int) -> tuple[set[int], int]:
    """CORPUS after a batch: 1-12 new reports from NEXT_PK on, 4 narratives changed, 3 reports
    deleted (or their narratives removed). The changed pks, and the next free pk."""
    changed: set[int] = set()
    for _ in range(rng.randint(1, 12)):  # new reports
        corpus[next_pk] = narrative(rng)
        next_pk += 1
    for pk in rng.sample(sorted(corpus), 4):  # changed narratives
        corpus[pk] = narrative(rng)
        changed.add(pk)
    for pk in rng.sample(sorted(corpus), 3):  # deleted reports or removed narratives
        del corpus[pk]
    return changed, next_pk


@pytest.mark.parametrize(("seed", "min_score"), [(1, 0.3), (2, 0.0), (3, 0.6)])
def test_comparing_only_new_and_changed_narratives_chooses_what_comparing_all_does(
    seed: int, min_score: float
) -> None:
    rng = random.Random(seed)
    corpus = {pk: narrative(rng) for pk in range(1, 61)}
    _, frequencies = ngram_vectors(masked_narratives(list(corpus.values())))
    pks: list[int] = []
    last: dict[str, Any] = {}
    next_pk = 61
    for batch in range(5):
        changed_pks: set[int] = set()
        if batch:
            changed_pks, next_pk = next_batch(rng, corpus, next_pk)
        now = sorted(corpus)
        vectors, _ = ngram_vectors(masked_narratives([corpus[pk] for pk in now]), frequencies)
        everything = np.ones(len(now), dtype=bool)
        full = choose(vectors, everything, Previous.nothing(len(now)), top_k=3, min_score=min_score)
        if batch:
            changed = np.array([pk in changed_pks or pk not in pks for pk in now])
            previous = _previous(pks, last, now)
            run = choose(vectors, changed, previous, top_k=3, min_score=min_score)
            assert run.compared < len(now)  # not everything again
        else:
            run = full
        got = [part.tolist() for part in run.choices.pairs()]
        assert got == [part.tolist() for part in full.choices.pairs()]
        assert got[0], "no pair suggested: nothing tested"
        for mine, all_of in zip(astuple(run.choices), astuple(full.choices), strict=True):
            assert mine.tolist() == all_of.tolist()  # each row's own choices, in order
        pks, last = now, {"pairs": run.choices.pairs(), "floors": run.choices.floors(len(now))}


def test_scores_are_computed_a_block_of_rows_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [(f"r{i}", narrative(random.Random(i))) for i in range(40)]
    expected = similar_narratives(items, top_k=3, min_score=0.3)
    shapes: list[tuple[int, int]] = []
    scores = similar_choices._scores

    def spy(*args: Any) -> Any:
        found = scores(*args)
        shapes.append(found.shape)
        return found

    monkeypatch.setattr(similar_choices, "BLOCK_CELLS", 200)
    monkeypatch.setattr(similar, "PRUNE", False)  # every score of a block (the pruned: elsewhere)
    monkeypatch.setattr(similar_choices, "_scores", spy)
    assert similar_narratives(items, top_k=3, min_score=0.3) == expected
    assert len(shapes) == 8 and all(rows * of <= 200 for rows, of in shapes)  # never 40 × 40


def test_a_score_is_the_same_float_whichever_way_its_block_is_multiplied() -> None:
    rng = random.Random(4)
    vectors = char_ngram_vectors([narrative(rng) for _ in range(300)])
    transposed = vectors.T.tocsr()
    for block in (np.arange(0, 300, 7), np.array([5]), np.arange(250, 300)):
        with_copy = similar_choices._scores(vectors, transposed, block)
        assert np.array_equal(with_copy, similar_choices._scores(vectors, None, block))
        assert np.array_equal(with_copy, similar_choices._scores(vectors, None, block[::-1])[::-1])
    every = similar_choices._scores(vectors, transposed, np.arange(300))
    assert np.array_equal(every, every.T)  # a pair scores the same from either side


def test_the_idf_is_kept_as_text_and_a_damaged_one_is_refused() -> None:
    _, frequencies = ngram_vectors(masked_narratives(["a gold trading platform", "a safe account"]))
    again = DocumentFrequencies.from_text(2, frequencies.to_text())
    assert again.documents == 2 and np.array_equal(again.counts, frequencies.counts)
    with pytest.raises(ConfigError, match="damaged"):
        DocumentFrequencies.from_text(2, "not base64!")
    with pytest.raises(ConfigError, match="size"):
        DocumentFrequencies.from_text(2, base64.b64encode(zlib.compress(b"1234")).decode())
