"""Same-script links on small fixtures."""

from __future__ import annotations

from bigfish.ml import PossibleLink, similar_narratives
from bigfish.ml.similar import mask_identifiers

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
